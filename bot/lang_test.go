package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
	"hocvuso/bot/session"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

// newStore returns a session store on TEST_REDIS_URL (CI) or an embedded server, with a key
// prefix of its own; its keys are deleted when the test ends.
func newStore(t *testing.T) *session.Store {
	t.Helper()
	var rdb redis.UniversalClient
	if url := os.Getenv("TEST_REDIS_URL"); url != "" {
		c, err := session.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		rdb = c
	} else {
		emb, err := session.StartEmbedded()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(emb.Close)
		rdb = emb.Client()
	}
	prefix := fmt.Sprintf("test:lang:%s:%d", t.Name(), time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+":*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		_ = rdb.Close()
	})
	return session.New(rdb, session.WithPrefix(prefix))
}

func newRuntime(t *testing.T) (*bot.Runtime, *i18n.Catalog, *session.Store) {
	t.Helper()
	cat, err := i18n.LoadDefault(i18n.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := flows.LoadDir(library.FS, ".", cat)
	if err != nil {
		t.Fatal(err)
	}
	st := newStore(t)
	return bot.New(flows.NewEngine(lib, cat), cat, st, bot.WithLogger(slog.New(slog.DiscardHandler))), cat, st
}

func send(t *testing.T, rt *bot.Runtime, ev bot.Event) bot.Outcome {
	t.Helper()
	out, err := rt.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("Handle(%+v): %v", ev, err)
	}
	for _, m := range out.Messages {
		if m.Text == "" {
			t.Errorf("empty message in reply to %+v", ev)
		}
		if err := i18n.CheckHTML(m.Text); err != nil {
			t.Errorf("message is not Telegram HTML (%v): %q", err, m.Text)
		}
	}
	return out
}

func TestFirstStartGreetsSafelyAndOffersLanguages(t *testing.T) {
	rt, cat, _ := newRuntime(t)
	const chat = 1001
	hostile := "<b>Tí & Tèo</b>"
	out := send(t, rt, bot.Event{ChatID: chat, Kind: bot.EventCommand, Command: "start", LangCode: "en-US", Name: hostile})
	if len(out.Messages) != 1 {
		t.Fatalf("first /start sent %d messages, want the picker only", len(out.Messages))
	}
	m := out.Messages[0]
	if !strings.Contains(m.Text, "Hello &lt;b&gt;Tí &amp; Tèo&lt;/b&gt;!") {
		t.Errorf("greeting does not escape the name: %q", m.Text)
	}
	var labels []string
	for _, b := range m.Buttons {
		labels = append(labels, b.Text)
	}
	if got, want := strings.Join(labels, "|"), "Tiếng Việt|Tày|Nùng|Hmoob|Iu Mienh (Dao)|English"; got != want {
		t.Errorf("picker = %s, want %s", got, want)
	}
	if out.Lang != "en" || out.LangChanged {
		t.Errorf("language %q (changed %v): Telegram's en-US pre-selects English, nothing saved", out.Lang, out.LangChanged)
	}

	out = send(t, rt, bot.Event{ChatID: chat, Kind: bot.EventPress, Arg: m.Buttons[1].Data, Name: hostile})
	if out.Lang != "tyz-Latn-VN" || !out.LangChanged {
		t.Fatalf("after pressing Tày: lang %q, changed %v", out.Lang, out.LangChanged)
	}
	if len(out.Messages) != 2 || !strings.HasPrefix(out.Messages[0].Text, "Đổi pền <b>Tày</b> dá.") {
		t.Fatalf("after choosing: %+v", out.Messages)
	}
	if !strings.Contains(out.Messages[0].Text, "🇻🇳 Đã đổi sang <b>Tày</b>.") {
		t.Errorf("draft without its Vietnamese text: %q", out.Messages[0].Text)
	}

	out = send(t, rt, bot.Event{ChatID: chat, Kind: bot.EventCommand, Command: "start", LangCode: "en-US"})
	if len(out.Messages) != 1 || !strings.HasPrefix(out.Messages[0].Text, cat.Render("tyz-Latn-VN", "menu.text", nil)) {
		t.Errorf("second /start: %+v, want the Tày menu", out.Messages)
	}
	if out.LangChanged {
		t.Error("second /start reports a language change")
	}
}

