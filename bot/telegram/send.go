package telegram

import (
	"bytes"
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
	_, err := t.sendID(ctx, chatID, m)
	return err
}

// sendID sends a message and returns the id of the (last) message sent.
func (t *Transport) sendID(ctx context.Context, chatID int64, m bot.Message) (int64, error) {
	markup := keyboard(m.Buttons)
	if m.Upload != nil {
		return t.sendUpload(ctx, chatID, m, markup)
	}
	if m.Image != "" {
		caption, rest := m.Text, ""
		if len([]rune(caption)) > maxCaption {
			caption, rest = "", m.Text
		}
		params := &tgbot.SendPhotoParams{ChatID: chatID, Photo: &models.InputFileString{Data: m.Image}, Caption: caption, ParseMode: models.ParseModeHTML}
		if rest == "" {
			params.ReplyMarkup = markup
		}
		sent, err := t.api.SendPhoto(ctx, params)
		if err != nil {
			return 0, err
		}
		if rest == "" {
			return int64(sent.ID), nil
		}
	}
	params := &tgbot.SendMessageParams{ChatID: chatID, Text: m.Text, ParseMode: models.ParseModeHTML}
	if markup != nil {
		params.ReplyMarkup = markup
	}
	sent, err := t.api.SendMessage(ctx, params)
	if err != nil {
		return 0, err
	}
	return int64(sent.ID), nil
}

// sendUpload sends a picture the bot made (a QR card) as a photo, the text as its caption.
func (t *Transport) sendUpload(ctx context.Context, chatID int64, m bot.Message, markup models.ReplyMarkup) (int64, error) {
	caption := m.Text
	if len([]rune(caption)) > maxCaption {
		caption = string([]rune(caption)[:maxCaption-1]) + "…"
	}
	params := &tgbot.SendPhotoParams{
		ChatID:    chatID,
		Photo:     &models.InputFileUpload{Filename: m.Upload.Name, Data: bytes.NewReader(m.Upload.Data)},
		Caption:   caption,
		ParseMode: models.ParseModeHTML,
	}
	if markup != nil {
		params.ReplyMarkup = markup
	}
	sent, err := t.api.SendPhoto(ctx, params)
	if err != nil {
		return 0, err
	}
	return int64(sent.ID), nil
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
