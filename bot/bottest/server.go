// Package bottest is a fake Telegram Bot API server for end-to-end tests: point the real
// go-telegram/bot client (and our own getUpdates loop) at URL() and the server records every
// call, answers the methods hocvuso uses, serves getUpdates from a queue the test pushes to,
// and fails a method on demand.
//
//	srv := bottest.New(t)
//	tr, _ := telegram.New(ctx, rt, bottest.Token, telegram.WithAPIURL(srv.URL()))
//	srv.Push(update)                        // delivered by the next getUpdates
//	calls := srv.WaitCalls(t, "sendMessage", 1)
//	calls[0].Params["text"]
//
// go-telegram/bot has no exported test server (its serverMock in bot_test.go is unexported);
// this one follows it and courier's handlertest: routes /bot<token>/<method>, records bodies,
// and fails the test when an injected failure was never used.
package bottest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The bot the server pretends to be.
const (
	Token     = "7000000001:TEST-hocvuso-fake-token"
	BotID     = 7000000001
	Username  = "hocvuso_bot"
	FirstName = "Học vụ số"
)

// WaitTimeout bounds WaitCalls and WaitConfirmed: a test that waits longer has failed.
const WaitTimeout = 10 * time.Second

// Call is one Bot API request as the server received it. Params holds every field of the
// body (multipart form, JSON or URL-encoded) and of the query string, as text: numbers as
// their digits, objects and arrays as their JSON, an uploaded file as "file:<name>".
type Call struct {
	Method string
	Params map[string]string
	Header http.Header       // the request's headers (to tell two clients apart)
	Failed bool              // the call got an error answer (injected by Fail or a Hook)
	Files  map[string][]byte // uploaded files by field ("photo"), e.g. a QR card to decode
}

// Failure is an error answer a Hook gives instead of the normal result: a Bot API error
// (Code, Description, RetryAfter, MigrateToChatID), or, when Raw is set, a body that is not
// the Bot API's JSON at all (a proxy's error page) with HTTP status Code.
type Failure struct {
	Code            int
	Description     string
	RetryAfter      int
	MigrateToChatID int64
	Raw             string
}

// Hook decides call by call whether a method fails: it returns nil for the normal answer.
type Hook func(c Call) *Failure

// Server is a fake Bot API server. Its methods are safe for concurrent use.
type Server struct {
	tb     testing.TB
	http   *httptest.Server
	closed chan struct{}
	once   sync.Once

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever anything below changes
	calls   []Call
	fails   map[string][]apiError
	hooks   map[string]Hook
	webhook string   // the URL setWebhook registered; getUpdates is refused while it is set
	polling int      // getUpdates calls held open now
	queue   []queued // pushed updates not yet confirmed, by update_id
	offset  int64    // the highest offset a getUpdates call asked for
	lastMsg int64    // message_id of the last message "sent"
}

// New starts a server that is closed when the test ends.
func New(tb testing.TB) *Server {
	s := &Server{tb: tb, closed: make(chan struct{}), changed: make(chan struct{}), fails: map[string][]apiError{}, hooks: map[string]Hook{}}
	s.http = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

// URL is the server's address, for telegram.WithAPIURL or bot.WithServerURL.
func (s *Server) URL() string { return s.http.URL }

// Close releases held getUpdates calls, stops the server and reports injected failures that
// no call used. It is safe to call more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closed)
		s.http.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for method, fails := range s.fails {
			if len(fails) > 0 {
				s.tb.Errorf("bottest: %d injected %s failure(s) never used", len(fails), method)
			}
		}
	})
}

// Fail makes the next call of method fail with an error answer, as Telegram gives them:
// for example Fail("sendMessage", 403, "Forbidden: bot was blocked by the user", 0), or a 429
// with retryAfter seconds. Several calls queue several failures, used in order.
func (s *Server) Fail(method string, code int, description string, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails[method] = append(s.fails[method], apiError{Code: code, Description: description, RetryAfter: retryAfter})
}

// Hook makes fn decide every later call of method (nil removes the hook). Injected Fail
// answers go first.
func (s *Server) Hook(method string, fn Hook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[method] = fn
}

// SetWebhookURL registers a webhook as setWebhook would: getUpdates then answers 409 until
// deleteWebhook is called.
func (s *Server) SetWebhookURL(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = url
}

// Offset returns the highest offset a getUpdates call asked for: every update below it is
// confirmed.
func (s *Server) Offset() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset
}

// Polling returns how many getUpdates calls the server holds open now (long polls).
func (s *Server) Polling() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polling
}

// Calls returns the calls of method received so far, in order; every call when method is "".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsLocked(method)
}

