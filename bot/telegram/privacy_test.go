package telegram_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"hocvuso/bot"
	"hocvuso/bot/bottest"
	"hocvuso/bot/telegram"
	"hocvuso/flows"
)

// pathTo returns the choice numbers (1-based) that lead from a flow's start to step.
func pathTo(t *testing.T, flowID, step string) []int {
	_, lib := content(t)
	f := lib.Flow(flowID)
	type node struct {
		id   string
		path []int
	}
	seen := map[string]bool{f.Start: true}
	queue := []node{{id: f.Start}}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n.id == step {
			return n.path
		}
		for i, b := range f.Step(n.id).Choices() {
			if b.Goto != flows.MenuTarget && !seen[b.Goto] {
				seen[b.Goto] = true
				queue = append(queue, node{b.Goto, append(append([]int(nil), n.path...), i+1)})
			}
		}
	}
	t.Fatalf("no path to %s.%s", flowID, step)
	return nil
}

// What residents type never reaches the logs (at debug level) nor Redis: a whole guide is
// walked with personal words typed between the answers.
func TestTypedTextIsNeverLoggedNorStored(t *testing.T) {
	const chat = 1001
	h := newHarness(t, harnessOpts{})
	h.chose(chat)
	personal := []string{"Nông Thị Hoa", "xóm Nà Lẹng", "0912345678", "mật khẩu là hoa1975", "Bản Phiệt", "con trâu vàng"}
	id := int64(1)
	send := func(u string) {
		if err := h.handle(u); err != nil {
			t.Fatal(err)
		}
		id++
	}
	send(commandUpdate(id, chat, "/start vneid"))
	for i, n := range pathTo(t, "vneid", "done") {
		send(textUpdate(id, chat, personal[i%len(personal)]))
		send(textUpdate(id, chat, strconv.Itoa(n)))
	}
	send(textUpdate(id, chat, "123456")) // an OTP: warned about, not kept
	if st := h.state(chat); st.Step != "done" {
		t.Fatalf("step %q, want done: the guide was walked to its end", st.Step)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "level=DEBUG") {
		t.Fatal("no debug logs captured: the test would prove nothing")
	}
	stored := redisDump(t, h)
	for _, w := range append(personal, "123456") {
		if strings.Contains(logs, w) {
			t.Errorf("typed text %q appears in the logs", w)
		}
		if strings.Contains(stored, w) {
			t.Errorf("typed text %q is stored in Redis", w)
		}
	}
}

// redisDump returns every value stored under the test's keys.
func redisDump(t *testing.T, h *harness) string {
	ctx := context.Background()
	var b strings.Builder
	iter := h.rdb.Scan(ctx, 0, h.store.Prefix()+":*", 1000).Iterator()
	for iter.Next(ctx) {
		v, _ := h.rdb.Dump(ctx, iter.Val()).Result()
		s, _ := h.rdb.Get(ctx, iter.Val()).Result()
		b.WriteString(iter.Val() + "=" + s + v + "\n")
	}
	return b.String()
}

// The bot token never appears in logs or errors, whatever fails: a Bot API answering with
// pages that quote the URL, a failing getUpdates, an unreachable server.
func TestTokenNeverLeaks(t *testing.T) {
	const marker = "TEST-hocvuso-fake-token"
	if !strings.Contains(testToken, marker) {
		t.Fatal("the test token must contain the marker")
	}
	h := newHarness(t, harnessOpts{})
	echo := func(c apiCall) *bottest.Failure {
		return &bottest.Failure{Code: 502, Raw: "<html>502 Bad Gateway for /bot" + testToken + "/" + c.Method + "</html>"}
	}
	for _, m := range []string{"sendMessage", "answerCallbackQuery", "editMessageReplyMarkup", "getUpdates", "setWebhook", "deleteWebhook"} {
		h.api.on(m, echo)
	}
	var errs []error
	errs = append(errs, h.tr.Deliver(context.Background(), 1001, "vi", "test", []bot.Message{{Text: "x"}}))
	errs = append(errs, h.handle(pressUpdate(1, 1001, 5, "x", "x")))
	errs = append(errs, h.tr.SetWebhook(context.Background(), "https://example.org/hook"))
	pollCtx, cancel := context.WithCancel(context.Background())
	go func() {
		waitFor(t, "a failed deleteWebhook", func() bool { return strings.Contains(h.logs.String(), "deleteWebhook failed") })
		cancel()
	}()
	errs = append(errs, h.tr.Poll(pollCtx))
	pollCtx, cancel = context.WithCancel(context.Background())
	h.api.on("deleteWebhook", nil)
	go func() {
		waitFor(t, "a failed getUpdates", func() bool { return strings.Contains(h.logs.String(), "getUpdates failed") })
		cancel()
	}()
	errs = append(errs, h.tr.Poll(pollCtx))

	// An unreachable Bot API: the client's own errors carry the URL.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	_, err := telegram.New(context.Background(), h.rt, testToken, telegram.WithAPIURL(dead), telegram.WithLogger(newTextLogger(h.logs)))
	errs = append(errs, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/getMe") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"b","username":"b"}}`))
			return
		}
		if strings.HasSuffix(r.URL.Path, "/deleteWebhook") {
			// Let polling start, so that the getUpdates calls are the ones that drop.
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"ok":true,"result":true}`))
			return
		}
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close() // the connection drops mid-call
	}))
	defer srv.Close()
	tr, err := telegram.New(context.Background(), h.rt, testToken, telegram.WithAPIURL(srv.URL), telegram.WithLogger(newTextLogger(h.logs)), telegram.WithClock(time.Now, instantSleep))
	if err != nil {
		t.Fatal(err)
	}
	errs = append(errs, tr.Deliver(context.Background(), 1001, "vi", "test", []bot.Message{{Text: "x"}}))
	ctx2, cancel2 := context.WithCancel(context.Background())
	before := strings.Count(h.logs.String(), "getUpdates failed")
	go func() {
		defer cancel2() // even if the wait fails: Poll must return
		waitFor(t, "a dropped getUpdates", func() bool { return strings.Count(h.logs.String(), "getUpdates failed") > before })
		cancel2()
	}()
	errs = append(errs, tr.Poll(ctx2))

	joined := errors.Join(errs...)
	if joined == nil || !strings.Contains(h.logs.String(), "***") {
		t.Fatal("nothing failed: the test would prove nothing")
	}
	if strings.Contains(joined.Error(), marker) {
		t.Errorf("the token appears in an error: %v", joined)
	}
	if strings.Contains(h.logs.String(), marker) {
		t.Errorf("the token appears in the logs:\n%s", h.logs.String())
	}
}

// getMe's error says what to fix: a refused token, or a Bot API that cannot be reached (and
// neither shows the token, nor a password in TELEGRAM_API_URL).
func TestGetMeErrorsSayWhatToFix(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"ok":false,"error_code":401,"description":"Unauthorized"}`))
	}))
	defer refuse.Close()
	_, err := telegram.New(context.Background(), h.rt, testToken, telegram.WithAPIURL(refuse.URL))
	if err == nil || !strings.Contains(err.Error(), "refused the bot token") || strings.Contains(err.Error(), testToken) {
		t.Errorf("401 from getMe: %v", err)
	}
	dead := strings.Replace(refuse.URL, "http://", "http://ops:hunter2@", 1)
	refuse.Close()
	_, err = telegram.New(context.Background(), h.rt, testToken, telegram.WithAPIURL(dead))
	if err == nil || !strings.Contains(err.Error(), "error reaching the Bot API") || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), testToken) {
		t.Errorf("unreachable Bot API: %v", err)
	}
}
