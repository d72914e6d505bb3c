package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Launcher starts a bot for env.
type Launcher func(ctx context.Context, env BotEnv) (Bot, error)

// Bot is a running bot under test.
type Bot interface {
	URL() string
	Stats(ctx context.Context) (Stats, error)
	Stop() error
}

// InProcess starts bots in this process. Their CPU time and memory cannot be told apart from
// the load generator's: Stats then measures the whole process.
func InProcess(factories map[Kind]Factory) Launcher {
	return func(ctx context.Context, env BotEnv) (Bot, error) {
		f := factories[env.Kind]
		if f == nil {
			return nil, fmt.Errorf("no factory for the %s bot", env.Kind)
		}
		b, err := startBot(ctx, f, env)
		if err != nil {
			return nil, err
		}
		return inProcessBot{b}, nil
	}
}

type inProcessBot struct{ b *botServer }

func (p inProcessBot) URL() string                          { return p.b.URL() }
func (p inProcessBot) Stats(context.Context) (Stats, error) { return p.b.counter.stats(), nil }
func (p inProcessBot) Stop() error                          { return p.b.close() }

// EnvVar carries a child bot's BotEnv as JSON.
const EnvVar = "HOCVUSO_BENCH_BOT"

// ChildProcess starts each bot as a child process: exe with args, which must call ServeBot
// with the BotEnv it finds in EnvVar (see ReadEnv). The child's CPU time and memory are the
// bot's own.
func ChildProcess(exe string, args ...string) Launcher {
	return func(ctx context.Context, env BotEnv) (Bot, error) {
		js, err := json.Marshal(env)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(exe, args...)
		cmd.Env = append(os.Environ(), EnvVar+"="+string(js))
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("error starting the %s bot process: %w", env.Kind, err)
		}
		c := &childBot{cmd: cmd, stdin: stdin, client: &http.Client{Timeout: 10 * time.Second}}
		url, err := readReady(ctx, stdout)
		if err != nil {
			_ = c.Stop()
			return nil, fmt.Errorf("the %s bot process did not start: %w", env.Kind, err)
		}
		c.url = url
		go func() { _, _ = io.Copy(io.Discard, stdout) }()
		return c, nil
	}
}

// ReadEnv returns the BotEnv a child bot process was given.
func ReadEnv() (BotEnv, error) {
	var env BotEnv
	raw := os.Getenv(EnvVar)
	if raw == "" {
		return env, fmt.Errorf("%s is not set: this command is started by hocvuso bench", EnvVar)
	}
	if err := json.Unmarshal([]byte(raw), &env); err != nil {
		return env, fmt.Errorf("error reading %s: %w", EnvVar, err)
	}
	return env, nil
}

// readReady waits for the child's "ready <url>" line.
func readReady(ctx context.Context, stdout io.Reader) (string, error) {
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
	}()
	select {
	case l, ok := <-line:
		url, found := strings.CutPrefix(l, "ready ")
		if !ok || !found {
			return "", fmt.Errorf("it exited or printed %q", l)
		}
		return url, nil
	case <-time.After(30 * time.Second):
		return "", fmt.Errorf("not ready after 30s")
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

type childBot struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	url    string
	client *http.Client
}

func (c *childBot) URL() string { return c.url }

func (c *childBot) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+statsPath, nil)
	if err != nil {
		return s, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return s, fmt.Errorf("error asking the bot process for its stats: %w", err)
	}
	defer resp.Body.Close()
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

// Stop closes the child's stdin, which ends it, and waits for it (killing it after 10 s).
func (c *childBot) Stop() error {
	_ = c.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		return <-done
	}
}
