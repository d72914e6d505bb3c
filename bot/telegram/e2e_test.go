package telegram_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"hocvuso/bot"
	"hocvuso/bot/bottest"
	"hocvuso/flows"
)

// pathToEnd returns the shortest walk of step ids from the flow's start to an end step.
func pathToEnd(t *testing.T, f *flows.Flow) []string {
	t.Helper()
	prev := map[string]string{f.Start: ""}
	queue := []string{f.Start}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if f.Step(id).Kind == flows.KindEnd {
			var path []string
			for ; id != ""; id = prev[id] {
				path = append([]string{id}, path...)
			}
			return path
		}
		for _, b := range f.Step(id).Choices() {
			if _, seen := prev[b.Goto]; !seen && b.Goto != flows.MenuTarget {
				prev[b.Goto] = id
				queue = append(queue, b.Goto)
			}
		}
	}
	t.Fatalf("flow %s has no path to an end step", f.ID)
	return nil
}

// choiceTo returns the number and label key of the first choice of step that leads to next.
func choiceTo(t *testing.T, s *flows.Step, next string) (int, string) {
	t.Helper()
	for i, b := range s.Choices() {
		if b.Goto == next {
			return i + 1, b.Label
		}
	}
	t.Fatalf("step %s has no choice to %s", s.ID, next)
	return 0, ""
}

// openGuide sends /start and types "1" (the VNeID guide) for chat; the chat is then at the
// guide's first step.
func (e *env) openGuide(chat int64) flows.State {
	e.t.Helper()
	e.deliver(e.start(chat))
	e.deliver(e.text(chat, "1"))
	e.take()
	st := e.state(chat)
	if st.Flow != "vneid" || st.Step != e.lib.Flow("vneid").Start {
		e.t.Fatalf("after /start and 1: state %+v, want the VNeID guide's start", st)
	}
	return st
}

// TestWalkGuide walks /start → menu → the VNeID guide to its end step by pressing the buttons
// the bot really sent, then back to the menu.
func TestWalkGuide(t *testing.T) {
	eachMode(t, func(t *testing.T, e *env) {
		e.deliver(e.start(chatHoa))
		st := e.state(chatHoa)
		last := e.expect(e.menu(chatHoa, "vi", st.Token))[0]
		// Spot check against the catalog's wording and the callback data format.
		if got, want := last.Keyboard[0][0], (bottest.Button{Text: "1. VNeID – định danh điện tử 🪪", CallbackData: "1.0"}); got != want {
			t.Errorf("menu button = %+v, want %+v", got, want)
		}

		f := e.lib.Flow("vneid")
		idx := -1
		for i, g := range e.lib.Flows() {
			if g.ID == f.ID {
				idx = i
			}
		}
		raw, cb := e.press(chatHoa, buttonData(t, last, label(e.cat.Text("vi", f.Title), idx+1)))
		e.deliver(raw)
		st = e.state(chatHoa)
		last = e.expect(answer(cb, ""), e.step(chatHoa, "vi", f.ID, f.Start, st.Token))[1]

		path := pathToEnd(t, f)
		for i := 1; i < len(path); i++ {
			n, key := choiceTo(t, f.Step(path[i-1]), path[i])
			raw, cb := e.press(chatHoa, buttonData(t, last, label(e.cat.Text("vi", key), n)))
			e.deliver(raw)
			st = e.state(chatHoa)
			if st.Step != path[i] {
				t.Fatalf("pressed %q on %s: now at %q, want %q", key, path[i-1], st.Step, path[i])
			}
			last = e.expect(answer(cb, ""), e.step(chatHoa, "vi", f.ID, path[i], st.Token))[1]
		}

		end := f.Step(path[len(path)-1])
		if end.Kind != flows.KindEnd || !strings.Contains(last.Text, "Xong rồi!") {
			t.Errorf("walk ended on %s (%s): %q", end.ID, end.Kind, last.Text)
		}
		raw, cb = e.press(chatHoa, buttonData(t, last, fmt.Sprintf("%d. 🏠 Menu chính", len(end.Choices()))))
		e.deliver(raw)
		st = e.state(chatHoa)
		e.expect(answer(cb, ""), e.menu(chatHoa, "vi", st.Token))
		if st.Flow != "" {
			t.Errorf("after the end step's menu button: state %+v, want the menu", st)
		}
	})
}

// TestMediaAndEdits: a sticker, a voice note, a photo with a caption and an edited message
// each get a short reply and the current step again; the state does not move.
func TestMediaAndEdits(t *testing.T) {
	cases := []struct {
		fixture string
		key     string
	}{
		{"04-sticker.json", flows.KeyUnknownMedia},
		{"05-voice.json", flows.KeyUnknownMedia},
		{"12-photo-with-caption.json", flows.KeyUnknownMedia},
		{"06-edited-message.json", flows.KeyEdited},
	}
	eachMode(t, func(t *testing.T, e *env) {
		before := e.openGuide(chatHoa)
		for _, c := range cases {
			e.deliver(e.update(c.fixture, nil))
			e.expect(e.note(chatHoa, "vi", c.key), e.step(chatHoa, "vi", "vneid", before.Step, before.Token))
			if after := e.state(chatHoa); !reflect.DeepEqual(after, before) {
				t.Errorf("%s changed the state: %+v, was %+v", c.fixture, after, before)
			}
		}
	})
}

