package bot

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot/session"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

const rtChat = 1001

var rtNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// rtHarness is a runtime on the real guides and catalogs, with an embedded Redis of its own.
type rtHarness struct {
	rt    *Runtime
	cat   *i18n.Catalog
	store *session.Store
	emb   *session.Embedded
	rdb   redis.UniversalClient
	eng   *flows.Engine
}

// stepText is the text a step is shown with (its counter above, shared lines below).
func (h *rtHarness) stepText(lang, flow, step string) string {
	f := h.eng.Library().Flow(flow)
	return flows.Compose(h.cat, lang, h.eng.Current(flows.State{Flow: flow, Version: f.Version, Step: step})[0])
}

func mustRuntimeHarness(t *testing.T, opts ...session.Option) *rtHarness {
	t.Helper()
	cat, err := i18n.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := flows.LoadDir(library.FS, ".", cat)
	if err != nil {
		t.Fatal(err)
	}
	emb, err := session.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	rdb := emb.Client()
	t.Cleanup(func() { _ = rdb.Close(); emb.Close() })
	store := session.New(rdb, opts...)
	eng := flows.NewEngine(lib, cat)
	rt := New(eng, cat, store,
		WithClock(func() time.Time { return rtNow }), WithLogger(slog.New(slog.DiscardHandler)))
	return &rtHarness{rt: rt, cat: cat, store: store, emb: emb, rdb: rdb, eng: eng}
}

func (h *rtHarness) handle(t *testing.T, ev Event) Outcome {
	t.Helper()
	if ev.ChatID == 0 {
		ev.ChatID = rtChat
	}
	out, err := h.rt.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("Handle(%+v): %v", ev, err)
	}
	return out
}

