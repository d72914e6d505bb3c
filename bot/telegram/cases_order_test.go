package telegram_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/flows"
)

// poll runs the transport's polling loop until the test stops it; stop waits for Poll to end.
func (h *harness) poll() (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- h.tr.Poll(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-errc })
		return err
	}
	h.t.Cleanup(func() { _ = stop() })
	return stop
}

// sequential applies updates one by one on a fresh bot with its own keys and returns it: the
// reference result for ordering tests.
func sequential(t *testing.T, rdb redis.UniversalClient, updates []string) *harness {
	t.Helper()
	ref := newHarness(t, harnessOpts{rdb: rdb})
	seen := map[int64]bool{}
	for _, u := range updates {
		if c := chatOf(t, u); c != 0 && !seen[c] {
			seen[c] = true
			ref.chose(c)
		}
	}
	for _, u := range updates {
		if err := ref.handle(u); err != nil {
			t.Fatal(err)
		}
	}
	return ref
}

func sameState(t *testing.T, chat int64, got, want flows.State) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("chat %d: state %+v, want %+v (as a sequential run gives)", chat, got, want)
	}
}

// C01: one getUpdates batch holds two answers of one chat; the first one's Redis GET is slow.
// They must still be applied in update_id order, with replies in order.
func TestCaseC01(t *testing.T) {
	const chat = 1001
	rdb := testRedis(t)
	h := newHarness(t, harnessOpts{rdb: rdb})
	h.chose(chat)
	if err := h.handle(commandUpdate(10, chat, "/start vneid")); err != nil {
		t.Fatal(err)
	}
	// At step "os": "2" is iPhone, then "1" is that step's only choice (Next). Swapped, "1"
	// would pick Android and "2" would not exist there: the order shows in the end state.
	batch := []string{textUpdate(11, chat, "2"), textUpdate(12, chat, "1")}
	slow := &redisHook{match: isCmd("get", h.store.Key(chat)), times: 1,
		before: func(context.Context, redis.Cmder) error { time.Sleep(200 * time.Millisecond); return nil }}
	rdb.AddHook(slow)
	h.api.push(batch...)
	stop := h.poll()
	waitFor(t, "the batch to be acknowledged", func() bool { return h.api.ackedOffset() >= 13 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if st := h.state(chat); st.Flow != "vneid" || st.Step != "real_app" {
		t.Fatalf("state %s.%s, want vneid.real_app", st.Flow, st.Step)
	}
	texts := h.api.texts(chat)
	want := []string{h.stepText("vneid", "os"), h.stepText("vneid", "get_iphone"), h.stepText("vneid", "real_app")}
	if len(texts) != len(want) {
		t.Fatalf("got %d replies, want %d", len(texts), len(want))
	}
	for i := range want {
		if texts[i] != want[i] {
			t.Errorf("reply %d is %.40q, want %.40q", i, texts[i], want[i])
		}
	}

	t.Run("QueuedWhileOffline", func(t *testing.T) {
		// Eight answers of chat 1001 queued before the bot starts, interleaved with another
		// chat's, every chat's first GET slowed down.
		h := newHarness(t, harnessOpts{rdb: rdb})
		h.chose(1001, 1002)
		answers := map[int64][]string{1001: {"2", "1", "1", "1", "2", "3", "1", "2"}, 1002: {"1", "1", "1", "1", "1", "2", "1", "3"}}
		var all []string
		id := int64(100)
		for _, c := range []int64{1001, 1002} {
			all = append(all, commandUpdate(id, c, "/start vneid"))
			id++
		}
		for i := range 8 {
			for _, c := range []int64{1001, 1002} {
				all = append(all, textUpdate(id, c, answers[c][i]))
				id++
			}
		}
		rdb.AddHook(&redisHook{match: isCmd("get", ""), times: 2,
			before: func(context.Context, redis.Cmder) error { time.Sleep(50 * time.Millisecond); return nil }})
		h.api.push(all...)
		stop := h.poll()
		waitFor(t, "all updates to be acknowledged", func() bool { return h.api.ackedOffset() >= id })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		ref := sequential(t, rdb, all)
		for _, c := range []int64{1001, 1002} {
			sameState(t, c, h.state(c), ref.state(c))
			if got, want := strings.Join(h.api.texts(c), "|"), strings.Join(ref.api.texts(c), "|"); got != want {
				t.Errorf("chat %d: replies differ from a sequential run", c)
			}
		}
	})

	t.Run("WebhookRequestsArriveTogether", func(t *testing.T) {
		// Two webhook requests of one chat racing: the per-chat lock admits the lower update id
		// first even when it arrives second.
		h := newHarness(t, harnessOpts{rdb: rdb})
		h.chose(chat)
		if err := h.handle(commandUpdate(200, chat, "/start vneid")); err != nil {
			t.Fatal(err)
		}
		entered, release := make(chan struct{}), make(chan struct{})
		rdb.AddHook(&redisHook{match: isCmd("get", h.store.Key(chat)), times: 1,
			before: func(context.Context, redis.Cmder) error { close(entered); <-release; return nil }})
		// A holder blocks the chat (its GET waits), then 202 and 201 queue up, 202 first.
		done := make(chan error, 3)
		go func() { done <- h.handle(commandUpdate(199, chat, "/help")) }()
		<-entered
		go func() { done <- h.handle(textUpdate(202, chat, "1")) }()
		waitFor(t, "202 to wait", func() bool { return h.tr.Waiting(chat) == 1 })
		go func() { done <- h.handle(textUpdate(201, chat, "2")) }()
		waitFor(t, "201 to wait", func() bool { return h.tr.Waiting(chat) == 2 })
		close(release)
		for range 3 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		if st := h.state(chat); st.Step != "real_app" {
			t.Fatalf("step %q, want real_app (201 before 202)", st.Step)
		}
	})
}
