package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
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
	Grace         time.Duration
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
		Grace:         envDuration("SHUTDOWN_GRACE", telegram.DefaultGrace),
	}
}

func loadServeConfig(args []string, stderr io.Writer) (serveConfig, error) {
	if err := checkEnv(); err != nil {
		return serveConfig{}, err
	}
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
	fs.DurationVar(&c.Grace, "grace", c.Grace, "how long shutdown waits for updates already fetched ($SHUTDOWN_GRACE)")
	c.Volunteers = volunteerFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	if c.SessionTTL < time.Minute || c.AwayAfter <= 0 || c.Grace < 0 {
		return c, fmt.Errorf("-session-ttl must be at least 1m, -away more than 0 and -grace not negative")
	}
	if c.Token == "" {
		return c, fmt.Errorf("TELEGRAM_BOT_TOKEN is required (ask @BotFather for one)")
	}
	if c.WebhookURL != "" && c.WebhookSecret == "" {
		return c, fmt.Errorf("WEBHOOK_SECRET is required with WEBHOOK_URL, so that only Telegram can post updates")
	}
	if c.WebhookURL != "" && c.ListenAddr == "" {
		// An empty address would listen on a random port, where Telegram's posts never arrive.
		return c, fmt.Errorf("LISTEN_ADDR is required with WEBHOOK_URL (the address Telegram's posts reach, e.g. :8080)")
	}
	return c, nil
}

// dueEvery is how often help requests nobody took are checked: a resident learns within
// this much after the timeout that nobody is free.
const dueEvery = 15 * time.Second

// runServe serves Telegram until ctx is done (SIGINT or SIGTERM): fetching stops, updates
// already fetched are handled within the grace period and acknowledged, then it returns nil.
func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	c, err := loadServeConfig(args, stderr)
	if err != nil {
		return err
	}
	log := newLogger(c.LogLevel, stderr)
	slog.SetDefault(log)
	session.UseLogger(log)
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
	defer drainOutbox(tr, c.Grace)
	if err := tr.SetCommands(ctx); err != nil {
		log.Warn("command menu not set; commands still work when typed", "err", err)
	}
	go tr.RunDue(ctx, dueEvery)
	log.Info("hocvuso started", "bot", tr.Username(), "flows", len(lib.Flows()), "languages", cat.Languages(),
		"volunteer_chat", c.Volunteers.HelpChatID != 0, "admins", len(c.Volunteers.Admins))
	if c.WebhookURL == "" {
		return servePolling(ctx, tr, st, c, log)
	}
	return serveWebhook(ctx, tr, st, c, log)
}

// newTransport wires the runtime and the Telegram transport on a store, as serve runs them
// (hocvuso bench builds its bot here too, so that it measures what serve runs).
func newTransport(ctx context.Context, c serveConfig, st *session.Store, log *slog.Logger, extra ...telegram.Option) (*telegram.Transport, *bot.Runtime, error) {
	cat, lib, err := content(nil, "")
	if err != nil {
		return nil, nil, err
	}
	vols := c.Volunteers.service(st.Client(), log, st.Prefix())
	rt := runtime(cat, lib, st, log, vols, bot.WithAwayAfter(c.AwayAfter))
	opts := []telegram.Option{telegram.WithAPIURL(c.APIURL), telegram.WithWebhookSecret(c.WebhookSecret),
		telegram.WithLogger(log), telegram.WithGrace(c.Grace), telegram.WithWebhookReplies()}
	if c.WebhookURL == "" {
		// Replicas share one lease, so only one polls; the others wait to take over.
		opts = append(opts, telegram.WithLease(st.Lease("poll", instanceID(), pollLeaseTTL)))
	}
	tr, err := telegram.New(ctx, rt, c.Token, append(opts, extra...)...)
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

// drainOutbox gives messages still queued for other chats (help cards waiting for the
// group's sending slot) the grace period to go out.
func drainOutbox(tr *telegram.Transport, grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	tr.Drain(ctx)
}

// pollLeaseTTL is how long a polling replica that died keeps the others waiting.
const pollLeaseTTL = 30 * time.Second

func instanceID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%d", host, os.Getpid(), time.Now().UnixNano())
}

// servePolling polls until ctx is done, with /healthz and /readyz on LISTEN_ADDR (unless it
// is empty).
func servePolling(ctx context.Context, tr *telegram.Transport, st *session.Store, c serveConfig, log *slog.Logger) error {
	stopHealth := func() {}
	if c.ListenAddr != "" {
		srv, err := listen(c.ListenAddr, healthMux(tr, st), log)
		if err != nil {
			return err
		}
		stopHealth = func() { shutdown(srv, 2*time.Second) }
	}
	defer stopHealth()
	if err := tr.Poll(ctx); err != nil {
		return err
	}
	log.Info("hocvuso stopped")
	return nil
}

// healthMux serves /healthz (the process runs) and /readyz (updates flow and Redis answers).
func healthMux(tr *telegram.Transport, st *session.Store) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		if !tr.Ready() || st.Client().Ping(ctx).Err() != nil {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

func listen(addr string, h http.Handler, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("error listening on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", "err", err)
		}
	}()
	log.Info("listening", "addr", ln.Addr().String())
	return srv, nil
}

func shutdown(srv *http.Server, grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// serveWebhook registers the webhook and serves it until ctx is done, then lets requests in
// flight finish within the grace period. Telegram re-sends any update it got no answer for.
func serveWebhook(ctx context.Context, tr *telegram.Transport, st *session.Store, c serveConfig, log *slog.Logger) error {
	u, err := url.Parse(c.WebhookURL)
	if err != nil || u.Scheme != "https" {
		return fmt.Errorf("WEBHOOK_URL must be an https:// URL")
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	mux := healthMux(tr, st)
	mux.Handle(path, tr.WebhookHandler())
	srv, err := listen(c.ListenAddr, mux, log)
	if err != nil {
		return err
	}
	if err := tr.SetWebhook(ctx, c.WebhookURL); err != nil {
		_ = srv.Close()
		return err
	}
	log.Info("webhook serving", "path", path)
	<-ctx.Done()
	shutdown(srv, c.Grace)
	log.Info("hocvuso stopped")
	return nil
}
