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
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"hocvuso/bot"
)

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// Transport connects the runtime to one Telegram bot.
type Transport struct {
	rt       *bot.Runtime
	api      *tgbot.Bot
	http     *http.Client
	apiURL   string
	token    string
	username string
	secret   string
	log      *slog.Logger
	locks    *bot.ChatLocks

	pollTimeout time.Duration
	maxParallel int
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

// New connects to the Bot API (getMe) and returns a transport. The token never appears in an
// error or a log line.
func New(ctx context.Context, rt *bot.Runtime, token string, opts ...Option) (*Transport, error) {
	t := &Transport{
		rt: rt, token: token, apiURL: DefaultAPIURL, log: slog.Default(),
		locks: bot.NewChatLocks(), pollTimeout: 50 * time.Second, maxParallel: 64,
	}
	for _, o := range opts {
		o(t)
	}
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
	if err != nil {
		return nil, fmt.Errorf("error calling getMe (is the token right?): %s", t.redact(err))
	}
	t.username = me.Username
	return t, nil
}

// Tracked returns how many chats the transport holds state for in memory now. It is only
// the chats with an update in progress: nothing is kept for a chat once it is idle.
func (t *Transport) Tracked() int { return t.locks.Len() }

// Username returns the bot's username, from getMe.
func (t *Transport) Username() string { return t.username }

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

// HandleUpdate handles one update to the end: the chat's session is saved before it returns.
// It returns an error only when the update was not applied and should be delivered again.
func (t *Transport) HandleUpdate(ctx context.Context, u *models.Update) error {
	in := convert(u, t.username)
	if in.callbackID != "" {
		defer t.answerOnce(ctx, &in)
	}
	switch {
	case in.inline != nil:
		t.answerInline(ctx, in.inline)
		return nil
	case in.skip:
		return nil
	case in.kicked:
		return t.forget(ctx, in.event.ChatID)
	case in.group:
		t.sendGroupNote(ctx, in.event)
		return nil
	case in.groupPress:
		return t.handleGroupPress(ctx, &in)
	case !in.private:
		return nil
	}
	unlock := t.locks.Lock(in.event.ChatID)
	defer unlock()
	out, err := t.rt.Handle(ctx, in.event)
	if err != nil {
		t.log.Warn("update not applied", "update_id", u.ID, "err", t.redact(err))
		if in.callbackID != "" {
			t.answer(ctx, &in, t.rt.Busy(in.event).Text)
		}
		t.deliver(ctx, in.event.ChatID, []bot.Message{t.rt.Busy(in.event)})
		return err
	}
	if in.callbackID != "" {
		t.answer(ctx, &in, out.Notice)
	}
	if !out.Duplicate {
		t.deliver(ctx, in.event.ChatID, out.Messages)
		t.deliverAll(ctx, out.Sends)
		if out.LangChanged {
			t.setChatCommands(ctx, in.event.ChatID, out.Lang)
		}
	}
	return nil
}

func (t *Transport) forget(ctx context.Context, chatID int64) error {
	if err := t.rt.Forget(ctx, chatID); err != nil {
		return fmt.Errorf("error forgetting a chat that blocked the bot: %w", err)
	}
	return nil
}

// answerOnce answers the callback query if nothing else did: Telegram shows a spinner on the
// button until it is answered.
func (t *Transport) answerOnce(ctx context.Context, in *inbound) { t.answer(ctx, in, "") }

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
	if err != nil && !isHarmless(err) {
		t.log.Warn("answerCallbackQuery failed", "err", t.redact(err))
	}
}

// isHarmless matches Bot API errors that mean "nothing to do".
func isHarmless(err error) bool {
	s := err.Error()
	return errors.Is(err, tgbot.ErrorBadRequest) &&
		(strings.Contains(s, "message is not modified") || strings.Contains(s, "query is too old"))
}

func (t *Transport) sendGroupNote(ctx context.Context, ev bot.Event) {
	cat := t.rt.Catalog()
	lang := cat.Match(ev.LangCode)
	msg := bot.Message{
		Text:    cat.Text(lang, "group.private_only"),
		Buttons: []bot.Button{{Text: cat.Text(lang, "btn.open_chat"), URL: "https://t.me/" + t.username}},
	}
	t.deliver(ctx, ev.ChatID, []bot.Message{msg})
}