// saveState puts a chat on a step directly, as if the resident had walked there.
func saveState(t *testing.T, st *session.Store, chat int64, state flows.State) {
	t.Helper()
	_, err := st.Update(context.Background(), chat, func(s *session.Session) (bool, error) {
		s.State = state
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDraftStepsRenderBilingual(t *testing.T) {
	rt, cat, st := newRuntime(t)
	const chat = 1002
	saveState(t, st, chat, flows.State{Lang: "nut-Latn-VN", Flow: "vneid", Version: 1, Step: "wifi", Token: 5})
	out := send(t, rt, bot.Event{ChatID: chat, Kind: bot.EventPress, Arg: flows.EncodePress(5, 0)})
	m := out.Messages[len(out.Messages)-1]
	draft, vi := cat.Text("nut-Latn-VN", "vneid.install"), cat.Text("vi", "vneid.install")
	before, after, quoted := strings.Cut(m.Text, "<blockquote expandable>🇻🇳 ")
	if !quoted || !strings.Contains(before, draft) || strings.Contains(before, vi) || !strings.Contains(after, vi) {
		t.Errorf("draft step =\n%s\nwant the Nùng draft first, then the Vietnamese in a quote", m.Text)
	}
	if got, want := m.Buttons[0].Text, "Đắc dá · Được rồi ✅"; got != want {
		t.Errorf("draft button = %q, want %q", got, want)
	}
}

func TestSafetyStepShowsVietnameseFirstForDraftLanguages(t *testing.T) {
	rt, cat, st := newRuntime(t)
	for i, lang := range []string{"tyz-Latn-VN", "nut-Latn-VN", "mww-Latn-VN", "ium-Latn-VN"} {
		chat := int64(2000 + i)
		saveState(t, st, chat, flows.State{Lang: lang, Flow: "vneid", Version: 1, Step: "act_open", Token: 9})
		out := send(t, rt, bot.Event{ChatID: chat, Kind: bot.EventPress, Arg: flows.EncodePress(9, 0)})
		m := out.Messages[len(out.Messages)-1]
		vi, draft := cat.Text("vi", "vneid.act_otp"), cat.Text(lang, "vneid.act_otp")
		before, after, quoted := strings.Cut(m.Text, "<blockquote expandable>")
		if !quoted || !strings.Contains(before, vi) || strings.Contains(before, draft) || !strings.HasSuffix(after, draft+"</blockquote>") {
			t.Errorf("%s: OTP step =\n%s\nwant Vietnamese first, the draft collapsed after", lang, m.Text)
		}
	}
}

func TestSourceLanguagesRenderAlone(t *testing.T) {
	rt, cat, st := newRuntime(t)
	for i, lang := range []string{"vi", "en"} {
		chat := int64(3000 + i)
		saveState(t, st, chat, flows.State{Lang: lang, Flow: "vneid", Version: 1, Step: "act_open", Token: 9})
		out := send(t, rt, bot.Event{ChatID: chat, Kind: bot.EventPress, Arg: flows.EncodePress(9, 0)})
		// The step counter, then the text: no quote, no second language.
		got := out.Messages[len(out.Messages)-1].Text
		if !strings.HasSuffix(got, "\n"+cat.Text(lang, "vneid.act_otp")) || strings.Contains(got, "blockquote") || strings.Count(got, "\n") != strings.Count(cat.Text(lang, "vneid.act_otp"), "\n")+1 {
			t.Errorf("%s: %q, want the counter and %q alone", lang, got, cat.Text(lang, "vneid.act_otp"))
		}
	}
}
