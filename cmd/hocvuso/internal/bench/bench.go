// Package bench is `hocvuso bench`: on loopback, a fake Bot API server, a load generator and
// the real bot in webhook mode, with real HTTP both ways. Chats walk a real guide in a closed
// loop (post an update, wait for the reply, press the next button with the callback data the
// bot sent). With a floor, a minimal bot (decode, one GET, one SET, sendMessage, answer the
// press) runs the same load in the same invocation, and hocvuso's figures are given as
// ratios to it: absolute times on a shared machine are noise, ratios within one run are not.
package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot/session"
)

// Kind names a bot under test.
type Kind uint8

// The bots a run compares.
const (
	Hocvuso Kind = iota + 1
	Floor
)

func (k Kind) String() string {
	switch k {
	case Hocvuso:
		return "hocvuso"
	case Floor:
		return "floor"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "hocvuso":
		*k = Hocvuso
	case "floor":
		*k = Floor
	default:
		return fmt.Errorf("unknown bot kind %q", b)
	}
	return nil
}

// Config is one bench run.
type Config struct {
	Chats    int    // concurrent chats (U)
	Walks    int    // walks of the guide per chat (R)
	Guide    string // for the report
	Plan     Plan
	Floor    bool     // run the floor too
	RedisURL string   // "" starts the embedded server in this process
	Launch   Launcher // how bots are started
	CPUScope string   // what the CPU figures cover, for the report
	Paced    bool     // the bots keep to Telegram's sending limits
	Warmup   int      // chats of the warm-up walk (not measured); default min(Chats, 20)
	// Keep leaves the run's keys in Redis, for a look at what a session holds.
	Keep bool
	// CPUProfile, when set, makes the hocvuso bot write a CPU profile there (child process
	// only: in process, profile the bench itself).
	CPUProfile string
}

// secret is the webhook secret of the bench's bots.
const secret = "bench-webhook-secret"

// Chat ids: each bot has its own, so that replies can be told apart.
func chatBase(k Kind) int64 { return 6_000_000_000 + int64(k)*100_000_000 }

func chatIDs(k Kind, n int, offset int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = chatBase(k) + offset + int64(i)
	}
	return out
}

// kindRun is everything measured of one bot.
type kindRun struct {
	kind      Kind
	bot       Bot
	env       BotEnv
	chats     []int64
	warm      []int64
	tally     tally
	elapsed   time.Duration
	cpuNanos  int64
	redisCmds int64
	trips     int64
	bgTrips   int64
	syscalls  int64
	calls     map[string]int64
	mem       memory
	final     Stats
	parkErrs  int64
}

// Run runs the bench and returns its report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Chats <= 0 || cfg.Walks <= 0 || len(cfg.Plan.Choices) == 0 {
		return nil, fmt.Errorf("need chats > 0, walks > 0 and a guide with steps")
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = min(cfg.Chats, 20)
	}
	redisURL, storeName, rdb, closeStore, err := openStore(ctx, cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	defer closeStore()

	kinds := []Kind{Hocvuso}
	if cfg.Floor {
		kinds = append(kinds, Floor)
	}
	prefix, err := freePrefix(ctx, rdb)
	if err != nil {
		return nil, err
	}
	runs := map[Kind]*kindRun{}
	tokens := map[string]Kind{}
	var allChats []int64
	for _, k := range kinds {
		r := &kindRun{kind: k, chats: chatIDs(k, cfg.Chats, 0), warm: chatIDs(k, cfg.Warmup, 50_000_000), calls: map[string]int64{}}
		r.env = BotEnv{Kind: k, RedisURL: redisURL, Prefix: prefix + k.String()[:1], Token: tokenFor(k), Secret: secret, Paced: cfg.Paced}
		if k == Hocvuso {
			r.env.CPUProfile = cfg.CPUProfile
		}
		runs[k] = r
		tokens[r.env.Token] = k
		allChats = append(append(allChats, r.chats...), r.warm...)
	}
	api, err := newAPIServer(tokens, allChats)
	if err != nil {
		return nil, fmt.Errorf("error starting the fake Bot API: %w", err)
	}
	defer api.close()
	if !cfg.Keep {
		defer deleteKeys(context.WithoutCancel(ctx), rdb, prefix)
	}

	for _, k := range kinds {
		r := runs[k]
		r.env.APIURL = api.url
		if r.bot, err = cfg.Launch(ctx, r.env); err != nil {
			stopAll(runs)
			return nil, err
		}
	}
	defer stopAll(runs)

	load := newLoader(api, secret, cfg.Chats+cfg.Warmup)
	for k, r := range runs {
		load.kinds[r.bot.URL()] = k
	}
	if err := warmUp(ctx, load, runs, kinds, cfg.Plan); err != nil {
		return nil, err
	}
	for _, ph := range phases(kinds, cfg.Walks) {
		if err := measure(ctx, load, api, runs[ph.kind], ph.walks, cfg.Plan); err != nil {
			return nil, err
		}
	}
	for _, k := range kinds {
		park(ctx, load, runs[k], cfg.Plan)
	}
	// Stopped, the bots have written what they hold back (hocvuso's batched counts): what is
	// in Redis now is what idle sessions keep.
	stopAll(runs)
	for _, k := range kinds {
		r := runs[k]
		if r.mem, err = measureMemory(ctx, rdb, r.env.Prefix, sessionKind(k), r.chats); err != nil {
			return nil, err
		}
	}
	return newReport(cfg, storeName, runs, api), nil
}

