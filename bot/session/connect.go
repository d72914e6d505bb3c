package session

import (
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Connect returns a client for a Redis URL: "redis://host:port/0" or "rediss://…" for one
// server. The URL's password is never put in an error message.
func Connect(url string) (redis.UniversalClient, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("error parsing REDIS_URL (%s): %w", redactURL(url), err)
	}
	return redis.NewClient(opts), nil
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
