package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hocvuso/cmd/hocvuso/internal/bench"
)

// TestMain lets a test run the real main() in a child process (to send it real signals).
func TestMain(m *testing.M) {
	if os.Getenv(bench.EnvVar) != "" {
		main() // the bot process hocvuso bench starts: os.Args is [test binary, bench-bot]
		os.Exit(0)
	}
	if os.Getenv("HOCVUSO_TEST_MAIN") == "1" {
		os.Args = append([]string{"hocvuso"}, strings.Fields(os.Getenv("HOCVUSO_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// tinyAPI is the least of the Bot API that serve needs: one update to hand out, and a record
// of what the bot asked.
type tinyAPI struct {
	mu      sync.Mutex
	offsets []string
	sent    []string
}

func (a *tinyAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "getMe":
		io.WriteString(w, `{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"b","username":"hocvuso_bot"}}`)
	case "getUpdates":
		var req struct {
			Offset  int64 `json:"offset"`
			Timeout int   `json:"timeout"`
		}
		_ = json.Unmarshal(body, &req)
		a.mu.Lock()
		a.offsets = append(a.offsets, string(body))
		a.mu.Unlock()
		if req.Offset < 2 {
			io.WriteString(w, `{"ok":true,"result":[{"update_id":1,"message":{"message_id":1,"from":{"id":1001,"is_bot":false,"first_name":"Hoa"},"chat":{"id":1001,"type":"private"},"date":1,"text":"/start vneid","entities":[{"offset":0,"length":6,"type":"bot_command"}]}}]}`)
			return
		}
		if req.Timeout > 0 {
			select {
			case <-r.Context().Done():
			case <-time.After(time.Duration(req.Timeout) * time.Second):
			}
		}
		io.WriteString(w, `{"ok":true,"result":[]}`)
	case "sendMessage", "sendPhoto":
		a.mu.Lock()
		a.sent = append(a.sent, method)
		a.mu.Unlock()
		io.WriteString(w, `{"ok":true,"result":{"message_id":2,"date":1,"chat":{"id":1001,"type":"private"}}}`)
	default:
		io.WriteString(w, `{"ok":true,"result":true}`)
	}
}

func (a *tinyAPI) snapshot() (offsets, sent []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.offsets...), append([]string(nil), a.sent...)
}

// SIGTERM to a serving process: it stops fetching, finishes and acknowledges what it
// fetched, and exits 0.
func TestServeStopsCleanlyOnSIGTERM(t *testing.T) {
	api := &tinyAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HOCVUSO_TEST_MAIN=1", "HOCVUSO_TEST_ARGS=serve -dev",
		"TELEGRAM_BOT_TOKEN=1:secretTOKEN", "TELEGRAM_API_URL="+srv.URL, "REDIS_URL=", "LISTEN_ADDR=127.0.0.1:0", "WEBHOOK_URL=")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		offsets, sent := api.snapshot()
		if len(sent) > 0 && len(offsets) >= 2 {
			break // the update was handled and the next long poll is open
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the bot did not handle its update; stderr:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Readiness: updates flow and Redis answers.
	m := regexp.MustCompile(`msg=listening addr=(\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no listening address in the logs:\n%s", stderr.String())
	}
	// A client of its own: a test closing its httptest server closes the idle connections of
	// http.DefaultTransport, which can break this request.
	resp, err := (&http.Client{Transport: &http.Transport{}}).Get("http://" + m[1] + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz answered %d while updates flow", resp.StatusCode)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("still running 20s after SIGTERM; stderr:\n%s", stderr.String())
	}
	logs := stderr.String()
	if !strings.Contains(logs, "hocvuso stopped") {
		t.Errorf("no clean stop in the logs:\n%s", logs)
	}
	if strings.Contains(logs, "secretTOKEN") {
		t.Error("the token appears in the logs")
	}
}

// syncBuffer is a bytes.Buffer safe to read while the child process writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
