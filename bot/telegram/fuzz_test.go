package telegram_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"hocvuso/bot/telegram"
)

// FuzzUpdate: any bytes as an update go through decoding, the runtime and the engine to
// rendering and sending without a panic (a recovered one counts as a failure here), and what
// is sent is valid text.
func FuzzUpdate(f *testing.F) {
	files, _ := filepath.Glob("testdata/updates/*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		commandUpdate(1, 1001, "/start vneid"), textUpdate(2, 1001, "1"), pressUpdate(3, 1001, 5, "1.0", "x"),
		`{"update_id":4,"message":{"message_id":1,"chat":{"id":1001,"type":"private"},"date":0}}`,
		`{"update_id":5,"callback_query":{"id":"c","from":{"id":1},"chat_instance":"1"}}`,
		`{"update_id":6,"message":{"message_id":1,"chat":{"id":1001,"type":"private"},"text":"/","entities":[{"offset":0,"length":1,"type":"bot_command"}]}}`,
		`{"update_id":7,"message":{"message_id":1,"chat":{"id":-1001,"type":"group"},"text":"/start@other_bot x","entities":[{"offset":0,"length":16,"type":"bot_command"}]}}`,
		`{"update_id":8,"message":{"message_id":1,"chat":{"id":-1001,"type":"group"},"migrate_to_chat_id":-100100}}`,
		`{"update_id":9,"edited_message":{"message_id":1,"chat":{"id":1001,"type":"private"},"text":"012345678901"}}`,
		`{"update_id":10,"my_chat_member":{"chat":{"id":1001,"type":"private"},"new_chat_member":{"status":"kicked"}}}`,
		`[]`, `null`, `{"update_id":"x"}`, `{`,
	} {
		f.Add([]byte(s))
	}
	h := newHarness(f, harnessOpts{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		u, err := telegram.DecodeUpdate(raw)
		if err != nil {
			return // the transports skip (polling) or refuse (webhook, 400) what does not decode
		}
		before := len(h.api.callsOf(""))
		_ = h.tr.HandleUpdate(context.Background(), u)
		if strings.Contains(h.logs.String(), "panic handling update") {
			t.Fatalf("update %s panicked:\n%s", raw, h.logs.String())
		}
		for _, c := range h.api.callsOf("")[before:] {
			if txt, ok := c.Params["text"]; ok && (c.Method == "sendMessage" && (txt == "" || !utf8.ValidString(txt))) {
				t.Fatalf("sent bad text %q for update %s", txt, raw)
			}
		}
	})
}
