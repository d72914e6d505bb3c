package session

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
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

// Connect returns a client for a Redis URL. Three forms, each also with TLS ("rediss…"):
//
//	redis://[user:password@]host:port[/db][?options]                  one server
//	redis+cluster://[user:password@]host1:port1,host2:port2[?options]  Redis Cluster: seed nodes
//	redis+sentinel://[user:password@]host1:port1,host2:port2[/db]?master=NAME[&options]
//	                                                                  Sentinel: the sentinels
//
// A cluster URL lists a few nodes to learn the cluster from (any of them is enough to start).
// A sentinel URL lists the sentinels; master names the monitored master. The user and
// password are the data nodes' (server, cluster nodes, master and replicas); a sentinel that
// has its own password takes it as sentinel_password=…. Options are go-redis's, in snake case
// (dial_timeout=2s, pool_size=50…); timeouts not given get the bounds above. The URL's password
// never appears in an error message.
func Connect(rawURL string) (redis.UniversalClient, error) {
	scheme, _, _ := strings.Cut(rawURL, "://")
	var c redis.UniversalClient
	var err error
	switch strings.ToLower(scheme) {
	case "redis+cluster", "rediss+cluster":
		c, err = connectCluster(rawURL)
	case "redis+sentinel", "rediss+sentinel":
		c, err = connectSentinel(rawURL)
	default:
		var opts *redis.Options
		if opts, err = redis.ParseURL(rawURL); err == nil {
			Bound(opts)
			c = redis.NewClient(opts)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("error parsing REDIS_URL (%s): %s", RedactURL(rawURL), redactErr(err, rawURL))
	}
	return c, nil
}

// multiHost is a URL whose host part is a comma-separated list of addresses.
type multiHost struct {
	tls      bool
	userinfo string // "user:password" or "", still escaped
	addrs    []string
	rest     string // "/db?query", or ""
}

// splitMultiHost reads "<scheme>://[userinfo@]h1:p1,h2:p2[/path][?query]".
func splitMultiHost(rawURL string) (multiHost, error) {
	scheme, rest, _ := strings.Cut(rawURL, "://")
	m := multiHost{tls: strings.HasPrefix(strings.ToLower(scheme), "rediss")}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	hosts := rest[:end]
	m.rest = rest[end:]
	if at := strings.LastIndex(hosts, "@"); at >= 0 {
		m.userinfo, hosts = hosts[:at], hosts[at+1:]
	}
	for _, a := range strings.Split(hosts, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if !strings.Contains(a, ":") {
			a += ":6379"
		}
		m.addrs = append(m.addrs, a)
	}
	if len(m.addrs) == 0 {
		return m, fmt.Errorf("no host in URL")
	}
	return m, nil
}

// goRedisURL rebuilds a URL in go-redis's own multi-address form: the first address as the
// host and the others as addr=… options.
func (m multiHost) goRedisURL() (string, error) {
	path, query, _ := strings.Cut(m.rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("bad options: %w", err)
	}
	for _, a := range m.addrs[1:] {
		q.Add("addr", a)
	}
	scheme := "redis"
	if m.tls {
		scheme = "rediss"
	}
	user := ""
	if m.userinfo != "" {
		user = m.userinfo + "@"
	}
	return scheme + "://" + user + m.addrs[0] + path + "?" + q.Encode(), nil
}

func connectCluster(rawURL string) (redis.UniversalClient, error) {
	m, err := splitMultiHost(rawURL)
	if err != nil {
		return nil, err
	}
	if p, _, _ := strings.Cut(m.rest, "?"); strings.Trim(p, "/") != "" && strings.Trim(p, "/") != "0" {
		return nil, fmt.Errorf("a Redis Cluster has only database 0")
	}
	m.rest = ""
	if _, query, ok := strings.Cut(rawURL, "?"); ok {
		m.rest = "?" + query
	}
	u, err := m.goRedisURL()
	if err != nil {
		return nil, err
	}
	opts, err := redis.ParseClusterURL(u)
	if err != nil {
		return nil, err
	}
	b := bounds{&opts.DialTimeout, &opts.ReadTimeout, &opts.WriteTimeout, &opts.PoolTimeout,
		&opts.DialerRetries, &opts.DialerRetryTimeout, &opts.MaxRetries}
	b.apply()
	return redis.NewClusterClient(opts), nil
}

func connectSentinel(rawURL string) (redis.UniversalClient, error) {
	m, err := splitMultiHost(rawURL)
	if err != nil {
		return nil, err
	}
	path, query, _ := strings.Cut(m.rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("bad options: %w", err)
	}
	master := q.Get("master")
	if master == "" {
		return nil, fmt.Errorf("a sentinel URL needs master=<name of the monitored master>")
	}
	q.Del("master")
	q.Set("master_name", master)
	sentinelPassword := q.Get("sentinel_password")
	q.Del("sentinel_password")
	// go-redis reads the URL's user info as the sentinels' credentials and password=… as the
	// master's; ours is the other way round (the common case: only the data nodes need a
	// password), so move them across.
	if m.userinfo != "" {
		user, pass, err := userPassword(m.userinfo)
		if err != nil {
			return nil, err
		}
		if user != "" {
			q.Set("username", user)
		}
		q.Set("password", pass)
		m.userinfo = ""
	}
	m.rest = path + "?" + q.Encode()
	u, err := m.goRedisURL()
	if err != nil {
		return nil, err
	}
	opts, err := redis.ParseFailoverURL(u)
	if err != nil {
		return nil, err
	}
	opts.SentinelPassword = sentinelPassword
	b := bounds{&opts.DialTimeout, &opts.ReadTimeout, &opts.WriteTimeout, &opts.PoolTimeout,
		&opts.DialerRetries, &opts.DialerRetryTimeout, &opts.MaxRetries}
	b.apply()
	return redis.NewFailoverClient(opts), nil
}

// Bound sets the timeouts above on opts where they are not set.
func Bound(opts *redis.Options) {
	b := bounds{&opts.DialTimeout, &opts.ReadTimeout, &opts.WriteTimeout, &opts.PoolTimeout,
		&opts.DialerRetries, &opts.DialerRetryTimeout, &opts.MaxRetries}
	b.apply()
}

// bounds points at the fields every go-redis options type has (single, cluster, failover).
type bounds struct {
	dial, read, write, pool *time.Duration
	dialerRetries           *int
	dialerRetryTimeout      *time.Duration
	maxRetries              *int
}

func (b bounds) apply() {
	setIfZero(b.dial, DialTimeout)
	setIfZero(b.read, ReadTimeout)
	setIfZero(b.write, WriteTimeout)
	setIfZero(b.pool, PoolTimeout)
	if *b.dialerRetries == 0 {
		// Redis down means "connection refused" at once: retrying the dial five times (the
		// default) only delays the busy answer.
		*b.dialerRetries, *b.dialerRetryTimeout = 2, 50*time.Millisecond
	}
	if *b.maxRetries == 0 {
		*b.maxRetries = 2 // a stale pooled connection after a Redis restart is retried once or twice
	}
}

func setIfZero(d *time.Duration, v time.Duration) {
	if *d == 0 {
		*d = v
	}
}

// UseLogger sends go-redis's own log lines (pool dial failures…) to log, at warning level,
// instead of the standard logger. It is process-wide, like go-redis's logger.
func UseLogger(log *slog.Logger) { redis.SetLogger(slogRedis{log}) }

type slogRedis struct{ log *slog.Logger }

func (l slogRedis) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "msg", fmt.Sprintf(format, v...))
}

