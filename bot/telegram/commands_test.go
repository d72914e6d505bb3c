package telegram_test

import (
	"encoding/json"
	"testing"

	"github.com/go-telegram/bot/models"
)

// TestDefaultCommandMenus: before anyone chooses, the menu is Vietnamese by default and English
// for English clients, set with the two-letter codes setMyCommands accepts. (A chosen minority
// language gets a menu of its own chat: TestLanguage.)
func TestDefaultCommandMenus(t *testing.T) {
	eachStore(t, webhook, func(t *testing.T, e *env) {
		if err := e.tr.SetCommands(t.Context()); err != nil {
			t.Fatal(err)
		}
		calls := e.fake.Calls("setMyCommands")
		want := []struct{ code, lang string }{{"", "vi"}, {"vi", "vi"}, {"en", "en"}}
		if len(calls) != len(want) {
			t.Fatalf("%d setMyCommands calls, want %d (default, vi, en)", len(calls), len(want))
		}
		for i, w := range want {
			p := calls[i].Params
			if p["language_code"] != w.code || p["scope"] != `{"type":"default"}` {
				t.Errorf("call %d: language_code %q, scope %s", i, p["language_code"], p["scope"])
			}
			var cmds []models.BotCommand
			if err := json.Unmarshal([]byte(p["commands"]), &cmds); err != nil {
				t.Fatal(err)
			}
			if len(cmds) != 5 || cmds[0].Command != "start" || cmds[3].Command != "lang" ||
				cmds[3].Description != e.cat.Plain(w.lang, "cmd.lang") {
				t.Errorf("call %d: commands %+v", i, cmds)
			}
		}
	})
}
