package telegram_test

// The end-to-end harness: the real go-telegram/bot client and our transport, a real runtime
// (catalogs, flow library, engine) and a real session store, against the fake Bot API server
// of bot/bottest. Every scenario runs in each mode: long polling and webhook, on the embedded
// Redis and, when TEST_REDIS_URL is set, on that Redis too.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"hocvuso/bot"
	"hocvuso/bot/bottest"
	"hocvuso/bot/session"
	"hocvuso/bot/telegram"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

// Chats of the fixtures in testdata/updates.
const (
	chatHoa   int64 = 5123400017     // 01, 03–07, 10, 12
	chatHoang int64 = 6011220033     // 02
	chatLy    int64 = 5900000042     // 11: no language_code
	chatGroup int64 = -1002233445566 // 08
)

const (
	secret = "test-webhook-secret"
	// pollTimeout is short: the poller must round it up to Telegram's whole seconds.
	pollTimeout = 100 * time.Millisecond
)

type storeKind string

const (
	embeddedStore storeKind = "embedded"
	redisStore    storeKind = "redis" // TEST_REDIS_URL
)

type transportKind string

const (
	polling transportKind = "poll"
	webhook transportKind = "webhook"
)

// storeKinds are the stores every scenario runs on.
func storeKinds() []storeKind {
	if os.Getenv("TEST_REDIS_URL") != "" {
		return []storeKind{embeddedStore, redisStore}
	}
	return []storeKind{embeddedStore}
}

// env is one bot under test.
type env struct {
	t     *testing.T
	kind  transportKind
	fake  *bottest.Server
	cat   *i18n.Catalog
	lib   *flows.Library
	store *session.Store
	emb   *session.Embedded // nil on a real Redis
	tr    *telegram.Transport
	hook  *httptest.Server // webhook mode
	next  int64            // next update_id
	seen  int              // calls already returned by take
}

// eachMode runs fn as a parallel subtest for every store and transport.
func eachMode(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, sk := range storeKinds() {
		for _, tk := range []transportKind{polling, webhook} {
			t.Run(string(sk)+"/"+string(tk), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, sk, tk)
				e.run()
				fn(t, e)
			})
		}
	}
}

// eachStore runs fn as a parallel subtest for every store, with one transport kind.
func eachStore(t *testing.T, tk transportKind, fn func(t *testing.T, e *env)) {
	for _, sk := range storeKinds() {
		t.Run(string(sk), func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, sk, tk))
		})
	}
}

// envOption adds a runtime option made from the env (the volunteer addon needs its store).
type envOption func(e *env) bot.Option

// newEnv builds the bot; call run to start polling or serving the webhook.
func newEnv(t *testing.T, sk storeKind, tk transportKind, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, kind: tk, next: 734002001}
	var err error
	if e.cat, err = i18n.LoadDefault(); err != nil {
		t.Fatal(err)
	}
	if e.lib, err = flows.LoadDir(library.FS, ".", e.cat); err != nil {
		t.Fatal(err)
	}
	e.store = e.newStore(sk)
	// The residents of the fixtures chose Vietnamese in the language picker on an earlier
	// visit; TestLanguage plays a first visit.
	for _, chat := range []int64{chatHoa, chatHoang} {
		e.choose(chat, "vi")
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	rtOpts := []bot.Option{bot.WithLogger(log)}
	for _, o := range opts {
		rtOpts = append(rtOpts, o(e))
	}
	rt := bot.New(flows.NewEngine(e.lib, e.cat), e.cat, e.store, rtOpts...)
	e.fake = bottest.New(t)
	e.tr, err = telegram.New(t.Context(), rt, bottest.Token,
		telegram.WithAPIURL(e.fake.URL()), telegram.WithPollTimeout(pollTimeout),
		telegram.WithWebhookSecret(secret), telegram.WithLogger(log),
		// These tests are about what is sent, in what order: no pacing, so that nothing is
		// queued for later (pacing and the outbox have their own virtual-time tests).
		telegram.WithLimits(telegram.Unpaced), telegram.WithClock(time.Now, instantSleep))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.tr.Username(); got != bottest.Username {
		t.Fatalf("username from getMe = %q, want %q", got, bottest.Username)
	}
	return e
}

