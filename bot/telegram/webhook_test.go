package telegram_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"hocvuso/bot/bottest"
	"hocvuso/bot/session"
	"hocvuso/bot/telegram"
)

// TestWebhookRejects: the endpoint refuses what Telegram would never send, before touching
// the runtime: no call, no session.
func TestWebhookRejects(t *testing.T) {
	eachStore(t, webhook, func(t *testing.T, e *env) {
		e.run()
		before := e.session(chatHoa) // the fixture's resident chose a language earlier
		start := e.start(chatHoa)
		const marker = "<script>leak-me</script>"
		cases := []struct {
			name   string
			method string
			secret string
			body   []byte
			want   int
		}{
			{"NoSecret", http.MethodPost, "", start, http.StatusUnauthorized},
			{"WrongSecret", http.MethodPost, "not-the-secret", start, http.StatusUnauthorized},
			{"PrefixOfSecret", http.MethodPost, secret[:len(secret)-1], start, http.StatusUnauthorized},
			{"Get", http.MethodGet, secret, nil, http.StatusMethodNotAllowed},
			{"TooLarge", http.MethodPost, secret, append([]byte(`{"update_id":1,"message":{"text":"`), bytes.Repeat([]byte("a"), 1<<20)...), http.StatusRequestEntityTooLarge},
			{"Malformed", http.MethodPost, secret, []byte(`{"update_id":734009999,"message":` + marker), http.StatusBadRequest},
		}
		for _, c := range cases {
			req, err := http.NewRequest(c.method, e.hook.URL, bytes.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.secret != "" {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", c.secret)
			}
			resp, err := e.hook.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.want)
			}
			if strings.Contains(body.String(), "leak-me") {
				t.Errorf("%s: the response echoes the request body: %q", c.name, body.String())
			}
			if c.want == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != http.MethodPost {
				t.Errorf("%s: Allow = %q, want POST", c.name, resp.Header.Get("Allow"))
			}
		}
		e.expect()
		if after := e.session(chatHoa); after.Rev != before.Rev {
			t.Errorf("a rejected request changed the session: %+v, was %+v", after, before)
		}
	})
}

// TestWebhookDuplicate: Telegram re-sends an update it got no 200 for; the copy is answered
// 200 and has no effect.
func TestWebhookDuplicate(t *testing.T) {
	eachStore(t, webhook, func(t *testing.T, e *env) {
		e.run()
		start := e.start(chatHoa)
		e.deliver(start)
		e.deliver(start)
		e.expect(e.menu(chatHoa, "vi", e.state(chatHoa).Token))

		e.deliver(e.text(chatHoa, "1"))
		e.take()
		press, cb := e.press(chatHoa, e.step(chatHoa, "vi", "vneid", "os", e.state(chatHoa).Token).Keyboard[0][0].CallbackData)
		e.deliver(press)
		st := e.state(chatHoa)
		e.expect(answer(cb, ""), e.step(chatHoa, "vi", "vneid", "get_android", st.Token))
		e.deliver(press) // the copy of a press is still answered, once
		e.expect(answer(cb, ""))
		if again := e.state(chatHoa); again.Step != st.Step || again.Token != st.Token {
			t.Errorf("the copy moved the chat: %+v, was %+v", again, st)
		}
	})
}

// TestWebhookRedisDown: while Redis is unreachable an update is answered 503, so Telegram
// delivers it again (no "try again" message: the resident would send it twice); a press gets
// a "busy" toast so the button stops spinning; once Redis is back the redelivery is applied.
func TestWebhookRedisDown(t *testing.T) {
	e := newEnv(t, embeddedStore, webhook)
	e.run()
	menu := e.startMenu(chatHoa)
	busy := e.note(chatHoa, "vi", "notice.busy")

	e.emb.Close()
	if code, _ := e.post(e.start(chatHoa), secret); code != http.StatusServiceUnavailable {
		t.Errorf("/start with Redis down: status %d, want 503", code)
	}
	e.expect()
	press, cb := e.press(chatHoa, menu.Keyboard[0][0].CallbackData)
	if code, _ := e.post(press, secret); code != http.StatusServiceUnavailable {
		t.Errorf("press with Redis down: status %d, want 503", code)
	}
	e.expect(answer(cb, busy.Text))

	if err := e.emb.Server().Restart(); err != nil {
		t.Fatal(err)
	}
	e.deliver(press) // Telegram's redelivery
	st := e.state(chatHoa)
	e.expect(answer(cb, ""), e.step(chatHoa, "vi", "vneid", "os", st.Token))
}

// TestWebhookReplies: with WithWebhookReplies a press is answered in the webhook's HTTP
// answer (Telegram runs the method it names), not by a call; when the update cannot be
// applied (503, whose body Telegram ignores) the press is answered by a call as before.
func TestWebhookReplies(t *testing.T) {
	emb, err := session.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	rdb := emb.Client()
	t.Cleanup(func() { _ = rdb.Close() })
	api := bottest.New(t)
	r := newReplica(t, rdb, "hvreply", api, telegram.WithWebhookReplies())
	const chat = 5300000999
	r.post(t, messageUpdate(t, 1, chat, "/start vneid"))
	sent := api.Calls("sendMessage")
	kb, err := sent[len(sent)-1].Keyboard()
	if err != nil || len(kb) == 0 {
		t.Fatalf("no keyboard on the guide's first step: %v", err)
	}
	press := func(id int64) []byte {
		u := fixture(t, "03-callback-press.json")
		u["update_id"] = id
		set(t, u, "callback_query.id", "cb-"+strconv.FormatInt(id, 10))
		set(t, u, "callback_query.data", kb[0][0].CallbackData)
		set(t, u, "callback_query.from.id", chat)
		set(t, u, "callback_query.message.chat.id", chat)
		raw, _ := json.Marshal(u)
		return raw
	}
	code, body := r.postStatus(t, press(2))
	var reply struct {
		Method          string `json:"method"`
		CallbackQueryID string `json:"callback_query_id"`
	}
	if err := json.Unmarshal([]byte(body), &reply); code != http.StatusOK || err != nil ||
		reply.Method != "answerCallbackQuery" || reply.CallbackQueryID != "cb-2" {
		t.Fatalf("webhook answered %d %q, want 200 with answerCallbackQuery for cb-2", code, body)
	}
	if n := len(api.Calls("answerCallbackQuery")); n != 0 {
		t.Errorf("%d answerCallbackQuery calls besides the webhook's answer", n)
	}
	if n := len(api.Calls("sendMessage")) - len(sent); n < 1 {
		t.Errorf("%d messages sent for the press, want its reply", n)
	}

	emb.Close() // Redis goes away: the update is not applied
	if code, _ := r.postStatus(t, press(3)); code != http.StatusServiceUnavailable {
		t.Fatalf("with Redis down: %d, want 503", code)
	}
	if calls := api.Calls("answerCallbackQuery"); len(calls) != 1 || calls[0].Params["callback_query_id"] != "cb-3" {
		t.Errorf("answerCallbackQuery calls %v: the press of a failed update must be answered by a call", calls)
	}
	if err := emb.Server().Restart(); err != nil { // for the clean-up
		t.Fatal(err)
	}
}
