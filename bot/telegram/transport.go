// Package telegram is the Telegram transport: it turns Bot API updates into runtime events and
// delivers the runtime's messages with go-telegram/bot. Updates of one chat are handled in
// order; different chats run in parallel. Long polling and the webhook endpoint are our own,
// so that an update is acknowledged only once it has been handled.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"hocvuso/bot"
	"hocvuso/bot/session"
)

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// DefaultGrace is how long a shutdown waits for updates already fetched to be handled.
const DefaultGrace = 10 * time.Second

// Transport connects the runtime to one Telegram bot.
type Transport struct {
	rt         *bot.Runtime
	api        *tgbot.Bot
	http       *http.Client
	apiURL     string
	token      string
	username   string
	secret     string
	log        *slog.Logger
	locks      *bot.ChatLocks
	pacer      *pacer
	outbox     *outbox
	migrated   sync.Map // group id -> the supergroup id it became
	lease      *session.Lease
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) bool
	polling    atomic.Bool // Poll runs
	ready      atomic.Bool // polling: no getUpdates failed since the last success or the start
	webhookSet atomic.Bool
	leader     atomic.Bool // holds the polling lease (always, without one)
	leaderSeen atomic.Bool

	pollTimeout time.Duration
	maxParallel int
	grace       time.Duration
	// webhookReplies: a webhook answer carries the callback query's answer (see webhookReply).
	webhookReplies bool
}

// Option configures a Transport.
type Option func(*Transport)

// WithAPIURL points the transport at another Bot API server (self-hosted, or a test fake).
func WithAPIURL(u string) Option { return func(t *Transport) { t.apiURL = strings.TrimRight(u, "/") } }

// WithWebhookSecret sets the secret Telegram sends in X-Telegram-Bot-Api-Secret-Token.
func WithWebhookSecret(s string) Option { return func(t *Transport) { t.secret = s } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(t *Transport) { t.log = l } }

// WithPollTimeout sets the long-polling timeout (default 50 s; tests use less).
func WithPollTimeout(d time.Duration) Option { return func(t *Transport) { t.pollTimeout = d } }

// WithWebhookReplies makes the webhook answer a button press in its HTTP response instead of
// with a separate answerCallbackQuery call (the Bot API runs a method given in the answer to
// a webhook request). It saves one Bot API call per press; the resident's spinner then stops
// when the reply has been sent rather than just before. Polling is unchanged.
func WithWebhookReplies() Option { return func(t *Transport) { t.webhookReplies = true } }

// WithHTTPClient replaces the HTTP client used for every Bot API call.
func WithHTTPClient(c *http.Client) Option { return func(t *Transport) { t.http = c } }

// WithGrace sets how long a shutdown waits for fetched updates (default DefaultGrace).
func WithGrace(d time.Duration) Option { return func(t *Transport) { t.grace = d } }

// WithLease makes polling wait for a lease in Redis, so that of several replicas only one
// polls at a time (Telegram answers 409 to the others).
func WithLease(l *session.Lease) Option { return func(t *Transport) { t.lease = l } }

// WithClock replaces the clock used for pacing and back-off, so tests run in virtual time.
func WithClock(now func() time.Time, sleep func(ctx context.Context, d time.Duration) bool) Option {
	return func(t *Transport) { t.now, t.sleep = now, sleep }
}

