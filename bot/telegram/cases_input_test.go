package telegram_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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
)

// fakeClock is a settable clock for the runtime (double-tap window, expiry).
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 12, 3, 9, 0, 0, 0, time.UTC)} }

// press returns the callback data of choice i of the chat's current step.
func (h *harness) pressData(chat int64, i int) string {
	return flows.EncodePress(h.state(chat).Token, i)
}

// C02: a double tap gives two callback updates (different update and callback ids, same
// message and data). Exactly one step is taken; the second is answered with a short toast.
func TestCaseC02(t *testing.T) {
	const chat = 1001
	clock := newFakeClock()
	h := newHarness(t, harnessOpts{rtOpts: []bot.Option{bot.WithClock(clock.Now)}})
	h.chose(chat)
	if err := h.handle(commandUpdate(1, chat, "/start vneid")); err != nil {
		t.Fatal(err)
	}
	data := h.pressData(chat, 0) // Android
	before := len(h.api.texts(chat))
	if err := h.handle(pressUpdate(2, chat, 101, data, "1. Android 🤖")); err != nil {
		t.Fatal(err)
	}
	clock.Add(150 * time.Millisecond)
	if err := h.handle(pressUpdate(3, chat, 101, data, "✓ 1. Android 🤖")); err != nil {
		t.Fatal(err)
	}
	if st := h.state(chat); st.Step != "get_android" || len(st.Back) != 1 {
		t.Fatalf("state %s back %v, want get_android after one step", st.Step, st.Back)
	}
	cat, _ := content(t)
	texts := h.api.texts(chat)[before:]
	if len(texts) != 1 || texts[0] != h.stepText("vneid", "get_android") {
		t.Fatalf("sent %q, want only the next step once", texts)
	}
	answers := h.api.callsOf("answerCallbackQuery")
	if len(answers) != 2 || answers[1].Params["text"] != cat.Text("vi", bot.KeyDoubleTap) {
		t.Fatalf("callback answers %v, want the second to be the double-tap toast", answers)
	}
	if n := len(h.api.callsOf("editMessageReplyMarkup")); n != 1 {
		t.Errorf("%d keyboard edits, want 1 (the second tap changes nothing)", n)
	}
	if strings.Contains(strings.Join(texts, ""), cat.Text("vi", flows.KeyStale)) {
		t.Error("a double tap got the earlier-step notice")
	}
	if got := strings.Count(h.logs.String(), "double_tap=true"); got != 1 {
		t.Errorf("log shows %d double taps, want 1", got)
	}

	t.Run("LaterPressOfAnOldButtonIsStale", func(t *testing.T) {
		clock.Add(time.Minute)
		n := len(h.api.texts(chat))
		if err := h.handle(pressUpdate(4, chat, 101, data, "✓ 1. Android 🤖")); err != nil {
			t.Fatal(err)
		}
		if st := h.state(chat); st.Step != "get_android" {
			t.Fatalf("step %s, want get_android unchanged", st.Step)
		}
		last := h.api.callsOf("answerCallbackQuery")
		if got := last[len(last)-1].Params["text"]; got != cat.Text("vi", flows.KeyStale) {
			t.Errorf("answer %q, want the stale-button notice", got)
		}
		if got := h.api.texts(chat)[n:]; len(got) != 1 || got[0] != h.stepText("vneid", "get_android") {
			t.Errorf("sent %q, want the current step again", got)
		}
	})

	t.Run("RedeliveredUpdateIsAppliedOnce", func(t *testing.T) {
		n := len(h.api.texts(chat))
		st := h.state(chat)
		if err := h.handle(pressUpdate(5, chat, 102, h.pressData(chat, 0), "1. Tiếp theo ➡️")); err != nil {
			t.Fatal(err)
		}
		if err := h.handle(pressUpdate(5, chat, 102, flows.EncodePress(st.Token, 0), "1. Tiếp theo ➡️")); err != nil {
			t.Fatal(err)
		}
		if got := h.state(chat); got.Step != "real_app" || len(got.Back) != 2 {
			t.Fatalf("state %s back %v, want real_app after one step", got.Step, got.Back)
		}
		if got := len(h.api.texts(chat)) - n; got != 1 {
			t.Errorf("%d messages, want 1", got)
		}
	})
}

