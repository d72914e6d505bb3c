// Package fakeapi is how a fake Telegram Bot API answers: it reads requests as the Bot API
// accepts them and answers the methods hocvuso uses, as Telegram would. It has no test
// dependencies, so that both the test server (bot/bottest) and the load benchmark (hocvuso
// bench) answer from this one source.
package fakeapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// The bot a fake server pretends to be.
const (
	Token     = "7000000001:TEST-hocvuso-fake-token"
	BotID     = 7000000001
	Username  = "hocvuso_bot"
	FirstName = "Học vụ số"
)

// Route splits a request path "/bot<token>/<method>".
func Route(path string) (token, method string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/bot")
	if !ok {
		return "", "", false
	}
	token, method, ok = strings.Cut(rest, "/")
	return token, method, ok && token != "" && method != ""
}

// Bot answers the methods that need no queue of updates (everything but getUpdates). Its
// methods are safe for concurrent use.
type Bot struct {
	lastMsg atomic.Int64 // message_id of the last message "sent"
}

// Answer gives the result of a successful call of method, or the error Telegram gives for a
// method it does not know.
func (b *Bot) Answer(method string, p map[string]string) (any, *Error) {
	switch method {
	case "getMe":
		return User{ID: BotID, IsBot: true, FirstName: FirstName, Username: Username}, nil
	case "sendMessage", "sendPhoto", "editMessageText", "editMessageReplyMarkup":
		return b.message(p), nil
	case "answerCallbackQuery", "answerInlineQuery", "setWebhook", "deleteWebhook", "sendChatAction",
		"setMyCommands", "deleteMyCommands":
		return true, nil
	}
	return nil, &Error{Code: http.StatusNotFound, Description: "Not Found"}
}

// message is the Message Telegram returns for a send or an edit.
func (b *Bot) message(p map[string]string) Message {
	chatID, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	id := b.lastMsg.Add(1)
	if n, err := strconv.ParseInt(p["message_id"], 10, 64); err == nil {
		id = n // an edit returns the edited message
	}
	m := Message{
		MessageID: id, Date: 1764720000 + id, Chat: Chat{ID: chatID, Type: chatType(chatID)},
		From: &User{ID: BotID, IsBot: true, FirstName: FirstName, Username: Username},
		Text: p["text"], Caption: p["caption"],
	}
	if p["photo"] != "" {
		m.Photo = []PhotoSize{{FileID: "photo-" + strconv.FormatInt(id, 10), FileUniqueID: "u" + strconv.FormatInt(id, 10), Width: 1280, Height: 960}}
	}
	if rm := p["reply_markup"]; rm != "" && json.Valid([]byte(rm)) {
		m.ReplyMarkup = json.RawMessage(rm)
	}
	return m
}

func chatType(id int64) string {
	switch {
	case id > 0:
		return "private"
	case id < -1_000_000_000_000:
		return "supergroup"
	}
	return "group"
}
