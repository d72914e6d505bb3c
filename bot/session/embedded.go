package session

import (
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Embedded is an in-process Redis-compatible server (miniredis) for local runs and tests, so
// that `hocvuso chat` needs nothing but Go and still runs the same store code as production.
type Embedded struct {
	srv *miniredis.Miniredis
}

// StartEmbedded starts an embedded server on a free loopback port.
func StartEmbedded() (*Embedded, error) {
	srv := miniredis.NewMiniRedis()
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("error starting embedded redis: %w", err)
	}
	return &Embedded{srv: srv}, nil
}

// Client returns a client connected to the embedded server.
func (e *Embedded) Client() redis.UniversalClient {
	opts := &redis.Options{Addr: e.srv.Addr()}
	Bound(opts)
	return redis.NewClient(opts)
}

// Addr returns the server's address.
func (e *Embedded) Addr() string { return e.srv.Addr() }

// Server exposes miniredis for tests (time travel, inspection).
func (e *Embedded) Server() *miniredis.Miniredis { return e.srv }

// Close stops the server.
func (e *Embedded) Close() { e.srv.Close() }
