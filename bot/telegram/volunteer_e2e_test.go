package telegram_test

// End-to-end tests of the volunteer features (bot/volunteer) through the real client and
// transport against the fake Bot API: register, share (QR card decoded back to the link),
// a neighbour comes through the link and finishes the guide, /mystats, inline cards, and a
// help request relayed both ways.

import (
	"bytes"
	"encoding/json"
	"image/png"
	"log/slog"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"hocvuso/bot"
	"hocvuso/bot/bottest"
	"hocvuso/bot/volunteer"
)

const (
	volGroup int64 = -1001000000001 // the volunteers' group
	chatMinh int64 = 5900000099     // a second volunteer
)

// volunteerEnv is an env whose runtime has the volunteer addon, on the env's own keys.
func volunteerEnv(t *testing.T, sk storeKind, tk transportKind) (*env, *volunteer.Service) {
	t.Helper()
	var svc *volunteer.Service
	e := newEnv(t, sk, tk, func(e *env) bot.Option {
		prefix := strings.TrimSuffix(e.store.Key(0), ":s:{0}")
		svc = volunteer.New(e.store.Client(), volunteer.Config{HelpChatID: volGroup},
			volunteer.WithPrefix(prefix), volunteer.WithLogger(slog.New(slog.DiscardHandler)))
		return bot.WithAddon(svc)
	})
	svc.SetBotUsername(e.tr.Username())
	e.run()
	return e, svc
}

func eachVolunteerMode(t *testing.T, fn func(t *testing.T, e *env, svc *volunteer.Service)) {
	for _, sk := range storeKinds() {
		for _, tk := range []transportKind{polling, webhook} {
			t.Run(string(sk)+"/"+string(tk), func(t *testing.T) {
				t.Parallel()
				e, svc := volunteerEnv(t, sk, tk)
				fn(t, e, svc)
			})
		}
	}
}

// --- updates ---------------------------------------------------------------------------

func (e *env) raw(u map[string]any) []byte {
	e.t.Helper()
	u["update_id"] = e.next
	e.next++
	b, err := json.Marshal(u)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func person(id int64, name string) map[string]any {
	return map[string]any{"id": id, "is_bot": false, "first_name": name, "language_code": "vi"}
}

// say is a private message; a leading "/word" is marked as a command, as Telegram does.
func (e *env) say(chat int64, name, text string) []byte {
	m := map[string]any{
		"message_id": e.next, "date": 1764720000, "text": text,
		"from": person(chat, name), "chat": map[string]any{"id": chat, "type": "private", "first_name": name},
	}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		m["entities"] = []map[string]any{{"offset": 0, "length": len([]rune(cmd)), "type": "bot_command"}}
	}
	return e.raw(map[string]any{"message": m})
}

// tap is a press of a button with data, by user, on message msgID of chat (a group or private).
func (e *env) tap(chat, user int64, name, data string, msgID int64) ([]byte, string) {
	cb := "cb-" + strconv.FormatInt(e.next, 10)
	typ := "private"
	if chat < 0 {
		typ = "supergroup"
	}
	return e.raw(map[string]any{"callback_query": map[string]any{
		"id": cb, "from": person(user, name), "chat_instance": "1", "data": data,
		"message": map[string]any{"message_id": msgID, "date": 1764720005, "chat": map[string]any{"id": chat, "type": typ}, "text": "…"},
	}}), cb
}

// --- checks ----------------------------------------------------------------------------

func (e *env) vi(key string, params map[string]string) string { return e.cat.Render("vi", key, params) }

// only returns the calls of one method and chat since the last take.
func only(ss []sent, method string, chat int64) []sent {
	var out []sent
	for _, s := range ss {
		if s.Method == method && (chat == 0 || s.ChatID == chat) {
			out = append(out, s)
		}
	}
	return out
}

// dataWith returns the callback data of the first button whose data starts with prefix.
func dataWith(t *testing.T, m sent, prefix string) string {
	t.Helper()
	for _, row := range m.Keyboard {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, prefix) {
				return b.CallbackData
			}
		}
	}
	t.Fatalf("no button with data %q… in %s", prefix, m)
	return ""
}

// decodeQR reads the QR card the bot uploaded, as a phone camera would.
func decodeQR(t *testing.T, data []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("uploaded photo is not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("QR card does not decode: %v", err)
	}
	return res.GetText()
}

