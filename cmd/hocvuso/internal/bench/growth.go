package bench

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Growth is what `hocvuso bench -growth N` measures: N residents each open a guide and
// take one step (through the bot, by webhook, as in a run), then go idle. The bot must
// keep nothing per chat that grows with them; Redis keeps each one's session.
type Growth struct {
	Chats         int          `json:"chats"`
	Updates       int64        `json:"updates"`
	Errors        int64        `json:"errors"`
	Store         string       `json:"store"`
	RedisBytes    int64        `json:"redis_used_memory_delta"`   // INFO used_memory, after − before, all nodes
	BytesPerChat  float64      `json:"redis_bytes_per_session"`   // the delta per chat
	SampledBytes  float64      `json:"memory_usage_per_resident"` // all of a resident's keys
	SessionBytes  float64      `json:"memory_usage_per_session"`  // the session key alone
	KeysPerChat   float64      `json:"redis_keys_per_session"`
	Checkpoints   []Checkpoint `json:"checkpoints"`
	UpdatesPerSec float64      `json:"updates_per_sec"`
}

// Checkpoint is the bot process after so many chats.
type Checkpoint struct {
	Chats      int     `json:"chats"`
	RSSMB      float64 `json:"rss_mb"`
	HeapMB     float64 `json:"heap_inuse_mb"`
	Goroutines int     `json:"goroutines"`
}

// growthBase keeps growth chats apart from a run's.
const growthBase = 7_000_000_000

// RunGrowth runs the growth measurement with cfg.Chats residents at a time.
func RunGrowth(ctx context.Context, cfg Config, n int) (*Growth, error) {
	redisURL, storeName, rdb, closeStore, err := openStore(ctx, cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	defer closeStore()
	prefix, err := freePrefix(ctx, rdb)
	if err != nil {
		return nil, err
	}
	prefix += "g"
	chats := make([]int64, n)
	for i := range chats {
		chats[i] = growthBase + int64(i)
	}
	env := BotEnv{Kind: Hocvuso, RedisURL: redisURL, Prefix: prefix, Token: tokenFor(Hocvuso), Secret: secret}
	api, err := newAPIServer(map[string]Kind{env.Token: Hocvuso}, chats)
	if err != nil {
		return nil, err
	}
	defer api.close()
	if !cfg.Keep {
		defer deleteKeys(context.WithoutCancel(ctx), rdb, prefix)
	}
	env.APIURL = api.url
	b, err := cfg.Launch(ctx, env)
	if err != nil {
		return nil, err
	}
	defer func() { _ = b.Stop() }()
	before, err := usedMemory(ctx, rdb)
	if err != nil {
		return nil, err
	}
	g := &Growth{Chats: n, Store: storeName}
	load := newLoader(api, secret, cfg.Chats)
	load.kinds[b.URL()] = Hocvuso
	var t tally
	marks := []int{n / 10, n / 2, n}
	done := 0
	var took time.Duration
	for _, m := range marks {
		if m <= done {
			continue
		}
		took += load.pool(ctx, b.URL(), chats[done:m], cfg.Chats, cfg.Plan, min(1, len(cfg.Plan.Choices)), &t)
		done = m
		s, err := b.Stats(ctx)
		if err != nil {
			return nil, err
		}
		g.Checkpoints = append(g.Checkpoints, Checkpoint{Chats: m, RSSMB: float64(s.RSSKB) / 1024,
			HeapMB: float64(s.HeapInuse) / (1 << 20), Goroutines: s.Goroutines})
	}
	g.Updates, g.Errors = t.updates, t.errors
	if took > 0 {
		g.UpdatesPerSec = float64(t.updates) / took.Seconds()
	}
	_ = b.Stop() // writes the batched counts
	after, err := usedMemory(ctx, rdb)
	if err != nil {
		return nil, err
	}
	g.RedisBytes = after - before
	g.BytesPerChat = float64(g.RedisBytes) / float64(n)
	sample := chats[:min(n, 2000)]
	mem, err := measureMemory(ctx, rdb, prefix, sessionKind(Hocvuso), sample)
	if err != nil {
		return nil, err
	}
	g.SampledBytes, g.SessionBytes = mem.perChat, mem.perSession
	if mem.sessions > 0 {
		g.KeysPerChat = float64(mem.keys) / float64(mem.sessions)
	}
	return g, nil
}

// pool walks each chat once (presses presses), with workers chats at a time.
func (l *loader) pool(ctx context.Context, botURL string, chats []int64, workers int, plan Plan, presses int, t *tally) time.Duration {
	ids := make(chan int64)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for chat := range ids {
				if err := l.walk(ctx, botURL, chat, plan, presses, t); err != nil {
					t.fail(err)
				}
			}
		})
	}
	for _, c := range chats {
		if ctx.Err() != nil {
			break
		}
		ids <- c
	}
	close(ids)
	wg.Wait()
	return time.Since(start)
}

// usedMemory sums INFO used_memory over every node.
func usedMemory(ctx context.Context, rdb redis.UniversalClient) (int64, error) {
	var mu sync.Mutex
	var total int64
	err := forEachNode(ctx, rdb, func(ctx context.Context, c redis.Cmdable) error {
		info, err := c.Info(ctx, "memory").Result()
		if err != nil {
			return fmt.Errorf("error reading INFO memory: %w", err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				mu.Lock()
				total += n
				mu.Unlock()
			}
		}
		return nil
	})
	return total, err
}

// WriteText prints the growth figures.
func (g *Growth) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "hocvuso bench -growth: %d residents each opened a guide and took a step, then went idle\n", g.Chats)
	fmt.Fprintf(w, "store: %s; %d updates (%.0f/s), %d errors\n\n", g.Store, g.Updates, g.UpdatesPerSec, g.Errors)
	fmt.Fprintf(w, "Redis: used_memory grew by %.1f MB, %.0f bytes per idle resident (%.0f by MEMORY USAGE of their %.1f keys; the session key alone %.0f)\n",
		float64(g.RedisBytes)/(1<<20), g.BytesPerChat, g.SampledBytes, g.KeysPerChat, g.SessionBytes)
	fmt.Fprintln(w, "bot process:")
	for _, c := range g.Checkpoints {
		fmt.Fprintf(w, "  after %7d chats: RSS %6.1f MB, heap in use %5.1f MB, %d goroutines\n", c.Chats, c.RSSMB, c.HeapMB, c.Goroutines)
	}
	return nil
}
