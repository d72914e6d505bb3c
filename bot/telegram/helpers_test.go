package telegram_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
	"hocvuso/bot/bottest"
	"hocvuso/bot/session"
	"hocvuso/bot/telegram"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

const testToken = bottest.Token

// testRedis returns a client on TEST_REDIS_URL when set, else on an embedded server.
func testRedis(t testing.TB) redis.UniversalClient {
	t.Helper()
	if url := os.Getenv("TEST_REDIS_URL"); url != "" {
		c, err := session.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	emb, err := session.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	c := emb.Client()
	embeddedOf.Store(c, emb)
	t.Cleanup(func() { _ = c.Close(); emb.Close() })
	return c
}

var embeddedOf sync.Map // client -> *session.Embedded

// passTime lets d pass for key expiry: the embedded server's clock is moved on, a real Redis
// expires keys by itself (callers wait for the effect).
func passTime(rdb redis.UniversalClient, d time.Duration) {
	if emb, ok := embeddedOf.Load(rdb); ok {
		emb.(*session.Embedded).Server().FastForward(d)
	}
}

// uniquePrefix returns a key prefix no other test uses, and deletes its keys at the end.
func uniquePrefix(t testing.TB, rdb redis.UniversalClient) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	p := "t" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, p+":*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return p
}

var (
	contentOnce sync.Once
	testCat     *i18n.Catalog
	testLib     *flows.Library
)

func content(t testing.TB) (*i18n.Catalog, *flows.Library) {
	contentOnce.Do(func() {
		cat, err := i18n.LoadDefault()
		if err != nil {
			panic(err)
		}
		lib, err := flows.LoadDir(library.FS, ".", cat)
		if err != nil {
			panic(err)
		}
		testCat, testLib = cat, lib
	})
	return testCat, testLib
}

// logBuffer collects log lines; safe for concurrent writers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// harness is one bot: runtime, store and transport on a fake Bot API.
type harness struct {
	t     testing.TB
	api   *fakeAPI
	rdb   redis.UniversalClient
	store *session.Store
	rt    *bot.Runtime
	tr    *telegram.Transport
	logs  *logBuffer
}

type harnessOpts struct {
	rdb    redis.UniversalClient
	prefix string
	api    *fakeAPI
	rtOpts []bot.Option
	trOpts []telegram.Option
	ttl    time.Duration
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	if o.rdb == nil {
		o.rdb = testRedis(t)
	}
	if o.prefix == "" {
		o.prefix = uniquePrefix(t, o.rdb)
	}
	if o.api == nil {
		o.api = newFakeAPI(t)
	}
	sopts := []session.Option{session.WithPrefix(o.prefix)}
	if o.ttl > 0 {
		sopts = append(sopts, session.WithTTL(o.ttl))
	}
	h := &harness{t: t, api: o.api, rdb: o.rdb, store: session.New(o.rdb, sopts...), logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cat, lib := content(t)
	h.rt = bot.New(flows.NewEngine(lib, cat), cat, h.store, append([]bot.Option{bot.WithLogger(log)}, o.rtOpts...)...)
	trOpts := append([]telegram.Option{telegram.WithAPIURL(o.api.URL()), telegram.WithLogger(log),
		telegram.WithPollTimeout(time.Second), telegram.WithClock(time.Now, instantSleep)}, o.trOpts...)
	tr, err := telegram.New(context.Background(), h.rt, testToken, trOpts...)
	if err != nil {
		t.Fatal(err)
	}
	h.tr = tr
	return h
}

// instantSleep skips pacing waits in tests that are not about pacing.
func instantSleep(ctx context.Context, _ time.Duration) bool { return ctx.Err() == nil }

// handle decodes an update and handles it as polling would.
func (h *harness) handle(raw string) error {
	h.t.Helper()
	u, err := telegram.DecodeUpdate([]byte(raw))
	if err != nil {
		h.t.Fatalf("bad update in test: %v", err)
	}
	return h.tr.HandleUpdate(context.Background(), u)
}

func (h *harness) state(chatID int64) flows.State {
	h.t.Helper()
	s, err := h.store.Load(context.Background(), chatID)
	if err != nil {
		h.t.Fatal(err)
	}
	return s.State
}

// waitFor waits until cond holds, failing the test after a deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Updates, shaped like Telegram's.

func textUpdate(id, chat int64, text string) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"Hoa","language_code":"vi"},"chat":{"id":%d,"first_name":"Hoa","type":"private"},"date":1764720000,"text":%q}}`,
		id, id%100000+1, chat, chat, text)
}

func commandUpdate(id, chat int64, cmd string) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"Hoa","language_code":"vi"},"chat":{"id":%d,"first_name":"Hoa","type":"private"},"date":1764720000,"text":%q,"entities":[{"offset":0,"length":%d,"type":"bot_command"}]}}`,
		id, id%100000+1, chat, chat, cmd, len(strings.Fields(cmd)[0]))
}

func pressUpdate(id, chat, msgID int64, data, label string) string {
	return fmt.Sprintf(`{"update_id":%d,"callback_query":{"id":"cb%d","from":{"id":%d,"is_bot":false,"first_name":"Hoa","language_code":"vi"},"message":{"message_id":%d,"from":{"id":7000000001,"is_bot":true,"first_name":"Học vụ số"},"chat":{"id":%d,"type":"private"},"date":1764720000,"text":"…","reply_markup":{"inline_keyboard":[[{"text":%q,"callback_data":%q}]]}},"chat_instance":"1","data":%q}}`,
		id, id, chat, msgID, chat, label, data, data)
}

// stepText returns the text the bot sends for a step of a flow, in Vietnamese, as a resident
// sees it (counter line included): rendered by the runtime from a scratch chat at that step.
func (h *harness) stepText(flowID, step string) string {
	h.t.Helper()
	const scratch = 999_999_001
	ctx := context.Background()
	_, lib := content(h.t)
	f := lib.Flow(flowID)
	if f == nil || f.Step(step) == nil {
		h.t.Fatalf("no step %s.%s", flowID, step)
	}
	if err := h.store.Delete(ctx, scratch); err != nil {
		h.t.Fatal(err)
	}
	st := flows.State{Flow: flowID, Version: f.Version, Step: step, Lang: "vi"}
	if _, err := h.store.Save(ctx, scratch, session.Session{State: st, At: time.Now().Unix()}); err != nil {
		h.t.Fatal(err)
	}
	msgs, _, err := h.rt.Current(ctx, scratch, "vi")
	if err != nil || len(msgs) == 0 {
		h.t.Fatalf("rendering %s.%s: %v", flowID, step, err)
	}
	_ = h.store.Delete(ctx, scratch)
	return msgs[0].Text
}

// chose saves Vietnamese as the language of chats, as a resident who answered the first-visit
// language picker has: the tests below are about what comes after it.
func (h *harness) chose(chats ...int64) {
	h.t.Helper()
	for _, c := range chats {
		if _, err := h.store.Save(context.Background(), c, session.Session{State: flows.State{Lang: "vi"}}); err != nil {
			h.t.Fatal(err)
		}
	}
}

// chatOf returns the chat an update (made by the builders above) belongs to.
func chatOf(t testing.TB, raw string) int64 {
	u, err := telegram.DecodeUpdate([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message.Message != nil:
		return u.CallbackQuery.Message.Message.Chat.ID
	}
	return 0
}
