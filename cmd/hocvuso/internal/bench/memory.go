package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// memory is what Redis holds for the parked chats of one bot, by MEMORY USAGE (key, value
// and Redis's own overhead for both, as Redis counts it).
type memory struct {
	sessions   int     // chats with at least one key
	keys       int     // keys of those chats
	perChat    float64 // bytes per chat, all its keys
	perSession float64 // bytes per chat, its session key only
	shared     int64   // bytes of keys under the prefix that belong to no chat (counters…)
}

// sessionKind is the part of a session key between the prefix and the chat's hash tag:
// hocvuso's "<prefix>:s:{chat}", the floor's "<prefix>:f:{chat}".
func sessionKind(k Kind) string {
	if k == Floor {
		return "f"
	}
	return "s"
}

// measureMemory sums MEMORY USAGE over every key under prefix, on every node of a cluster.
// A key belongs to a chat when its hash tag is the chat's id.
func measureMemory(ctx context.Context, rdb redis.UniversalClient, prefix, session string, chats []int64) (memory, error) {
	wanted := make(map[int64]bool, len(chats))
	for _, c := range chats {
		wanted[c] = true
	}
	var mu sync.Mutex
	perChat := map[int64]int64{}
	var sessionBytes, sessions int64
	sessionPrefix := prefix + ":" + session + ":{"
	var m memory
	err := forEachNode(ctx, rdb, func(ctx context.Context, c redis.Cmdable) error {
		keys, err := scanAll(ctx, c, prefix+":*")
		if err != nil {
			return err
		}
		for start := 0; start < len(keys); start += 200 {
			batch := keys[start:min(start+200, len(keys))]
			cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, k := range batch {
					p.MemoryUsage(ctx, k)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("error reading MEMORY USAGE: %w", err)
			}
			mu.Lock()
			for i, cmd := range cmds {
				n := cmd.(*redis.IntCmd).Val()
				chat, ok := hashTag(batch[i])
				switch {
				case ok && wanted[chat]:
					perChat[chat] += n
					m.keys++
					if strings.HasPrefix(batch[i], sessionPrefix) {
						sessionBytes += n
						sessions++
					}
				case !ok:
					m.shared += n
				}
			}
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return m, err
	}
	var total int64
	for _, n := range perChat {
		total += n
	}
	m.sessions = len(perChat)
	if m.sessions > 0 {
		m.perChat = float64(total) / float64(m.sessions)
	}
	if sessions > 0 {
		m.perSession = float64(sessionBytes) / float64(sessions)
	}
	return m, nil
}

// hashTag returns the chat id of a key "…{<id>}…".
func hashTag(key string) (int64, bool) {
	_, rest, ok := strings.Cut(key, "{")
	if !ok {
		return 0, false
	}
	tag, _, ok := strings.Cut(rest, "}")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(tag, 10, 64)
	return id, err == nil
}

// deleteKeys removes every key whose name starts with prefix.
func deleteKeys(ctx context.Context, rdb redis.UniversalClient, prefix string) {
	_ = forEachNode(ctx, rdb, func(ctx context.Context, c redis.Cmdable) error {
		keys, err := scanAll(ctx, c, prefix+"*")
		if err != nil {
			return err
		}
		// One key per DEL: keys of different chats live in different cluster slots.
		_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.Del(ctx, k)
			}
			return nil
		})
		return err
	})
}

func scanAll(ctx context.Context, c redis.Cmdable, pattern string) ([]string, error) {
	var keys []string
	iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("error scanning keys: %w", err)
	}
	return keys, nil
}

// forEachNode runs fn on every master of a cluster, or on the one server.
func forEachNode(ctx context.Context, rdb redis.UniversalClient, fn func(context.Context, redis.Cmdable) error) error {
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return fn(ctx, c) })
	}
	return fn(ctx, rdb)
}
