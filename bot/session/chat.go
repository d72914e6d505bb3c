package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ChatKeys returns every key stored about a chat, found by the chat's hash tag. It scans the
// keyspace, so it is for rare operations (forget, migrate), not for every update.
func (s *Store) ChatKeys(ctx context.Context, chatID int64) ([]string, error) {
	pattern := s.prefix + ":*" + HashTag(chatID) + "*"
	var keys []string
	scan := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		return iter.Err()
	}
	var err error
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, s.rdb)
	}
	if err != nil {
		return nil, fmt.Errorf("error listing a chat's keys: %w", err)
	}
	return keys, nil
}

// Forget deletes everything stored about a chat: its session and any other record keyed by
// the chat's hash tag (stats links, volunteer record…).
func (s *Store) Forget(ctx context.Context, chatID int64) error {
	keys, err := s.ChatKeys(ctx, chatID)
	if err != nil {
		return err
	}
	keys = append(keys, s.Key(chatID)) // even if the scan raced with a save
	// One key per call: a chat's keys share a slot, but DEL of many keys must not depend on it.
	for _, k := range keys {
		if err := s.rdb.Del(ctx, k).Err(); err != nil {
			return fmt.Errorf("error forgetting a chat: %w", err)
		}
	}
	return nil
}

// Move gives every record of chat from to chat to: Telegram gives a group a new id when it
// becomes a supergroup. Records the new chat already has are kept, not overwritten.
func (s *Store) Move(ctx context.Context, from, to int64) error {
	keys, err := s.ChatKeys(ctx, from)
	if err != nil {
		return err
	}
	for _, k := range keys {
		dst := strings.Replace(k, HashTag(from), HashTag(to), 1)
		if err := s.moveKey(ctx, k, dst); err != nil {
			return fmt.Errorf("error moving a chat's records: %w", err)
		}
	}
	return nil
}

// moveKey copies with DUMP/RESTORE (the two keys may live on different cluster nodes), keeping
// the TTL, then deletes the source.
func (s *Store) moveKey(ctx context.Context, src, dst string) error {
	dump, err := s.rdb.Dump(ctx, src).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return err
	}
	ttl, err := s.rdb.PTTL(ctx, src).Result()
	if err != nil {
		return err
	}
	if ttl < 0 {
		ttl = 0 // no expiry
	}
	err = s.rdb.Restore(ctx, dst, ttl, dump).Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYKEY") {
		return err
	}
	return s.rdb.Del(ctx, src).Err()
}

// leaseScript takes or renews a lease: KEYS[1] lease key, ARGV[1] holder id, ARGV[2] TTL in
// milliseconds. Returns 1 when the caller holds the lease.
var leaseScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`)

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

// Lease is a named lease in Redis that one holder at a time owns until it lapses: it lets one
// replica of many do what only one may (long polling, which Telegram allows to one caller).
type Lease struct {
	rdb redis.UniversalClient
	key string
	id  string
	ttl time.Duration
}

// Lease returns the lease called name, for holder id.
func (s *Store) Lease(name, id string, ttl time.Duration) *Lease {
	return &Lease{rdb: s.rdb, key: s.prefix + ":lease:" + name, id: id, ttl: ttl}
}

// TTL returns how long the lease lasts once taken or renewed.
func (l *Lease) TTL() time.Duration { return l.ttl }

// Acquire takes the lease, or renews it if the holder has it already.
func (l *Lease) Acquire(ctx context.Context) (bool, error) {
	n, err := leaseScript.Run(ctx, l.rdb, []string{l.key}, l.id, l.ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("error taking lease: %w", err)
	}
	return n == 1, nil
}

// Release gives the lease up if the holder has it, so another replica need not wait for it
// to lapse.
func (l *Lease) Release(ctx context.Context) error {
	if err := releaseScript.Run(ctx, l.rdb, []string{l.key}, l.id).Err(); err != nil {
		return fmt.Errorf("error releasing lease: %w", err)
	}
	return nil
}
