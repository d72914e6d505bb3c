package volunteer

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
)

// Counting is batched. Counting one resident's step inline took two Redis round trips of its
// own on every update that moved (the marks script, then the counter increments), doubling
// the round trips of an update. Instead After queues what changed, and the queue goes to
// Redis at most CountEvery later: one pipeline runs every queued mark script, one more adds
// up the counters. Under load that is two round trips a second instead of two per update,
// and the global counters (one hash, one cluster slot) see one write per field per second
// instead of one per resident's tap.
//
// The marks and counts are the same as inline; they are only later. What a process has
// queued is lost if it dies before the flush (counting was already best effort: a failed
// count is logged, never fails the update). Reads of the counts (Counts, Totals) and Forget
// flush this process's queue first; another replica's queue reaches Redis within
// CountEvery.
const (
	CountEvery = time.Second
	countBatch = 1024 // flush early when this many marks wait
)

// mark is one resident reaching a step, to be counted.
type mark struct {
	chat               int64
	flow, lang, step   string
	finished, referrer string
}

type counting struct {
	mu       sync.Mutex
	queue    []mark
	last     time.Time // when the last flush took the queue
	running  bool      // a flush goroutine is on its way
	flushing sync.Mutex
}

// enqueue queues m and starts a flush in the background when one is due.
func (s *Service) enqueue(m mark) {
	c := &s.counting
	c.mu.Lock()
	c.queue = append(c.queue, m)
	due := len(c.queue) >= countBatch || s.now().Sub(c.last) >= CountEvery
	start := due && !c.running
	if start {
		c.running = true
	}
	c.mu.Unlock()
	if start {
		go func() {
			ctx, cancel := context.WithTimeout(bot.Background(context.Background()), 10*time.Second)
			defer cancel()
			s.flushLogged(ctx)
			c.mu.Lock()
			c.running = false
			c.mu.Unlock()
		}()
	}
}

func (s *Service) flushLogged(ctx context.Context) {
	if err := s.Flush(ctx); err != nil {
		s.log.WarnContext(ctx, "counting failed", "err", err)
	}
}

// Flush writes the queued counts now. One flush runs at a time, so that the marks of one
// resident reach Redis in the order they were queued.
func (s *Service) Flush(ctx context.Context) error {
	c := &s.counting
	c.flushing.Lock()
	defer c.flushing.Unlock()
	c.mu.Lock()
	marks := c.queue
	c.queue, c.last = nil, s.now()
	c.mu.Unlock()
	if len(marks) == 0 {
		return nil
	}
	results, err := s.runMarks(ctx, marks)
	if err != nil {
		return err
	}
	pipe := s.rdb.Pipeline()
	for i, m := range marks {
		if res := results[i]; len(res) == 5 {
			s.tally(ctx, pipe, m, res)
		}
	}
	if pipe.Len() == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return err
	}
	return nil
}

// runMarks runs the marks script for every mark in one pipeline, by its SHA; the marks a
// server did not know the script for (after a restart, or a new cluster node) go again with
// the script's text.
func (s *Service) runMarks(ctx context.Context, marks []mark) ([][]any, error) {
	run := func(byText bool, idx []int) ([]*redis.Cmd, error) {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.Cmd, len(idx))
		for j, i := range idx {
			m := marks[i]
			keys := []string{s.k.marks(m.chat)}
			args := []any{m.flow, m.lang + "|" + m.step, m.finished, m.referrer, s.cfg.MarkTTL.Milliseconds()}
			if byText {
				cmds[j] = markScript.Eval(ctx, pipe, keys, args...)
			} else {
				cmds[j] = markScript.EvalSha(ctx, pipe, keys, args...)
			}
		}
		_, err := pipe.Exec(ctx)
		return cmds, err
	}
	all := make([]int, len(marks))
	for i := range all {
		all[i] = i
	}
	results := make([][]any, len(marks))
	cmds, err := run(false, all)
	if err != nil && !isNoScript(err) {
		return nil, err
	}
	var again []int
	for j, cmd := range cmds {
		if isNoScript(cmd.Err()) {
			again = append(again, all[j])
			continue
		}
		results[all[j]], _ = cmd.Slice()
	}
	if len(again) > 0 {
		if cmds, err = run(true, again); err != nil {
			return nil, err
		}
		for j, cmd := range cmds {
			results[again[j]], _ = cmd.Slice()
		}
	}
	return results, nil
}

func isNoScript(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") }
