package volunteer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/redis/go-redis/v9"
	"golang.org/x/text/unicode/norm"
)

// Volunteer is one registered volunteer. It is what they gave when they signed up: their
// Telegram id and first name, the commune they help in, and when they accepted the code of
// conduct.
type Volunteer struct {
	ID       int64     `json:"id"`
	Name     string    `json:"name"`
	Commune  string    `json:"commune"`
	Lang     string    `json:"lang,omitempty"`
	At       time.Time `json:"at"`
	Ref      string    `json:"ref"`
	Approved bool      `json:"ok"`
}

// Counts reports whether the volunteer's links count now.
func (v Volunteer) Counts(requireApproval bool) bool { return v.Approved || !requireApproval }

// ErrNotFound means no volunteer has that id.
var ErrNotFound = errors.New("no such volunteer")

// MaxCommuneLen bounds a commune name (the longest in Cao Bằng is about 25 letters).
const MaxCommuneLen = 60

// CleanCommune returns a typed commune name tidied (composed, spaces collapsed), or "" when
// it cannot be one: empty, too long, holding a number like a phone number, an ID or an OTP
// (6 digits or more, spaces, dots and dashes between them ignored: it is shown to other
// volunteers), or made of something else than letters, digits, spaces and a little
// punctuation.
func CleanCommune(s string) string {
	s = strings.Join(strings.Fields(norm.NFC.String(s)), " ")
	if s == "" || len([]rune(s)) > MaxCommuneLen || strings.HasPrefix(s, "/") || looksSecret(s) {
		return ""
	}
	letters := 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
			letters++
		case unicode.IsDigit(r) || r == ' ' || strings.ContainsRune("-.,'()", r):
		default:
			return ""
		}
	}
	if letters < 2 {
		return ""
	}
	return s
}

// Get returns a volunteer by Telegram id.
func (s *Service) Get(ctx context.Context, id int64) (Volunteer, error) {
	raw, err := s.rdb.HGet(ctx, s.k.registry(), strconv.FormatInt(id, 10)).Result()
	if errors.Is(err, redis.Nil) {
		return Volunteer{}, ErrNotFound
	}
	if err != nil {
		return Volunteer{}, fmt.Errorf("error loading volunteer: %w", err)
	}
	var v Volunteer
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return Volunteer{}, fmt.Errorf("error decoding volunteer %d: %w", id, err)
	}
	return v, nil
}

// List returns every volunteer, oldest first.
func (s *Service) List(ctx context.Context) ([]Volunteer, error) {
	all, err := s.rdb.HGetAll(ctx, s.k.registry()).Result()
	if err != nil {
		return nil, fmt.Errorf("error listing volunteers: %w", err)
	}
	out := make([]Volunteer, 0, len(all))
	for id, raw := range all {
		var v Volunteer
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return nil, fmt.Errorf("error decoding volunteer %s: %w", id, err)
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Register records v (new, or with a changed commune or name). A new volunteer gets a fresh
// referral code; an existing one keeps theirs, their approval and their sign-up date.
func (s *Service) Register(ctx context.Context, v Volunteer) (Volunteer, error) {
	old, err := s.Get(ctx, v.ID)
	switch {
	case err == nil:
		v.Ref, v.Approved, v.At = old.Ref, old.Approved, old.At
	case errors.Is(err, ErrNotFound):
		v.Approved = !s.cfg.RequireApproval
		if v.At.IsZero() {
			v.At = s.now().UTC()
		}
		if v.Ref, err = s.claimRef(ctx, v.ID); err != nil {
			return v, err
		}
	default:
		return v, err
	}
	return v, s.put(ctx, v)
}

// claimRef draws referral codes until one is free, and maps it to the volunteer.
func (s *Service) claimRef(ctx context.Context, id int64) (string, error) {
	for range 8 {
		ref, err := NewRef(s.rand)
		if err != nil {
			return "", err
		}
		ok, err := s.rdb.HSetNX(ctx, s.k.refs(), ref, strconv.FormatInt(id, 10)).Result()
		if err != nil {
			return "", fmt.Errorf("error saving referral code: %w", err)
		}
		if ok {
			return ref, nil
		}
	}
	return "", fmt.Errorf("error drawing a free referral code: 8 collisions")
}

func (s *Service) put(ctx context.Context, v Volunteer) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("error encoding volunteer: %w", err)
	}
	if err := s.rdb.HSet(ctx, s.k.registry(), strconv.FormatInt(v.ID, 10), raw).Err(); err != nil {
		return fmt.Errorf("error saving volunteer: %w", err)
	}
	return nil
}

// Approve lets a volunteer's links count (with REQUIRE_APPROVAL).
func (s *Service) Approve(ctx context.Context, id int64) (Volunteer, error) {
	v, err := s.Get(ctx, id)
	if err != nil {
		return v, err
	}
	v.Approved = true
	return v, s.put(ctx, v)
}

// Remove deletes a volunteer: their record, their referral code (their links then open the
// guide without counting for anyone) and their counters, and ends the help conversation they
// are in. Totals per commune stay: they hold
// no one's id.
func (s *Service) Remove(ctx context.Context, id int64) error {
	v, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, s.k.registry(), strconv.FormatInt(id, 10))
		p.HDel(ctx, s.k.refs(), v.Ref)
		return nil
	})
	if err != nil {
		return fmt.Errorf("error removing volunteer: %w", err)
	}
	if err := s.rdb.Del(ctx, s.k.volCounts(id)).Err(); err != nil {
		return fmt.Errorf("error removing volunteer counters: %w", err)
	}
	// A removed volunteer stops helping at once: their conversation ends, and the resident
	// is told (with their step) on the next Due run, as the bot has no transport here.
	r, ended, err := s.endConversationOf(ctx, id)
	if err != nil || !ended {
		return err
	}
	if err := s.rdb.ZAdd(ctx, s.k.ended(), redis.Z{Score: float64(s.now().UnixMilli()), Member: r.ID}).Err(); err != nil {
		return fmt.Errorf("error queueing the end of a removed volunteer's conversation: %w", err)
	}
	return nil
}

// ByRef returns the volunteer a referral code belongs to.
func (s *Service) ByRef(ctx context.Context, ref string) (Volunteer, error) {
	raw, err := s.rdb.HGet(ctx, s.k.refs(), ref).Result()
	if errors.Is(err, redis.Nil) {
		return Volunteer{}, ErrNotFound
	}
	if err != nil {
		return Volunteer{}, fmt.Errorf("error looking up referral code: %w", err)
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return Volunteer{}, ErrNotFound
	}
	return s.Get(ctx, id)
}

// Communes returns the communes volunteers registered, most volunteers first: the buttons a
// new volunteer can pick from, so that one commune is spelled one way.
func (s *Service) Communes(ctx context.Context, limit int) ([]string, error) {
	vols, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	for _, v := range vols {
		count[v.Commune]++
	}
	names := make([]string, 0, len(count))
	for c := range count {
		names = append(names, c)
	}
	sort.Slice(names, func(i, j int) bool {
		if count[names[i]] != count[names[j]] {
			return count[names[i]] > count[names[j]]
		}
		return names[i] < names[j]
	})
	if len(names) > limit {
		names = names[:limit]
	}
	return names, nil
}
