package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// allowedUpdates are the update types the bot uses.
var allowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member", "inline_query"}

// maxBatch is how many updates one getUpdates call asks for (Telegram's maximum).
const maxBatch = 100

// apiError is a Bot API error answer.
type apiError struct {
	Code        int
	Description string
	RetryAfter  int
}

func (e *apiError) Error() string {
	return fmt.Sprintf("bot api error %d: %s", e.Code, e.Description)
}

// Poll fetches updates with long polling until ctx is done, then returns nil.
//
// An update is acknowledged (a later getUpdates asks for an offset past it) only after it has
// been handled, so what was fetched but not handled is delivered again after a restart; the
// session's update-id memory makes that second delivery harmless. When ctx is done, fetching
// stops at once, the updates already fetched are handled within the grace period (with a
// context that shutdown does not cancel), and the handled ones are acknowledged before Poll
// returns. Any webhook is deleted first: Telegram refuses getUpdates while one is set.
func (t *Transport) Poll(ctx context.Context) error {
	// Telegram may be unreachable at start (weak network, a restart of theirs): keep trying
	// rather than exit, as for getUpdates.
	var backoff time.Duration
	for err := t.deleteWebhook(ctx); err != nil; err = t.deleteWebhook(ctx) {
		backoff = t.pollBackoff(ctx, "deleteWebhook", err, backoff)
		if !t.sleep(ctx, backoff) {
			return nil
		}
	}
	// Telegram took the token and the webhook is gone: ready, until a getUpdates fails (a
	// standby that takes the lease over is ready at once, not after its first long poll).
	t.ready.Store(true)
	t.polling.Store(true)
	defer t.polling.Store(false)
	stopLease := t.keepLease(ctx)
	defer stopLease()
	t.log.Info("polling for updates", "bot", t.username)
	var offset int64
	backoff = 0
	acked := true
	for ctx.Err() == nil {
		if !t.leading(ctx) {
			continue
		}
		updates, err := t.getUpdates(ctx, offset, maxBatch, t.pollTimeout)
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			t.ready.Store(false)
			backoff = t.pollBackoff(ctx, "getUpdates", err, backoff)
			t.sleep(ctx, backoff)
			continue
		}
		backoff, acked = 0, true // this call carried the offset: Telegram has it
		t.ready.Store(true)
		if len(updates) == 0 {
			continue
		}
		offset = t.handleBatch(ctx, updates)
		acked = false
	}
	t.ready.Store(false)
	if !acked {
		t.acknowledge(offset)
	}
	return nil
}

func (t *Transport) deleteWebhook(ctx context.Context) error {
	if _, err := t.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{DropPendingUpdates: false}); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("error deleting webhook before polling: %s", t.redact(err))
	}
	return nil
}

// acknowledge tells Telegram that every update below offset was handled. Telegram only learns
// it from the next getUpdates call, so one is made (asking for nothing new) before exiting.
func (t *Transport) acknowledge(offset int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := t.getUpdates(ctx, offset, 1, 0); err != nil {
		t.log.Warn("error acknowledging handled updates: they will be delivered again, and dropped as duplicates", "err", t.redact(err))
		return
	}
	t.log.Info("acknowledged handled updates", "offset", offset)
}

// pollBackoff logs a failure of a polling call (getUpdates, deleteWebhook) and returns how long to wait: at least Telegram's
// retry_after on 429, growing pauses otherwise.
func (t *Transport) pollBackoff(ctx context.Context, method string, err error, prev time.Duration) time.Duration {
	next := min(max(prev*2, time.Second), 30*time.Second)
	var ae *apiError
	if !errors.As(err, &ae) {
		t.log.Warn(method+" failed", "err", t.redact(err), "retry_in", next)
		return next
	}
	switch {
	case ae.Code == http.StatusTooManyRequests:
		next = max(next, time.Duration(ae.RetryAfter)*time.Second)
		t.log.Warn("getUpdates: Telegram asked to slow down", "retry_after", ae.RetryAfter, "retry_in", next)
	case ae.Code == http.StatusConflict && strings.Contains(ae.Description, "webhook"):
		next = max(next, 5*time.Second)
		t.log.Error("deployment error: a webhook is set while this instance polls; deleting it (set WEBHOOK_URL on every instance to use the webhook instead)",
			"description", ae.Description, "retry_in", next)
		if derr := t.deleteWebhook(ctx); derr != nil {
			t.log.Error("error deleting the webhook", "err", derr)
		}
	case ae.Code == http.StatusConflict:
		next = max(next, 5*time.Second)
		t.log.Error("deployment error: another process polls with this bot token (two replicas without a shared Redis lease, or a second deployment)",
			"description", ae.Description, "retry_in", next)
	default:
		t.log.Warn(method+" failed", "err", t.redact(err), "retry_in", next)
	}
	return next
}