// phase is a part of the load given to one bot.
type phase struct {
	kind  Kind
	walks int
}

// phases splits the walks of the bots as A B B A, so that a change of the machine's load
// during the run (other builds, other tests) weighs on both bots alike.
func phases(kinds []Kind, walks int) []phase {
	if len(kinds) == 1 {
		return []phase{{kinds[0], walks}}
	}
	a, b := kinds[1], kinds[0] // the floor first: it is the reference
	first := (walks + 1) / 2
	second := walks - first
	out := []phase{{a, first}, {b, first}}
	if second > 0 {
		out = append(out, phase{b, second}, phase{a, second})
	}
	return out
}

// warmUp gives each bot one walk of other chats, unmeasured: connections open, scripts load.
func warmUp(ctx context.Context, load *loader, runs map[Kind]*kindRun, kinds []Kind, plan Plan) error {
	for _, k := range kinds {
		r := runs[k]
		var t tally
		load.run(ctx, r.bot.URL(), r.warm, 1, plan, len(plan.Choices), &t)
		if t.errors > 0 {
			return fmt.Errorf("the %s bot failed its warm-up: %d errors, first: %w", k, t.errors, t.firstErr)
		}
	}
	return ctx.Err()
}

// measure runs one phase and adds what it measured to r.
func measure(ctx context.Context, load *loader, api *apiServer, r *kindRun, walks int, plan Plan) error {
	before, err := r.bot.Stats(ctx)
	if err != nil {
		return err
	}
	calls := api.callCounts(r.kind)
	r.elapsed += load.run(ctx, r.bot.URL(), r.chats, walks, plan, len(plan.Choices), &r.tally)
	after, err := r.bot.Stats(ctx)
	if err != nil {
		return err
	}
	for m, n := range api.callCounts(r.kind) {
		if d := n - calls[m]; d > 0 {
			r.calls[m] += d
		}
	}
	r.cpuNanos += after.CPUNanos - before.CPUNanos
	r.redisCmds += after.RedisCmds - before.RedisCmds
	r.trips += after.RedisTrips - before.RedisTrips
	r.bgTrips += after.RedisBgTrips - before.RedisBgTrips
	r.syscalls += after.SyscallsR + after.SyscallsW - before.SyscallsR - before.SyscallsW
	r.final = after
	return ctx.Err()
}

// park leaves every chat in the middle of the guide, and reads the bot's final stats.
func park(ctx context.Context, load *loader, r *kindRun, plan Plan) {
	var t tally
	load.run(ctx, r.bot.URL(), r.chats, 1, plan, len(plan.Choices)/2, &t)
	r.parkErrs = t.errors
	if s, err := r.bot.Stats(ctx); err == nil {
		r.final = s
	}
}

func stopAll(runs map[Kind]*kindRun) {
	for _, r := range runs {
		if r.bot != nil {
			_ = r.bot.Stop()
			r.bot = nil
		}
	}
}

// freePrefix picks a key prefix no key on rdb uses yet. It is as short as production's "hv"
// (one letter here, one for the bot), so that the bytes per session are production's.
func freePrefix(ctx context.Context, rdb redis.UniversalClient) (string, error) {
	for range 20 {
		p := strings.ToLower(rand.Text()[:1])
		var used bool
		err := forEachNode(ctx, rdb, func(ctx context.Context, c redis.Cmdable) error {
			keys, _, err := c.Scan(ctx, 0, p+"?:*", 1000).Result()
			if len(keys) > 0 {
				used = true
			}
			return err
		})
		if err != nil {
			return "", fmt.Errorf("error choosing a key prefix: %w", err)
		}
		if !used && p != "h" {
			return p, nil
		}
	}
	return "", fmt.Errorf("error choosing a key prefix: every short one is in use on this Redis")
}

// openStore connects to url, or starts the embedded server in this process (so that its
// CPU time is not the bot's, as with a real Redis).
func openStore(ctx context.Context, url string) (string, string, redis.UniversalClient, func(), error) {
	name := "redis"
	closeEmb := func() {}
	if url == "" {
		emb, err := session.StartEmbedded()
		if err != nil {
			return "", "", nil, nil, err
		}
		url, closeEmb = "redis://"+emb.Addr()+"/0", emb.Close
		name = "embedded (miniredis: its MEMORY USAGE is an estimate, set REDIS_URL for Redis's own)"
	}
	rdb, err := session.Connect(url)
	if err != nil {
		closeEmb()
		return "", "", nil, nil, err
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		closeEmb()
		return "", "", nil, nil, fmt.Errorf("error reaching redis: %w", err)
	}
	if _, ok := rdb.(*redis.ClusterClient); ok {
		name = "redis cluster"
	}
	return url, name, rdb, func() { _ = rdb.Close(); closeEmb() }, nil
}