// TestStaleButton: a button of an earlier message is answered with the "earlier step" notice
// and the current step is sent again; nothing moves.
func TestStaleButton(t *testing.T) {
	eachMode(t, func(t *testing.T, e *env) {
		menu := e.startMenu(chatHoa)
		raw, cb := e.press(chatHoa, buttonData(t, menu, label(e.cat.Text("vi", "vneid.title"), 1)))
		e.deliver(raw)
		first := e.expect(answer(cb, ""), e.step(chatHoa, "vi", "vneid", "os", e.state(chatHoa).Token))[1]
		raw, cb = e.press(chatHoa, buttonData(t, first, label(e.cat.Text("vi", "vneid.btn.android"), 1)))
		e.deliver(raw)
		now := e.state(chatHoa)
		e.expect(answer(cb, ""), e.step(chatHoa, "vi", "vneid", "get_android", now.Token))

		for _, old := range []sent{first, menu} {
			data := old.Keyboard[len(old.Keyboard)-1][0].CallbackData // iPhone, then the menu's guide
			raw, cb := e.press(chatHoa, data)
			e.deliver(raw)
			e.expect(answer(cb, e.cat.Text("vi", flows.KeyStale)), e.step(chatHoa, "vi", "vneid", "get_android", now.Token))
			if st := e.state(chatHoa); !reflect.DeepEqual(st, now) {
				t.Errorf("stale press %s moved the chat: %+v, was %+v", data, st, now)
			}
		}
		if got := e.cat.Text("vi", flows.KeyStale); !strings.HasPrefix(got, "Nút này của bước trước") {
			t.Errorf("stale notice = %q", got)
		}
	})
}

// TestDoubleTap: two presses of the same button (two updates) move the chat once; the second
// is answered with a quiet toast, and nothing is sent again.
func TestDoubleTap(t *testing.T) {
	eachMode(t, func(t *testing.T, e *env) {
		data := e.startMenu(chatHoa).Keyboard[0][0].CallbackData
		raw1, cb1 := e.press(chatHoa, data)
		raw2, cb2 := e.press(chatHoa, data)
		e.deliver(raw1)
		e.deliver(raw2)
		st := e.state(chatHoa)
		step := e.step(chatHoa, "vi", "vneid", "os", st.Token)
		e.expect(answer(cb1, ""), step, answer(cb2, e.cat.Text("vi", bot.KeyDoubleTap)))
		if st.Step != "os" || len(st.Back) != 0 {
			t.Errorf("state %+v, want os entered once", st)
		}
	})
}

// TestLanguage: a first /start offers the languages, worded in the language the client
// pre-selects (Vietnamese without a language_code, English for en-US); a choice is saved, is
// answered in that language and gives the chat a command menu in it.
func TestLanguage(t *testing.T) {
	const nung = "nut-Latn-VN"
	eachMode(t, func(t *testing.T, e *env) {
		// A first visit without a language_code: the picker, worded in Vietnamese, each
		// language in its own name.
		e.deliver(e.update("11-no-language-code.json", nil))
		picker := e.expect(e.picker(chatLy, "vi", "Lý"))[0]

		// Choosing Nùng: the answer and the menu in Nùng (drafts carry the Vietnamese text),
		// and a command menu in Nùng for this chat (setMyCommands takes no code for Nùng).
		raw, cb := e.press(chatLy, buttonData(t, picker, "3. Nùng"))
		e.deliver(raw)
		st := e.state(chatLy)
		if st.Lang != nung {
			t.Fatalf("chose Nùng, stored %+v", st)
		}
		got := e.expect(answer(cb, ""), e.msg(chatLy, e.render(nung, flows.KeyLangChanged, false), nil),
			e.menu(chatLy, nung, st.Token), e.chatCommands(chatLy, nung))
		if !strings.Contains(got[1].Text, "<blockquote expandable>🇻🇳 Đã đổi sang <b>Nùng</b>.</blockquote>") {
			t.Errorf("a draft without its Vietnamese text: %q", got[1].Text)
		}

		// A later /start goes to the menu, in Nùng; the command menu is not set again.
		e.deliver(e.update("11-no-language-code.json", nil))
		e.expect(e.menu(chatLy, nung, e.state(chatLy).Token))

		// An English client's first visit: the picker in English, the name escaped.
		const newcomer = 5123400099
		e.deliver(e.update("01-start-private-vi.json", map[string]any{"message.chat.id": newcomer, "message.from.id": newcomer,
			"message.from.language_code": "en-US", "message.from.first_name": "<Tom & Jerry>"}))
		got = e.expect(e.picker(newcomer, "en", "<Tom & Jerry>"))
		if !strings.HasPrefix(got[0].Text, "Hello &lt;Tom &amp; Jerry&gt;! 👋") {
			t.Errorf("greeting %q", got[0].Text)
		}
	})
}