func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// handleBatch handles updates, each chat's in update_id order and different chats in
// parallel, and returns the offset to acknowledge: the lowest update id not handled, or one
// past the last. When ctx is done meanwhile, the batch is finished within the grace period.
func (t *Transport) handleBatch(ctx context.Context, updates []*models.Update) int64 {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		timer := time.AfterFunc(t.grace, cancel)
		context.AfterFunc(hctx, func() { timer.Stop() })
	})
	defer stop()

	slices.SortFunc(updates, func(a, b *models.Update) int { return compareIDs(a.ID, b.ID) })
	byChat := map[int64][]*models.Update{}
	var order []int64
	for _, u := range updates {
		k := chatKey(u)
		if _, ok := byChat[k]; !ok {
			order = append(order, k)
		}
		byChat[k] = append(byChat[k], u)
	}
	var mu sync.Mutex
	handled := map[int64]bool{}
	sem := make(chan struct{}, t.maxParallel)
	var wg sync.WaitGroup
	for _, k := range order {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, u := range byChat[k] {
				if hctx.Err() != nil {
					return // the grace period is over: left for the next start
				}
				err := t.handleSafely(hctx, u, true)
				if err != nil && hctx.Err() != nil {
					return
				}
				// Handled, or answered "busy" (Redis down), or a panic: all acknowledged.
				mu.Lock()
				handled[u.ID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, u := range updates {
		if !handled[u.ID] {
			t.log.Warn("shutdown: updates left unhandled will be delivered again", "from_update_id", u.ID)
			return u.ID
		}
	}
	return updates[len(updates)-1].ID + 1
}

func compareIDs(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type getUpdatesRequest struct {
	Offset         int64    `json:"offset,omitempty"`
	Limit          int      `json:"limit,omitempty"`
	Timeout        int      `json:"timeout"`
	AllowedUpdates []string `json:"allowed_updates"`
}

type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// getUpdates calls the Bot API directly: go-telegram/bot's own loop ignores retry_after and
// acknowledges updates before they are handled.
func (t *Transport) getUpdates(ctx context.Context, offset int64, limit int, timeout time.Duration) ([]*models.Update, error) {
	// Telegram takes whole seconds, and 0 means "answer at once": round a shorter timeout up
	// rather than poll in a tight loop.
	secs := int(math.Ceil(timeout.Seconds()))
	body, _ := json.Marshal(getUpdatesRequest{Offset: offset, Limit: limit, Timeout: secs, AllowedUpdates: allowedUpdates})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.apiURL+"/bot"+t.token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("error building getUpdates request")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("error calling getUpdates: %s", t.redact(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("error reading getUpdates answer: %s", t.redact(err))
	}
	var ar apiResponse
	if err := json.Unmarshal(raw, &ar); err != nil {
		return nil, fmt.Errorf("error decoding getUpdates answer (HTTP %d)", resp.StatusCode)
	}
	if !ar.OK {
		return nil, &apiError{Code: ar.ErrorCode, Description: ar.Description, RetryAfter: ar.Parameters.RetryAfter}
	}
	return t.decodeUpdates(ar.Result)
}

// decodeUpdates decodes each update on its own: one malformed update is skipped (and logged
// by id), not allowed to block the whole queue.
func (t *Transport) decodeUpdates(raw json.RawMessage) ([]*models.Update, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("error decoding updates: %w", err)
	}
	out := make([]*models.Update, 0, len(items))
	for _, item := range items {
		u, err := DecodeUpdate(item)
		if err != nil {
			t.log.Warn("skipping an update that cannot be decoded", "update_id", u.ID)
		}
		// A malformed update keeps its id, so the offset moves past it.
		out = append(out, u)
	}
	return out, nil
}

// DecodeUpdate decodes one update. On error it returns an empty update that keeps the id,
// when the id could be read.
func DecodeUpdate(raw []byte) (*models.Update, error) {
	var u models.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		var id struct {
			ID int64 `json:"update_id"`
		}
		_ = json.Unmarshal(raw, &id)
		return &models.Update{ID: id.ID}, fmt.Errorf("error decoding update: %w", err)
	}
	return &u, nil
}
