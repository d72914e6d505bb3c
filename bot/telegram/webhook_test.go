package telegram_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
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
			resp, err := http.DefaultClient.Do(req)
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
