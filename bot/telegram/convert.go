package telegram

import (
	"strings"

	"github.com/go-telegram/bot/models"

	"hocvuso/bot"
)

// inbound is an update reduced to what the runtime needs, plus what the transport needs to
// answer it.
type inbound struct {
	event      bot.Event
	callbackID string // answer this callback query, whatever happens
	label      string // the text of the pressed button, to mark it chosen
	private    bool   // only private chats get a session
	group      bool   // a command addressed to the bot in a group
	kicked     bool   // the resident blocked the bot
	migrateTo  int64  // the group became a supergroup with this id
	skip       bool   // nothing to do (an update type the bot does not use)
	groupPress bool   // a button pressed in a group (a help card in the volunteers' group)
	pressedID  int64  // the message whose button was pressed
	inline     *models.InlineQuery
}

// chatKey returns the chat an update belongs to, for ordering; 0 when it has none.
func chatKey(u *models.Update) int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.EditedMessage != nil:
		return u.EditedMessage.Chat.ID
	case u.CallbackQuery != nil:
		if m := u.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		}
		if m := u.CallbackQuery.Message.InaccessibleMessage; m != nil {
			return m.Chat.ID
		}
		return u.CallbackQuery.From.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	}
	return 0
}

// convert reads an update defensively: every pointer may be nil.
//
// Edited messages: the edit is not read as a new answer (the resident may have moved on since
// the original, and re-applying an old answer would move them twice). The bot asks them to
// send a new message instead; only a sensitive number in the edit is looked for, to warn.
func convert(u *models.Update, username string) inbound {
	in := inbound{event: bot.Event{ChatID: chatKey(u), UpdateID: u.ID}}
	switch {
	case u.Message != nil:
		convertMessage(&in, u.Message, username)
	case u.EditedMessage != nil:
		m := u.EditedMessage
		in.private = m.Chat.Type == models.ChatTypePrivate
		in.skip = !in.private
		in.event.Kind, in.event.Arg = bot.EventEdited, m.Text
		in.event.LangCode, in.event.UserID = langCode(m.From), userID(m.From)
	case u.CallbackQuery != nil:
		convertCallback(&in, u.CallbackQuery)
	case u.InlineQuery != nil:
		in.inline = u.InlineQuery
		return in
	case u.MyChatMember != nil:
		m := u.MyChatMember
		in.kicked = m.Chat.Type == models.ChatTypePrivate && m.NewChatMember.Type == models.ChatMemberTypeBanned
		in.skip = !in.kicked
	default:
		in.skip = true
	}
	if in.event.ChatID == 0 {
		in.skip = true
	}
	return in
}

func convertCallback(in *inbound, q *models.CallbackQuery) {
	in.callbackID = q.ID
	in.event.Kind, in.event.Arg = bot.EventPress, q.Data
	in.event.LangCode, in.event.Name, in.event.UserID = q.From.LanguageCode, q.From.FirstName, q.From.ID
	m := q.Message.Message
	if m == nil {
		// The message is too old for Telegram to show us (inaccessible): still a press.
		in.private = q.Message.InaccessibleMessage == nil || q.Message.InaccessibleMessage.Chat.Type == models.ChatTypePrivate
		if im := q.Message.InaccessibleMessage; im != nil {
			in.event.MsgID = int64(im.MessageID)
		}
		in.groupPress = !in.private
		in.event.Group = in.groupPress
		return
	}
	in.private = m.Chat.Type == models.ChatTypePrivate
	in.event.MsgID = int64(m.ID)
	in.pressedID = in.event.MsgID
	in.groupPress = !in.private
	in.event.Group = in.groupPress
	if m.ReplyMarkup != nil {
		for _, row := range m.ReplyMarkup.InlineKeyboard {
			for _, b := range row {
				if b.CallbackData == q.Data && in.label == "" {
					in.label = b.Text
				}
			}
		}
	}
}

func convertMessage(in *inbound, m *models.Message, username string) {
	in.private = m.Chat.Type == models.ChatTypePrivate
	in.event.LangCode, in.event.UserID = langCode(m.From), userID(m.From)
	if m.From != nil {
		in.event.Name, in.event.UserID = m.From.FirstName, m.From.ID
	}
	if m.MigrateToChatID != 0 {
		in.migrateTo = m.MigrateToChatID
		return
	}
	if cmd, arg, to, ok := parseCommand(m); ok {
		if to != "" && !strings.EqualFold(to, username) {
			in.skip = true // a command for another bot in a group
			return
		}
		in.group = !in.private
		in.event.Kind, in.event.Command, in.event.Arg = bot.EventCommand, cmd, arg
		return
	}
	if !in.private {
		in.skip = true // the bot only speaks in groups when called by a command
		return
	}
	if m.Text != "" {
		in.event.Kind, in.event.Arg, in.event.Forwarded = bot.EventText, m.Text, m.ForwardOrigin != nil
		return
	}
	in.event.Kind, in.event.Arg = bot.EventMedia, mediaKind(m)
	if _, ok := bot.SensitiveNumber(m.Caption); ok {
		// A photo captioned with an ID or card number: warn as for typed text.
		in.event.Kind, in.event.Arg = bot.EventText, m.Caption
	}
}

// parseCommand reads "/cmd@bot arg" when the message starts with a bot_command entity.
func parseCommand(m *models.Message) (cmd, arg, to string, ok bool) {
	if len(m.Entities) == 0 || m.Entities[0].Type != models.MessageEntityTypeBotCommand || m.Entities[0].Offset != 0 {
		return "", "", "", false
	}
	if !strings.HasPrefix(m.Text, "/") {
		return "", "", "", false
	}
	head, arg, _ := strings.Cut(m.Text[1:], " ")
	cmd, to, _ = strings.Cut(head, "@")
	return strings.ToLower(cmd), strings.TrimSpace(arg), to, cmd != ""
}

func mediaKind(m *models.Message) string {
	switch {
	case m.Sticker != nil:
		return "sticker"
	case m.Voice != nil:
		return "voice"
	case len(m.Photo) > 0:
		return "photo"
	case m.Video != nil, m.VideoNote != nil, m.Animation != nil:
		return "video"
	case m.Document != nil:
		return "document"
	case m.Audio != nil:
		return "audio"
	case m.Location != nil:
		return "location"
	case m.Contact != nil:
		return "contact"
	}
	return "other"
}

func langCode(u *models.User) string {
	if u == nil {
		return ""
	}
	return u.LanguageCode
}

func userID(u *models.User) int64 {
	if u == nil {
		return 0
	}
	return u.ID
}
