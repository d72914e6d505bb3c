package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	tgbot "github.com/go-telegram/bot"
)

// maxWebhookBody bounds an update's size. Real updates are a few kilobytes.
const maxWebhookBody = 1 << 20

// webhookHandleTimeout bounds the handling of one webhook update. Telegram waits about a
// minute for an answer before it re-sends; the runtime's own bound is shorter.
const webhookHandleTimeout = 30 * time.Second

// SetWebhook registers url with Telegram, with the secret Telegram must send back.
func (t *Transport) SetWebhook(ctx context.Context, url string) error {
	_, err := t.api.SetWebhook(ctx, &tgbot.SetWebhookParams{
		URL: url, SecretToken: t.secret, AllowedUpdates: allowedUpdates, MaxConnections: 40,
	})
	if err != nil {
		return fmt.Errorf("error setting webhook: %s", t.redact(err))
	}
	t.webhookSet.Store(true)
	return nil
}

// WebhookHandler returns the endpoint Telegram posts updates to. Its answers:
//
//	405 not a POST; 401 wrong secret (compared in constant time); 413 body over 1 MiB;
//	400 not an update (the body is never echoed); 503 the update was not applied (Redis is
//	unreachable, or shutdown cut it short): Telegram re-sends it later; 200 the update was
//	applied and saved, or was a duplicate, or cannot ever be handled (it panicked: re-sending
//	it would only panic again).
//
// go-telegram/bot's own WebhookHandler answers 200 even when it drops an update. Telegram
// sends the updates of one chat one at a time, waiting for each answer, so answering only
// after the save keeps each chat's updates in order across replicas too.
func (t *Transport) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if !t.secretOK(r.Header.Get("X-Telegram-Bot-Api-Secret-Token")) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		u, err := DecodeUpdate(body)
		if err != nil {
			http.Error(w, "malformed update", http.StatusBadRequest)
			return
		}
		// Handling goes on if Telegram hangs up: the save is atomic either way, and a re-sent
		// copy is recognised as a duplicate.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), webhookHandleTimeout)
		defer cancel()
		var reply *webhookReply
		if t.webhookReplies {
			reply = &webhookReply{}
			ctx = context.WithValue(ctx, webhookReplyKey{}, reply)
		}
		if err := t.handleSafely(ctx, u, false); err != nil && !errors.Is(err, errPanic) {
			if reply != nil && reply.callbackID != "" {
				// Telegram ignores the body of a failed answer: the press is answered now.
				t.answerNow(context.WithoutCancel(r.Context()), reply.callbackID, reply.text)
			}
			http.Error(w, "update not applied, retry later", http.StatusServiceUnavailable)
			return
		}
		if reply != nil && reply.callbackID != "" {
			reply.write(w)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// webhookReply is the answerCallbackQuery a webhook answer carries, collected while the
// update is handled. "If you're using webhooks, you can perform a request to the Bot API
// while sending an answer to the webhook" (Bot API, "Making requests when getting updates"):
// the call's result is not known, which for an answer to a press is no loss.
type webhookReply struct {
	callbackID, text string
}

type webhookReplyKey struct{}

func (r *webhookReply) write(w http.ResponseWriter) {
	body, _ := json.Marshal(struct {
		Method          string `json:"method"`
		CallbackQueryID string `json:"callback_query_id"`
		Text            string `json:"text,omitempty"`
	}{"answerCallbackQuery", r.callbackID, r.text})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (t *Transport) secretOK(got string) bool {
	if t.secret == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(t.secret)) == 1
}
