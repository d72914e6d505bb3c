package redistest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// StartSentinel starts a Sentinel that monitors master under name. Sentinel rewrites its
// configuration file, so it gets its own in the test's temporary directory.
func StartSentinel(tb testing.TB, master *Server, name string) *Server {
	tb.Helper()
	conf := filepath.Join(tb.TempDir(), "sentinel.conf")
	body := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 1\nsentinel down-after-milliseconds %s 5000\n",
		name, master.Port, name)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		tb.Fatalf("redistest: error writing sentinel.conf: %v", err)
	}
	return start(tb, mode{conf: conf, args: []string{"--sentinel"}})
}