func userPassword(userinfo string) (user, pass string, err error) {
	u, p, _ := strings.Cut(userinfo, ":")
	if user, err = url.PathUnescape(u); err != nil {
		return "", "", fmt.Errorf("bad user name")
	}
	if pass, err = url.PathUnescape(p); err != nil {
		return "", "", fmt.Errorf("bad password")
	}
	return user, pass, nil
}

// RedactURL hides the user info of a URL and any password option, for errors and logs: a
// REDIS_URL, or a self-hosted TELEGRAM_API_URL behind basic auth.
func RedactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "(unparsable)"
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = "***@" + rest[at+1:]
	}
	if base, query, ok := strings.Cut(rest, "?"); ok {
		if q, err := url.ParseQuery(query); err == nil {
			for k := range q {
				if strings.Contains(strings.ToLower(k), "password") {
					q.Set(k, "***")
				}
			}
			rest = base + "?" + q.Encode()
		} else {
			rest = base + "?***"
		}
	}
	return scheme + "://" + rest
}

// redactErr returns err's text without any secret of the URL: go-redis and net/url quote
// parts of the URL in their errors.
func redactErr(err error, rawURL string) string {
	s := err.Error()
	for _, secret := range secretsOf(rawURL) {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
}

func secretsOf(rawURL string) []string {
	var out []string
	_, rest, _ := strings.Cut(rawURL, "://")
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		info := rest[:at]
		_, pass, _ := strings.Cut(info, ":")
		out = append(out, info, pass)
		if p, err := url.PathUnescape(pass); err == nil {
			out = append(out, p)
		}
	}
	if _, query, ok := strings.Cut(rawURL, "?"); ok {
		if q, err := url.ParseQuery(query); err == nil {
			for k, vs := range q {
				if strings.Contains(strings.ToLower(k), "password") {
					out = append(out, vs...)
				}
			}
		}
	}
	return out
}
