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
// and fails the test when an injected failure was never used. What it answers comes from
// bot/bottest/fakeapi, which the load benchmark (hocvuso bench) uses too.
package bottest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"hocvuso/bot/bottest/fakeapi"
)

// The bot the server pretends to be.
const (
	Token     = fakeapi.Token
	BotID     = fakeapi.BotID
	Username  = fakeapi.Username
	FirstName = fakeapi.FirstName
)

// Call is one Bot API request as the server received it; see fakeapi.Call.
type Call = fakeapi.Call

// Button is an inline keyboard button as a call's reply_markup carries it.
type Button = fakeapi.Button

// WaitTimeout bounds WaitCalls and WaitConfirmed: a test that waits longer has failed.
const WaitTimeout = 10 * time.Second

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
	fails   map[string][]fakeapi.Error
	hooks   map[string]Hook
	webhook string   // the URL setWebhook registered; getUpdates is refused while it is set
	polling int      // getUpdates calls held open now
	queue   []queued // pushed updates not yet confirmed, by update_id
	offset  int64    // the highest offset a getUpdates call asked for
	bot     fakeapi.Bot
}

// New starts a server that is closed when the test ends.
func New(tb testing.TB) *Server {
	s := &Server{tb: tb, closed: make(chan struct{}), changed: make(chan struct{}), fails: map[string][]fakeapi.Error{}, hooks: map[string]Hook{}}
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
	s.fails[method] = append(s.fails[method], fakeapi.Error{Code: code, Description: description, RetryAfter: retryAfter})
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
	s.fails = map[string][]fakeapi.Error{}
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
	token, method, ok := fakeapi.Route(r.URL.Path)
	if !ok || token != Token {
		fakeapi.WriteError(w, fakeapi.Error{Code: http.StatusUnauthorized, Description: "Unauthorized"})
		return
	}
	params, files, err := fakeapi.ReadParams(r)
	if err != nil {
		if clientGone(r, err) {
			// The bot cancelled the call mid-body (a poller stopping, a deadline): that is the
			// client's choice, not a malformed request.
			return
		}
		s.tb.Errorf("bottest: %s: unreadable request: %v", method, err)
		fakeapi.WriteError(w, fakeapi.Error{Code: http.StatusBadRequest, Description: "Bad Request: " + err.Error()})
		return
	}
	call := Call{Method: method, Params: params, Files: files, Header: r.Header.Clone()}
	s.mu.Lock()
	var fail *fakeapi.Error
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
		fakeapi.WriteError(w, *fail)
		return
	case hooked != nil && hooked.Raw != "":
		w.WriteHeader(hooked.Code)
		_, _ = w.Write([]byte(hooked.Raw))
		return
	case hooked != nil:
		fakeapi.WriteError(w, fakeapi.Error{Code: hooked.Code, Description: hooked.Description, RetryAfter: hooked.RetryAfter, MigrateToChatID: hooked.MigrateToChatID})
		return
	}
	result, apiErr := s.answer(r.Context(), method, params)
	if apiErr != nil {
		fakeapi.WriteError(w, *apiErr)
		return
	}
	fakeapi.WriteResult(w, result)
}

// answer gives the result of a successful call: the webhook and the queue of updates are
// this server's own; every other method is answered as fakeapi does.
func (s *Server) answer(ctx context.Context, method string, p map[string]string) (any, *fakeapi.Error) {
	switch method {
	case "getUpdates":
		s.mu.Lock()
		hooked := s.webhook != ""
		s.mu.Unlock()
		if hooked {
			return nil, &fakeapi.Error{Code: http.StatusConflict, Description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
		}
		return s.getUpdates(ctx, p), nil
	case "setWebhook":
		s.SetWebhookURL(p["url"])
		return true, nil
	case "deleteWebhook":
		s.SetWebhookURL("")
		return true, nil
	}
	res, err := s.bot.Answer(method, p)
	return res, err
}

// clientGone reports whether a body could not be read because the client went away.
func clientGone(r *http.Request, err error) bool {
	return r.Context().Err() != nil || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.Canceled)
}
