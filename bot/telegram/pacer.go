package telegram

import (
	"sync"
	"time"
)

// Telegram's published limits for sending: about one message per second to one chat (short
// bursts are tolerated), 20 per minute to one group, 30 per second overall.
const (
	chatInterval   = time.Second
	chatBurst      = 3
	groupInterval  = 3 * time.Second
	groupBurst     = 1
	globalInterval = time.Second/30 + time.Millisecond // a hair under 30/s, never over
	globalBurst    = 1
)

// pacer spaces outgoing messages to stay within Telegram's limits, and holds every send back
// after a 429 for as long as Telegram asked. It reserves a time slot per call (GCRA), so calls
// leave in the order they asked, and a slow chat never blocks the others' slots.
type pacer struct {
	mu          sync.Mutex
	global      gcra
	chats       map[int64]*gcra
	pausedUntil time.Time
}

// gcra is one limiter of the generic cell rate algorithm: tat is the theoretical arrival time
// of the next call, interval the spacing, tau how far ahead of it a burst may run.
type gcra struct {
	tat      time.Time
	interval time.Duration
	tau      time.Duration
}

func newGCRA(interval time.Duration, burst int) gcra {
	return gcra{interval: interval, tau: time.Duration(burst-1) * interval}
}

func (g *gcra) earliest(now time.Time) time.Time {
	at := g.tat.Add(-g.tau)
	if at.Before(now) {
		return now
	}
	return at
}

func (g *gcra) take(at time.Time) {
	if g.tat.Before(at) {
		g.tat = at
	}
	g.tat = g.tat.Add(g.interval)
}

func newPacer() *pacer {
	return &pacer{global: newGCRA(globalInterval, globalBurst), chats: map[int64]*gcra{}}
}

// reserve returns the time at which a message to chatID may be sent, and counts it as sent.
func (p *pacer) reserve(chatID int64, now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.chats[chatID]
	if c == nil {
		p.prune(now)
		g := newGCRA(chatInterval, chatBurst)
		if chatID < 0 {
			g = newGCRA(groupInterval, groupBurst)
		}
		c = &g
		p.chats[chatID] = c
	}
	at := latest(now, p.pausedUntil, p.global.earliest(now), c.earliest(now))
	p.global.take(at)
	c.take(at)
	return at
}

// pause holds every send until t (a 429's retry_after).
func (p *pacer) pause(until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.pausedUntil) {
		p.pausedUntil = until
	}
}

// prune forgets chats whose limiter is idle, so memory follows the number of active chats.
func (p *pacer) prune(now time.Time) {
	if len(p.chats) < 4096 {
		return
	}
	for id, c := range p.chats {
		if c.tat.Before(now) {
			delete(p.chats, id)
		}
	}
}

func latest(ts ...time.Time) time.Time {
	out := ts[0]
	for _, t := range ts[1:] {
		if t.After(out) {
			out = t
		}
	}
	return out
}
