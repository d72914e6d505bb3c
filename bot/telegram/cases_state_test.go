package telegram_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"hocvuso/bot"
	"hocvuso/bot/session"
	"hocvuso/flows"
)

// C03: a session saved under an older flow definition (a step, or a whole flow, that no longer
// exists; or a value in an old format) meets the current flows after a deploy.
func TestCaseC03(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	cat, _ := content(t)
	ctx := context.Background()
	save := func(chat int64, st flows.State) {
		if _, err := h.store.Save(ctx, chat, session.Session{State: st, At: time.Now().Unix()}); err != nil {
			t.Fatal(err)
		}
	}
	save(1001, flows.State{Flow: "vneid", Version: 0, Step: "download_v1", Back: []string{"os", "gone"}, Token: 7})
	save(1002, flows.State{Flow: "eid_install", Version: 3, Step: "download_v1", Token: 9})
	// The case's literal value: an old format with no revision prefix.
	if err := h.rdb.Set(ctx, h.store.Key(1003), `{"flow":"eid_install","state":"download_v1","v":3}`, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	save(1004, flows.State{Flow: "vneid", Version: 1, Step: "install", Token: 3}) // unaffected

	tests := []struct {
		name   string
		chat   int64
		update string
		flow   string
		step   string
		first  string
	}{
		{"StepGone", 1001, textUpdate(1, 1001, "Tiếp"), "vneid", "os", cat.Text("vi", flows.KeyFlowUpdated)},
		{"FlowGone", 1002, pressUpdate(2, 1002, 5, flows.EncodePress(9, 0), "1. Tiếp"), "", "", cat.Text("vi", flows.KeyFlowUpdated)},
		{"OldFormat", 1003, textUpdate(3, 1003, "Tiếp"), "", "", cat.Text("vi", flows.KeyMenuHint)},
		{"OtherUser", 1004, textUpdate(4, 1004, "1"), "vneid", "account", h.stepText("vneid", "account")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := h.handle(tc.update); err != nil {
				t.Fatal(err)
			}
			st := h.state(tc.chat)
			if st.Flow != tc.flow || st.Step != tc.step {
				t.Errorf("state %q.%q, want %q.%q", st.Flow, st.Step, tc.flow, tc.step)
			}
			if got := h.api.texts(tc.chat); len(got) == 0 || got[0] != tc.first {
				t.Errorf("first reply %.50q, want %.50q", got, tc.first)
			}
		})
	}
	if strings.Contains(h.logs.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", h.logs.String())
	}
}

// C19: a cancelled context (shutdown, or a timed-out Redis context reused by mistake) reaches
// the engine. The FSM is built per update from the stored state, so the chat is never wedged:
// the next update, and /start, work.
func TestCaseC19(t *testing.T) {
	const chat = 1001
	h := newHarness(t, harnessOpts{})
	h.chose(chat)
	if err := h.handle(commandUpdate(1, chat, "/start vneid")); err != nil {
		t.Fatal(err)
	}
	before := h.state(chat)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	ev := bot.Event{ChatID: chat, UpdateID: 2, Kind: bot.EventPress, Arg: flows.EncodePress(before.Token, 0), MsgID: 5}
	if _, err := h.rt.Handle(cancelled, ev); err == nil {
		t.Fatal("handling with a cancelled context succeeded; want an error and no change")
	}
	if got := h.state(chat); got.Step != before.Step || got.Token != before.Token {
		t.Fatalf("state changed by a cancelled event: %+v", got)
	}
	ev.UpdateID = 3
	if _, err := h.rt.Handle(context.Background(), ev); err != nil {
		t.Fatalf("the same press afterwards: %v", err)
	}
	if got := h.state(chat); got.Step != "get_android" {
		t.Fatalf("step %q, want get_android", got.Step)
	}
	if _, err := h.rt.Handle(cancelled, bot.Event{ChatID: chat, UpdateID: 4, Kind: bot.EventCommand, Command: "start"}); err == nil {
		t.Fatal("a cancelled /start succeeded")
	}
	n := len(h.api.texts(chat))
	if err := h.handle(commandUpdate(5, chat, "/start")); err != nil {
		t.Fatal(err)
	}
	if len(h.api.texts(chat)) == n {
		t.Fatal("/start after a cancelled event got no answer")
	}
	if err := h.handle(commandUpdate(6, chat, "/menu")); err != nil {
		t.Fatal(err)
	}
	if got := h.state(chat); got.Flow != "" {
		t.Fatalf("after /menu: flow %q, want the menu", got.Flow)
	}
}

// C20: the session expires in the middle of a flow. No session is "no session", never an
// error: the resident is told and starts again. A half-written value counts as absent. The
// TTL covers state and de-duplication memory together (one key) and is refreshed by every
// save.
func TestCaseC20(t *testing.T) {
	const chat = 1001
	const ttl = 400 * time.Millisecond
	h := newHarness(t, harnessOpts{ttl: ttl})
	h.chose(chat, 1002)
	ctx := context.Background()
	for _, u := range []string{commandUpdate(1, chat, "/start vneid"), textUpdate(2, chat, "1"), textUpdate(3, chat, "1")} {
		if err := h.handle(u); err != nil {
			t.Fatal(err)
		}
	}
	pttl, err := h.rdb.PTTL(ctx, h.store.Key(chat)).Result()
	if err != nil || pttl <= 0 || pttl > ttl {
		t.Fatalf("PTTL %v (%v), want a TTL of at most %v", pttl, err, ttl)
	}
	keys, err := h.store.ChatKeys(ctx, chat)
	if err != nil || len(keys) != 1 {
		t.Fatalf("chat keys %v (%v), want exactly the session", keys, err)
	}
	data := h.pressData(chat, 0)
	passTime(h.rdb, 2*ttl)
	waitFor(t, "the session to expire", func() bool { return h.rdb.Exists(ctx, h.store.Key(chat)).Val() == 0 })

	cat, _ := content(t)
	n := len(h.api.texts(chat))
	if err := h.handle(pressUpdate(4, chat, 9, data, "1. Tiếp theo ➡️")); err != nil {
		t.Fatalf("a press after expiry: %v", err)
	}
	got := h.api.texts(chat)[n:]
	if len(got) < 2 || got[0] != cat.Text("vi", bot.KeyExpired) || got[1] != cat.Text("vi", flows.KeyMenu) {
		t.Fatalf("sent %.80q, want the expiry notice then the menu", got)
	}
	if st := h.state(chat); st.Flow != "" {
		t.Errorf("flow %q, want the menu", st.Flow)
	}

	t.Run("HalfWritten", func(t *testing.T) {
		if err := h.rdb.Set(ctx, h.store.Key(1002), `5|{"st":{"f":"vneid","s":`, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		if err := h.handle(textUpdate(5, 1002, "1")); err != nil {
			t.Fatalf("update on a half-written session: %v", err)
		}
		if st := h.state(1002); st.Flow != "vneid" || st.Step != "os" {
			t.Errorf("state %s.%s, want a fresh start (menu choice 1 = vneid)", st.Flow, st.Step)
		}
	})
}