func (s *Server) callsLocked(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitCalls waits until at least n calls of method ("" for any) were received and returns
// them all. It fails the test after WaitTimeout.
func (s *Server) WaitCalls(tb testing.TB, method string, n int) []Call {
	tb.Helper()
	var out []Call
	if !s.waitFor(func() bool { out = s.callsLocked(method); return len(out) >= n }) {
		tb.Fatalf("bottest: waited %s for %d %q call(s), got %d: %v", WaitTimeout, n, method, len(out), out)
	}
	return out
}

// Reset forgets the recorded calls and unused injected failures. Queued updates stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.fails = map[string][]apiError{}
	s.notifyLocked()
}

// waitFor waits until cond, called with s.mu held, is true; false after WaitTimeout.
func (s *Server) waitFor(cond func() bool) bool {
	timeout := time.NewTimer(WaitTimeout)
	defer timeout.Stop()
	for {
		s.mu.Lock()
		ok, changed := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-timeout.C:
			return false
		}
	}
}

// notifyLocked wakes everyone waiting for a change. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// serve routes /bot<token>/<method>.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || token != Token {
		writeError(w, apiError{Code: http.StatusUnauthorized, Description: "Unauthorized"})
		return
	}
	params, files, err := readParams(r)
	if err != nil {
		s.tb.Errorf("bottest: %s: unreadable request: %v", method, err)
		writeError(w, apiError{Code: http.StatusBadRequest, Description: "Bad Request: " + err.Error()})
		return
	}
	call := Call{Method: method, Params: params, Files: files, Header: r.Header.Clone()}
	s.mu.Lock()
	var fail *apiError
	if q := s.fails[method]; len(q) > 0 {
		fail, s.fails[method] = &q[0], q[1:]
	}
	hook := s.hooks[method]
	s.mu.Unlock()
	var hooked *Failure
	if fail == nil && hook != nil {
		hooked = hook(call) // outside the lock: a hook may look at the server
	}
	call.Failed = fail != nil || hooked != nil
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()
	switch {
	case fail != nil:
		writeError(w, *fail)
		return
	case hooked != nil && hooked.Raw != "":
		w.WriteHeader(hooked.Code)
		_, _ = w.Write([]byte(hooked.Raw))
		return
	case hooked != nil:
		writeError(w, apiError{Code: hooked.Code, Description: hooked.Description, RetryAfter: hooked.RetryAfter, MigrateToChatID: hooked.MigrateToChatID})
		return
	}
	result, apiErr := s.answer(r.Context(), method, params)
	if apiErr != nil {
		writeError(w, *apiErr)
		return
	}
	writeResult(w, result)
}

// answer gives the result of a successful call.
func (s *Server) answer(ctx context.Context, method string, p map[string]string) (any, *apiError) {
	switch method {
	case "getMe":
		return user{ID: BotID, IsBot: true, FirstName: FirstName, Username: Username}, nil
	case "getUpdates":
		s.mu.Lock()
		hooked := s.webhook != ""
		s.mu.Unlock()
		if hooked {
			return nil, &apiError{Code: http.StatusConflict, Description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
		}
		return s.getUpdates(ctx, p), nil
	case "setWebhook":
		s.SetWebhookURL(p["url"])
		return true, nil
	case "deleteWebhook":
		s.SetWebhookURL("")
		return true, nil
	case "sendMessage", "sendPhoto", "editMessageText", "editMessageReplyMarkup":
		return s.message(p), nil
	case "answerCallbackQuery", "answerInlineQuery", "sendChatAction", "setMyCommands", "deleteMyCommands":
		return true, nil
	}
	return nil, &apiError{Code: http.StatusNotFound, Description: "Not Found"}
}

// message is the Message Telegram returns for a send or an edit.
func (s *Server) message(p map[string]string) message {
	chatID, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	s.mu.Lock()
	s.lastMsg++
	id := s.lastMsg
	s.mu.Unlock()
	if n, err := strconv.ParseInt(p["message_id"], 10, 64); err == nil {
		id = n // an edit returns the edited message
	}
	m := message{
		MessageID: id, Date: 1764720000 + id, Chat: chat{ID: chatID, Type: chatType(chatID)},
		From: &user{ID: BotID, IsBot: true, FirstName: FirstName, Username: Username},
		Text: p["text"], Caption: p["caption"],
	}
	if p["photo"] != "" {
		m.Photo = []photoSize{{FileID: "photo-" + strconv.FormatInt(id, 10), FileUniqueID: "u" + strconv.FormatInt(id, 10), Width: 1280, Height: 960}}
	}
	if rm := p["reply_markup"]; rm != "" && json.Valid([]byte(rm)) {
		m.ReplyMarkup = json.RawMessage(rm)
	}
	return m
}

func chatType(id int64) string {
	switch {
	case id > 0:
		return "private"
	case id < -1_000_000_000_000:
		return "supergroup"
	}
	return "group"
}