// register walks a volunteer through /volunteer, the code of conduct and the commune.
func (e *env) register(chat int64, name, commune string) {
	e.t.Helper()
	e.deliver(e.say(chat, name, "/volunteer"))
	coc := e.take()
	if len(coc) != 1 || coc[0].Text != e.vi("volunteer.coc", nil) {
		e.t.Fatalf("/volunteer sent %s", list(coc))
	}
	raw, _ := e.tap(chat, chat, name, dataWith(e.t, coc[0], "v:coc"), 1)
	e.deliver(raw)
	if got := e.take(); len(only(got, "sendMessage", chat)) != 1 || only(got, "sendMessage", chat)[0].Text != e.vi("volunteer.ask_commune", nil) &&
		only(got, "sendMessage", chat)[0].Text != e.vi("volunteer.ask_commune_pick", nil) {
		e.t.Fatalf("after accepting: %s", list(got))
	}
	e.deliver(e.say(chat, name, commune))
	welcome := e.vi("volunteer.welcome", map[string]string{"Name": name, "Commune": commune, "Bot": bottest.Username})
	if got := e.take(); len(got) != 1 || got[0].Text != welcome {
		e.t.Fatalf("welcome: %s", list(got))
	}
}

func (e *env) mystats(chat int64, name string) string {
	e.t.Helper()
	e.deliver(e.say(chat, name, "/mystats"))
	got := e.take()
	if len(got) != 1 {
		e.t.Fatalf("/mystats sent %s", list(got))
	}
	return got[0].Text
}

// TestVolunteerSharesAndSeesWhoItHelped is the first scenario: a volunteer
// registers, shares a guide, a neighbour opens the deep link and walks the guide, and the
// volunteer's /mystats goes from 0/0 to 1/1.
func TestVolunteerSharesAndSeesWhoItHelped(t *testing.T) {
	eachVolunteerMode(t, func(t *testing.T, e *env, svc *volunteer.Service) {
		e.register(chatHoang, "Hoàng", "Xã Hòa An")
		title := e.cat.Text("vi", "vneid.title")
		line := func(s, f string) string {
			return e.vi("volunteer.mystats_line", map[string]string{"Title": title, "Started": s, "Finished": f})
		}
		if got := e.mystats(chatHoang, "Hoàng"); !strings.Contains(got, line("0", "0")) {
			t.Fatalf("/mystats before: %q, want %q", got, line("0", "0"))
		}

		// /share → pick the guide → QR card, forwardable card, hint.
		e.deliver(e.say(chatHoang, "Hoàng", "/share"))
		pick := e.take()
		raw, cb := e.tap(chatHoang, chatHoang, "Hoàng", dataWith(t, pick[0], "v:sh:vneid"), 2)
		e.deliver(raw)
		got := e.take()
		photos := e.fake.Calls("sendPhoto")
		if len(got) != 4 || !reflect.DeepEqual(got[0], answer(cb, "")) || got[1].Method != "sendPhoto" || got[1].Photo != "file:vneid-qr.png" {
			t.Fatalf("share sent %s", list(got))
		}
		link := decodeQR(t, photos[len(photos)-1].Files["photo"])
		u, err := url.Parse(link)
		if err != nil || u.Host != "t.me" || u.Path != "/"+bottest.Username {
			t.Fatalf("QR link %q is not a t.me link to the bot", link)
		}
		payload := u.Query().Get("start")
		v, err := svc.Get(t.Context(), chatHoang)
		if err != nil || payload != "vneid-"+v.Ref {
			t.Fatalf("payload %q, want vneid-<ref of the volunteer> (%+v, %v)", payload, v, err)
		}
		if !strings.Contains(got[1].Caption, link) {
			t.Errorf("QR caption lacks the link: %q", got[1].Caption)
		}
		card := got[2]
		if card.Keyboard[0][0].URL != link || card.Text != e.vi("volunteer.card", map[string]string{"Title": "VNeID – định danh điện tử 🪪"}) {
			t.Fatalf("forwardable card %s", card)
		}

		// The neighbour opens the link and walks the guide by pressing what the bot sent.
		e.deliver(e.say(chatHoa, "Hoa", "/start "+payload))
		st := e.state(chatHoa)
		if st.Flow != "vneid" || st.Ref != v.Ref {
			t.Fatalf("neighbour's state %+v", st)
		}
		last := e.take()
		f := e.lib.Flow("vneid")
		path := pathToEnd(t, f)
		for i := 0; i+1 < len(path); i++ {
			_, key := choiceTo(t, f.Step(path[i]), path[i+1])
			n, _ := choiceTo(t, f.Step(path[i]), path[i+1])
			data := buttonData(t, last[len(last)-1], label(e.cat.Text("vi", key), n))
			raw, _ := e.tap(chatHoa, chatHoa, "Hoa", data, 3)
			e.deliver(raw)
			last = e.take()
		}
		if got := e.state(chatHoa).Step; got != path[len(path)-1] {
			t.Fatalf("neighbour at %q, want the end %q", got, path[len(path)-1])
		}
		if got := e.mystats(chatHoang, "Hoàng"); !strings.Contains(got, line("1", "1")) {
			t.Fatalf("/mystats after: %q, want %q", got, line("1", "1"))
		}
	})
}

