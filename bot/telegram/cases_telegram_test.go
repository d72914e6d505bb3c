package telegram_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hocvuso/bot"
	"hocvuso/bot/bottest"
	"hocvuso/bot/telegram"
)

// virtualClock is the transport's clock in tests about waiting: sleeping moves it on at once.
type virtualClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newVirtualClock() *virtualClock {
	return &virtualClock{t: time.Date(2025, 12, 3, 9, 0, 0, 0, time.UTC)}
}

func (c *virtualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *virtualClock) Sleep(ctx context.Context, d time.Duration) bool {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	return ctx.Err() == nil
}

func (c *virtualClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

func tooMany(seconds int) *bottest.Failure {
	return &bottest.Failure{Code: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", seconds), RetryAfter: seconds}
}

// C06: Telegram answers 429 with retry_after. Polling waits at least that long; outgoing sends
// are paced (about 1/s per chat, 30/s overall, 20/min per group) and, on a 429, wait and retry
// in order: nothing sent twice, nothing dropped.
func TestCaseC06(t *testing.T) {
	t.Run("GetUpdates", func(t *testing.T) {
		clock := newVirtualClock()
		h := newHarness(t, harnessOpts{trOpts: []telegram.Option{telegram.WithClock(clock.Now, clock.Sleep)}})
		var mu sync.Mutex
		refused := 0
		h.api.on("getUpdates", func(apiCall) *bottest.Failure {
			mu.Lock()
			defer mu.Unlock()
			if refused < 2 {
				refused++
				return tooMany(30)
			}
			return nil
		})
		h.api.push(commandUpdate(1, 1001, "/start"))
		stop := h.poll()
		waitFor(t, "the update after two 429s", func() bool { return len(h.api.texts(1001)) > 0 })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		sleeps := clock.Sleeps()
		if len(sleeps) < 2 || sleeps[0] < 30*time.Second || sleeps[1] < 30*time.Second {
			t.Fatalf("waits after the 429s: %v, want at least 30s each", sleeps)
		}
		if n := len(h.api.callsOf("getUpdates")); n < 3 {
			t.Errorf("%d getUpdates calls", n)
		}
	})

	t.Run("Broadcast", func(t *testing.T) {
		clock := newVirtualClock()
		h := newHarness(t, harnessOpts{trOpts: []telegram.Option{telegram.WithClock(clock.Now, clock.Sleep)}})
		var mu sync.Mutex
		calls, early := 0, 0
		var pausedUntil time.Time
		var accepted []time.Time
		h.api.on("sendMessage", func(c apiCall) *bottest.Failure {
			mu.Lock()
			defer mu.Unlock()
			calls++
			now := clock.Now()
			if now.Before(pausedUntil) {
				early++ // sent while told to wait
				return tooMany(5)
			}
			if calls == 31 || calls == 200 {
				pausedUntil = now.Add(5 * time.Second)
				return tooMany(5)
			}
			accepted = append(accepted, now)
			return nil
		})
		// A scam alert to 300 residents.
		for i := range 300 {
			chat := int64(5000 + i)
			msg := bot.Message{Text: "Cảnh báo lừa đảo #" + strconv.Itoa(i)}
			if err := h.tr.Deliver(context.Background(), chat, "vi", "alert", []bot.Message{msg}); err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
		}
		if early != 0 {
			t.Errorf("%d sends went out before retry_after had passed", early)
		}
		for i := range 300 {
			if got := h.api.texts(int64(5000 + i)); len(got) != 1 || got[0] != "Cảnh báo lừa đảo #"+strconv.Itoa(i) {
				t.Fatalf("chat %d received %q, want its alert exactly once", 5000+i, got)
			}
		}
		for i := 30; i < len(accepted); i++ {
			if accepted[i].Sub(accepted[i-30]) < time.Second {
				t.Fatalf("31 messages within one second (at %d)", i)
			}
		}
	})

	t.Run("PerChatAndGroup", func(t *testing.T) {
		clock := newVirtualClock()
		h := newHarness(t, harnessOpts{trOpts: []telegram.Option{telegram.WithClock(clock.Now, clock.Sleep)}})
		var times []time.Time
		var mu sync.Mutex
		h.api.on("sendMessage", func(apiCall) *bottest.Failure {
			mu.Lock()
			times = append(times, clock.Now())
			mu.Unlock()
			return nil
		})
		msgs := make([]bot.Message, 10)
		for i := range msgs {
			msgs[i] = bot.Message{Text: strconv.Itoa(i)}
		}
		if err := h.tr.Deliver(context.Background(), 1001, "vi", "test", msgs); err != nil {
			t.Fatal(err)
		}
		if span := times[9].Sub(times[0]); span < 7*time.Second {
			t.Errorf("10 messages to one chat within %v, want about one per second after a short burst", span)
		}
		times = nil
		if err := h.tr.Deliver(context.Background(), -4000000001, "vi", "test", msgs); err != nil {
			t.Fatal(err)
		}
		if span := times[9].Sub(times[0]); span < 27*time.Second {
			t.Errorf("10 messages to one group within %v, want at most 20 a minute", span)
		}
	})
}

// C07: the resident blocks the bot. A later send gets 403: the session ends quietly (every key
// of the chat is deleted: nothing left to remind), no retry, other residents carry on. The
// my_chat_member "kicked" update does the same clean-up in advance.
func TestCaseC07(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.chose(1001, 1002, 5123400017)
	ctx := context.Background()
	for _, u := range []string{commandUpdate(1, 1001, "/start vneid"), textUpdate(2, 1001, "1"), commandUpdate(3, 1002, "/start")} {
		if err := h.handle(u); err != nil {
			t.Fatal(err)
		}
	}
	h.api.on("sendMessage", func(c apiCall) *bottest.Failure {
		if c.Params["chat_id"] == "1001" {
			return &bottest.Failure{Code: 403, Description: "Forbidden: bot was blocked by the user"}
		}
		return nil
	})
	n := len(h.api.callsOf("sendMessage"))
	err := h.tr.Deliver(ctx, 1001, "vi", "reminder", []bot.Message{{Text: "Nhắc bạn: tiếp tục cài VNeID"}, {Text: "second"}})
	if !errors.Is(err, telegram.ErrBlocked) {
		t.Fatalf("Deliver: %v, want ErrBlocked", err)
	}
	if got := len(h.api.callsOf("sendMessage")) - n; got != 1 {
		t.Errorf("%d send attempts, want 1 (no retry, nothing after the 403)", got)
	}
	if keys, err := h.store.ChatKeys(ctx, 1001); err != nil || len(keys) != 0 {
		t.Errorf("keys left for the chat that blocked the bot: %v (%v)", keys, err)
	}
	if err := h.handle(textUpdate(4, 1002, "1")); err != nil || len(h.api.texts(1002)) < 2 {
		t.Errorf("another resident after the 403: %v", err)
	}

	t.Run("KickedUpdate", func(t *testing.T) {
		raw, err := os.ReadFile("testdata/updates/07-blocked-by-user.json")
		if err != nil {
			t.Fatal(err)
		}
		const chat = 5123400017
		if err := h.handle(commandUpdate(5, chat, "/start vneid")); err != nil {
			t.Fatal(err)
		}
		if err := h.handle(string(raw)); err != nil {
			t.Fatal(err)
		}
		if keys, _ := h.store.ChatKeys(ctx, chat); len(keys) != 0 {
			t.Errorf("keys left after kicked: %v", keys)
		}
	})
}

// Telegram errors outside the cases: a group that became a supergroup is followed, with its
// records; a message whose HTML Telegram cannot parse is sent once more as plain text.
func TestTelegramErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("GroupMigrated", func(t *testing.T) {
		h := newHarness(t, harnessOpts{})
		const oldID, newID = -4000000001, -1001000000001
		if err := h.rdb.Set(ctx, h.store.ChatKey("vol", oldID), "record", time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		h.api.on("sendMessage", func(c apiCall) *bottest.Failure {
			if c.Params["chat_id"] == strconv.Itoa(oldID) {
				return &bottest.Failure{Code: 400, Description: "Bad Request: group chat was upgraded to a supergroup chat", MigrateToChatID: -1001000000001}
			}
			return nil
		})
		if err := h.tr.Deliver(ctx, oldID, "vi", "group", []bot.Message{{Text: "Xin chào nhóm"}}); err != nil {
			t.Fatal(err)
		}
		if got := h.api.texts(newID); len(got) != 1 {
			t.Fatalf("new group received %q, want the message", got)
		}
		// The old id may still be configured (VOLUNTEER_CHAT_ID): later messages go straight
		// to the new group, without another refused call.
		if err := h.tr.Deliver(ctx, oldID, "vi", "group", []bot.Message{{Text: "Thẻ thứ hai"}}); err != nil {
			t.Fatal(err)
		}
		if got := h.api.texts(newID); len(got) != 2 || got[1] != "Thẻ thứ hai" {
			t.Fatalf("new group received %q, want both messages", got)
		}
		toOld := 0
		for _, c := range h.api.callsOf("sendMessage") {
			if c.Params["chat_id"] == strconv.Itoa(oldID) {
				toOld++
			}
		}
		if toOld != 1 {
			t.Errorf("%d calls to the old group id, want only the first (refused) one", toOld)
		}
		if v, _ := h.rdb.Get(ctx, h.store.ChatKey("vol", newID)).Result(); v != "record" {
			t.Errorf("record not moved to the new chat id")
		}
		if n := h.rdb.Exists(ctx, h.store.ChatKey("vol", oldID)).Val(); n != 0 {
			t.Errorf("old chat id still has its record")
		}
	})
	t.Run("CannotParseEntities", func(t *testing.T) {
		h := newHarness(t, harnessOpts{})
		h.api.on("sendMessage", func(c apiCall) *bottest.Failure {
			if c.Params["parse_mode"] == "HTML" {
				return &bottest.Failure{Code: 400, Description: "Bad Request: can't parse entities: Unsupported start tag \"br\" at byte offset 5"}
			}
			return nil
		})
		if err := h.tr.Deliver(ctx, 1001, "vi", "test", []bot.Message{{Text: "<b>Bước</b> 1<br>&amp; 2"}}); err != nil {
			t.Fatal(err)
		}
		if got := h.api.texts(1001); len(got) != 1 || got[0] != "Bước 1& 2" {
			t.Errorf("sent %q, want the plain text once", got)
		}
	})
}

// C09: two replicas poll with the same token. A lease in Redis lets one poll at a time; the
// other waits, and takes over when the first stops. Every message is applied once, in order.
func TestCaseC09(t *testing.T) {
	rdb := testRedis(t)
	prefix := uniquePrefix(t, rdb)
	api := newFakeAPI(t)
	var mu sync.Mutex
	replica := func(name string) *harness {
		client := &http.Client{Transport: tagTransport{name}}
		h := newHarness(t, harnessOpts{rdb: testRedisSame(t, rdb), prefix: prefix, api: api, trOpts: []telegram.Option{telegram.WithHTTPClient(client)}})
		h.tr = mustTransport(t, h, telegram.WithHTTPClient(client), telegram.WithLease(h.store.Lease("poll", name, 2*time.Second)))
		return h
	}
	a, b := replica("A"), replica("B")
	a.chose(1001)
	stopA := a.poll()
	waitFor(t, "A to lead", func() bool { return a.tr.Fetching() })
	stopB := b.poll()
	// B stands by: ready (a rolling deploy may go on), not fetching.
	waitFor(t, "B to stand by", func() bool { return b.tr.Ready() })
	for i, text := range []string{"/start vneid", "2", "1", "1"} {
		u := textUpdate(int64(10+i), 1001, text)
		if i == 0 {
			u = commandUpdate(10, 1001, text)
		}
		api.push(u)
	}
	waitFor(t, "4 updates handled", func() bool { return api.ackedOffset() >= 14 })
	if b.tr.Fetching() || len(api.callsFrom("getUpdates", "B")) != 0 {
		t.Error("B polled while A held the lease")
	}
	if st := a.state(1001); st.Step != "wifi" {
		t.Fatalf("step %q, want wifi", st.Step)
	}
	if err := stopA(); err != nil {
		t.Fatal(err)
	}
	api.push(textUpdate(14, 1001, "1"))
	waitFor(t, "B to take over", func() bool { return api.ackedOffset() >= 15 })
	if st := b.state(1001); st.Step != "install" {
		t.Fatalf("step %q, want install", st.Step)
	}
	if err := stopB(); err != nil {
		t.Fatal(err)
	}
	if a.tr.Ready() || b.tr.Ready() {
		t.Error("ready after polling stopped")
	}
	// Who polled: A until it stopped, then B; never both at once.
	calls := api.callsOf("getUpdates")
	switched := false
	for _, c := range calls {
		switch r := c.Header.Get("X-Replica"); {
		case r == "B":
			switched = true
		case r == "A" && switched:
			t.Fatal("A polled again after B took over")
		}
	}
	if !switched {
		t.Fatal("B never polled")
	}
	if strings.Contains(a.logs.String()+b.logs.String(), "deployment error") {
		t.Error("a 409 happened: both replicas polled")
	}

	t.Run("ConflictIsLoggedWithBackoff", func(t *testing.T) {
		clock := newVirtualClock()
		h := newHarness(t, harnessOpts{trOpts: []telegram.Option{telegram.WithClock(clock.Now, clock.Sleep)}})
		var n int
		h.api.on("getUpdates", func(apiCall) *bottest.Failure {
			mu.Lock()
			defer mu.Unlock()
			if n < 3 {
				n++
				return &bottest.Failure{Code: 409, Description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
			}
			return nil
		})
		h.api.push(commandUpdate(1, 1001, "/start"))
		stop := h.poll()
		// Recovered: the update after the three refused polls was handled.
		waitFor(t, "polling to recover", func() bool { return len(h.api.texts(1001)) > 0 })
		_ = stop()
		if !strings.Contains(h.logs.String(), "deployment error: another process polls with this bot token") {
			t.Error("409 not logged as a deployment error")
		}
		sleeps := clock.Sleeps()
		if len(sleeps) < 3 {
			t.Fatalf("%d waits after three 409s, want 3: %v", len(sleeps), sleeps)
		}
		for _, d := range sleeps[:3] {
			if d < 5*time.Second {
				t.Errorf("backoff %v after a 409, want at least 5s", d)
			}
		}
	})
}

type tagTransport struct{ name string }

func (tt tagTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Replica", tt.name)
	return http.DefaultTransport.RoundTrip(r)
}

func mustTransport(t testing.TB, h *harness, opts ...telegram.Option) *telegram.Transport {
	t.Helper()
	all := append([]telegram.Option{telegram.WithAPIURL(h.api.URL()), telegram.WithLogger(newTextLogger(h.logs)),
		telegram.WithPollTimeout(time.Second)}, opts...)
	tr, err := telegram.New(context.Background(), h.rt, testToken, all...)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Readiness follows polling: it goes red while getUpdates fails (a revoked token, Telegram
// unreachable, another poller) and green again when updates flow.
func TestReadinessFollowsGetUpdates(t *testing.T) {
	clock := newVirtualClock()
	h := newHarness(t, harnessOpts{trOpts: []telegram.Option{telegram.WithClock(clock.Now, clock.Sleep)}})
	var failing atomic.Bool
	h.api.on("getUpdates", func(apiCall) *bottest.Failure {
		if failing.Load() {
			return &bottest.Failure{Code: 502, Description: "Bad Gateway"}
		}
		return nil
	})
	stop := h.poll()
	waitFor(t, "ready while updates flow", h.tr.Ready)
	failing.Store(true)
	waitFor(t, "not ready while getUpdates fails", func() bool { return !h.tr.Ready() })
	failing.Store(false)
	waitFor(t, "ready again", h.tr.Ready)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if h.tr.Ready() {
		t.Error("ready after polling stopped")
	}
}

// C10: polling starts while a webhook is still registered. The webhook is deleted first
// (pending updates kept); readiness stays red until updates flow. A webhook set again later
// (another deployment) is reported and deleted again.
func TestCaseC10(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.api.setWebhook("https://old.example/hook")
	h.api.push(commandUpdate(1, 1001, "/start"))
	if h.tr.Ready() {
		t.Fatal("ready before polling")
	}
	stop := h.poll()
	waitFor(t, "the update", func() bool { return len(h.api.texts(1001)) > 0 })
	if !h.tr.Ready() {
		t.Error("not ready while updates flow")
	}
	calls := h.api.callsOf("")
	first := -1
	for i, c := range calls {
		if c.Method == "deleteWebhook" && first < 0 {
			first = i
			if c.Params["drop_pending_updates"] == "true" {
				t.Error("pending updates dropped")
			}
		}
		if c.Method == "getUpdates" && first < 0 {
			t.Fatal("getUpdates before deleteWebhook")
		}
	}
	h.api.setWebhook("https://other.example/hook") // another deployment registers a webhook
	waitFor(t, "the conflict to be logged clearly", func() bool {
		return strings.Contains(h.logs.String(), "deployment error: a webhook is set while this instance polls")
	})
	h.api.push(commandUpdate(2, 1001, "/menu"))
	waitFor(t, "recovery after the webhook was deleted again", func() bool { return len(h.api.texts(1001)) > 1 })
	_ = stop()
}
