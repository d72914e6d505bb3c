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
	unlock := t.locks.Lock(in.event.ChatID)
	defer unlock()
	out, err := t.rt.Handle(ctx, in.event)
	if err != nil {
		t.log.Warn("group press not applied", "err", t.redact(err))
		t.answer(ctx, in, t.rt.Busy(in.event).Text)
		return err
	}
	t.answer(ctx, in, out.Notice)
	if out.Duplicate {
		return nil
	}
	if out.EditPressed != nil && in.pressedID != 0 {
		t.edit(ctx, in.event.ChatID, in.pressedID, *out.EditPressed)
	}
	t.deliver(ctx, in.event.ChatID, out.Messages)
	t.deliverAll(ctx, out.Sends)
	return nil
}

// deliverAll delivers messages for other chats (relayed messages, help cards) and edits.
func (t *Transport) deliverAll(ctx context.Context, ds []bot.Delivery) {
	for _, d := range ds {
		if d.EditID != 0 {
			t.edit(ctx, d.ChatID, d.EditID, d.Message)
			continue
		}
		id, err := t.sendID(ctx, d.ChatID, d.Message)
		switch {
		case errors.Is(err, tgbot.ErrorForbidden):
			_ = t.forget(ctx, d.ChatID) // that person blocked the bot
		case err != nil:
			t.log.Warn("send to another chat failed", "err", t.redact(err))
		case d.OnSent != nil:
			d.OnSent(ctx, id)
		}
	}
}

// edit replaces a message's text and buttons (a help card once taken or expired).
func (t *Transport) edit(ctx context.Context, chatID, msgID int64, m bot.Message) {
	params := &tgbot.EditMessageTextParams{ChatID: chatID, MessageID: int(msgID), Text: m.Text, ParseMode: models.ParseModeHTML}
	if markup := keyboard(m.Buttons); markup != nil {
		params.ReplyMarkup = markup
	}
	if _, err := t.api.EditMessageText(ctx, params); err != nil && !isHarmless(err) {
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
