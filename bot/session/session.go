// Package session keeps each chat's session in Redis: one small key per chat, saved by
// compare-and-set on a revision so that two updates of one chat, on one replica or several,
// never lose each other's effect.
//
// De-duplication of re-delivered updates lives inside the session (Seen, Floor), written by the
// same compare-and-set as the state it produced. A separate "claim" key (SET NX on the update
// id before handling) would be a second write that can succeed while the state write fails
// (Redis restarts, the process dies): the update would then be claimed but never applied, and
// its re-delivery dropped as a duplicate. Here "applied" and "remembered as applied" are one
// atomic write, so neither can happen without the other.
package session

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/flows"
)

// DefaultTTL is how long an untouched session lives.
const DefaultTTL = 30 * 24 * time.Hour

// MaxSeen is how many recent update ids a session remembers exactly.
const MaxSeen = 16

// RedeliveryWindow is how long after a chat's last update a re-delivery can still arrive:
// Telegram keeps an unacknowledged update for 24 hours.
const RedeliveryWindow = 24 * time.Hour

// MaxRetries bounds how often Update retries after losing a compare-and-set race. A save
// loses only when another one won, so n concurrent updates of one chat all land within n
// tries. 64 is far more than one chat sees; at 16, 10 of 50 concurrent updates failed.
const MaxRetries = 64

// ErrConflict means the session changed since it was loaded.
var ErrConflict = errors.New("session changed concurrently")

// Session is what is stored for one chat.
type Session struct {
	Rev   uint64      `json:"-"`            // revision, bumped by every save; 0 means "never saved"
	State flows.State `json:"st"`           // where the chat is in the flows
	Seen  []int64     `json:"u,omitempty"`  // most recent update ids applied, in the order applied
	Floor int64       `json:"uf,omitempty"` // highest update id that dropped out of Seen
	At    int64       `json:"at,omitempty"` // unix time of the last applied update
	Tap   *Tap        `json:"tap,omitempty"`
}

// Tap remembers the last button press, to recognise a double tap: the same button of the same
// message pressed again within a few seconds (two callback updates, or one re-sent by the
// client). Only our own callback data and Telegram's message id are kept.
type Tap struct {
	Msg  int64  `json:"m"`
	Data string `json:"d"`
	At   int64  `json:"t"` // unix milliseconds
}

// HasSeen reports whether update id was already applied. Ids the session remembers exactly are
// duplicates; so is an id at or below Floor while the chat was active within the re-delivery
// window (Telegram numbers updates upwards, and restarts the numbering at random only after a
// week without any update, which such a chat rules out).
func (s *Session) HasSeen(id int64, now time.Time) bool {
	if id == 0 {
		return false
	}
	if slices.Contains(s.Seen, id) {
		return true
	}
	recent := now.Sub(time.Unix(s.At, 0)) <= RedeliveryWindow
	return id <= s.Floor && recent
}

// MarkSeen records update id, keeping only the newest MaxSeen exactly.
func (s *Session) MarkSeen(id int64) {
	if id == 0 {
		return
	}
	s.Seen = append(s.Seen, id)
	for len(s.Seen) > MaxSeen {
		s.Floor = max(s.Floor, s.Seen[0])
		s.Seen = s.Seen[1:]
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
func (s *Store) Key(chatID int64) string { return s.ChatKey("s", chatID) }

// ChatKey returns the key of one kind of record about a chat: "<prefix>:<kind>:{<chat id>}".
// Every key about a chat must be made here, so that Forget finds it by its hash tag.
func (s *Store) ChatKey(kind string, chatID int64) string {
	return s.prefix + ":" + kind + ":" + HashTag(chatID)
}

// HashTag is the part of every key of a chat that names the chat.
func HashTag(chatID int64) string { return "{" + strconv.FormatInt(chatID, 10) + "}" }

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
		// A value we cannot read (half-present, or from an older format) is treated as no
		// session: the resident starts again rather than being stuck behind a broken key.
		// The revision is kept so the next compare-and-set overwrites it.
		return Session{Rev: sess.Rev}, nil
	}
	return sess, nil
}

// wireSession is a Session as stored, smaller than its plain JSON: every resident has one in
// Redis, and the bench's target is 300 bytes of it. Its fields shadow Session's for
// encoding/json, and everything not shadowed is stored as it is, so a field added to Session
// or flows.State is kept without changes here:
//   - the state's fields at the top level, not nested under "st";
//   - the back-stack as one string of step ids (which never hold a space);
//   - the update ids in the compact form of IDs, the floor as its gap below the first one;
//   - the last tap as [message, data, milliseconds after At].
//
// Sessions stored in the plain form are still read.
type wireSession struct {
	Session
	flows.State
	Back     backStack    `json:"b,omitempty"`
	St       *flows.State `json:"st,omitempty"` // the nested state of older sessions: read only
	Seen     IDs          `json:"u,omitempty"`
	Floor    int64        `json:"uf,omitempty"` // only when FloorGap cannot say it
	FloorGap string       `json:"ug,omitempty"`
	Tap      *wireTap     `json:"tap,omitempty"`
}

