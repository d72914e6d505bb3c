package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"hocvuso/bot"
)

// maxCaption is Telegram's caption limit; longer texts go in a message after the photo.
const maxCaption = 1024

// maxRateRetries bounds how often one call is retried after 429s.
const maxRateRetries = 8

// ErrBlocked means the chat blocked the bot (403): its session was ended.
var ErrBlocked = errors.New("the chat blocked the bot")

// Deliver sends messages to a chat in order, within Telegram's limits, for replies and for
// anything the bot sends on its own (alerts, reminders, relays). lang and where (the chat's
// "flow.step") are for the text fallback and for logs. A 403 ends the chat's session quietly
// and returns ErrBlocked; a group that became a supergroup is followed to its new id.
func (t *Transport) Deliver(ctx context.Context, chatID int64, lang, where string, msgs []bot.Message) error {
	for _, m := range msgs {
		if _, err := t.deliverOne(ctx, &chatID, lang, where, m); err != nil {
			return err
		}
	}
	return nil
}

// deliverOne sends one message with every fallback and returns the id of the (last) message
// sent. chatID follows a group that became a supergroup.
func (t *Transport) deliverOne(ctx context.Context, chatID *int64, lang, where string, m bot.Message) (int64, error) {
	*chatID = t.current(*chatID)
	id, err := t.send(ctx, *chatID, m, models.ParseModeHTML)
	var mig *tgbot.MigrateError
	if errors.As(err, &mig) {
		to := int64(mig.MigrateToChatID)
		// A configured chat (VOLUNTEER_CHAT_ID) keeps its old id until the operator changes
		// it: remember the new one, so that every later message goes there at once.
		t.migrated.Store(*chatID, to)
		t.log.Warn("group became a supergroup: following it; if this id is configured (VOLUNTEER_CHAT_ID), set it to the new one", "from", *chatID, "to", to)
		if merr := t.rt.Move(ctx, *chatID, to); merr != nil {
			t.log.Warn("error moving a migrated group's records", "err", merr)
		}
		*chatID = to
		id, err = t.send(ctx, *chatID, m, models.ParseModeHTML)
	}
	switch {
	case err == nil:
		return id, nil
	case errors.Is(err, tgbot.ErrorForbidden):
		// Blocked by the resident (or removed from the group): end the session quietly.
		t.log.Info("chat blocked the bot: ending its session", "where", where)
		if ferr := t.forget(ctx, *chatID); ferr != nil {
			t.log.Warn("error ending a blocked chat's session", "err", ferr)
		}
		return 0, ErrBlocked
	case hasDescription(err, "can't parse entities"):
		t.log.Warn("message has broken HTML: sending it as plain text", "where", where, "err", t.redact(err))
		m.Text = plainText(m.Text)
		id, err = t.send(ctx, *chatID, m, "")
	case hasDescription(err, "BUTTON_DATA_INVALID"):
		t.log.Error("Telegram refused the buttons: sending them as text", "where", where, "err", t.redact(err))
		id, err = t.send(ctx, *chatID, t.buttonsAsText(lang, m), models.ParseModeHTML)
	}
	if err != nil {
		return 0, fmt.Errorf("error sending a message (%s): %s", where, t.redact(err))
	}
	return id, nil
}

// current is the id chatID goes by now: a group that became a supergroup has a new one.
func (t *Transport) current(chatID int64) int64 {
	if to, ok := t.migrated.Load(chatID); ok {
		return to.(int64)
	}
	return chatID
}

// send sends one message (a photo with its caption, then the rest of a long text, or a
// picture the bot made) and returns the id of the (last) message sent.
func (t *Transport) send(ctx context.Context, chatID int64, m bot.Message, mode models.ParseMode) (int64, error) {
	markup := keyboard(m.Buttons)
	if m.Upload != nil {
		return t.sendUpload(ctx, chatID, m, markup, mode)
	}
	if m.Image != "" {
		caption, rest := m.Text, ""
		if len([]rune(caption)) > maxCaption {
			caption, rest = "", m.Text
		}
		params := &tgbot.SendPhotoParams{ChatID: chatID, Photo: &models.InputFileString{Data: m.Image}, Caption: caption, ParseMode: mode}
		if rest == "" {
			params.ReplyMarkup = markup
		}
		id, err := t.sendPhoto(ctx, chatID, params)
		if err != nil || rest == "" {
			return id, err
		}
	}
	params := &tgbot.SendMessageParams{ChatID: chatID, Text: m.Text, ParseMode: mode}
	if markup != nil {
		params.ReplyMarkup = markup
	}
	var id int64
	err := t.call(ctx, chatID, func(ctx context.Context) error {
		sent, err := t.api.SendMessage(ctx, params)
		if err == nil {
			id = int64(sent.ID)
		}
		return err
	})
	return id, err
}

func (t *Transport) sendPhoto(ctx context.Context, chatID int64, params *tgbot.SendPhotoParams) (int64, error) {
	var id int64
	err := t.call(ctx, chatID, func(ctx context.Context) error {
		sent, err := t.api.SendPhoto(ctx, params)
		if err == nil {
			id = int64(sent.ID)
		}
		return err
	})
	return id, err
}

