package telegram

import (
	"context"
	"fmt"
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

// Limits are the sending rates the transport keeps to: the spacing of messages to one chat
// (with the burst Telegram tolerates), to one group, and to everyone. A zero spacing is no
// limit.
type Limits struct {
	PerChat    time.Duration
	ChatBurst  int
	PerGroup   time.Duration
	GroupBurst int
	Global     time.Duration
}

// TelegramLimits are Telegram's published limits, the default.
var TelegramLimits = Limits{PerChat: chatInterval, ChatBurst: chatBurst, PerGroup: groupInterval,
	GroupBurst: groupBurst, Global: globalInterval}

// Unpaced sends as fast as calls come, for a Bot API server that has no limits (a fake in
// tests and in hocvuso bench). 429 answers are still honoured.
var Unpaced = Limits{}

// WithLimits sets the sending rates (default TelegramLimits).
func WithLimits(l Limits) Option { return func(t *Transport) { t.pacer = newPacer(l) } }

// Pacer paces calls to Limits outside a Transport: hocvuso bench paces its floor bot with it,
// so that both bots keep to the same limits.
type Pacer struct{ p *pacer }

// NewPacer returns a pacer keeping to l.
func NewPacer(l Limits) *Pacer { return &Pacer{newPacer(l)} }

// Wait waits until a message to chatID may go, and counts it as gone.
func (p *Pacer) Wait(ctx context.Context, chatID int64) error {
	return p.p.turn(ctx, chatID, time.Now, func(ctx context.Context, at time.Time) bool {
		return sleep(ctx, time.Until(at))
	})
}

// pacer spaces outgoing messages to stay within Telegram's limits, and holds every send back
// after a 429 for as long as Telegram asked. It reserves time slots (GCRA), so calls leave in
// the order they asked, in two steps: first the chat's slot, then, once that time has come,
// a slot of the global limit. A message that must wait for its chat (a group's third card
// in a minute) therefore takes no global slot in the future, and the other chats' messages
// go meanwhile.
type pacer struct {
	limits      Limits
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
	// The last take, so that it can be undone: at what time, and tat before and after it.
	lastAt, prevTat, lastTat time.Time
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
	g.lastAt, g.prevTat = at, g.tat
	if g.tat.Before(at) {
		g.tat = at
	}
	g.tat = g.tat.Add(g.interval)
	g.lastTat = g.tat
}

// untake undoes take(at) if nothing changed tat since: within a burst too, where tat was
// ahead of at.
func (g *gcra) untake(at time.Time) {
	if g.lastAt.Equal(at) && g.tat.Equal(g.lastTat) {
		g.tat = g.prevTat
		g.lastTat = time.Time{} // undone once
	}
}

func newPacer(l Limits) *pacer {
	return &pacer{limits: l, global: newGCRA(l.Global, globalBurst), chats: map[int64]*gcra{}}
}

// chatLimit returns the spacing and burst for chatID: groups have their own.
func (p *pacer) chatLimit(chatID int64) (time.Duration, int) {
	if chatID < 0 {
		return p.limits.PerGroup, p.limits.GroupBurst
	}
	return p.limits.PerChat, p.limits.ChatBurst
}

// reserveChat returns the time at which a message to chatID may go as far as the chat's own
// limit is concerned, and counts it.
func (p *pacer) reserveChat(chatID int64, now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	interval, burst := p.chatLimit(chatID)
	if interval == 0 { // no per-chat limit: nothing to remember about the chat
		return now
	}
	c := p.chats[chatID]
	if c == nil {
		p.prune(now)
		g := newGCRA(interval, max(burst, 1))
		c = &g
		p.chats[chatID] = c
	}
	// A 429 pause holds the chat's slots too: two messages to one group booked during a
	// pause must still leave the group's spacing apart when it ends.
	at := latest(now, p.pausedUntil, c.earliest(now))
	c.take(at)
	return at
}

// reserveGlobal returns the time at which a message whose chat allows it now may go, within
// the global limit and any 429 pause, and counts it.
func (p *pacer) reserveGlobal(now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := latest(now, p.pausedUntil, p.global.earliest(now))
	p.global.take(at)
	return at
}

// releaseChat and releaseGlobal give back a slot reserved at at when the call did not go
// (its context ended while it waited): otherwise every abandoned wait would push later
// messages further out. Only the latest slot can be given back; an earlier one stays a gap.
func (p *pacer) releaseChat(chatID int64, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.chats[chatID]; c != nil {
		c.untake(at)
	}
}

// settleChat counts the chat's spacing from when a message really left, when the global limit
// made it leave later than its chat's slot (reserved): the chat's next slot is at least one
// interval after it.
func (p *pacer) settleChat(chatID int64, reserved, sent time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.chats[chatID]; c != nil && sent.After(reserved) && c.tat.Before(sent.Add(c.interval)) {
		c.tat = sent.Add(c.interval)
	}
}

func (p *pacer) releaseGlobal(at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.global.untake(at)
}

// turn waits (with wait, which reports false when ctx ended first) for chatID's slot, then
// for a global one; a wait given up gives its slot back.
func (p *pacer) turn(ctx context.Context, chatID int64, now func() time.Time, wait func(context.Context, time.Time) bool) error {
	at := p.reserveChat(chatID, now())
	if !wait(ctx, at) {
		p.releaseChat(chatID, at)
		return fmt.Errorf("error waiting to send: %w", ctx.Err())
	}
	sent := p.reserveGlobal(now())
	p.settleChat(chatID, at, sent)
	if !wait(ctx, sent) {
		p.releaseGlobal(sent)
		return fmt.Errorf("error waiting to send: %w", ctx.Err())
	}
	return nil
}

// globalTurn waits for a global slot only (a retry after a 429, see Transport.waitTurn).
func (p *pacer) globalTurn(ctx context.Context, now func() time.Time, wait func(context.Context, time.Time) bool) error {
	sent := p.reserveGlobal(now())
	if !wait(ctx, sent) {
		p.releaseGlobal(sent)
		return fmt.Errorf("error waiting to send: %w", ctx.Err())
	}
	return nil
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