// TestInlineCards: "@bot dinh danh" from a volunteer returns guide cards whose Start button
// carries their referral link; from anyone else, the plain link. Answers are personal and
// cached briefly.
func TestInlineCards(t *testing.T) {
	eachVolunteerMode(t, func(t *testing.T, e *env, svc *volunteer.Service) {
		e.register(chatHoang, "Hoàng", "Xã Hòa An")
		v, err := svc.Get(t.Context(), chatHoang)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			from int64
			want string
		}{
			{chatHoang, "https://t.me/" + bottest.Username + "?start=vneid-" + v.Ref},
			{chatHoa, "https://t.me/" + bottest.Username + "?start=vneid"},
		} {
			e.deliver(e.raw(map[string]any{"inline_query": map[string]any{
				"id": "iq-1", "from": person(tc.from, "X"), "query": "dinh danh", "offset": "", "chat_type": "group",
			}}))
			got := e.take()
			if len(got) != 1 || got[0].Method != "answerInlineQuery" {
				t.Fatalf("inline query answered by %s", list(got))
			}
			call := e.fake.Calls("answerInlineQuery")
			p := call[len(call)-1].Params
			if p["cache_time"] != "30" || p["is_personal"] != "true" || p["inline_query_id"] != "iq-1" {
				t.Errorf("answer params %v", p)
			}
			var results []struct {
				Type    string `json:"type"`
				ID      string `json:"id"`
				Title   string `json:"title"`
				Content struct {
					Text      string `json:"message_text"`
					ParseMode string `json:"parse_mode"`
				} `json:"input_message_content"`
				Markup struct {
					Rows [][]bottest.Button `json:"inline_keyboard"`
				} `json:"reply_markup"`
			}
			if err := json.Unmarshal([]byte(p["results"]), &results); err != nil {
				t.Fatalf("results %s: %v", p["results"], err)
			}
			if len(results) == 0 || results[0].Type != "article" || results[0].ID != "vneid" || results[0].Title != "VNeID – định danh điện tử 🪪" {
				t.Fatalf("results %+v", results)
			}
			r := results[0]
			if r.Content.ParseMode != "HTML" || !strings.Contains(r.Content.Text, "VNeID") {
				t.Errorf("card text %+v", r.Content)
			}
			if len(r.Markup.Rows) != 1 || r.Markup.Rows[0][0].URL != tc.want || r.Markup.Rows[0][0].Text != e.cat.Text("vi", "volunteer.btn.start") {
				t.Errorf("card button %+v, want the link %s", r.Markup.Rows, tc.want)
			}
		}
	})
}

