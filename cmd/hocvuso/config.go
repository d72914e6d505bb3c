package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
)

// envOr returns the environment variable, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// durationEnv lists the duration settings read from the environment, for checkEnv.
var durationEnv = []string{"SESSION_TTL", "AWAY_AFTER", "SHUTDOWN_GRACE", "HELP_TIMEOUT"}

// checkEnv refuses settings that would otherwise fall back to a default without a word:
// "30d" is an easy mistake for a 30-day TTL, and "verbose" for a log level.
func checkEnv() error {
	for _, name := range durationEnv {
		v := os.Getenv(name)
		if v == "" {
			continue
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s=%q is not a duration (write e.g. 720h, 3h, 10m, 30s)", name, v)
		}
		if d <= 0 {
			return fmt.Errorf("%s=%q must be more than zero", name, v)
		}
	}
	if v := os.Getenv("LOG_LEVEL"); v != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(strings.ToUpper(v))); err != nil {
			return fmt.Errorf("LOG_LEVEL=%q is not one of debug, info, warn, error", v)
		}
	}
	return nil
}

// envDuration reads a duration setting; checkEnv has already refused a malformed one.
func envDuration(name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// newLogger logs to w in text form at LOG_LEVEL (debug, info, warn, error).
func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// parseFlags parses args with fs, printing errors and usage to fs's output.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return fmt.Errorf("bad flags: %w", err)
	}
	return nil
}
