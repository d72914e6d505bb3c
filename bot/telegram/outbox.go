package telegram

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"hocvuso/bot"
)

// Messages for other chats (a help card for the volunteers' group, a relayed message, an
// edited card) go through the outbox: one worker per chat sends that chat's messages in
// order, on the transport's own context. The update that made them waits for them while they
// go at once, as a reply would, but not while one waits for its chat's sending slot: Telegram
// lets a bot post about 20 messages a minute to one group, so on a busy day the tenth help
// card of a minute would hold its resident's update (and the webhook's answer) for half a
// minute, and be dropped when the update's deadline passed. Once a chat's worker has waited
// more than inlineWait in all for its slots, the updates waiting on that chat's queue let go.
const (
	// inlineWait is how long, in pacing waits, an update waits for its messages at most.
	inlineWait = time.Second
	// outboxTimeout bounds one queued delivery; a help card later than this is of no use.
	outboxTimeout = 5 * time.Minute
	// maxQueued bounds the deliveries queued in memory; past it they are dropped and logged.
	maxQueued = 10000
)

type outbox struct {
	log    *slog.Logger
	ctx    context.Context // the transport's lifetime: ended by Drain
	stop   context.CancelFunc
	mu     sync.Mutex
	queues map[int64]*chatQueue // a chat has a worker while it has a queue
	n      int
	idle   *sync.Cond
}

// chatQueue is one chat's deliveries, the head being sent. stalled is closed once the worker
// waits long for the chat's slot: nobody waits on this queue any more.
type chatQueue struct {
	items   []queued
	stalled chan struct{}
	once    sync.Once
	waited  time.Duration // pacing waits since the queue started; only its worker touches it
}

type queued struct {
	d    bot.Delivery
	done chan struct{}
}

func newOutbox(log *slog.Logger) *outbox {
	ctx, stop := context.WithCancel(context.Background())
	o := &outbox{log: log, ctx: ctx, stop: stop, queues: map[int64]*chatQueue{}}
	o.idle = sync.NewCond(&o.mu)
	return o
}

// push queues d for chat (its current id) and starts the chat's worker if it has none. It
// returns channels closed once d is sent (or given up) and once the chat's queue stalls; ok
// is false when the outbox is full.
func (o *outbox) push(chat int64, d bot.Delivery, send func(context.Context, bot.Delivery)) (done, stalled <-chan struct{}, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n >= maxQueued || o.ctx.Err() != nil {
		return nil, nil, false
	}
	o.n++
	q := o.queues[chat]
	if q == nil {
		q = &chatQueue{stalled: make(chan struct{})}
		o.queues[chat] = q
		go o.work(chat, q, send)
	}
	item := queued{d: d, done: make(chan struct{})}
	q.items = append(q.items, item)
	return item.done, q.stalled, true
}

// work sends a chat's queue in order until it is empty. The delivery being sent stays at the
// head, so that later ones queue behind it.
func (o *outbox) work(chat int64, q *chatQueue, send func(context.Context, bot.Delivery)) {
	// Waits add up: seven messages to one chat a second apart hold an update as long as one
	// seven-second wait.
	stall := func(d time.Duration) {
		if q.waited += d; q.waited > inlineWait {
			q.once.Do(func() { close(q.stalled) })
		}
	}
	for {
		o.mu.Lock()
		item := q.items[0]
		o.mu.Unlock()
		ctx, cancel := context.WithTimeout(withStall(o.ctx, stall), outboxTimeout)
		o.sendSafely(ctx, send, item.d)
		cancel()
		close(item.done)
		o.mu.Lock()
		q.items = q.items[1:]
		o.n--
		if len(q.items) == 0 {
			delete(o.queues, chat)
			o.idle.Broadcast()
			o.mu.Unlock()
			return
		}
		o.mu.Unlock()
	}
}

// sendSafely sends one delivery; a panic in it (in a delivery's Wanted or OnSent) is logged
// and costs that delivery only, not the process nor the chat's queue.
func (o *outbox) sendSafely(ctx context.Context, send func(context.Context, bot.Delivery), d bot.Delivery) {
	defer func() {
		if p := recover(); p != nil {
			o.log.Error("panic sending a message for another chat", "panic", fmt.Sprint(p))
		}
	}()
	send(ctx, d)
}

// drain waits until the outbox is empty or ctx ends, then stops it; it returns how many
// deliveries were left unsent.
func (o *outbox) drain(ctx context.Context) int {
	stopWake := context.AfterFunc(ctx, func() {
		o.mu.Lock()
		o.idle.Broadcast()
		o.mu.Unlock()
	})
	defer stopWake()
	o.mu.Lock()
	for o.n > 0 && ctx.Err() == nil {
		o.idle.Wait()
	}
	left := o.n
	o.mu.Unlock()
	o.stop()
	return left
}

type stallKey struct{}

// withStall gives a delivery's context the function to call before each pacing wait.
func withStall(ctx context.Context, stall func(time.Duration)) context.Context {
	return context.WithValue(ctx, stallKey{}, stall)
}

// stalling tells the outbox how long ctx's delivery is about to wait (see waitUntil), so that
// the updates waiting for it let go once the waits pass inlineWait.
func stalling(ctx context.Context, wait time.Duration) {
	if stall, ok := ctx.Value(stallKey{}).(func(time.Duration)); ok {
		stall(wait)
	}
}
