package telegram

import (
	"context"
	"errors"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"hocvuso/bot"
)

// handleGroupPress handles a button pressed in a group: the "I'll help" of a help card in the
// volunteers' group. The group has no session; the runtime's addon decides, and the presser
// gets its answer as the callback's toast.
func (t *Transport) handleGroupPress(ctx context.Context, in *inbound) error {
	unlock := t.locks.Lock(in.event.ChatID, in.event.UpdateID)
	defer unlock()
	out, err := t.rt.Handle(ctx, in.event)
	if err != nil {
		t.log.Warn("group press not applied", "err", t.redact(err))
		t.answer(ctx, in, t.rt.Busy(in.event).Text)
		return err
	}
	t.answer(ctx, in, out.Notice)
	if out.Quiet() {
		return nil
	}
	if out.EditPressed != nil && in.pressedID != 0 {
		t.edit(ctx, in.event.ChatID, in.pressedID, *out.EditPressed)
	}
	_ = t.Deliver(ctx, in.event.ChatID, out.Lang, "group", out.Messages)
	t.deliverAll(ctx, out.Sends)
	return nil
}

// deliverAll delivers messages for other chats (relayed messages, help cards) and edits,
// through the outbox (see outbox.go): it returns once they are sent, or once their chat's
// queue must wait long for its sending slot (they go later, in order), or when ctx ends.
func (t *Transport) deliverAll(ctx context.Context, ds []bot.Delivery) {
	type wait struct{ done, stalled <-chan struct{} }
	var waits []wait
	for _, d := range ds {
		done, stalled, ok := t.outbox.push(t.current(d.ChatID), d, t.deliverTo)
		if !ok {
			t.log.Warn("outbox full or stopped: a message for another chat was dropped")
			continue
		}
		waits = append(waits, wait{done, stalled})
	}
	for _, w := range waits {
		select {
		case <-w.done:
		case <-w.stalled:
		case <-ctx.Done():
			return
		}
	}
}

// deliverTo sends or edits one message for another chat.
func (t *Transport) deliverTo(ctx context.Context, d bot.Delivery) {
	if d.EditID != 0 {
		t.edit(ctx, d.ChatID, d.EditID, d.Message)
		return
	}
	if d.Wanted != nil && !d.Wanted(ctx) {
		return // no longer of use (a help card for a request cancelled while it waited)
	}
	chat := d.ChatID
	id, err := t.deliverOne(ctx, &chat, "", "relay", d.Message)
	switch {
	case errors.Is(err, ErrBlocked): // that person blocked the bot: already forgotten
	case err != nil:
		t.log.Warn("send to another chat failed", "err", t.redact(err))
	case d.OnSent != nil:
		for _, next := range d.OnSent(ctx, id) {
			t.deliverTo(ctx, next)
		}
	}
}

// Drain waits, until ctx ends, for the messages the outbox still holds, then stops it. serve
// calls it on shutdown; it returns how many were left unsent (and logs them).
func (t *Transport) Drain(ctx context.Context) int {
	left := t.outbox.drain(ctx)
	if left > 0 {
		t.log.Warn("shutdown: messages for other chats left unsent", "count", left)
	}
	return left
}

// edit replaces a message's text and buttons (a help card once taken or expired).
func (t *Transport) edit(ctx context.Context, chatID, msgID int64, m bot.Message) {
	chatID = t.current(chatID)
	params := &tgbot.EditMessageTextParams{ChatID: chatID, MessageID: int(msgID), Text: m.Text, ParseMode: models.ParseModeHTML}
	if markup := keyboard(m.Buttons); markup != nil {
		params.ReplyMarkup = markup
	}
	err := t.call(ctx, chatID, func(ctx context.Context) error { _, err := t.api.EditMessageText(ctx, params); return err })
	if err != nil && !isHarmless(err) {
		t.log.Warn("edit failed", "err", t.redact(err))
	}
}

// RunDue delivers what the runtime says is due (help requests nobody took in time) every
// interval until ctx is done. Several replicas may run it: the runtime claims each item once.
func (t *Transport) RunDue(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			t.DeliverDue(ctx)
		}
	}
}

// DeliverDue delivers what is due now, once.
func (t *Transport) DeliverDue(ctx context.Context) {
	ds, err := t.rt.Due(ctx)
	if err != nil {
		t.log.Warn("checking due items failed", "err", t.redact(err))
	}
	t.deliverAll(ctx, ds)
}
