package bottest

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// maxLimit is Telegram's largest getUpdates batch.
const maxLimit = 100

type queued struct {
	id  int64
	raw json.RawMessage
}

// Push queues Update JSON objects for getUpdates, in the order given. Each needs an
// update_id at or above the offset already confirmed (Telegram's ids only grow). A getUpdates
// call waiting for updates returns at once.
func (s *Server) Push(updates ...[]byte) {
	s.tb.Helper()
	items := make([]queued, 0, len(updates))
	for _, u := range updates {
		var head struct {
			ID int64 `json:"update_id"`
		}
		if err := json.Unmarshal(u, &head); err != nil || head.ID <= 0 {
			s.tb.Fatalf("bottest: Push needs Update JSON with an update_id: %s", u)
		}
		items = append(items, queued{id: head.ID, raw: json.RawMessage(u)})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range items {
		if q.id < s.offset {
			s.tb.Fatalf("bottest: update_id %d is below the confirmed offset %d: it would never be delivered", q.id, s.offset)
		}
	}
	s.queue = append(s.queue, items...)
	s.notifyLocked()
}

// WaitConfirmed waits until a getUpdates call confirms updateID by asking for a higher
// offset. Our poller asks for the next batch only after handling the previous one, so once
// this returns, every call that handling the update made has been recorded.
func (s *Server) WaitConfirmed(tb testing.TB, updateID int64) {
	tb.Helper()
	var got int64
	if !s.waitFor(func() bool { got = s.offset; return got > updateID }) {
		tb.Fatalf("bottest: waited %s for getUpdates to confirm update %d (offset is %d)", WaitTimeout, updateID, got)
	}
}

// Pending returns how many pushed updates are not confirmed yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// confirmLocked forgets updates below offset, as Telegram does, and wakes waiters when the
// offset moved. s.mu must be held.
func (s *Server) confirmLocked(offset int64) {
	if offset <= s.offset {
		return
	}
	s.offset = offset
	defer s.notifyLocked()
	keep := s.queue[:0]
	for _, q := range s.queue {
		if q.id >= s.offset {
			keep = append(keep, q)
		}
	}
	s.queue = keep
}

// getUpdates answers from the queue: at once when updates are waiting, otherwise when one is
// pushed, the call's timeout (seconds) runs out, the client goes away or the server closes.
func (s *Server) getUpdates(ctx context.Context, p map[string]string) []json.RawMessage {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	limit, err := strconv.Atoi(p["limit"])
	if err != nil || limit <= 0 || limit > maxLimit {
		limit = maxLimit
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	timer := time.NewTimer(time.Duration(max(timeout, 0)) * time.Second)
	defer timer.Stop()
	for {
		s.mu.Lock()
		s.confirmLocked(offset)
		batch := make([]json.RawMessage, 0, min(limit, len(s.queue)))
		for _, q := range s.queue[:min(limit, len(s.queue))] {
			batch = append(batch, q.raw)
		}
		changed := s.changed
		s.mu.Unlock()
		if len(batch) > 0 || timeout <= 0 {
			return batch
		}
		if !s.hold(ctx, changed, timer.C) {
			return batch
		}
	}
}

// hold waits for a change while counting the call as held open; false when the wait ended
// without one (timeout, client gone, server closed).
func (s *Server) hold(ctx context.Context, changed <-chan struct{}, timeout <-chan time.Time) bool {
	s.mu.Lock()
	s.polling++ // no notify: that would end this very wait
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.polling--
		s.mu.Unlock()
	}()
	select {
	case <-changed:
		return true
	case <-timeout:
	case <-ctx.Done():
	case <-s.closed:
	}
	return false
}
