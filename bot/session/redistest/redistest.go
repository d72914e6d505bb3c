// Package redistest starts real Redis processes for tests: a single server, a Redis Cluster
// of several masters, a Sentinel. Each runs on free loopback ports, keeps its files in the
// test's temporary directory, and is killed when the test ends.
//
//	c := redistest.StartCluster(t, 3)
//	rdb, _ := session.Connect(c.URL()) // "redis+cluster://127.0.0.1:p1,127.0.0.1:p2,…"
package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// StartTimeout bounds how long a server, or a cluster, may take to come up.
const StartTimeout = 20 * time.Second

// Server is one redis-server process.
type Server struct {
	Port int
	Dir  string
	cmd  *exec.Cmd
	log  *syncBuffer
}

// syncBuffer collects a process's output; the process writes while a test may read.
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

// Addr returns "127.0.0.1:<port>".
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// URL returns the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// StartServer starts a redis-server with extra arguments (for example "--maxmemory", "1gb")
// on a free port. Nothing is persisted.
func StartServer(tb testing.TB, args ...string) *Server {
	tb.Helper()
	return start(tb, mode{args: args})
}

// mode says how to run redis-server: as a cluster node, with a configuration file first.
type mode struct {
	cluster bool
	conf    string
	args    []string
}

// start tries a few ports: another process may take a free port between the check and the
// server's bind.
func start(tb testing.TB, m mode) *Server {
	tb.Helper()
	needBinaries(tb, "redis-server")
	var errs []error
	for range 5 {
		port, err := freePort(m.cluster)
		if err != nil {
			tb.Fatalf("redistest: no free port: %v", err)
		}
		s, err := launch(tb, port, m)
		if err == nil {
			return s
		}
		errs = append(errs, err)
	}
	tb.Fatalf("redistest: redis-server did not start: %v", errors.Join(errs...))
	return nil
}

func launch(tb testing.TB, port int, m mode) (*Server, error) {
	dir := filepath.Join(tb.TempDir(), "redis-"+strconv.Itoa(port))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var args []string
	if m.conf != "" {
		args = append(args, m.conf) // redis-server wants the file first
	}
	args = append(args, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	if m.cluster {
		args = append(args, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "3000")
	}
	args = append(args, m.args...)
	s := &Server{Port: port, Dir: dir, log: &syncBuffer{}}
	s.cmd = exec.Command("redis-server", args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("error starting redis-server: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	tb.Cleanup(func() { s.stop(exited) })
	if err := waitPing(s.Addr(), exited); err != nil {
		s.stop(exited)
		return nil, fmt.Errorf("port %d: %w (log: %s)", port, err, strings.TrimSpace(s.log.String()))
	}
	return s, nil
}

// stop kills the process and waits for it; safe to call twice.
func (s *Server) stop(exited chan error) {
	if s.cmd.ProcessState == nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	select {
	case err := <-exited:
		exited <- err // let a second stop return too
	case <-time.After(5 * time.Second):
	}
}

// waitPing waits until the server answers PING, or exits, or StartTimeout passes.
func waitPing(addr string, exited <-chan error) error {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(StartTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case e := <-exited:
			return fmt.Errorf("redis-server exited: %v", e)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer to PING after %s: %w", StartTimeout, err)
		}
		time.Sleep(20 * time.Millisecond) // poll interval, not a wait for a result
	}
}

// freePort returns a loopback port nobody listens on; for a cluster node, its bus port
// (port+10000) is free too.
func freePort(cluster bool) (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !cluster {
			_ = l.Close()
			return port, nil
		}
		if port+10000 > 65535 {
			_ = l.Close()
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		_ = l.Close()
		if err != nil {
			continue
		}
		_ = bus.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no port p with p+10000 free")
}

func needBinaries(tb testing.TB, names ...string) {
	tb.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			// Never a skip: CI must fail loudly when the tools are missing.
			tb.Fatalf("redistest: %s is needed (apt-get install redis-server redis-tools): %v", n, err)
		}
	}
}
