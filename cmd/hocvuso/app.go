package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
	"hocvuso/bot/scamcheck"
	"hocvuso/bot/session"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

// content loads the catalogs and the flow library, validated together.
func content(flowFS fs.FS, flowDir string) (*i18n.Catalog, *flows.Library, error) {
	cat, err := i18n.LoadDefault()
	if err != nil {
		return nil, nil, fmt.Errorf("error loading catalogs: %w", err)
	}
	if flowFS == nil {
		flowFS, flowDir = library.FS, "."
	}
	lib, err := flows.LoadDir(flowFS, flowDir, cat)
	if err != nil {
		return nil, nil, fmt.Errorf("error loading flows:\n%w", err)
	}
	return cat, lib, nil
}

// store connects to REDIS_URL, or starts the embedded server when url is empty and embedded
// is allowed. The returned function releases what was opened.
func store(ctx context.Context, url string, allowEmbedded bool, ttl time.Duration) (*session.Store, func(), error) {
	var rdb redis.UniversalClient
	var closeAll func()
	switch {
	case url != "":
		c, err := session.Connect(url)
		if err != nil {
			return nil, nil, err
		}
		rdb = c
		closeAll = func() { _ = c.Close() }
	case allowEmbedded:
		emb, err := session.StartEmbedded()
		if err != nil {
			return nil, nil, err
		}
		rdb = emb.Client()
		closeAll = func() { _ = rdb.Close(); emb.Close() }
	default:
		return nil, nil, fmt.Errorf("REDIS_URL is required (or -dev for the embedded store)")
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("error reaching redis: %w", err)
	}
	return session.New(rdb, session.WithTTL(ttl)), closeAll, nil
}

// runtime wires content, store and volunteer features into a conversation runtime. Check
// steps and forwarded messages go through the scam check.
func runtime(cat *i18n.Catalog, lib *flows.Library, st *session.Store, log *slog.Logger, addon bot.Addon, opts ...bot.Option) *bot.Runtime {
	opts = append([]bot.Option{bot.WithLogger(log)}, opts...)
	if addon != nil {
		opts = append(opts, bot.WithAddon(addon))
	}
	return bot.New(flows.NewEngine(lib, cat, flows.WithChecker(scamcheck.Check)), cat, st, opts...)
}
