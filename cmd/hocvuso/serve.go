package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	"hocvuso/bot"
	"hocvuso/bot/session"
	"hocvuso/bot/telegram"
)

// serveConfig is read from the environment; flags override it.
type serveConfig struct {
	Token         string
	RedisURL      string
	Dev           bool
	WebhookURL    string
	WebhookSecret string
	ListenAddr    string
	APIURL        string
	SessionTTL    time.Duration
	AwayAfter     time.Duration
	LogLevel      string
	Volunteers    *volunteerConfig
}

// serveDefaults is the configuration from the environment, before flags.
func serveDefaults() serveConfig {
	return serveConfig{
		Token:         os.Getenv("TELEGRAM_BOT_TOKEN"),
		RedisURL:      os.Getenv("REDIS_URL"),
		WebhookURL:    os.Getenv("WEBHOOK_URL"),
		WebhookSecret: os.Getenv("WEBHOOK_SECRET"),
		ListenAddr:    envOr("LISTEN_ADDR", ":8080"),
		APIURL:        envOr("TELEGRAM_API_URL", telegram.DefaultAPIURL),
		SessionTTL:    envDuration("SESSION_TTL", session.DefaultTTL),
		AwayAfter:     envDuration("AWAY_AFTER", bot.DefaultAwayAfter),
		LogLevel:      envOr("LOG_LEVEL", "info"),
	}
}

func loadServeConfig(args []string, stderr io.Writer) (serveConfig, error) {
	c := serveDefaults()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.RedisURL, "redis", c.RedisURL, "Redis URL ($REDIS_URL)")
	fs.BoolVar(&c.Dev, "dev", false, "use the embedded store when REDIS_URL is empty (sessions are lost on exit)")
	fs.StringVar(&c.WebhookURL, "webhook-url", c.WebhookURL, "public HTTPS URL for Telegram's webhook ($WEBHOOK_URL); empty: long polling")
	fs.StringVar(&c.ListenAddr, "listen", c.ListenAddr, "address the webhook server listens on ($LISTEN_ADDR)")
	fs.StringVar(&c.APIURL, "api-url", c.APIURL, "Bot API server ($TELEGRAM_API_URL)")
	fs.DurationVar(&c.SessionTTL, "session-ttl", c.SessionTTL, "how long an idle session is kept ($SESSION_TTL)")
	fs.DurationVar(&c.AwayAfter, "away", c.AwayAfter, "pause after which a resident is offered to continue where they were ($AWAY_AFTER)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error ($LOG_LEVEL)")
	c.Volunteers = volunteerFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	if c.Token == "" {
		return c, fmt.Errorf("TELEGRAM_BOT_TOKEN is required (ask @BotFather for one)")
	}
	if c.WebhookURL != "" && c.WebhookSecret == "" {
		return c, fmt.Errorf("WEBHOOK_SECRET is required with WEBHOOK_URL, so that only Telegram can post updates")
	}
	return c, nil
}

// dueEvery is how often help requests nobody took are checked: a resident learns within
// this much after the timeout that nobody is free.
const dueEvery = 15 * time.Second

// runServe serves Telegram until ctx is done (SIGINT or SIGTERM).
func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	c, err := loadServeConfig(args, stderr)
	if err != nil {
		return err
	}
	log := newLogger(c.LogLevel, os.Stderr)
	slog.SetDefault(log)
	cat, lib, err := content(nil, "")
	if err != nil {
		return err
	}
	if err := c.Volunteers.check(cat.Languages()); err != nil {
		return err
	}
	st, closeStore, err := store(ctx, c.RedisURL, c.Dev, c.SessionTTL)
	if err != nil {
		return err
	}
	defer closeStore()
	tr, rt, err := newTransport(ctx, c, st, log)
	if err != nil {
		return err
	}
	defer flushCounts(rt, log)
	if err := tr.SetCommands(ctx); err != nil {
		log.Warn("command menu not set; commands still work when typed", "err", err)
	}
	go tr.RunDue(ctx, dueEvery)
	log.Info("hocvuso started", "bot", tr.Username(), "flows", len(lib.Flows()), "languages", cat.Languages(),
		"volunteer_chat", c.Volunteers.HelpChatID != 0, "admins", len(c.Volunteers.Admins))
	if c.WebhookURL == "" {
		return tr.Poll(ctx)
	}
	return serveWebhook(ctx, tr, c, log)
}

// newTransport wires the runtime and the Telegram transport on a store, as serve runs them
// (hocvuso bench builds its bot here too, so that it measures what serve runs).
func newTransport(ctx context.Context, c serveConfig, st *session.Store, log *slog.Logger) (*telegram.Transport, *bot.Runtime, error) {
	cat, lib, err := content(nil, "")
	if err != nil {
		return nil, nil, err
	}
	vols := c.Volunteers.service(st.Client(), log, st.Prefix())
	rt := runtime(cat, lib, st, log, vols, bot.WithAwayAfter(c.AwayAfter))
	tr, err := telegram.New(ctx, rt, c.Token,
		telegram.WithAPIURL(c.APIURL), telegram.WithWebhookSecret(c.WebhookSecret), telegram.WithLogger(log),
		telegram.WithWebhookReplies())
	if err != nil {
		return nil, nil, err
	}
	vols.SetBotUsername(tr.Username())
	return tr, rt, nil
}

// flushCounts writes the counts the runtime still holds, on the way out.
func flushCounts(rt *bot.Runtime, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rt.Flush(ctx); err != nil {
		log.Warn("counts not saved at shutdown", "err", err)
	}
}

// serveWebhook registers the webhook and serves it until ctx is done, then drains requests.
func serveWebhook(ctx context.Context, tr *telegram.Transport, c serveConfig, log *slog.Logger) error {
	u, err := url.Parse(c.WebhookURL)
	if err != nil || u.Scheme != "https" {
		return fmt.Errorf("WEBHOOK_URL must be an https:// URL")
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	mux := http.NewServeMux()
	mux.Handle(path, tr.WebhookHandler())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	srv := &http.Server{Addr: c.ListenAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	if err := tr.SetWebhook(ctx, c.WebhookURL); err != nil {
		_ = srv.Close()
		return err
	}
	log.Info("webhook serving", "listen", c.ListenAddr, "path", path)
	select {
	case err := <-errc:
		return fmt.Errorf("webhook server stopped: %w", err)
	case <-ctx.Done():
	}
	// Telegram re-sends anything we do not answer, so a bounded drain is safe.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("error shutting down webhook server: %w", err)
	}
	return nil
}
