package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
)

// BotEnv is what a bot under test is told: where the fake Bot API and Redis are, the key
// prefix of its sessions, its token and webhook secret.
type BotEnv struct {
	Kind     Kind
	APIURL   string
	RedisURL string
	Prefix   string
	Token    string
	Secret   string
	// Paced makes the bots keep to Telegram's sending limits (the fake Bot API has none).
	Paced bool `json:",omitempty"`
	// CPUProfile, when set, is where the bot writes a CPU profile of its whole run.
	CPUProfile string `json:",omitempty"`
}

// Factory builds a bot's webhook handler on env. It returns the Redis client the bot uses
// (the bench counts its commands) and a function that releases what was opened.
type Factory func(ctx context.Context, env BotEnv) (http.Handler, redis.UniversalClient, func(), error)

// Stats is what a bot process reports about itself.
type Stats struct {
	CPUNanos   int64 `json:"cpu_ns"`    // user + system CPU time of the process
	MaxRSSKB   int64 `json:"maxrss_kb"` // peak resident set size of the process
	RSSKB      int64 `json:"rss_kb"`    // resident set size now
	RedisCmds  int64 `json:"redis_cmds"`
	RedisTrips int64 `json:"redis_round_trips"` // a pipeline is one; on updates' path
	// RedisBgTrips are round trips no update waited for (batched counting).
	RedisBgTrips int64  `json:"redis_background_round_trips"`
	SyscallsR    int64  `json:"syscr"` // read system calls (Linux)
	SyscallsW    int64  `json:"syscw"` // write system calls (Linux)
	Goroutines   int    `json:"goroutines"`
	HeapInuse    uint64 `json:"heap_inuse"`
}

// Paths served by a bot under test.
const (
	webhookPath = "/webhook"
	statsPath   = "/bench/stats"
)

// botServer serves one bot's webhook and its stats on loopback.
type botServer struct {
	srv     *http.Server
	addr    string
	counter *redisCounter
	release func()
	done    chan error
}

// startBot builds the bot with factory and serves it on a free loopback port.
func startBot(ctx context.Context, factory Factory, env BotEnv) (*botServer, error) {
	h, rdb, release, err := factory(ctx, env)
	if err != nil {
		return nil, fmt.Errorf("error starting the %s bot: %w", env.Kind, err)
	}
	counter := &redisCounter{}
	rdb.AddHook(counter)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		release()
		return nil, fmt.Errorf("error listening: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(webhookPath, h)
	mux.HandleFunc(statsPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(counter.stats())
	})
	b := &botServer{
		srv:     &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		addr:    l.Addr().String(),
		counter: counter,
		release: release,
		done:    make(chan error, 1),
	}
	go func() { b.done <- b.srv.Serve(l) }()
	return b, nil
}

// URL is the bot's base URL.
func (b *botServer) URL() string { return "http://" + b.addr }

func (b *botServer) close() error {
	// The load is over: connections left are idle keep-alives, or dialled and never used
	// (which Shutdown would wait seconds for).
	err := b.srv.Close()
	<-b.done
	b.release()
	return err
}

// ServeBot is the bot process of a bench run (`hocvuso bench` starts it as a child process,
// so that its CPU time and memory are its own): it serves the bot on loopback, prints
// "ready <url>" on stdout and runs until stdin is closed or ctx is done.
func ServeBot(ctx context.Context, factory Factory, env BotEnv, stdin io.Reader, stdout io.Writer) error {
	if env.CPUProfile != "" {
		stop, err := startCPUProfile(env.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	b, err := startBot(ctx, factory, env)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(stdout, "ready", b.URL()); err != nil {
		_ = b.close()
		return err
	}
	eof := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, stdin); close(eof) }()
	select {
	case <-ctx.Done():
	case <-eof:
	case err := <-b.done:
		b.release()
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("bot server stopped: %w", err)
		}
		return nil
	}
	return b.close()
}

func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("error creating the CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("error starting the CPU profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

// redisCounter counts the commands and round trips a bot sends to Redis.
type redisCounter struct {
	cmds, trips atomic.Int64
	bgTrips     atomic.Int64 // round trips of work no update waited for (bot.Background)
}

func (c *redisCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *redisCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if handshake(cmd) {
			return next(ctx, cmd) // a new connection's handshake, not the update's work
		}
		c.cmds.Add(1)
		c.count(ctx)
		return next(ctx, cmd)
	}
}

func (c *redisCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if all(cmds, handshake) {
			return next(ctx, cmds)
		}
		c.cmds.Add(int64(len(cmds)))
		c.count(ctx)
		return next(ctx, cmds)
	}
}

// handshake reports a command go-redis sends when it opens a connection.
func handshake(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "client", "auth", "select", "readonly":
		return true
	}
	return false
}

func all(cmds []redis.Cmder, f func(redis.Cmder) bool) bool {
	for _, c := range cmds {
		if !f(c) {
			return false
		}
	}
	return true
}

func (c *redisCounter) count(ctx context.Context) {
	if bot.IsBackground(ctx) {
		c.bgTrips.Add(1)
		return
	}
	c.trips.Add(1)
}

func (c *redisCounter) stats() Stats {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	cpu, maxRSS := rusage()
	reads, writes := syscalls()
	return Stats{
		SyscallsR: reads, SyscallsW: writes,
		CPUNanos: cpu, MaxRSSKB: maxRSS, RSSKB: currentRSS(),
		RedisCmds: c.cmds.Load(), RedisTrips: c.trips.Load(), RedisBgTrips: c.bgTrips.Load(),
		Goroutines: runtime.NumGoroutine(), HeapInuse: ms.HeapInuse,
	}
}