func (h *rtHarness) load(t *testing.T) session.Session {
	t.Helper()
	sess, err := h.store.Load(context.Background(), rtChat)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

// texts returns the texts of the messages of an outcome.
func texts(out Outcome) []string {
	var ts []string
	for _, m := range out.Messages {
		ts = append(ts, m.Text)
	}
	return ts
}

func TestRuntimeSavesState(t *testing.T) {
	h := mustRuntimeHarness(t)
	// A resident who chose Vietnamese before: a first visit asks for the language (lang_test.go).
	if _, err := h.store.Save(context.Background(), rtChat, session.Session{State: flows.State{Lang: "vi"}}); err != nil {
		t.Fatal(err)
	}
	out := h.handle(t, Event{UpdateID: 10, Kind: EventCommand, Command: "start", Arg: "vneid-ABC", LangCode: "vi-VN", Name: "An"})
	if out.Duplicate || out.Lang != "vi" || out.Notice != "" {
		t.Fatalf("outcome %+v", out)
	}
	want := []Message{{Text: h.stepText("vi", "vneid", "os"), Buttons: []Button{
		{Text: h.cat.Text("vi", "vneid.btn.android"), Number: 1, Data: flows.EncodePress(1, 0)},
		{Text: h.cat.Text("vi", "vneid.btn.iphone"), Number: 2, Data: flows.EncodePress(1, 1)},
	}}}
	if !reflect.DeepEqual(out.Messages, want) {
		t.Fatalf("messages:\n got  %+v\n want %+v", out.Messages, want)
	}
	sess := h.load(t)
	wantSess := session.Session{Rev: 2, State: flows.State{Flow: "vneid", Version: h.eng.Library().Flow("vneid").Version, Step: "os", Lang: "vi", Ref: "ABC", Token: 1},
		Seen: []int64{10}, At: rtNow.Unix()}
	if !reflect.DeepEqual(sess, wantSess) {
		t.Fatalf("stored %+v, want %+v", sess, wantSess)
	}

	out = h.handle(t, Event{UpdateID: 11, Kind: EventPress, Arg: flows.EncodePress(1, 1), LangCode: "vi-VN"})
	if got := texts(out); len(got) != 1 || got[0] != h.stepText("vi", "vneid", "get_iphone") {
		t.Fatalf("after pressing iPhone: %q", got)
	}
	if links := out.Messages[0].Buttons[0]; links.URL == "" || links.Number != 0 || links.Data != "" {
		t.Fatalf("the store link: %+v", links)
	}
	sess = h.load(t)
	if sess.Rev != 3 || sess.State.Step != "get_iphone" || !reflect.DeepEqual(sess.Seen, []int64{10, 11}) {
		t.Fatalf("stored %+v", sess)
	}
}

func TestRuntimeDuplicate(t *testing.T) {
	h := mustRuntimeHarness(t)
	start := Event{UpdateID: 10, Kind: EventCommand, Command: "start", Arg: "vneid"}
	h.handle(t, start)
	before := h.load(t)
	for _, ev := range []Event{start, {UpdateID: 10, Kind: EventPress, Arg: flows.EncodePress(1, 0)}, {UpdateID: 10, Kind: EventText, Arg: "2"}} {
		out := h.handle(t, ev)
		if !out.Duplicate || len(out.Messages) != 0 || out.Notice != "" {
			t.Fatalf("re-delivered update %+v: outcome %+v, want a duplicate with nothing to send", ev, out)
		}
		if after := h.load(t); !reflect.DeepEqual(after, before) {
			t.Fatalf("a duplicate changed the session: %+v → %+v", before, after)
		}
	}
	// Transports without update ids (the terminal chat) are never de-duplicated.
	for i := range 2 {
		if out := h.handle(t, Event{Kind: EventText, Arg: "xin chào"}); out.Duplicate {
			t.Fatalf("event %d without an update id was taken for a duplicate", i)
		}
	}
	if got := h.load(t).Rev; got != before.Rev+2 {
		t.Fatalf("rev %d, want %d", got, before.Rev+2)
	}
}

func TestRuntimeLanguage(t *testing.T) {
	tcs := []struct {
		name     string
		saved    string // State.Lang stored before the event
		code     string // the client's language_code
		wantLang string
	}{
		{"client en-US", "", "en-US", "en"},
		{"client vi-VN", "", "vi-VN", "vi"},
		{"no client language", "", "", "vi"},
		{"client language unknown", "", "hmn", "vi"},
		{"saved beats client", "vi", "en-US", "vi"},
		{"saved en, no client language", "en", "", "en"},
		{"saved but no longer supported", "fr", "en", "en"},
	}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			h := mustRuntimeHarness(t)
			ctx := context.Background()
			if tc.saved != "" {
				if _, err := h.store.Save(ctx, rtChat, session.Session{State: flows.State{Lang: tc.saved}}); err != nil {
					t.Fatal(err)
				}
			}
			out := h.handle(t, Event{Kind: EventCommand, Command: "menu", LangCode: tc.code})
			if out.Lang != tc.wantLang {
				t.Fatalf("Lang = %q, want %q", out.Lang, tc.wantLang)
			}
			if got, want := texts(out), []string{h.cat.Text(tc.wantLang, flows.KeyMenu)}; !reflect.DeepEqual(got, want) {
				t.Fatalf("texts %q, want %q", got, want)
			}
			if b := out.Messages[0].Buttons[0]; b.Text != h.cat.Text(tc.wantLang, "vneid.title") {
				t.Fatalf("menu button %q", b.Text)
			}
			if got := h.load(t).State.Lang; got != tc.saved {
				t.Fatalf("stored language %q, want %q: the client's language is not a choice", got, tc.saved)
			}
		})
	}

	t.Run("choosing saves the language", func(t *testing.T) {
		h := mustRuntimeHarness(t)
		out := h.handle(t, Event{Kind: EventCommand, Command: "lang", LangCode: "vi"})
		want := []Button{
			{Text: "Tiếng Việt", Number: 1, Data: flows.EncodeLang("vi")},
			{Text: "Tày", Number: 2, Data: flows.EncodeLang("tyz-Latn-VN")},
			{Text: "Nùng", Number: 3, Data: flows.EncodeLang("nut-Latn-VN")},
			{Text: "Hmoob", Number: 4, Data: flows.EncodeLang("mww-Latn-VN")},
			{Text: "Iu Mienh (Dao)", Number: 5, Data: flows.EncodeLang("ium-Latn-VN")},
			{Text: "English", Number: 6, Data: flows.EncodeLang("en")},
		}
		if !reflect.DeepEqual(out.Messages[0].Buttons, want) {
			t.Fatalf("picker buttons %+v, want each language in its own words", out.Messages[0].Buttons)
		}
		out = h.handle(t, Event{Kind: EventPress, Arg: flows.EncodeLang("en"), LangCode: "vi"})
		if out.Lang != "en" || out.Messages[0].Text != "Switched to <b>English</b>." {
			t.Fatalf("after choosing English: %+v", out)
		}
		if got := h.load(t).State.Lang; got != "en" {
			t.Fatalf("stored language %q", got)
		}
		if out := h.handle(t, Event{Kind: EventCommand, Command: "help", LangCode: "vi-VN"}); out.Lang != "en" {
			t.Fatalf("the saved choice must beat the client's language: %q", out.Lang)
		}
	})

	t.Run("typed labels in the client's language", func(t *testing.T) {
		h := mustRuntimeHarness(t)
		h.handle(t, Event{Kind: EventCommand, Command: "start", Arg: "vneid", LangCode: "en-US"})
		h.handle(t, Event{Kind: EventText, Arg: "android", LangCode: "en-US"})
		h.handle(t, Event{Kind: EventText, Arg: "next", LangCode: "en-US"})
		if got := h.load(t).State.Step; got != "real_app" {
			t.Fatalf("typed English labels led to %q, want real_app", got)
		}
	})
}

