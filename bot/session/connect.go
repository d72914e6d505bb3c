package session

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timeouts of every Redis call. A resident waits for an answer while a call is pending, so the
// bounds are short: when Redis is away, the bot says "busy" within a few seconds instead of
// hanging, and the client reconnects by itself when Redis is back.
const (
	DialTimeout  = 2 * time.Second
	ReadTimeout  = 2 * time.Second
	WriteTimeout = 2 * time.Second
	PoolTimeout  = 3 * time.Second
)

// Connect returns a client for a Redis URL: "redis://host:port/0" or "rediss://…" for one
// server. The URL's password is never put in an error message. Timeouts not given in the URL
// get the bounds above.
func Connect(url string) (redis.UniversalClient, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("error parsing REDIS_URL (%s): %w", redactURL(url), err)
	}
	Bound(opts)
	return redis.NewClient(opts), nil
}

// Bound sets the timeouts above on opts where they are not set.
func Bound(opts *redis.Options) {
	setIfZero(&opts.DialTimeout, DialTimeout)
	setIfZero(&opts.ReadTimeout, ReadTimeout)
	setIfZero(&opts.WriteTimeout, WriteTimeout)
	setIfZero(&opts.PoolTimeout, PoolTimeout)
	if opts.DialerRetries == 0 {
		// Redis down means "connection refused" at once: retrying the dial five times (the
		// default) only delays the busy answer.
		opts.DialerRetries, opts.DialerRetryTimeout = 2, 50*time.Millisecond
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 2 // a stale pooled connection after a Redis restart is retried once or twice
	}
}

func setIfZero(d *time.Duration, v time.Duration) {
	if *d == 0 {
		*d = v
	}
}

// redactURL hides the user info of a URL.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "(unparsable)"
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = "***@" + rest[at+1:]
	}
	return scheme + "://" + rest
}

// UseLogger sends go-redis's own log lines (pool dial failures…) to log, at warning level,
// instead of the standard logger. It is process-wide, like go-redis's logger.
func UseLogger(log *slog.Logger) { redis.SetLogger(slogRedis{log}) }

type slogRedis struct{ log *slog.Logger }

func (l slogRedis) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "msg", fmt.Sprintf(format, v...))
}