// choose saves a language choice for chat, as the picker (or hocvuso chat -lang) does.
func (e *env) choose(chat int64, lang string) {
	e.t.Helper()
	_, err := e.store.Update(context.Background(), chat, func(s *session.Session) (bool, error) {
		s.State.Lang = lang
		return true, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) newStore(sk storeKind) *session.Store {
	t := e.t
	if sk == embeddedStore {
		emb, err := session.StartEmbedded()
		if err != nil {
			t.Fatal(err)
		}
		rdb := emb.Client()
		t.Cleanup(func() { _ = rdb.Close(); emb.Close() })
		e.emb = emb
		return session.New(rdb)
	}
	rdb, err := session.Connect(os.Getenv("TEST_REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("TEST_REDIS_URL is set but Redis does not answer: %v", err)
	}
	prefix := "hvtest:" + rand.Text()[:12]
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+":*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val()) // one by one: keys of different chats are in different cluster slots
		}
		if err := iter.Err(); err != nil {
			t.Errorf("error cleaning up %s keys: %v", prefix, err)
		}
		_ = rdb.Close()
	})
	return session.New(rdb, session.WithPrefix(prefix))
}

// run starts polling (until the test ends) or the webhook server.
func (e *env) run() {
	t := e.t
	if e.kind == webhook {
		e.hook = httptest.NewServer(e.tr.WebhookHandler())
		t.Cleanup(e.hook.Close)
		e.seen = len(e.fake.Calls(""))
		return
	}
	e.seen = len(e.fake.Calls(""))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.tr.Poll(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Poll: %v", err)
		}
	})
	// Poll deletes any webhook, then polls; updates queued before may be handled already.
	if first := e.fake.WaitCalls(t, "", e.seen+1)[e.seen]; first.Method == "deleteWebhook" {
		e.seen++
	}
}

// deliver gives the bot one update and returns once it is handled: in polling mode when
// getUpdates confirms it, in webhook mode when the POST is answered (which must be 200).
func (e *env) deliver(raw []byte) {
	e.t.Helper()
	if e.kind == webhook {
		if code, body := e.post(raw, secret); code != http.StatusOK {
			e.t.Fatalf("webhook answered %d %q, want 200", code, body)
		}
		return
	}
	e.fake.Push(raw)
	e.fake.WaitConfirmed(e.t, updateID(e.t, raw))
}

// post sends a body to the webhook with the given secret header ("" for none).
func (e *env) post(body []byte, secretHeader string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.hook.URL, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secretHeader != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secretHeader)
	}
	resp, err := e.hook.Client().Do(req) // its own transport: another test closing its server closes idle connections of the default one
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// --- updates ---------------------------------------------------------------------------

// update reads a fixture, gives it the next update_id and applies edits (path → value,
// e.g. "message.text": "1").
func (e *env) update(name string, edits map[string]any) []byte {
	e.t.Helper()
	u := fixture(e.t, name)
	u["update_id"] = e.next
	e.next++
	for path, v := range edits {
		set(e.t, u, path, v)
	}
	raw, err := json.Marshal(u)
	if err != nil {
		e.t.Fatal(err)
	}
	return raw
}

// start is /start from chat (fixture 01).
func (e *env) start(chat int64) []byte {
	return e.update("01-start-private-vi.json", map[string]any{"message.chat.id": chat, "message.from.id": chat})
}

// text is a typed message (fixture 10 with another text).
func (e *env) text(chat int64, text string) []byte {
	return e.update("10-text-nfd-diacritics.json", map[string]any{"message.chat.id": chat, "message.from.id": chat, "message.text": text})
}

// press is a button press with the callback data the bot issued (fixture 03); it returns
// the update and its callback query id.
func (e *env) press(chat int64, data string) ([]byte, string) {
	cb := "cb-" + strconv.FormatInt(e.next, 10)
	raw := e.update("03-callback-press.json", map[string]any{
		"callback_query.id": cb, "callback_query.data": data,
		"callback_query.from.id": chat, "callback_query.message.chat.id": chat,
	})
	return raw, cb
}

func fixture(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "updates", name))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep ids as written, not as float64
	var u map[string]any
	if err := dec.Decode(&u); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return u
}

// set sets a dotted path of nested JSON objects; nil deletes the field.
func set(t *testing.T, u map[string]any, path string, v any) {
	t.Helper()
	keys := strings.Split(path, ".")
	m := u
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("fixture has no object at %q of %s", k, path)
		}
		m = next
	}
	if v == nil {
		delete(m, keys[len(keys)-1])
		return
	}
	m[keys[len(keys)-1]] = v
}