// TestTypedDiacritics: the guide's keyword typed at the menu opens it, whatever the Unicode
// form the keyboard produced.
func TestTypedDiacritics(t *testing.T) {
	fromFile, _ := fixture(t, "10-text-nfd-diacritics.json")["message"].(map[string]any)["text"].(string)
	nfc := norm.NFC.String(fromFile)
	nfd := norm.NFD.String(nfc)
	if nfc == fromFile || nfd == nfc || !norm.NFD.IsNormalString(nfd) {
		t.Fatalf("fixture 10 should be decomposed: %+q", fromFile)
	}
	variants := []struct{ name, text string }{
		{"fixture", fromFile},
		{"NFC", nfc},
		{"NFD", nfd},
		{"unordered", "\u0111i\u0323nh danh \u0111ie\u0302\u0323n t\u01b0\u0309"}, // marks out of canonical order, ư precomposed
		{"no marks", "Dinh Danh Dien Tu"},
	}
	eachMode(t, func(t *testing.T, e *env) {
		for _, v := range variants {
			name, text := v.name, v.text
			e.deliver(e.start(chatHoa))
			e.take()
			e.deliver(e.update("10-text-nfd-diacritics.json", map[string]any{"message.text": text}))
			st := e.state(chatHoa)
			if st.Flow != "vneid" {
				t.Errorf("%s %+q: state %+v, want the VNeID guide", name, text, st)
			}
			e.expect(e.step(chatHoa, "vi", "vneid", "os", st.Token))
		}
	})
}

// TestDeepLink: /start vneid-v7QH2k opens the guide directly and keeps the referral code.
func TestDeepLink(t *testing.T) {
	eachMode(t, func(t *testing.T, e *env) {
		e.deliver(e.update("02-start-deeplink-ref.json", nil))
		st := e.state(chatHoang)
		e.expect(e.step(chatHoang, "vi", "vneid", "os", st.Token))
		if st.Flow != "vneid" || st.Step != "os" || st.Ref != "v7QH2k" {
			t.Errorf("state %+v, want vneid/os with ref v7QH2k", st)
		}
	})
}

// TestGroup: /start@hocvuso_bot in a group gets the "chat privately" note with a link to the
// bot, and no session; a command for another bot gets nothing.
func TestGroup(t *testing.T) {
	eachMode(t, func(t *testing.T, e *env) {
		e.deliver(e.update("08-group-message.json", nil))
		e.expect(e.msg(chatGroup, e.cat.Text("vi", "group.private_only"),
			[][]bottest.Button{{{Text: e.cat.Text("vi", "btn.open_chat"), URL: "https://t.me/hocvuso_bot"}}}))
		if e.exists(chatGroup) {
			t.Error("a group got a session")
		}
		e.deliver(e.update("08-group-message.json", map[string]any{"message.text": "/start@other_bot"}))
		e.expect()
	})
}

// TestBlocked: my_chat_member "kicked" deletes the chat's session and sends nothing.
func TestBlocked(t *testing.T) {
	eachMode(t, func(t *testing.T, e *env) {
		e.openGuide(chatHoa)
		if !e.exists(chatHoa) {
			t.Fatal("no session after /start")
		}
		e.deliver(e.update("07-blocked-by-user.json", nil))
		e.expect()
		if e.exists(chatHoa) {
			t.Error("the session of a chat that blocked the bot is still there")
		}
	})
}

// TestBlockedOnSend: a 403 on sendMessage ends the session quietly.
func TestBlockedOnSend(t *testing.T) {
	eachMode(t, func(t *testing.T, e *env) {
		e.fake.Fail("sendMessage", 403, "Forbidden: bot was blocked by the user", 0)
		e.deliver(e.start(chatHoa))
		e.expect(e.menu(chatHoa, "vi", 1))
		if e.exists(chatHoa) {
			t.Error("the session of a chat that blocked the bot is still there")
		}
	})
}

// TestQueryTooOld: a failed answerCallbackQuery does not stop the step.
func TestQueryTooOld(t *testing.T) {
	eachMode(t, func(t *testing.T, e *env) {
		data := e.startMenu(chatHoa).Keyboard[0][0].CallbackData
		e.fake.Fail("answerCallbackQuery", 400, "Bad Request: query is too old and response timeout expired or query ID is invalid", 0)
		raw, cb := e.press(chatHoa, data)
		e.deliver(raw)
		st := e.state(chatHoa)
		e.expect(answer(cb, ""), e.step(chatHoa, "vi", "vneid", "os", st.Token))
	})
}

// TestInlineQuery: without volunteer features an inline query gets an empty answer (Telegram
// waits for one), and nothing else breaks. With them: TestInlineCards.
func TestInlineQuery(t *testing.T) {
	eachMode(t, func(t *testing.T, e *env) {
		e.deliver(e.update("09-inline-query.json", nil))
		if got := e.fake.Calls("answerInlineQuery"); len(got) != 1 || got[0].Params["results"] != "[]" {
			t.Fatalf("inline query answered %+v, want one empty answer", got)
		}
		e.take()
		e.deliver(e.start(chatHoa))
		e.expect(e.menu(chatHoa, "vi", e.state(chatHoa).Token))
	})
}