func TestRuntimeInputs(t *testing.T) {
	tcs := []struct {
		name string
		ev   Event
		keys []string // message keys of the texts, in vi, or "flow/step" for a step
	}{
		{"unknown command is text", Event{Kind: EventCommand, Command: "foo"}, []string{flows.KeyMenuHint, flows.KeyMenu}},
		{"help", Event{Kind: EventCommand, Command: "help"}, []string{flows.KeyHelp, flows.KeyMenu}},
		{"sticker", Event{Kind: EventMedia, Arg: "sticker"}, []string{flows.KeyUnknownMedia, flows.KeyMenu}},
		{"edited", Event{Kind: EventEdited, Arg: "ignored"}, []string{flows.KeyEdited, flows.KeyMenu}},
		{"keyword", Event{Kind: EventText, Arg: "Định danh"}, []string{"vneid/os"}},
	}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			h := mustRuntimeHarness(t)
			out := h.handle(t, tc.ev)
			var want []string
			for _, k := range tc.keys {
				if flow, step, ok := strings.Cut(k, "/"); ok {
					want = append(want, h.stepText("vi", flow, step))
					continue
				}
				want = append(want, h.cat.Text("vi", k))
			}
			if got := texts(out); !reflect.DeepEqual(got, want) {
				t.Fatalf("texts %q, want %q", got, want)
			}
		})
	}
}

// TestRuntimeStaleButton: a button of an old message gives a short notice (a transport shows
// it as the callback answer) and the current step again.
func TestRuntimeStaleButton(t *testing.T) {
	h := mustRuntimeHarness(t)
	h.handle(t, Event{Kind: EventCommand, Command: "start", Arg: "vneid"})
	first := h.load(t).State.Token
	h.handle(t, Event{Kind: EventPress, Arg: flows.EncodePress(first, 0)})
	out := h.handle(t, Event{Kind: EventPress, Arg: flows.EncodePress(first, 1)})
	if out.Notice != h.cat.Text("vi", flows.KeyStale) {
		t.Fatalf("notice %q", out.Notice)
	}
	if got := texts(out); len(got) != 1 || got[0] != h.stepText("vi", "vneid", "get_android") {
		t.Fatalf("texts %q, want the current step only", got)
	}
}