func updateID(t *testing.T, raw []byte) int64 {
	t.Helper()
	var u struct {
		ID int64 `json:"update_id"`
	}
	if err := json.Unmarshal(raw, &u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// --- what the bot sent -----------------------------------------------------------------

// sent is one Bot API call in a form tests compare whole.
type sent struct {
	Method     string
	ChatID     int64
	Text       string
	ParseMode  string
	Photo      string
	Caption    string
	Keyboard   [][]bottest.Button
	CallbackID string
	MessageID  string // edits
	Commands   string // setMyCommands: the JSON list of commands
	Scope      string // setMyCommands: the JSON scope
}

func (s sent) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", s.Method)
	if s.CallbackID != "" {
		fmt.Fprintf(&b, " callback=%s", s.CallbackID)
	}
	if s.ChatID != 0 {
		fmt.Fprintf(&b, " chat=%d", s.ChatID)
	}
	if s.MessageID != "" {
		fmt.Fprintf(&b, " message=%s", s.MessageID)
	}
	if s.ParseMode != "" {
		fmt.Fprintf(&b, " parse_mode=%s", s.ParseMode)
	}
	if s.Photo != "" {
		fmt.Fprintf(&b, " photo=%s caption=%q", s.Photo, s.Caption)
	}
	if s.Scope != "" {
		fmt.Fprintf(&b, " scope=%s commands=%s", s.Scope, s.Commands)
	}
	fmt.Fprintf(&b, " text=%q", s.Text)
	for _, row := range s.Keyboard {
		fmt.Fprintf(&b, "\n\t\t%+v", row)
	}
	return b.String()
}

// knownParams are the parameters the transport may send; anything else fails the test.
var knownParams = map[string]bool{
	"chat_id": true, "text": true, "parse_mode": true, "reply_markup": true,
	"photo": true, "caption": true, "callback_query_id": true, "message_id": true,
	"inline_query_id": true, "results": true, "cache_time": true, "is_personal": true,
	"commands": true, "scope": true,
}

func toSent(t *testing.T, c bottest.Call) sent {
	t.Helper()
	for k, v := range c.Params {
		if !knownParams[k] {
			t.Errorf("%s: unexpected parameter %s=%q", c.Method, k, v)
		}
	}
	kb, err := c.Keyboard()
	if err != nil {
		t.Error(err)
	}
	p := c.Params
	s := sent{Method: c.Method, Text: p["text"], ParseMode: p["parse_mode"], Photo: p["photo"],
		Caption: p["caption"], Keyboard: kb, CallbackID: p["callback_query_id"], MessageID: p["message_id"],
		Commands: p["commands"], Scope: p["scope"]}
	if id := p["chat_id"]; id != "" {
		if s.ChatID, err = strconv.ParseInt(id, 10, 64); err != nil {
			t.Errorf("%s: chat_id %q is not a number", c.Method, id)
		}
	}
	return s
}

// take returns the calls made since the last take, getUpdates excluded.
func (e *env) take() []sent {
	e.t.Helper()
	all := e.fake.Calls("")
	var out []sent
	for _, c := range all[e.seen:] {
		if c.Method != "getUpdates" {
			out = append(out, toSent(e.t, c))
		}
	}
	e.seen = len(all)
	return out
}

// expect checks that exactly want was sent since the last take, and returns what was sent.
// A difference ends the test: what follows usually presses a button of these messages.
func (e *env) expect(want ...sent) []sent {
	e.t.Helper()
	got := e.take()
	if !reflect.DeepEqual(got, want) {
		e.t.Fatalf("calls differ\n got:\n%s\nwant:\n%s", list(got), list(want))
	}
	return got
}

func list(ss []sent) string {
	if len(ss) == 0 {
		return "\t(none)"
	}
	var b strings.Builder
	for i, s := range ss {
		fmt.Fprintf(&b, "\t%d. %s\n", i+1, s)
	}
	return b.String()
}

// --- what the bot should send ----------------------------------------------------------

// label is a numbered choice's button text: "1. Android 🤖".
func label(text string, n int) string { return fmt.Sprintf("%d. %s", n, text) }

func (e *env) msg(chat int64, text string, kb [][]bottest.Button) sent {
	return sent{Method: "sendMessage", ChatID: chat, Text: text, ParseMode: "HTML", Keyboard: kb}
}

// note is a message without buttons, from the catalog.
func (e *env) note(chat int64, lang, key string) sent {
	return e.msg(chat, e.cat.Text(lang, key), nil)
}

func answer(cb, text string) sent {
	return sent{Method: "answerCallbackQuery", CallbackID: cb, Text: text}
}

// render renders a key as residents of lang see it (drafts with the Vietnamese text).
func (e *env) render(lang, key string, safety bool) string {
	return e.cat.Message(lang, key, map[string]string{"Lang": e.cat.Text(lang, flows.KeyLangName)}, safety)
}

// compose renders a whole reply (counter, text, shared lines) as residents of lang see it.
func (e *env) compose(lang string, r flows.Reply) string {
	return e.cat.Bilingual(lang, r.Keys(), r.Safety, func(l string) string { return flows.Compose(e.cat, l, r) })
}

// menu is the main menu shown with the prompt token.
func (e *env) menu(chat int64, lang string, token uint32) sent {
	var kb [][]bottest.Button
	for i, f := range e.lib.Flows() {
		kb = append(kb, []bottest.Button{{Text: label(e.cat.Label(lang, f.Title), i+1), CallbackData: flows.EncodePress(token, i)}})
	}
	return e.msg(chat, e.render(lang, flows.KeyMenu, false), kb)
}

// picker is the language picker of a first visit, worded in lang, greeting name.
func (e *env) picker(chat int64, lang, name string) sent {
	var kb [][]bottest.Button
	for i, tag := range e.cat.Languages() {
		kb = append(kb, []bottest.Button{{Text: label(e.cat.Text(tag, flows.KeyLangName), i+1), CallbackData: flows.EncodeLang(tag)}})
	}
	params := map[string]string{"Name": e.cat.Greeting(lang, name), "Lang": e.cat.Text(lang, flows.KeyLangName)}
	return e.msg(chat, e.cat.Message(lang, flows.KeyLangFirst, params, false), kb)
}

// chatCommands is the command menu the bot sets for one chat in lang.
func (e *env) chatCommands(chat int64, lang string) sent {
	var cmds []models.BotCommand
	for _, c := range []string{"start", "menu", "back", "lang", "help"} {
		cmds = append(cmds, models.BotCommand{Command: c, Description: e.cat.Plain(lang, "cmd."+c)})
	}
	raw, err := json.Marshal(cmds)
	if err != nil {
		e.t.Fatal(err)
	}
	return sent{Method: "setMyCommands", Commands: string(raw), Scope: fmt.Sprintf(`{"type":"chat","chat_id":%d}`, chat)}
}

// step is a step of a guide shown with the prompt token.
func (e *env) step(chat int64, lang, flowID, stepID string, token uint32) sent {
	e.t.Helper()
	f := e.lib.Flow(flowID)
	s := f.Step(stepID)
	if s == nil {
		e.t.Fatalf("no step %s.%s", flowID, stepID)
	}
	var kb [][]bottest.Button
	n := 0
	for _, b := range s.Buttons {
		if b.URL != "" {
			kb = append(kb, []bottest.Button{{Text: e.cat.Label(lang, b.Label), URL: b.URL}})
			continue
		}
		kb = append(kb, []bottest.Button{{Text: label(e.cat.Label(lang, b.Label), n+1), CallbackData: flows.EncodePress(token, n)}})
		n++
	}
	shown := flows.NewEngine(e.lib, e.cat).Current(flows.State{Flow: flowID, Version: f.Version, Step: stepID, Token: token})
	m := e.msg(chat, e.compose(lang, shown[0]), kb)
	if s.Image != "" {
		m.Method, m.Photo, m.Caption, m.Text = "sendPhoto", s.Image, m.Text, ""
	}
	return m
}

// --- sessions --------------------------------------------------------------------------

func (e *env) state(chat int64) flows.State {
	e.t.Helper()
	s, err := e.store.Load(context.Background(), chat)
	if err != nil {
		e.t.Fatal(err)
	}
	return s.State
}

func (e *env) session(chat int64) session.Session {
	e.t.Helper()
	s, err := e.store.Load(context.Background(), chat)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) exists(chat int64) bool {
	e.t.Helper()
	n, err := e.store.Client().Exists(context.Background(), e.store.Key(chat)).Result()
	if err != nil {
		e.t.Fatal(err)
	}
	return n == 1
}

// startMenu sends /start from chat, checks that the menu came back and returns it.
func (e *env) startMenu(chat int64) sent {
	e.t.Helper()
	e.deliver(e.start(chat))
	return e.expect(e.menu(chat, "vi", e.state(chat).Token))[0]
}

// buttonData finds the button labelled text in a message the bot really sent.
func buttonData(t *testing.T, m sent, text string) string {
	t.Helper()
	for _, row := range m.Keyboard {
		for _, b := range row {
			if b.Text == text {
				if b.CallbackData == "" {
					t.Fatalf("button %q has no callback data", text)
				}
				return b.CallbackData
			}
		}
	}
	t.Fatalf("no button %q in %s", text, m)
	return ""
}