// New connects to the Bot API (getMe) and returns a transport. The token never appears in an
// error or a log line.
func New(ctx context.Context, rt *bot.Runtime, token string, opts ...Option) (*Transport, error) {
	t := &Transport{
		rt: rt, token: token, apiURL: DefaultAPIURL, log: slog.Default(),
		locks: bot.NewChatLocks(), pacer: newPacer(TelegramLimits), now: time.Now, sleep: sleep,
		pollTimeout: 50 * time.Second, maxParallel: 64, grace: DefaultGrace,
	}
	for _, o := range opts {
		o(t)
	}
	t.outbox = newOutbox(t.log)
	if t.http == nil {
		t.http = newHTTPClient(t.pollTimeout + 15*time.Second)
	}
	api, err := tgbot.New(token,
		tgbot.WithServerURL(t.apiURL),
		tgbot.WithHTTPClient(t.pollTimeout, t.http),
		tgbot.WithSkipGetMe(),
		tgbot.WithErrorsHandler(func(err error) { t.log.Error("telegram client", "err", t.redact(err)) }),
	)
	if err != nil {
		return nil, fmt.Errorf("error creating telegram client: %s", t.redact(err))
	}
	t.api = api
	me, err := api.GetMe(ctx)
	switch {
	case errors.Is(err, tgbot.ErrorUnauthorized), errors.Is(err, tgbot.ErrorNotFound):
		// Telegram answers 401 for a revoked token and 404 for one that is not a token at all.
		return nil, fmt.Errorf("the Bot API refused the bot token (check TELEGRAM_BOT_TOKEN, from @BotFather): %s", t.redact(err))
	case err != nil:
		return nil, fmt.Errorf("error reaching the Bot API at %s (network, proxy or TELEGRAM_API_URL): %s", session.RedactURL(t.apiURL), t.redact(err))
	}
	t.username = me.Username
	return t, nil
}

// Tracked returns how many chats the transport holds state for in memory now. It is only
// the chats with an update in progress: nothing is kept for a chat once it is idle.
func (t *Transport) Tracked() int { return t.locks.Len() }

// Username returns the bot's username, from getMe.
func (t *Transport) Username() string { return t.username }

// Ready reports whether this instance does its part: the webhook is registered; or it polls
// and its last getUpdates succeeded; or another replica holds the polling lease and this one
// stands by to take over. A standby must count as ready, or a rolling deploy (which waits for
// the new pod to be ready before stopping the old one, which holds the lease) never ends.
func (t *Transport) Ready() bool {
	switch {
	case t.webhookSet.Load():
		return true
	case !t.polling.Load():
		return false
	case t.leader.Load():
		return t.ready.Load()
	}
	return t.lease != nil && t.leaderSeen.Load()
}

// Fetching reports whether this instance polls now and no getUpdates has failed since.
func (t *Transport) Fetching() bool { return t.polling.Load() && t.leader.Load() && t.ready.Load() }

// redact removes the token from an error's text.
func (t *Transport) redact(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if t.token != "" {
		s = strings.ReplaceAll(s, t.token, "***")
	}
	return s
}

// errPanic marks an update whose handling panicked: it is not retried, as it would panic again.
var errPanic = errors.New("panic handling update")

// HandleUpdate handles one update to the end: the chat's session is saved before it returns.
// It returns an error only when the update was not applied. When Redis is unreachable the
// resident is told the bot is busy and may try again.
func (t *Transport) HandleUpdate(ctx context.Context, u *models.Update) error {
	return t.handleSafely(ctx, u, true)
}

// handleSafely handles an update and survives a panic in any part of the path: it is logged,
// the resident gets a kind answer, and other chats carry on.
func (t *Transport) handleSafely(ctx context.Context, u *models.Update, tellBusy bool) (err error) {
	in := convert(u, t.username)
	defer func() {
		if p := recover(); p != nil {
			t.log.Error("panic handling update", "update_id", u.ID, "panic", fmt.Sprint(p))
			t.apologise(ctx, &in)
			err = errPanic
		}
	}()
	return t.handle(ctx, &in, tellBusy)
}

