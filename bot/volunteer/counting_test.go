package volunteer

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// roundTrips counts what a client sends to Redis: a pipeline is one round trip. A new
// connection's handshake (HELLO, CLIENT SETINFO, SELECT of the test database) is not the
// update's work: the pool may open a connection at any time.
type roundTrips struct {
	n     atomic.Int64
	mu    sync.Mutex
	names []string // what was counted, for the failure message
}

func (r *roundTrips) add(names ...string) {
	r.n.Add(1)
	r.mu.Lock()
	r.names = append(r.names, strings.Join(names, "+"))
	r.mu.Unlock()
}

func (r *roundTrips) counted() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.names, " ")
}

func handshake(name string) bool {
	switch name {
	case "hello", "client", "auth", "select":
		return true
	}
	return false
}

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !handshake(cmd.Name()) {
			r.add(cmd.Name())
		}
		return next(ctx, cmd)
	}
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		var names []string
		for _, c := range cmds {
			if !handshake(c.Name()) {
				names = append(names, c.Name())
			}
		}
		if len(names) > 0 {
			r.add(names...)
		}
		return next(ctx, cmds)
	}
}

// TestCountingBatched: counting a resident's steps costs no round trip of its own within
// CountEvery; the counts are exact once flushed, and a later update starts the flush by
// itself once CountEvery has passed.
func TestCountingBatched(t *testing.T) {
	h := newHarness(t, Config{})
	trips := &roundTrips{}
	h.rdb.AddHook(trips)
	f := h.lib.Flow("vneid")
	h.command(resident, "Bà Tư", "start", "vneid") // the first count flushes at once
	out := h.command(resident+1, "Ông Ba", "start", "vneid")
	if _, _, err := h.svc.Totals(context.Background(), h.lib); err != nil {
		t.Fatal(err)
	}
	before := trips.n.Load()
	const presses = 3
	for range presses {
		out = h.press(resident+1, out.Messages[len(out.Messages)-1].Buttons[0].Data)
	}
	// The session's load and compare-and-set: two round trips per update, nothing more.
	if got, want := trips.n.Load()-before, int64(2*presses); got != want {
		t.Fatalf("%d round trips for %d presses, want %d (all counted: %s)", got, presses, want, trips.counted())
	}
	funnel, _, err := h.svc.Totals(context.Background(), h.lib)
	if err != nil {
		t.Fatal(err)
	}
	if len(funnel) != 1 || funnel[0].Flow != f.ID || funnel[0].Starts != 2 {
		t.Fatalf("funnel after the flush %+v, want vneid started by 2 residents", funnel)
	}
	queued := func() int {
		h.svc.counting.mu.Lock()
		defer h.svc.counting.mu.Unlock()
		return len(h.svc.counting.queue)
	}
	h.command(resident+2, "Chị Năm", "start", "vneid")
	if queued() != 1 {
		t.Fatalf("%d marks queued, want 1 (the last flush was less than %s ago)", queued(), CountEvery)
	}
	h.advance(CountEvery)
	h.command(resident+3, "Anh Sáu", "start", "vneid")
	deadline := time.Now().Add(10 * time.Second)
	for queued() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the queue was not flushed after CountEvery")
		}
		time.Sleep(5 * time.Millisecond) // poll interval
	}
	funnel, _, _ = h.svc.Totals(context.Background(), h.lib)
	if funnel[0].Starts != 4 {
		t.Fatalf("starts %d, want 4", funnel[0].Starts)
	}
}
