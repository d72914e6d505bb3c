// Package session keeps each chat's session in Redis: one small key per chat, saved by
// compare-and-set on a revision so that two updates of one chat, on one replica or several,
// never lose each other's effect.
package session

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/flows"
)

// DefaultTTL is how long an untouched session lives.
const DefaultTTL = 30 * 24 * time.Hour

// MaxSeen is how many recent update ids a session remembers to drop re-deliveries.
const MaxSeen = 4

// MaxRetries bounds how often Update retries after losing a compare-and-set race. A save
// loses only when another one won, so n concurrent updates of one chat all land within n
// tries. 64 is far more than one chat sees; at 16, 10 of 50 concurrent updates failed.
const MaxRetries = 64

// ErrConflict means the session changed since it was loaded.
var ErrConflict = errors.New("session changed concurrently")

// Session is what is stored for one chat.
type Session struct {
	Rev   uint64      `json:"-"`           // revision, bumped by every save; 0 means "never saved"
	State flows.State `json:"st"`          // where the chat is in the flows
	Seen  []int64     `json:"u,omitempty"` // most recent update ids applied, newest last
	At    int64       `json:"at,omitempty"`
}

// HasSeen reports whether update id was already applied.
func (s *Session) HasSeen(id int64) bool {
	for _, x := range s.Seen {
		if x == id {
			return true
		}
	}
	return false
}

// MarkSeen records update id, keeping only the newest MaxSeen.
func (s *Session) MarkSeen(id int64) {
	if id == 0 {
		return
	}
	s.Seen = append(s.Seen, id)
	if len(s.Seen) > MaxSeen {
		s.Seen = s.Seen[len(s.Seen)-MaxSeen:]
	}
}

// Store loads and saves sessions.
type Store struct {
	rdb    redis.UniversalClient
	ttl    time.Duration
	prefix string
}

// Option configures a Store.
type Option func(*Store)

// WithTTL sets how long an untouched session lives.
func WithTTL(ttl time.Duration) Option { return func(s *Store) { s.ttl = ttl } }

// WithPrefix sets the key prefix (default "hv").
func WithPrefix(p string) Option { return func(s *Store) { s.prefix = p } }

// New returns a store on rdb.
func New(rdb redis.UniversalClient, opts ...Option) *Store {
	s := &Store{rdb: rdb, ttl: DefaultTTL, prefix: "hv"}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Key returns the Redis key of a chat's session. The chat id is a hash tag so that every key
// of one chat lands in the same Redis Cluster slot.
func (s *Store) Key(chatID int64) string {
	return s.prefix + ":s:{" + strconv.FormatInt(chatID, 10) + "}"
}

// Prefix returns the key prefix.
func (s *Store) Prefix() string { return s.prefix }

// Client returns the Redis client of the store.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Load returns the chat's session. A missing or expired key is an empty session, not an error.
func (s *Store) Load(ctx context.Context, chatID int64) (Session, error) {
	raw, err := s.rdb.Get(ctx, s.Key(chatID)).Result()
	if errors.Is(err, redis.Nil) {
		return Session{}, nil
	}
	if err != nil {
		return Session{}, fmt.Errorf("error loading session: %w", err)
	}
	sess, err := decode(raw)
	if err != nil {
		// A value we cannot read is treated as no session: the resident starts again rather
		// than being stuck behind a broken key. The next save overwrites it.
		return Session{Rev: sess.Rev}, nil
	}
	return sess, nil
}

// wireSession is a Session as stored: its update ids in the compact form of IDs (the field
// shadows Session.Seen for encoding/json).
type wireSession struct {
	Session
	Seen IDs `json:"u,omitempty"`
}

// encode writes "<rev>|<json>": the CAS script compares the revision prefix without parsing JSON.
func encode(sess Session) (string, error) {
	body, err := json.Marshal(wireSession{Session: sess, Seen: sess.Seen})
	if err != nil {
		return "", fmt.Errorf("error encoding session: %w", err)
	}
	return strconv.FormatUint(sess.Rev, 10) + "|" + string(body), nil
}

func decode(raw string) (Session, error) {
	revStr, body, ok := strings.Cut(raw, "|")
	rev, err := strconv.ParseUint(revStr, 10, 64)
	if !ok || err != nil {
		return Session{}, fmt.Errorf("error decoding session: no revision")
	}
	var w wireSession
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		return Session{Rev: rev}, fmt.Errorf("error decoding session: %w", err)
	}
	sess := w.Session
	sess.Rev, sess.Seen = rev, w.Seen
	return sess, nil
}

//go:embed cas.lua
var casSource string

var casScript = redis.NewScript(casSource)

// Save writes sess if the stored revision is still sess.Rev, and returns it with the new
// revision. It returns ErrConflict when another update saved first.
func (s *Store) Save(ctx context.Context, chatID int64, sess Session) (Session, error) {
	next := sess
	next.Rev = sess.Rev + 1
	val, err := encode(next)
	if err != nil {
		return sess, err
	}
	ok, err := casScript.Run(ctx, s.rdb, []string{s.Key(chatID)}, sess.Rev, val, int64(s.ttl/time.Millisecond)).Int()
	if err != nil {
		return sess, fmt.Errorf("error saving session: %w", err)
	}
	if ok == 0 {
		return sess, ErrConflict
	}
	return next, nil
}

// Update loads the chat's session, lets fn change it and saves it, retrying from a fresh load
// when another update saved in between. fn must be free of side effects: it may run more than
// once. When fn returns false, nothing is saved.
func (s *Store) Update(ctx context.Context, chatID int64, fn func(*Session) (bool, error)) (Session, error) {
	for range MaxRetries {
		sess, err := s.Load(ctx, chatID)
		if err != nil {
			return sess, err
		}
		save, err := fn(&sess)
		if err != nil || !save {
			return sess, err
		}
		saved, err := s.Save(ctx, chatID, sess)
		if errors.Is(err, ErrConflict) {
			continue
		}
		return saved, err
	}
	return Session{}, fmt.Errorf("error updating session after %d tries: %w", MaxRetries, ErrConflict)
}

// Delete removes everything stored for the chat.
func (s *Store) Delete(ctx context.Context, chatID int64) error {
	if err := s.rdb.Del(ctx, s.Key(chatID)).Err(); err != nil {
		return fmt.Errorf("error deleting session: %w", err)
	}
	return nil
}