// sendUpload sends a picture the bot made (a QR card) as a photo, the text as its caption.
func (t *Transport) sendUpload(ctx context.Context, chatID int64, m bot.Message, markup models.ReplyMarkup, mode models.ParseMode) (int64, error) {
	caption := m.Text
	if len([]rune(caption)) > maxCaption {
		caption = string([]rune(caption)[:maxCaption-1]) + "…"
	}
	params := &tgbot.SendPhotoParams{ChatID: chatID, Caption: caption, ParseMode: mode}
	if markup != nil {
		params.ReplyMarkup = markup
	}
	var id int64
	err := t.call(ctx, chatID, func(ctx context.Context) error {
		// A fresh reader each attempt: a retry after a 429 must send the whole picture again.
		params.Photo = &models.InputFileUpload{Filename: m.Upload.Name, Data: bytes.NewReader(m.Upload.Data)}
		sent, err := t.api.SendPhoto(ctx, params)
		if err == nil {
			id = int64(sent.ID)
		}
		return err
	})
	return id, err
}

// call makes one paced Bot API call about chatID. A 429 holds every send for retry_after, then
// the same call is made again: a 429 means Telegram did not take it, so nothing is sent twice.
func (t *Transport) call(ctx context.Context, chatID int64, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		if err := t.waitTurn(ctx, chatID, attempt > 0); err != nil {
			return err
		}
		err := fn(ctx)
		var tm *tgbot.TooManyRequestsError
		if !errors.As(err, &tm) || attempt >= maxRateRetries {
			return err
		}
		wait := max(time.Duration(tm.RetryAfter)*time.Second, time.Second)
		t.log.Warn("Telegram asked to slow down: holding sends", "retry_after", wait)
		t.pacer.pause(t.now().Add(wait))
	}
}

// waitTurn waits for chatID's sending slot, then a global one (see pacer). A retry after a
// 429 keeps its chat's slot, so that it does not fall behind the chat's later messages.
func (t *Transport) waitTurn(ctx context.Context, chatID int64, retry bool) error {
	if retry {
		return t.pacer.globalTurn(ctx, t.now, t.waitUntil)
	}
	return t.pacer.turn(ctx, chatID, t.now, t.waitUntil)
}

// waitUntil sleeps until at; false when ctx ended first. A long wait tells an outbox
// delivery's update to stop waiting for it.
func (t *Transport) waitUntil(ctx context.Context, at time.Time) bool {
	d := at.Sub(t.now())
	if d <= 0 {
		return true
	}
	stalling(ctx, d)
	return t.sleep(ctx, d)
}

// markChosen replaces the keyboard of a message whose button was taken by that one button,
// ticked: the resident sees what they chose, and old buttons cannot be pressed by mistake.
func (t *Transport) markChosen(ctx context.Context, chatID, msgID int64, label, data string) {
	if !strings.HasPrefix(label, chosenMark) {
		label = chosenMark + label
	}
	markup := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: label, CallbackData: data}}}}
	err := t.call(ctx, chatID, func(ctx context.Context) error {
		_, err := t.api.EditMessageReplyMarkup(ctx, &tgbot.EditMessageReplyMarkupParams{ChatID: chatID, MessageID: int(msgID), ReplyMarkup: markup})
		return err
	})
	switch {
	case err == nil:
	case isHarmless(err), hasDescription(err, "message can't be edited"), hasDescription(err, "message to edit not found"):
		t.log.Debug("keyboard left as it was", "err", t.redact(err))
	default:
		t.log.Warn("error marking the chosen button", "err", t.redact(err))
	}
}

const chosenMark = "✓ "

// buttonsAsText moves a message's choices into its text ("1. Android"), for when Telegram
// refuses the keyboard: the resident can still type a number. Link buttons are kept.
func (t *Transport) buttonsAsText(lang string, m bot.Message) bot.Message {
	var b strings.Builder
	b.WriteString(m.Text)
	b.WriteString("\n\n")
	b.WriteString(t.rt.Catalog().Message(lang, bot.KeyButtonFallback, nil, false))
	var links []bot.Button
	for _, btn := range m.Buttons {
		if btn.URL != "" {
			links = append(links, btn)
			continue
		}
		b.WriteString("\n" + strconv.Itoa(btn.Number) + ". " + html.EscapeString(btn.Text))
	}
	return bot.Message{Text: b.String(), Image: m.Image, Buttons: links}
}

// keyboard lays buttons out one per row: big targets for unsteady fingers. Choices carry their
// number so a resident can also type it.
func keyboard(buttons []bot.Button) models.ReplyMarkup {
	if len(buttons) == 0 {
		return nil
	}
	rows := make([][]models.InlineKeyboardButton, 0, len(buttons))
	for _, b := range buttons {
		kb := models.InlineKeyboardButton{Text: ButtonLabel(b)}
		if b.URL != "" {
			kb.URL = b.URL
		} else {
			kb.CallbackData = b.Data
		}
		rows = append(rows, []models.InlineKeyboardButton{kb})
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// ButtonLabel is the text shown on a button: "1. Android" for choices.
func ButtonLabel(b bot.Button) string {
	if b.Number > 0 {
		return strconv.Itoa(b.Number) + ". " + b.Text
	}
	return b.Text
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// plainText turns Telegram HTML into plain text.
func plainText(s string) string { return html.UnescapeString(tagRE.ReplaceAllString(s, "")) }

// hasDescription matches a Bot API error by its description.
func hasDescription(err error, desc string) bool {
	return err != nil && strings.Contains(err.Error(), desc)
}

// isHarmless matches Bot API errors that mean "nothing to do": an edit that changes nothing,
// a callback query answered too late (the bot restarted, or the resident's phone was offline).
func isHarmless(err error) bool {
	return errors.Is(err, tgbot.ErrorBadRequest) &&
		(hasDescription(err, "message is not modified") || hasDescription(err, "query is too old") ||
			hasDescription(err, "query ID is invalid"))
}
