package telegram

import (
	"encoding/json"
	"testing"

	"github.com/go-telegram/bot/models"

	"hocvuso/bot"
)

// A forwarded text becomes a text event marked Forwarded (the runtime checks it for scam
// signs); a typed one does not.
func TestConvertForwarded(t *testing.T) {
	const typed = `{"update_id": 9, "message": {"message_id": 3, "from": {"id": 77, "is_bot": false, "first_name": "Lan"},
		"chat": {"id": 77, "type": "private"}, "date": 1764720500, "text": "Vui lòng cung cấp mã OTP"}}`
	const forwarded = `{"update_id": 10, "message": {"message_id": 4, "from": {"id": 77, "is_bot": false, "first_name": "Lan"},
		"chat": {"id": 77, "type": "private"}, "date": 1764720500, "text": "Vui lòng cung cấp mã OTP",
		"forward_origin": {"type": "hidden_user", "date": 1764720000, "sender_user_name": "Ngân hàng"}}}`
	for _, tc := range []struct {
		raw  string
		want bool
	}{{typed, false}, {forwarded, true}} {
		var u models.Update
		if err := json.Unmarshal([]byte(tc.raw), &u); err != nil {
			t.Fatal(err)
		}
		in := convert(&u, "hocvuso_bot")
		if in.skip || in.event.Kind != bot.EventText || in.event.Arg != "Vui lòng cung cấp mã OTP" || in.event.Forwarded != tc.want {
			t.Errorf("update %d: %+v, want forwarded=%v", u.ID, in.event, tc.want)
		}
	}
}