// C04: the bot restarts in the middle of a flow; a button from before the restart is pressed,
// and answerCallbackQuery says the query is too old. The step carries on; /cancel resets.
func TestCaseC04(t *testing.T) {
	const chat = 1001
	rdb := testRedis(t)
	prefix := uniquePrefix(t, rdb)
	api := newFakeAPI(t)
	before := newHarness(t, harnessOpts{rdb: rdb, prefix: prefix, api: api})
	before.chose(chat)
	for i, u := range []string{commandUpdate(1, chat, "/start vneid"), textUpdate(2, chat, "2"), textUpdate(3, chat, "1")} {
		if err := before.handle(u); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	data := before.pressData(chat, 0)

	after := newHarness(t, harnessOpts{rdb: rdb, prefix: prefix, api: api}) // a new process
	api.on("answerCallbackQuery", func(apiCall) *bottest.Failure {
		return &bottest.Failure{Code: 400, Description: "Bad Request: query is too old and response timeout expired or query ID is invalid"}
	})
	if err := after.handle(pressUpdate(4, chat, 103, data, "1. Tiếp theo ➡️")); err != nil {
		t.Fatal(err)
	}
	if st := after.state(chat); st.Step != "wifi" {
		t.Fatalf("step %q, want wifi: the press from before the restart carries on", st.Step)
	}
	if texts := api.texts(chat); texts[len(texts)-1] != after.stepText("vneid", "wifi") {
		t.Errorf("last message %.40q, want the wifi step", texts[len(texts)-1])
	}
	logs := after.logs.String()
	if !strings.Contains(logs, "level=DEBUG msg=\"callback answer not needed\"") || strings.Contains(logs, "level=WARN") || strings.Contains(logs, "level=ERROR") {
		t.Errorf("the too-old answer should be logged at debug level only; logs:\n%s", logs)
	}
	if err := after.handle(commandUpdate(5, chat, "/cancel")); err != nil {
		t.Fatal(err)
	}
	if st := after.state(chat); st.Flow != "" || st.Step != "" || len(st.Back) != 0 {
		t.Fatalf("after /cancel: %+v, want the main menu", st)
	}
}

// C05: the resident, already reading Vietnamese, taps Vietnamese in the language picker; the
// keyboard edit is refused with "message is not modified". A no-op, not an error.
func TestCaseC05(t *testing.T) {
	const chat = 1001
	h := newHarness(t, harnessOpts{})
	for _, u := range []string{commandUpdate(1, chat, "/lang"), pressUpdate(2, chat, 50, flows.EncodeLang("vi"), "1. Tiếng Việt")} {
		if err := h.handle(u); err != nil {
			t.Fatal(err)
		}
	}
	h.api.on("editMessageReplyMarkup", func(apiCall) *bottest.Failure {
		return &bottest.Failure{Code: 400, Description: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"}
	})
	n := len(h.api.texts(chat))
	if err := h.handle(commandUpdate(3, chat, "/lang")); err != nil {
		t.Fatal(err)
	}
	if err := h.handle(pressUpdate(4, chat, 51, flows.EncodeLang("vi"), "✓ 1. Tiếng Việt")); err != nil {
		t.Fatal(err)
	}
	if st := h.state(chat); st.Lang != "vi" {
		t.Fatalf("language %q, want vi", st.Lang)
	}
	answers := h.api.callsOf("answerCallbackQuery")
	if len(answers) != 2 {
		t.Fatalf("%d callback answers, want 2", len(answers))
	}
	cat, _ := content(t)
	for _, txt := range h.api.texts(chat)[n:] {
		if strings.Contains(txt, "lỗi") || strings.Contains(txt, cat.Text("vi", bot.KeySorry)) {
			t.Errorf("the resident saw an error: %q", txt)
		}
	}
	if strings.Contains(h.logs.String(), "level=WARN") {
		t.Errorf("not-modified was logged as a problem:\n%s", h.logs.String())
	}
}

// C11: Telegram re-sends a webhook update while the first copy is still stuck in a slow Redis
// call, to the same replica or to another one. One effect; both answered 200.
func TestCaseC11(t *testing.T) {
	const chat = 1001
	rdb := testRedis(t)
	prefix := uniquePrefix(t, rdb)
	api := newFakeAPI(t)
	for _, replicas := range []int{1, 2} {
		t.Run(fmt.Sprintf("%dReplicas", replicas), func(t *testing.T) {
			a := newHarness(t, harnessOpts{rdb: rdb, prefix: prefix + fmt.Sprint(replicas), api: api, trOpts: []telegram.Option{telegram.WithWebhookSecret("s3cret")}})
			b := a
			if replicas == 2 {
				b = newHarness(t, harnessOpts{rdb: testRedisSame(t, rdb), prefix: prefix + fmt.Sprint(replicas), api: api, trOpts: []telegram.Option{telegram.WithWebhookSecret("s3cret")}})
			}
			a.chose(chat)
			if err := a.handle(commandUpdate(1, chat, "/start")); err != nil {
				t.Fatal(err)
			}
			n := len(api.texts(chat))
			entered, release := make(chan struct{}), make(chan struct{})
			rdb.AddHook(&redisHook{match: isCmd("get", a.store.Key(chat)), times: 1,
				before: func(context.Context, redis.Cmder) error { close(entered); <-release; return nil }})
			body := textUpdate(2, chat, "Nộp hồ sơ")
			codes := make(chan int, 2)
			go func() { codes <- postWebhook(t, a.tr, "s3cret", body) }()
			<-entered
			go func() { codes <- postWebhook(t, b.tr, "s3cret", body) }()
			if replicas == 1 {
				waitFor(t, "the copy to wait for the chat", func() bool { return a.tr.Waiting(chat) == 1 })
			} else {
				waitFor(t, "the copy on the other replica to be applied", func() bool { return len(api.texts(chat)) > n })
			}
			close(release)
			for range 2 {
				if code := <-codes; code != http.StatusOK {
					t.Fatalf("webhook answered %d, want 200", code)
				}
			}
			ref := sequential(t, rdb, []string{commandUpdate(1, chat, "/start")})
			m := len(ref.api.texts(chat))
			if err := ref.handle(body); err != nil {
				t.Fatal(err)
			}
			want := ref.api.texts(chat)[m:] // what one application of the update sends
			if got := api.texts(chat)[n:]; len(want) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("replies %.80q, want one answer %.80q", got, want)
			}
		})
	}
}

// testRedisSame opens a second client on the same server as rdb: another replica's pool.
func testRedisSame(t testing.TB, rdb redis.UniversalClient) redis.UniversalClient {
	o := rdb.(*redis.Client).Options()
	opts := &redis.Options{Addr: o.Addr, DB: o.DB, Username: o.Username, Password: o.Password}
	session.Bound(opts)
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func postWebhook(t testing.TB, tr *telegram.Transport, secret, body string) int {
	req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	rec := httptest.NewRecorder()
	tr.WebhookHandler().ServeHTTP(rec, req)
	return rec.Code
}

// C13: edited messages and updates with nil fields. Nothing panics; edits get a "send it
// again" hint (or a safety warning when the edit holds an ID number); a panic anywhere in the
// path is recovered, logged, answered kindly, and the bot keeps serving other chats.
func TestCaseC13(t *testing.T) {
	const chat = 1001
	h := newHarness(t, harnessOpts{})
	h.chose(chat)
	cat, _ := content(t)
	if err := h.handle(commandUpdate(1, chat, "/start vneid")); err != nil {
		t.Fatal(err)
	}
	edited := func(id int64, text string) string {
		return fmt.Sprintf(`{"update_id":%d,"edited_message":{"message_id":9,"from":{"id":%d,"is_bot":false,"first_name":"Hoa"},"chat":{"id":%d,"type":"private"},"date":1764720200,"edit_date":1764720230,"text":%q}}`, id, chat, chat, text)
	}
	steps := []struct {
		name, update, want string
	}{
		{"Answer", textUpdate(2, chat, "0123456789"), cat.Text("vi", flows.KeyUnknownText)},
		{"EditedToAnIDNumber", edited(3, "012345678901"), cat.Text("vi", bot.KeySensitive)},
		{"EditedPlain", edited(4, "vneid"), cat.Text("vi", flows.KeyEdited)},
	}
	for _, s := range steps {
		n := len(h.api.texts(chat))
		if err := h.handle(s.update); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := h.api.texts(chat)[n:]; len(got) == 0 || got[0] != s.want {
			t.Errorf("%s: sent %.60q, want %.60q first", s.name, got, s.want)
		}
	}
	if st := h.state(chat); st.Step != "os" {
		t.Errorf("step %q, want os: edits do not move the resident", st.Step)
	}
	for _, raw := range []string{
		`{"update_id":5,"my_chat_member":{"chat":{"id":1001,"type":"private"},"from":{"id":1001,"is_bot":false,"first_name":"Hoa"},"date":1,"old_chat_member":{"status":"kicked","user":{"id":7000000001,"is_bot":true,"first_name":"b"}},"new_chat_member":{"status":"member","user":{"id":7000000001,"is_bot":true,"first_name":"b"}}}}`,
		`{"update_id":6,"callback_query":{"id":"c6","from":{"id":1001,"is_bot":false,"first_name":"Hoa"},"message":{"message_id":3,"chat":{"id":1001,"type":"private"},"date":0},"chat_instance":"1","data":"zz.1"}}`,
		`{"update_id":7,"channel_post":{"message_id":1,"chat":{"id":-1001000000001,"type":"channel","title":"c"},"date":1,"text":"hi"}}`,
		`{"update_id":8,"callback_query":{"id":"c8","from":{"id":1001,"is_bot":false,"first_name":"Hoa"},"chat_instance":"1","data":"x"}}`,
		`{"update_id":9}`,
	} {
		if err := h.handle(raw); err != nil {
			t.Errorf("update %.40s…: %v", raw, err)
		}
	}
	for _, name := range []string{"06-edited-message.json", "08-group-message.json", "09-inline-query.json", "12-photo-with-caption.json"} {
		raw, err := os.ReadFile("testdata/updates/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.handle(string(raw)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	t.Run("PanicIsRecovered", func(t *testing.T) {
		// A runtime on a store without a Redis client panics on first use: a bug anywhere in
		// the path must not take the process down nor make Telegram re-send forever.
		broken := newHarness(t, harnessOpts{api: h.api})
		cat, lib := content(t)
		rt := bot.New(flows.NewEngine(lib, cat), cat, session.New(nil), bot.WithLogger(nil2(broken)))
		tr, err := telegram.New(context.Background(), rt, testToken, telegram.WithAPIURL(h.api.URL()), telegram.WithLogger(nil2(broken)), telegram.WithWebhookSecret("s"))
		if err != nil {
			t.Fatal(err)
		}
		n := len(h.api.texts(2002))
		if code := postWebhook(t, tr, "s", textUpdate(20, 2002, "hello")); code != http.StatusOK {
			t.Errorf("webhook answered %d to an update that panics, want 200 (a retry would panic again)", code)
		}
		if got := h.api.texts(2002)[n:]; len(got) != 1 || got[0] != cat.Text("vi", bot.KeySorry) {
			t.Errorf("sent %q, want the kind apology", got)
		}
		if !strings.Contains(broken.logs.String(), "panic handling update") {
			t.Error("the panic was not logged")
		}
		if err := h.handle(textUpdate(21, chat, "1")); err != nil {
			t.Errorf("another chat after the panic: %v", err)
		}
	})
}

func nil2(h *harness) *slogLogger { return newTextLogger(h.logs) }