// TestHelpRelay is the help scenario: a help request is posted to the group, taken by
// one volunteer (a second press is answered "already taken"), relayed both ways, and closed,
// with the resident back at the same step. With -v it logs the transcript.
func TestHelpRelay(t *testing.T) {
	eachVolunteerMode(t, func(t *testing.T, e *env, svc *volunteer.Service) {
		e.register(chatHoang, "Hoàng", "Xã Hòa An")
		e.register(chatMinh, "Minh", "Xã Hòa An")
		transcript := &strings.Builder{}
		logCalls := func(who string, ss []sent) {
			transcript.WriteString("> " + who + "\n")
			for _, s := range ss {
				transcript.WriteString("  " + s.String() + "\n")
			}
		}

		// The resident opens the guide and goes one step in.
		e.openGuide(chatHoa)
		e.deliver(e.text(chatHoa, "1"))
		step := e.state(chatHoa).Step
		got := e.take()
		ask := dataWith(t, got[len(got)-1], "h:ask")
		raw, cb := e.tap(chatHoa, chatHoa, "Hoa", ask, 4)
		e.deliver(raw)
		got = e.take()
		logCalls("resident taps 🙋 Ask a volunteer (on step "+step+")", got)
		cards := only(got, "sendMessage", volGroup)
		if !reflect.DeepEqual(got[0], answer(cb, "")) || len(cards) != 1 || len(only(got, "sendMessage", chatHoa)) != 1 {
			t.Fatalf("asking sent %s", list(got))
		}
		for _, want := range []string{"VNeID", "(" + step + ")", "Tiếng Việt", "chưa rõ"} {
			if !strings.Contains(cards[0].Text, want) {
				t.Errorf("help card lacks %q: %s", want, cards[0])
			}
		}
		if strings.Contains(cards[0].Text, "Hoa") || strings.Contains(cards[0].Text, "5123400017") {
			t.Errorf("help card tells who the resident is: %s", cards[0])
		}
		take := dataWith(t, cards[0], "h:take:")

		// Hoàng presses "I'll help" first, Minh second.
		raw, cbH := e.tap(volGroup, chatHoang, "Hoàng", take, 900)
		e.deliver(raw)
		got = e.take()
		logCalls("Hoàng taps 🤝 I'll help in the group", got)
		if len(got) != 4 || !reflect.DeepEqual(got[0], answer(cbH, e.cat.Text("vi", "volunteer.help.take_ok"))) ||
			got[1].Method != "editMessageText" || got[1].ChatID != volGroup || got[1].MessageID != "900" || len(got[1].Keyboard) != 0 {
			t.Fatalf("taking sent %s", list(got))
		}
		brief := only(got, "sendMessage", chatHoang)
		connected := only(got, "sendMessage", chatHoa)
		if len(brief) != 1 || !strings.Contains(brief[0].Text, "("+step+")") {
			t.Fatalf("Hoàng's briefing: %s", list(got))
		}
		if len(connected) != 1 || connected[0].Text != e.vi("volunteer.help.connected", map[string]string{"Name": "Hoàng"}) {
			t.Fatalf("resident not told who helps: %s", list(got))
		}
		raw, cbM := e.tap(volGroup, chatMinh, "Minh", take, 900)
		e.deliver(raw)
		got = e.take()
		logCalls("Minh taps 🤝 I'll help in the group", got)
		if len(got) != 1 || !reflect.DeepEqual(got[0], answer(cbM, e.cat.Text("vi", "volunteer.help.take_taken"))) {
			t.Fatalf("second press sent %s", list(got))
		}

		// Relayed both ways.
		e.deliver(e.say(chatHoa, "Hoa", "Tôi không thấy nút Kích hoạt"))
		got = e.take()
		logCalls("resident types: Tôi không thấy nút Kích hoạt", got)
		if len(got) != 1 || got[0].ChatID != chatHoang || got[0].Text != e.vi("volunteer.help.from_resident", map[string]string{"Text": "Tôi không thấy nút Kích hoạt"}) {
			t.Fatalf("resident → volunteer: %s", list(got))
		}
		e.deliver(e.say(chatHoang, "Hoàng", "Bác kéo xuống cuối màn hình nhé"))
		got = e.take()
		logCalls("Hoàng types: Bác kéo xuống cuối màn hình nhé", got)
		if len(got) != 1 || got[0].ChatID != chatHoa || got[0].Text != e.vi("volunteer.help.from_volunteer", map[string]string{"Name": "Hoàng", "Text": "Bác kéo xuống cuối màn hình nhé"}) {
			t.Fatalf("volunteer → resident: %s", list(got))
		}
		e.deliver(e.say(chatHoa, "Hoa", "OTP 123456"))
		got = e.take()
		logCalls("resident types: OTP 123456", got)
		if len(got) != 1 || got[0].ChatID != chatHoa || got[0].Text != e.vi("volunteer.help.held_back", nil) {
			t.Fatalf("an OTP went somewhere: %s", list(got))
		}

		// Hoàng ends it; the resident is back on the same step.
		raw, cbE := e.tap(chatHoang, chatHoang, "Hoàng", dataWith(t, brief[0], "h:end:"), 901)
		e.deliver(raw)
		got = e.take()
		logCalls("Hoàng taps 🔚 End conversation", got)
		toRes := only(got, "sendMessage", chatHoa)
		if !reflect.DeepEqual(got[0], answer(cbE, "")) || len(only(got, "sendMessage", chatHoang)) != 1 || len(toRes) != 2 ||
			toRes[0].Text != e.vi("volunteer.help.ended", nil) || toRes[1].Text != e.step(chatHoa, "vi", "vneid", step, 0).Text {
			t.Fatalf("ending sent %s", list(got))
		}
		if st := e.state(chatHoa); st.Step != step {
			t.Fatalf("resident at %q after the conversation, want %q", st.Step, step)
		}
		// The resident's next tap goes to the guide again.
		n, key := choiceTo(t, e.lib.Flow("vneid").Step(step), e.lib.Flow("vneid").Step(step).Choices()[0].Goto)
		raw, _ = e.tap(chatHoa, chatHoa, "Hoa", buttonData(t, toRes[1], label(e.cat.Text("vi", key), n)), 902)
		e.deliver(raw)
		e.take()
		if st := e.state(chatHoa); st.Step == step {
			t.Fatal("the guide did not go on after the conversation")
		}
		t.Logf("help relay transcript:\n%s", transcript)
	})
}
