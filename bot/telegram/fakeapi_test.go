package telegram_test

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI is a fake Bot API server for these tests: it serves getUpdates from a queue, records
// every call with its parameters, and lets a test answer any method its own way.
// (bot/bottest is the shared fake; these tests keep to this small surface — push, calls,
// on — so that they can move onto it.)
type fakeAPI struct {
	t     testing.TB
	srv   *httptest.Server
	token string

	mu       sync.Mutex
	calls    []apiCall
	queue    []json.RawMessage // updates, in update_id order
	queueIDs []int64
	acked    int64 // highest offset a getUpdates asked for
	webhook  string
	nextMsg  int
	hooks    map[string]func(c apiCall) (status int, body string, ok bool)
	wake     chan struct{}
	waiting  int // long polls held open now
}

type apiCall struct {
	Method string
	Params map[string]string
	Header http.Header
	At     time.Time
}

func newFakeAPI(t testing.TB, token string) *fakeAPI {
	f := &fakeAPI{t: t, token: token, nextMsg: 100, hooks: map[string]func(apiCall) (int, string, bool){}, wake: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.srv.URL }

// push queues updates (raw JSON) for getUpdates.
func (f *fakeAPI) push(updates ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range updates {
		var id struct {
			ID int64 `json:"update_id"`
		}
		if err := json.Unmarshal([]byte(u), &id); err != nil {
			f.t.Fatalf("bad update JSON in test: %v", err)
		}
		f.queue = append(f.queue, json.RawMessage(u))
		f.queueIDs = append(f.queueIDs, id.ID)
	}
	close(f.wake)
	f.wake = make(chan struct{})
}

// on answers method with fn when fn returns ok; otherwise the default answer is given.
func (f *fakeAPI) on(method string, fn func(c apiCall) (status int, body string, ok bool)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks[method] = fn
}

// calls returns the recorded calls of a method ("" for all).
func (f *fakeAPI) callsOf(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// texts returns the texts sent to a chat (sendMessage text and sendPhoto caption), in order.
func (f *fakeAPI) texts(chatID int64) []string {
	var out []string
	for _, c := range f.callsOf("") {
		if (c.Method == "sendMessage" || c.Method == "sendPhoto") && c.Params["chat_id"] == fmt.Sprint(chatID) && c.Params["ok"] == "1" {
			out = append(out, c.Params["text"]+c.Params["caption"])
		}
	}
	return out
}

func (f *fakeAPI) ackedOffset() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acked
}

func (f *fakeAPI) setWebhook(url string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.webhook = url
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/bot" + f.token + "/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		writeAPI(w, 404, `{"ok":false,"error_code":404,"description":"Not Found"}`)
		return
	}
	c := apiCall{Method: strings.TrimPrefix(r.URL.Path, prefix), Params: readParams(r), Header: r.Header.Clone(), At: time.Now()}
	f.mu.Lock()
	hook := f.hooks[c.Method]
	f.mu.Unlock()
	if hook != nil {
		if status, body, ok := hook(c); ok {
			f.record(c)
			writeAPI(w, status, body)
			return
		}
	}
	status, body := f.answer(r, &c)
	f.record(c)
	writeAPI(w, status, body)
}

func (f *fakeAPI) record(c apiCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fakeAPI) answer(r *http.Request, c *apiCall) (int, string) {
	switch c.Method {
	case "getMe":
		return 200, `{"ok":true,"result":{"id":7000000001,"is_bot":true,"first_name":"Học vụ số","username":"hocvuso_bot"}}`
	case "getUpdates":
		return f.getUpdates(r, c)
	case "deleteWebhook":
		f.setWebhook("")
		return 200, `{"ok":true,"result":true}`
	case "setWebhook":
		f.setWebhook(c.Params["url"])
		return 200, `{"ok":true,"result":true}`
	case "sendMessage", "sendPhoto":
		f.mu.Lock()
		f.nextMsg++
		id := f.nextMsg
		f.mu.Unlock()
		c.Params["ok"] = "1"
		return 200, fmt.Sprintf(`{"ok":true,"result":{"message_id":%d,"date":1764720000,"chat":{"id":%s,"type":"private"}}}`, id, c.Params["chat_id"])
	case "editMessageReplyMarkup", "editMessageText":
		return 200, fmt.Sprintf(`{"ok":true,"result":{"message_id":%s,"date":1764720000,"chat":{"id":%s,"type":"private"}}}`, orZero(c.Params["message_id"]), c.Params["chat_id"])
	}
	return 200, `{"ok":true,"result":true}`
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func (f *fakeAPI) getUpdates(r *http.Request, c *apiCall) (int, string) {
	var req struct {
		Offset  int64 `json:"offset"`
		Limit   int   `json:"limit"`
		Timeout int   `json:"timeout"`
	}
	_ = json.Unmarshal([]byte(c.Params["_json"]), &req)
	deadline := time.After(time.Duration(req.Timeout) * time.Second)
	for {
		f.mu.Lock()
		if f.webhook != "" {
			f.mu.Unlock()
			return 409, `{"ok":false,"error_code":409,"description":"Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}`
		}
		f.acked = max(f.acked, req.Offset)
		var out []json.RawMessage
		for i, id := range f.queueIDs {
			if id >= req.Offset && (req.Limit == 0 || len(out) < req.Limit) {
				out = append(out, f.queue[i])
			}
		}
		wake := f.wake
		f.mu.Unlock()
		if len(out) > 0 || req.Timeout == 0 {
			b, _ := json.Marshal(out)
			if out == nil {
				b = []byte("[]")
			}
			return 200, `{"ok":true,"result":` + string(b) + `}`
		}
		f.mu.Lock()
		f.waiting++
		f.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			f.doneWaiting()
			return 200, `{"ok":true,"result":[]}`
		case <-r.Context().Done():
			f.doneWaiting()
			return 200, `{"ok":true,"result":[]}`
		}
		f.doneWaiting()
	}
}

func (f *fakeAPI) doneWaiting() {
	f.mu.Lock()
	f.waiting--
	f.mu.Unlock()
}

// readParams reads a JSON body (our getUpdates) or a multipart form (go-telegram/bot).
func readParams(r *http.Request) map[string]string {
	out := map[string]string{}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			out[p.FormName()] = string(b)
		}
		return out
	}
	b, _ := io.ReadAll(r.Body)
	out["_json"] = string(b)
	return out
}

func writeAPI(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
