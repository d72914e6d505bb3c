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
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// allowedUpdates are the update types the bot uses.
var allowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member", "inline_query"}

// apiError is a Bot API error answer.
type apiError struct {
	Code        int
	Description string
	RetryAfter  int
}

func (e *apiError) Error() string {
	return fmt.Sprintf("bot api error %d: %s", e.Code, e.Description)
}

// Poll fetches updates with long polling until ctx is done. A batch is acknowledged (the next
// offset is asked for) only after every update in it has been handled, so updates fetched but
// not handled before a shutdown are delivered again; the session's update-id memory makes the
// second delivery harmless. It deletes any webhook first: Telegram refuses getUpdates otherwise.
func (t *Transport) Poll(ctx context.Context) error {
	if _, err := t.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{DropPendingUpdates: false}); err != nil {
		return fmt.Errorf("error deleting webhook before polling: %s", t.redact(err))
	}
	t.log.Info("polling for updates", "bot", t.username)
	var offset int64
	var backoff time.Duration
	for {
		updates, err := t.getUpdates(ctx, offset, t.pollTimeout)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			backoff = t.pollBackoff(err, backoff)
			if !sleep(ctx, backoff) {
				return nil
			}
			continue
		}
		backoff = 0
		// Handle the batch even if shutdown starts meanwhile: what was fetched is finished.
		t.handleBatch(context.WithoutCancel(ctx), updates)
		if n := len(updates); n > 0 {
			offset = updates[n-1].ID + 1
		}
	}
}

// pollBackoff logs a getUpdates failure and returns how long to wait: Telegram's retry_after
// on 429, growing pauses otherwise.
func (t *Transport) pollBackoff(err error, prev time.Duration) time.Duration {
	next := min(max(prev*2, time.Second), 30*time.Second)
	var ae *apiError
	if errors.As(err, &ae) {
		switch {
		case ae.Code == http.StatusTooManyRequests:
			next = max(next, time.Duration(ae.RetryAfter)*time.Second)
		case ae.Code == http.StatusConflict:
			t.log.Error("getUpdates conflict: another instance is polling with this token, or a webhook is set", "description", ae.Description)
			return max(next, 5*time.Second)
		}
	}
	t.log.Warn("getUpdates failed", "err", t.redact(err), "retry_in", next)
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

// handleBatch handles updates: each chat's in order, different chats in parallel.
func (t *Transport) handleBatch(ctx context.Context, updates []*models.Update) {
	byChat := map[int64][]*models.Update{}
	var order []int64
	for _, u := range updates {
		k := chatKey(u)
		if _, ok := byChat[k]; !ok {
			order = append(order, k)
		}
		byChat[k] = append(byChat[k], u)
	}
	sem := make(chan struct{}, t.maxParallel)
	var wg sync.WaitGroup
	for _, k := range order {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, u := range byChat[k] {
				t.handleSafely(ctx, u)
			}
		})
	}
	wg.Wait()
}

// handleSafely handles an update and survives a panic in any part of the path.
func (t *Transport) handleSafely(ctx context.Context, u *models.Update) (err error) {
	defer func() {
		if p := recover(); p != nil {
			t.log.Error("panic handling update", "update_id", u.ID, "panic", fmt.Sprint(p))
			err = fmt.Errorf("panic handling update %d", u.ID)
		}
	}()
	return t.HandleUpdate(ctx, u)
}

type getUpdatesRequest struct {
	Offset         int64    `json:"offset,omitempty"`
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
func (t *Transport) getUpdates(ctx context.Context, offset int64, timeout time.Duration) ([]*models.Update, error) {
	// Telegram takes whole seconds, and 0 means "answer at once": round a shorter timeout up
	// rather than poll in a tight loop.
	secs := int(math.Ceil(timeout.Seconds()))
	body, _ := json.Marshal(getUpdatesRequest{Offset: offset, Timeout: secs, AllowedUpdates: allowedUpdates})
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
		return nil, fmt.Errorf("error reading getUpdates answer: %w", err)
	}
	var ar apiResponse
	if err := json.Unmarshal(raw, &ar); err != nil {
		return nil, fmt.Errorf("error decoding getUpdates answer (HTTP %d)", resp.StatusCode)
	}
	if !ar.OK {
		return nil, &apiError{Code: ar.ErrorCode, Description: ar.Description, RetryAfter: ar.Parameters.RetryAfter}
	}
	return decodeUpdates(ar.Result, t)
}

// decodeUpdates decodes each update on its own: one malformed update is skipped (and logged
// by id), not allowed to block the whole queue.
func decodeUpdates(raw json.RawMessage, t *Transport) ([]*models.Update, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("error decoding updates: %w", err)
	}
	out := make([]*models.Update, 0, len(items))
	for _, item := range items {
		var u models.Update
		if err := json.Unmarshal(item, &u); err != nil {
			var id struct {
				ID int64 `json:"update_id"`
			}
			_ = json.Unmarshal(item, &id)
			t.log.Warn("skipping an update that cannot be decoded", "update_id", id.ID)
			// Keep its id so the offset moves past it.
			out = append(out, &models.Update{ID: id.ID})
			continue
		}
		out = append(out, &u)
	}
	return out, nil
}
