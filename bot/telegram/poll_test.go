package telegram_test

import (
	"fmt"
	"reflect"
	"testing"
)

// TestPollBatchInOrder: updates queued before the bot starts arrive in one getUpdates batch;
// each chat's are answered in order (chats interleaved in the batch), each applied once.
func TestPollBatchInOrder(t *testing.T) {
	eachStore(t, polling, func(t *testing.T, e *env) {
		f := e.lib.Flow("vneid")
		// Chat A: /start, then "1" eight times: the menu's first guide, then each step's first
		// choice. Chat B: /start, then the guide's keyword.
		var batch [][]byte
		want := map[int64][]sent{}
		batch = append(batch, e.start(chatHoa), e.start(chatHoang))
		want[chatHoa] = append(want[chatHoa], e.menu(chatHoa, "vi", 1))
		want[chatHoang] = append(want[chatHoang], e.menu(chatHoang, "vi", 1))
		step := ""
		for i := range 8 {
			if step == "" {
				step = f.Start
			} else {
				step = f.Step(step).Choices()[0].Goto
			}
			batch = append(batch, e.text(chatHoa, "1"))
			want[chatHoa] = append(want[chatHoa], e.step(chatHoa, "vi", f.ID, step, uint32(i+2)))
			if i == 0 {
				batch = append(batch, e.text(chatHoang, "vneid"))
				want[chatHoang] = append(want[chatHoang], e.step(chatHoang, "vi", f.ID, f.Start, 2))
			}
		}
		last := updateID(t, batch[len(batch)-1])
		e.fake.Push(batch...)
		e.run()
		e.fake.WaitConfirmed(t, last)

		got := map[int64][]sent{}
		for _, s := range e.take() {
			got[s.ChatID] = append(got[s.ChatID], s)
		}
		for chat, w := range want {
			if !reflect.DeepEqual(got[chat], w) {
				t.Errorf("chat %d: calls differ\n got:\n%s\nwant:\n%s", chat, list(got[chat]), list(w))
			}
		}
		if st := e.state(chatHoa); st.Step != step || st.Token != 9 {
			t.Errorf("chat A ended at %+v, want step %s with token 9", st, step)
		}
		if n := len(e.fake.Calls("getUpdates")); n < 2 {
			t.Errorf("%d getUpdates calls: the batch was not confirmed", n)
		}
		// Polling deletes any webhook first and keeps pending updates.
		del := e.fake.Calls("deleteWebhook")
		if len(del) != 1 || del[0].Params["drop_pending_updates"] == "true" {
			t.Errorf("deleteWebhook calls = %+v, want one that keeps pending updates", del)
		}
		// A poll timeout under a second is rounded up: 0 would make Telegram answer at once
		// and the poller spin.
		if gu := e.fake.Calls("getUpdates")[0].Params; gu["timeout"] != "1" || gu["allowed_updates"] == "" {
			t.Errorf("first getUpdates params = %v, want timeout 1 and allowed_updates", gu)
		}
	})
}

// TestPollSurvives: a getUpdates error (429 with retry_after) and an update that cannot be
// decoded do not stop polling; the offset moves past the broken update.
func TestPollSurvives(t *testing.T) {
	eachStore(t, polling, func(t *testing.T, e *env) {
		e.fake.Fail("getUpdates", 429, "Too Many Requests: retry after 1", 1)
		broken := fmt.Appendf(nil, `{"update_id":%d,"message":{"message_id":"not a number","chat":{"id":%d,"type":"private"}}}`, e.next, chatHoa)
		e.next++
		start := e.start(chatHoa)
		e.fake.Push(broken, start)
		e.run()
		e.fake.WaitConfirmed(t, updateID(t, start))
		e.expect(e.menu(chatHoa, "vi", 1))
		if n := e.fake.Pending(); n != 0 {
			t.Errorf("%d updates still pending", n)
		}
	})
}