func (t *Transport) handle(ctx context.Context, in *inbound, tellBusy bool) error {
	if in.callbackID != "" {
		defer t.answer(ctx, in, "")
	}
	ev := in.event
	switch {
	case in.inline != nil:
		t.answerInline(ctx, in.inline)
		return nil
	case in.skip:
		return nil
	case in.migrateTo != 0:
		return t.rt.Move(ctx, ev.ChatID, in.migrateTo)
	case in.kicked:
		return t.forget(ctx, ev.ChatID)
	case in.group:
		t.sendGroupNote(ctx, ev)
		return nil
	case in.groupPress:
		return t.handleGroupPress(ctx, in)
	case !in.private:
		return nil
	}
	unlock := t.locks.Lock(ev.ChatID, ev.UpdateID)
	defer unlock()
	out, err := t.rt.Handle(ctx, ev)
	if err != nil {
		t.log.Warn("update not applied", "update_id", ev.UpdateID, "err", t.redact(err))
		t.answer(ctx, in, t.rt.Busy(ev).Text)
		if tellBusy && ctx.Err() == nil {
			_ = t.Deliver(ctx, ev.ChatID, "", "busy", []bot.Message{t.rt.Busy(ev)})
		}
		return err
	}
	t.answer(ctx, in, out.Notice)
	if out.Quiet() {
		return nil
	}
	if out.Chosen && ev.MsgID != 0 && in.label != "" {
		t.markChosen(ctx, ev.ChatID, ev.MsgID, in.label, ev.Arg)
	}
	if err := t.Deliver(ctx, ev.ChatID, out.Lang, out.Where, out.Messages); err != nil && !errors.Is(err, ErrBlocked) {
		// The session is saved: re-delivering the update would not resend (it is a duplicate).
		t.log.Warn("reply not delivered", "where", out.Where, "err", err)
	}
	t.deliverAll(ctx, out.Sends)
	if out.LangChanged {
		t.setChatCommands(ctx, ev.ChatID, out.Lang)
	}
	return nil
}

func (t *Transport) apologise(ctx context.Context, in *inbound) {
	defer func() { _ = recover() }() // the apology itself must not take the process down
	t.answer(ctx, in, "")
	if in.private && !in.skip && in.event.ChatID != 0 {
		_ = t.Deliver(ctx, in.event.ChatID, "", "error", []bot.Message{t.rt.Sorry(in.event)})
	}
}

func (t *Transport) forget(ctx context.Context, chatID int64) error {
	if err := t.rt.Forget(ctx, chatID); err != nil {
		return fmt.Errorf("error forgetting a chat that blocked the bot: %w", err)
	}
	return nil
}

// answer answers the callback query once: Telegram shows a spinner on the button until then.
// An answer that comes too late ("query is too old", after a restart or on a slow phone) is
// of no consequence: the step carries on.
func (t *Transport) answer(ctx context.Context, in *inbound, text string) {
	if in.callbackID == "" {
		return
	}
	id := in.callbackID
	in.callbackID = ""
	if r, ok := ctx.Value(webhookReplyKey{}).(*webhookReply); ok && r.callbackID == "" {
		r.callbackID, r.text = id, text
		return
	}
	t.answerNow(ctx, id, text)
}

// answerNow calls answerCallbackQuery.
func (t *Transport) answerNow(ctx context.Context, id, text string) {
	_, err := t.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id, Text: text})
	switch {
	case err == nil:
	case isHarmless(err):
		t.log.Debug("callback answer not needed", "err", t.redact(err))
	default:
		t.log.Warn("answerCallbackQuery failed", "err", t.redact(err))
	}
}

func (t *Transport) sendGroupNote(ctx context.Context, ev bot.Event) {
	cat := t.rt.Catalog()
	lang := cat.Match(ev.LangCode)
	msg := bot.Message{
		Text:    cat.Text(lang, "group.private_only"),
		Buttons: []bot.Button{{Text: cat.Text(lang, "btn.open_chat"), URL: "https://t.me/" + t.username}},
	}
	_ = t.Deliver(ctx, ev.ChatID, lang, "group", []bot.Message{msg})
}

// Waiting returns how many updates of a chat wait for their turn now (for tests and metrics).
func (t *Transport) Waiting(chatID int64) int { return t.locks.Waiting(chatID) }
