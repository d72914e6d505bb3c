package telegram

import (
	"context"
	"fmt"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"hocvuso/i18n"
)

// menuCommands are the commands Telegram lists in its menu, with their description keys.
var menuCommands = []struct{ command, key string }{
	{"start", "cmd.start"},
	{"menu", "cmd.menu"},
	{"back", "cmd.back"},
	{"lang", "cmd.lang"},
	{"help", "cmd.help"},
}

// commandsIn returns the command menu in lang. Descriptions are plain text; a draft one carries
// the Vietnamese words in brackets, like every unreviewed text.
func (t *Transport) commandsIn(lang string) []models.BotCommand {
	cat := t.rt.Catalog()
	out := make([]models.BotCommand, 0, len(menuCommands))
	for _, c := range menuCommands {
		out = append(out, models.BotCommand{Command: c.command, Description: cat.Plain(lang, c.key)})
	}
	return out
}

// SetCommands sets the command menu everyone sees before choosing a language: Vietnamese by
// default, and English for clients set to English. setMyCommands accepts only two-letter
// language codes, which Tày, Nùng, Hmong and Dao do not have: their residents get a menu of
// their own chat when they choose the language (setChatCommands).
func (t *Transport) SetCommands(ctx context.Context) error {
	cat := t.rt.Catalog()
	calls := []*tgbot.SetMyCommandsParams{{Commands: t.commandsIn(i18n.Base), Scope: &models.BotCommandScopeDefault{}}}
	for _, l := range i18n.AllLanguages() {
		if l.Telegram != "" && cat.Supports(l.Tag) {
			calls = append(calls, &tgbot.SetMyCommandsParams{Commands: t.commandsIn(l.Tag), Scope: &models.BotCommandScopeDefault{}, LanguageCode: l.Telegram})
		}
	}
	for _, p := range calls {
		if _, err := t.api.SetMyCommands(ctx, p); err != nil {
			return fmt.Errorf("error setting the command menu (%s): %s", orBase(p.LanguageCode), t.redact(err))
		}
	}
	return nil
}

func orBase(code string) string {
	if code == "" {
		return "default"
	}
	return code
}

// setChatCommands sets one chat's command menu in the language its resident chose. It is set
// for every language, vi and en too, so the menu follows the choice rather than the phone's
// settings. A failure only costs the menu's wording: it is logged, not retried.
func (t *Transport) setChatCommands(ctx context.Context, chatID int64, lang string) {
	_, err := t.api.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{
		Commands: t.commandsIn(lang),
		Scope:    &models.BotCommandScopeChat{ChatID: chatID},
	})
	if err != nil {
		t.log.Warn("setMyCommands for a chat failed", "lang", lang, "err", t.redact(err))
	}
}
