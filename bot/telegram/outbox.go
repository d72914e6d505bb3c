package telegram

import (
	"context"
	"sync"
	"time"

	"hocvuso/bot"
)

// Messages for other chats (a help card for the volunteers' group, a relayed message, an
// edited card) must not wait inside the update that made them: Telegram lets a bot post about
// 20 messages a minute to one group, so on a busy day the tenth help card of a minute would
// hold its resident's update (and the webhook's answer) for half a minute, and be dropped when
// the update's deadline passed. A delivery whose chat cannot be sent to now goes to the
// outbox instead: one worker per chat sends its queue in order, within the pacing, on the
// transport's own context.
const (
	// inlineWait is the longest pacing wait a delivery may spend inside its update.
	inlineWait = time.Second
	// outboxTimeout bounds one queued delivery; a help card later than this is of no use.
	outboxTimeout = 5 * time.Minute
	// maxQueued bounds the deliveries queued in memory; past it they are dropped and logged.
	maxQueued = 10000
)

type outbox struct {
	ctx    context.Context // the transport's lifetime: ended by Drain
	stop   context.CancelFunc
	mu     sync.Mutex
	queues map[int64][]bot.Delivery // a chat has a worker while it has a queue
	n      int
	idle   *sync.Cond
}

func newOutbox() *outbox {
	ctx, stop := context.WithCancel(context.Background())
	o := &outbox{ctx: ctx, stop: stop, queues: map[int64][]bot.Delivery{}}
	o.idle = sync.NewCond(&o.mu)
	return o
}

// busy reports whether chat has deliveries queued: later ones queue behind them, so a chat
// receives what was meant for it in order.
func (o *outbox) busy(chat int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.queues[chat]) > 0
}

// push queues d for its chat and starts the chat's worker if it has none; false when full.
func (o *outbox) push(d bot.Delivery, send func(context.Context, bot.Delivery)) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n >= maxQueued {
		return false
	}
	o.n++
	q := o.queues[d.ChatID]
	o.queues[d.ChatID] = append(q, d)
	if len(q) == 0 {
		go o.work(d.ChatID, send)
	}
	return true
}

// work sends a chat's queue in order until it is empty. The delivery being sent stays at the
// head of the queue, so that busy holds while it is on its way.
func (o *outbox) work(chat int64, send func(context.Context, bot.Delivery)) {
	for {
		o.mu.Lock()
		q := o.queues[chat]
		o.mu.Unlock()
		ctx, cancel := context.WithTimeout(o.ctx, outboxTimeout)
		send(ctx, q[0])
		cancel()
		o.mu.Lock()
		q = o.queues[chat][1:]
		o.n--
		if len(q) == 0 {
			delete(o.queues, chat)
			o.idle.Broadcast()
			o.mu.Unlock()
			return
		}
		o.queues[chat] = q
		o.mu.Unlock()
	}
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
