package telegram_test

import (
	"context"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// redisHook runs before each Redis command that match accepts: to slow a call down, block it,
// or make it fail, as a flaky network or a busy Redis would.
type redisHook struct {
	mu     sync.Mutex
	match  func(cmd redis.Cmder) bool
	before func(ctx context.Context, cmd redis.Cmder) error
	times  int // how many more matching commands to affect; <0 means all
}

func (h *redisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.take(cmd) {
			if err := h.before(ctx, cmd); err != nil {
				cmd.SetErr(err)
				return err
			}
		}
		return next(ctx, cmd)
	}
}

func (h *redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *redisHook) take(cmd redis.Cmder) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.times == 0 || !h.match(cmd) {
		return false
	}
	if h.times > 0 {
		h.times--
	}
	return true
}

// isCmd matches a command by name and, when key is not empty, by its first key.
func isCmd(name, key string) func(redis.Cmder) bool {
	return func(cmd redis.Cmder) bool {
		if !strings.EqualFold(cmd.Name(), name) {
			return false
		}
		if key == "" {
			return true
		}
		args := cmd.Args()
		for _, a := range args[1:] {
			if s, ok := a.(string); ok && s == key {
				return true
			}
		}
		return false
	}
}

// isSave matches the compare-and-set script (EVALSHA, or EVAL the first time) of a key.
func isSave(key string) func(redis.Cmder) bool {
	return func(cmd redis.Cmder) bool { return isCmd("evalsha", key)(cmd) || isCmd("eval", key)(cmd) }
}
