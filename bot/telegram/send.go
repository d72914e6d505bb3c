package telegram

import (
	"context"
	"errors"
	"strconv"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"hocvuso/bot"
)

// maxCaption is Telegram's caption limit; longer texts go in a message after the photo.
const maxCaption = 1024

// deliver sends messages in order. The session is already saved: a failed send is logged, not
// retried by redelivering the update (that would repeat the messages that did go out).
func (t *Transport) deliver(ctx context.Context, chatID int64, msgs []bot.Message) {
	for _, m := range msgs {
		if err := t.send(ctx, chatID, m); err != nil {
			if errors.Is(err, tgbot.ErrorForbidden) {
				// Blocked by the resident: end the session quietly.
				_ = t.forget(ctx, chatID)
				return
			}
			t.log.Warn("send failed", "err", t.redact(err))
			return
		}
	}
}

func (t *Transport) send(ctx context.Context, chatID int64, m bot.Message) error {
	markup := keyboard(m.Buttons)
	if m.Image != "" {
		caption, rest := m.Text, ""
		if len([]rune(caption)) > maxCaption {
			caption, rest = "", m.Text
		}
		params := &tgbot.SendPhotoParams{ChatID: chatID, Photo: &models.InputFileString{Data: m.Image}, Caption: caption, ParseMode: models.ParseModeHTML}
		if rest == "" {
			params.ReplyMarkup = markup
		}
		if _, err := t.api.SendPhoto(ctx, params); err != nil {
			return err
		}
		if rest == "" {
			return nil
		}
	}
	params := &tgbot.SendMessageParams{ChatID: chatID, Text: m.Text, ParseMode: models.ParseModeHTML}
	if markup != nil {
		params.ReplyMarkup = markup
	}
	_, err := t.api.SendMessage(ctx, params)
	return err
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