func toWire(sess Session) wireSession {
	w := wireSession{Session: sess, State: sess.State, Back: sess.State.Back, Seen: sess.Seen, Floor: sess.Floor}
	w.State.Back = nil
	if len(sess.Seen) > 0 && sess.Floor > 0 && sess.Floor < sess.Seen[0] {
		w.Floor, w.FloorGap = 0, strconv.FormatInt(sess.Seen[0]-sess.Floor, 36)
	}
	if t := sess.Tap; t != nil {
		w.Tap = &wireTap{Msg: t.Msg, Data: t.Data, At: t.At}
		if after := t.At - sess.At*1000; sess.At > 0 && after > 0 {
			w.Tap.At, w.Tap.After = 0, after
		}
	}
	return w
}

func fromWire(w wireSession) (Session, error) {
	sess := w.Session
	sess.State = w.State
	sess.State.Back = w.Back
	if w.St != nil {
		sess.State = *w.St
	}
	sess.Seen, sess.Floor, sess.Tap = w.Seen, w.Floor, nil
	if w.FloorGap != "" {
		gap, err := strconv.ParseInt(w.FloorGap, 36, 64)
		if err != nil || len(w.Seen) == 0 {
			return sess, fmt.Errorf("error decoding session: bad floor")
		}
		sess.Floor = w.Seen[0] - gap
	}
	if t := w.Tap; t != nil {
		sess.Tap = &Tap{Msg: t.Msg, Data: t.Data, At: t.At}
		if t.After > 0 {
			sess.Tap.At = sess.At*1000 + t.After
		}
	}
	return sess, nil
}

// backStack is stored as one string of step ids separated by spaces.
type backStack []string

func (b backStack) MarshalJSON() ([]byte, error) { return json.Marshal(strings.Join(b, " ")) }

func (b *backStack) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '[' { // the plain form: an array
		var ids []string
		if err := json.Unmarshal(data, &ids); err != nil {
			return fmt.Errorf("error reading the back-stack: %w", err)
		}
		*b = ids
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("error reading the back-stack: %w", err)
	}
	*b = strings.Fields(s)
	return nil
}

// wireTap is a Tap stored as [message, data, ms after the session's At] or, when that cannot
// say it, [message, data, 0, unix ms]; older sessions have the plain object.
type wireTap struct {
	Msg   int64
	Data  string
	At    int64 // unix milliseconds, when After is 0
	After int64
}

func (t wireTap) MarshalJSON() ([]byte, error) {
	data, err := json.Marshal(t.Data)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 48)
	b = append(strconv.AppendInt(append(b, '['), t.Msg, 10), ',')
	b = append(append(b, data...), ',')
	if t.After > 0 {
		return append(strconv.AppendInt(b, t.After, 10), ']'), nil
	}
	return append(strconv.AppendInt(append(b, "0,"...), t.At, 10), ']'), nil
}

func (t *wireTap) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '{' { // the plain form: an object
		var plain Tap
		if err := json.Unmarshal(data, &plain); err != nil {
			return fmt.Errorf("error reading the last tap: %w", err)
		}
		*t = wireTap{Msg: plain.Msg, Data: plain.Data, At: plain.At}
		return nil
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil || len(parts) < 3 {
		return fmt.Errorf("error reading the last tap: %s", data)
	}
	err := errors.Join(json.Unmarshal(parts[0], &t.Msg), json.Unmarshal(parts[1], &t.Data), json.Unmarshal(parts[2], &t.After))
	if len(parts) > 3 {
		err = errors.Join(err, json.Unmarshal(parts[3], &t.At))
	}
	if err != nil {
		return fmt.Errorf("error reading the last tap: %w", err)
	}
	return nil
}

// encode writes "<rev>|<json>": the CAS script compares the revision prefix without parsing JSON.
func encode(sess Session) (string, error) {
	body, err := json.Marshal(toWire(sess))
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
	sess, err := fromWire(w)
	if err != nil {
		return Session{Rev: rev}, err
	}
	sess.Rev = rev
	return sess, nil
}

//go:embed cas.lua
var casSource string

var casScript = redis.NewScript(casSource)

// Save writes sess if the stored revision is still sess.Rev, and returns it with the new
// revision. It returns ErrConflict when another update saved first. The TTL is refreshed by
// every save: state and dedupe memory live and expire together, in one key.
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
	for attempt := range MaxRetries {
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
			if err := backoff(ctx, attempt); err != nil {
				return Session{}, err
			}
			continue
		}
		return saved, err
	}
	return Session{}, fmt.Errorf("error updating session after %d tries: %w", MaxRetries, ErrConflict)
}

// backoff waits a short random time after a lost race, growing with the attempt, so that
// writers contending for one chat do not keep colliding.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("error updating session: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}

// Delete removes the chat's session.
func (s *Store) Delete(ctx context.Context, chatID int64) error {
	if err := s.rdb.Del(ctx, s.Key(chatID)).Err(); err != nil {
		return fmt.Errorf("error deleting session: %w", err)
	}
	return nil
}
