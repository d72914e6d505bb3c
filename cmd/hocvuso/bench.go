package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot/session"
	"hocvuso/bot/telegram"
	"hocvuso/cmd/hocvuso/internal/bench"
	"hocvuso/flows"
)

// runBench is `hocvuso bench`: the whole bot in webhook mode under simulated residents,
// optionally against the floor bot in the same run.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	chats := fs.Int("chats", 50, "concurrent chats (U)")
	walks := fs.Int("walks", 20, "walks of the guide per chat (R)")
	guide := fs.String("guide", "vneid", "the guide every chat walks, start to end")
	floor := fs.Bool("floor", false, "also run the floor bot under the same load and print ratios to it")
	asJSON := fs.Bool("json", false, "print one JSON object")
	benchfmt := fs.Bool("benchfmt", false, "print Go benchmark lines (for benchstat)")
	redisURL := fs.String("redis", os.Getenv("REDIS_URL"), "Redis URL (default $REDIS_URL; empty: embedded server in the bench process)")
	inProcess := fs.Bool("inprocess", false, "run the bots in this process (CPU and memory then include the load generator)")
	pace := fs.String("pace", "off", "off, or telegram: both bots keep to Telegram's sending limits (about 1 message/s per chat, 30/s in all)")
	check := fs.Bool("check", false, "exit with status 1 when a target is missed or an update failed")
	growth := fs.Int("growth", 0, "instead of a run: N residents open a guide and go idle; report Redis memory and the bot's RSS")
	keep := fs.Bool("keep", false, "leave the run's keys in Redis (to look at what a session holds)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the hocvuso bot process to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *pace != "off" && *pace != "telegram" {
		return fmt.Errorf("-pace is off or telegram, not %q", *pace)
	}
	_, lib, err := content(nil, "")
	if err != nil {
		return err
	}
	plan, err := guidePlan(lib, *guide)
	if err != nil {
		return err
	}
	cfg := bench.Config{
		Chats: *chats, Walks: *walks, Guide: *guide, Plan: plan, Floor: *floor, RedisURL: *redisURL,
		Paced: *pace == "telegram", CPUProfile: *cpuProfile, Keep: *keep,
	}
	if *inProcess {
		cfg.Launch = bench.InProcess(map[bench.Kind]bench.Factory{bench.Hocvuso: hocvusoFactory(stderr), bench.Floor: bench.FloorFactory})
		cfg.CPUScope = "whole bench process (bots, load generator, fake Bot API, embedded Redis)"
	} else {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("error finding this program to start the bots: %w", err)
		}
		cfg.Launch = bench.ChildProcess(exe, "bench-bot")
		cfg.CPUScope = "bot process only (each bot is a child process)"
	}
	if *growth > 0 {
		g, err := bench.RunGrowth(ctx, cfg, *growth)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(g)
		}
		return g.WriteText(stdout)
	}
	report, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(report)
	case *benchfmt:
		err = report.WriteBenchfmt(stdout)
	default:
		err = report.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if *check && !report.Met() {
		return exitCode(1)
	}
	return nil
}

// runBenchBot is the bot process `hocvuso bench` starts: not for direct use.
func runBenchBot(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	env, err := bench.ReadEnv()
	if err != nil {
		return err
	}
	factory := bench.FloorFactory
	if env.Kind == bench.Hocvuso {
		factory = hocvusoFactory(stderr)
	}
	return bench.ServeBot(ctx, factory, env, stdin, stdout)
}

// hocvusoFactory builds hocvuso as `serve` does, in webhook mode, on the bench's fake Bot
// API and Redis.
func hocvusoFactory(stderr io.Writer) bench.Factory {
	return func(ctx context.Context, env bench.BotEnv) (http.Handler, redis.UniversalClient, func(), error) {
		log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		c := serveDefaults()
		c.Token, c.RedisURL, c.APIURL, c.WebhookSecret = env.Token, env.RedisURL, env.APIURL, env.Secret
		c.Volunteers = volunteerFlags(flag.NewFlagSet("bench-bot", flag.ContinueOnError))
		st, closeStore, err := store(ctx, c.RedisURL, false, c.SessionTTL, session.WithPrefix(env.Prefix))
		if err != nil {
			return nil, nil, nil, err
		}
		var extra []telegram.Option
		if !env.Paced {
			extra = append(extra, telegram.WithLimits(telegram.Unpaced))
		}
		tr, rt, err := newTransport(ctx, c, st, log, extra...)
		if err != nil {
			closeStore()
			return nil, nil, nil, err
		}
		// Stopping writes the batched counts, as serve does on its way out.
		return tr.WebhookHandler(), st.Client(), func() { flushCounts(rt, log); closeStore() }, nil
	}
}

// guidePlan is the shortest walk from a guide's start to one of its end steps, as the
// choices to press.
func guidePlan(lib *flows.Library, id string) (bench.Plan, error) {
	f := lib.Flow(id)
	if f == nil {
		return bench.Plan{}, fmt.Errorf("no guide %q", id)
	}
	path := shortestToEnd(f)
	if len(path) < 2 {
		return bench.Plan{}, fmt.Errorf("guide %q has no walk from its start to an end step", id)
	}
	plan := bench.Plan{Start: id}
	for i := 1; i < len(path); i++ {
		for n, b := range f.Step(path[i-1]).Choices() {
			if b.Goto == path[i] {
				plan.Choices = append(plan.Choices, n)
				break
			}
		}
	}
	return plan, nil
}

// shortestToEnd returns the step ids of a shortest walk from the start to an end step.
func shortestToEnd(f *flows.Flow) []string {
	prev := map[string]string{f.Start: ""}
	queue := []string{f.Start}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if f.Step(id).Kind == flows.KindEnd {
			var path []string
			for ; id != ""; id = prev[id] {
				path = append([]string{id}, path...)
			}
			return path
		}
		for _, b := range f.Step(id).Choices() {
			if _, seen := prev[b.Goto]; !seen && b.Goto != flows.MenuTarget {
				prev[b.Goto] = id
				queue = append(queue, b.Goto)
			}
		}
	}
	return nil
}
