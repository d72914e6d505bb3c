package telegram_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot/telegram"
)

// C12: shutdown while updates are buffered and one handler is in flight. Fetching stops at
// once; what was fetched is handled within the grace period and acknowledged; what could not
// be handled in time is not acknowledged, comes again after the restart and is applied once.
func TestCaseC12(t *testing.T) {
	batch := []string{
		commandUpdate(1, 1001, "/start vneid"), textUpdate(2, 1001, "2"), textUpdate(3, 1001, "1"), textUpdate(4, 1001, "1"),
	}
	t.Run("DrainsBufferedAndInFlight", func(t *testing.T) {
		rdb := testRedis(t)
		h := newHarness(t, harnessOpts{rdb: rdb})
		h.chose(1001)
		entered, release := make(chan struct{}), make(chan struct{})
		rdb.AddHook(&redisHook{match: isSave(h.store.Key(1001)), times: 1,
			before: func(context.Context, redis.Cmder) error { close(entered); <-release; return nil }})
		h.api.push(batch...)
		stop := h.poll()
		<-entered // the first handler is between "engine done" and "session saved"; 3 more wait
		stopped := make(chan error, 1)
		go func() { stopped <- stop() }() // SIGTERM
		waitFor(t, "fetching to stop", func() bool { return pollsInFlight(h.api) == 0 })
		close(release)
		if err := <-stopped; err != nil {
			t.Fatalf("Poll: %v", err)
		}
		if st := h.state(1001); st.Step != "wifi" {
			t.Fatalf("step %q, want wifi: all four updates applied", st.Step)
		}
		if got := h.api.ackedOffset(); got != 5 {
			t.Errorf("acknowledged up to %d, want 5", got)
		}
		last := h.api.callsOf("getUpdates")
		if req := getUpdatesReq(last[len(last)-1]); req.Timeout != 0 || req.Offset != 5 {
			t.Errorf("last getUpdates %+v, want the acknowledgement (offset 5, no wait)", req)
		}
	})

	t.Run("GraceExpires", func(t *testing.T) {
		rdb := testRedis(t)
		prefix := uniquePrefix(t, rdb)
		api := newFakeAPI(t)
		h := newHarness(t, harnessOpts{rdb: rdb, prefix: prefix, api: api, trOpts: []telegram.Option{telegram.WithGrace(300 * time.Millisecond)}})
		h.chose(1001, 1002)
		entered := make(chan struct{})
		saves := 0
		var mu sync.Mutex
		rdb.AddHook(&redisHook{times: -1,
			match: func(cmd redis.Cmder) bool {
				if !isCmd("evalsha", h.store.Key(1001))(cmd) { // EVAL only follows a NOSCRIPT
					return false
				}
				mu.Lock()
				defer mu.Unlock()
				saves++
				return saves == 2 // the second update's save hangs
			},
			before: func(ctx context.Context, _ redis.Cmder) error { close(entered); <-ctx.Done(); return ctx.Err() }})
		// Chat 1002's updates are handled (and not acknowledged, being past the stuck one).
		all := append(batch, commandUpdate(5, 1002, "/start vneid"), textUpdate(6, 1002, "1"))
		api.push(all...)
		stop := h.poll()
		<-entered
		if err := stop(); err != nil {
			t.Fatalf("Poll: %v", err)
		}
		if got := api.ackedOffset(); got != 2 {
			t.Fatalf("acknowledged up to %d, want 2: update 2 was not handled\n%s", got, h.logs.String())
		}
		if st := h.state(1001); st.Step != "os" {
			t.Fatalf("step %q, want os (only update 1 applied)", st.Step)
		}
		n1002 := len(api.texts(1002))

		// Restart: a new process gets updates 2-6 again.
		again := newHarness(t, harnessOpts{rdb: testRedisSame(t, rdb), prefix: prefix, api: api})
		stop = again.poll()
		waitFor(t, "the re-delivered updates", func() bool { return api.ackedOffset() >= 7 })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		ref := sequential(t, rdb, all)
		for _, c := range []int64{1001, 1002} {
			sameState(t, c, again.state(c), ref.state(c))
		}
		if got := len(api.texts(1002)); got != n1002 {
			t.Errorf("chat 1002 got %d more messages after the restart, want none (duplicates)", got-n1002)
		}
	})
}

type getUpdatesParams struct {
	Offset  int64
	Timeout int
}

func getUpdatesReq(c apiCall) getUpdatesParams {
	off, _ := strconv.ParseInt(c.Params["offset"], 10, 64)
	to, _ := strconv.Atoi(c.Params["timeout"])
	return getUpdatesParams{Offset: off, Timeout: to}
}

// pollsInFlight counts long polls the fake is holding open.
func pollsInFlight(f *fakeAPI) int { return f.Polling() }