// TestRuntimeNewSessionIgnoresOldButtons: after /forget, a button left in the chat from the
// forgotten session must not act on the new one, even at the same step count.
func TestRuntimeNewSessionIgnoresOldButtons(t *testing.T) {
	h := mustRuntimeHarness(t)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	h.rt.now = func() time.Time { return now }
	h.handle(t, Event{Kind: EventCommand, Command: "start", Arg: "vneid"})
	old := h.load(t).State
	oldButton := flows.EncodePress(old.Token, 0)
	if err := h.rt.Forget(context.Background(), rtChat); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	h.handle(t, Event{Kind: EventCommand, Command: "start", Arg: "vneid"})
	fresh := h.load(t).State
	if fresh.Token == old.Token {
		t.Fatalf("the new session reuses token %d", fresh.Token)
	}
	out := h.handle(t, Event{Kind: EventPress, Arg: oldButton})
	if out.Notice != h.cat.Text("vi", flows.KeyStale) {
		t.Fatalf("old button: notice %q, want the stale notice", out.Notice)
	}
	if got := h.load(t).State.Step; got != fresh.Step {
		t.Fatalf("old button moved the new session to %q", got)
	}
}

// TestRuntimeFlowChanged plays case C03 from the raw Redis value: the stored session names a
// flow this version does not have.
func TestRuntimeFlowChanged(t *testing.T) {
	h := mustRuntimeHarness(t)
	ctx := context.Background()
	raw := `3|{"st":{"f":"eid_install","v":3,"s":"download_v1","t":9,"l":"vi"}}`
	if err := h.rdb.Set(ctx, h.store.Key(rtChat), raw, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	out := h.handle(t, Event{UpdateID: 5, Kind: EventText, Arg: "Tiếp"})
	want := []string{h.cat.Text("vi", flows.KeyFlowUpdated), h.cat.Text("vi", flows.KeyMenu)}
	if got := texts(out); !reflect.DeepEqual(got, want) {
		t.Fatalf("texts %q, want %q", got, want)
	}
	sess := h.load(t)
	if sess.Rev != 4 || sess.State.Flow != "" || sess.State.Lang != "vi" || sess.State.Token != 10 {
		t.Fatalf("stored %+v", sess)
	}
}

// TestRuntimeExpiredSession: after the TTL, a button of the old conversation is stale and the
// resident is back at the menu (C20).
func TestRuntimeExpiredSession(t *testing.T) {
	h := mustRuntimeHarness(t, session.WithTTL(30*time.Minute))
	h.handle(t, Event{Kind: EventCommand, Command: "start", Arg: "vneid"})
	h.handle(t, Event{Kind: EventPress, Arg: flows.EncodePress(1, 0)})
	h.emb.Server().FastForward(31 * time.Minute)
	out := h.handle(t, Event{Kind: EventPress, Arg: flows.EncodePress(2, 0)})
	if out.Notice != "" {
		t.Fatalf("notice %q, want none: the expiry is said in the chat", out.Notice)
	}
	if got := texts(out); len(got) != 2 || got[0] != h.cat.Text("vi", KeyExpired) || got[1] != h.cat.Text("vi", flows.KeyMenu) {
		t.Fatalf("texts %q, want the expiry notice and the menu", got)
	}
	if sess := h.load(t); sess.Rev != 1 || sess.State.Flow != "" {
		t.Fatalf("stored %+v, want a new session", sess)
	}
}

func TestRuntimeForget(t *testing.T) {
	h := mustRuntimeHarness(t)
	ctx := context.Background()
	h.handle(t, Event{UpdateID: 1, Kind: EventCommand, Command: "start", Arg: "vneid-REF"})
	if err := h.rt.Forget(ctx, rtChat); err != nil {
		t.Fatal(err)
	}
	if n, err := h.rdb.Exists(ctx, h.store.Key(rtChat)).Result(); err != nil || n != 0 {
		t.Fatalf("the session key is still there: %d, %v", n, err)
	}
	// Nothing is remembered, not even the update ids.
	if out := h.handle(t, Event{UpdateID: 1, Kind: EventCommand, Command: "menu"}); out.Duplicate {
		t.Fatal("a forgotten chat still remembers its update ids")
	}
	if sess := h.load(t); sess.Rev != 1 || sess.State.Ref != "" {
		t.Fatalf("stored %+v, want a fresh session", sess)
	}
}

// The "keep my data" answer to /forget is applied like any press: once (a re-delivered
// update is a duplicate), and saved (the session's revision moves on).
func TestRuntimeForgetKeptIsAppliedOnce(t *testing.T) {
	h := mustRuntimeHarness(t)
	h.handle(t, Event{UpdateID: 1, Kind: EventCommand, Command: "start", Arg: "vneid"})
	h.handle(t, Event{UpdateID: 2, Kind: EventCommand, Command: "forget"})
	before := h.load(t)
	keep := Event{UpdateID: 3, Kind: EventPress, Arg: forgetPrefix + "n:" + strconv.FormatUint(uint64(before.State.Token), 36)}
	out := h.handle(t, keep)
	if got := texts(out); len(got) != 1 || got[0] != h.cat.Text("vi", KeyForgetKept) {
		t.Fatalf("keep answered %q", got)
	}
	if after := h.load(t); after.Rev != before.Rev+1 || after.State.Step != before.State.Step {
		t.Fatalf("after keep: rev %d step %q, want rev %d and the same step", after.Rev, after.State.Step, before.Rev+1)
	}
	if again := h.handle(t, keep); !again.Duplicate || len(again.Messages) != 0 {
		t.Fatalf("the re-delivered keep: %+v", again)
	}
}

// TestRuntimeNotApplied: when the event cannot be applied, Handle says so and stores nothing.
func TestRuntimeNotApplied(t *testing.T) {
	h := mustRuntimeHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ev := Event{ChatID: rtChat, UpdateID: 3, Kind: EventCommand, Command: "start", Arg: "vneid"}
	if _, err := h.rt.Handle(ctx, ev); !errors.Is(err, context.Canceled) {
		t.Fatalf("Handle with a cancelled context: %v", err)
	}
	if n, _ := h.rdb.Exists(context.Background(), h.store.Key(rtChat)).Result(); n != 0 {
		t.Fatal("a failed event stored a session")
	}
	// The same update, re-delivered once things work again, is applied (not a duplicate).
	if out := h.handle(t, ev); out.Duplicate || len(out.Messages) != 1 {
		t.Fatalf("re-delivery after a failure: %+v", out)
	}
}

func TestRuntimeBusy(t *testing.T) {
	h := mustRuntimeHarness(t)
	for code, lang := range map[string]string{"en-US": "en", "": "vi", "vi": "vi"} {
		want := h.cat.Text(lang, "notice.busy")
		if want == "" {
			t.Fatalf("notice.busy is missing in %s", lang)
		}
		if got := h.rt.Busy(Event{LangCode: code}); got.Text != want || len(got.Buttons) != 0 {
			t.Errorf("Busy(%q) = %+v, want %q", code, got, want)
		}
	}
}

func TestEventKindString(t *testing.T) {
	for k, want := range map[EventKind]string{EventCommand: "command", EventText: "text", EventPress: "press",
		EventMedia: "media", EventEdited: "edited", 0: "kind(0)", 200: "kind(200)"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", k, got, want)
		}
	}
}
