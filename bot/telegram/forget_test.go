package telegram_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"hocvuso/bot"
)

// lastButtons returns the callback data of the keyboard of the last message sent to a chat.
func (h *harness) lastButtons(chat int64) []string {
	var data []string
	for _, c := range h.api.callsOf("sendMessage") {
		if c.Params["chat_id"] != itoa(chat) {
			continue
		}
		data = data[:0]
		for _, part := range strings.Split(c.Params["reply_markup"], `"callback_data":"`)[1:] {
			data = append(data, part[:strings.Index(part, `"`)])
		}
	}
	return data
}

// /forget deletes everything stored about the chat — session and any other record keyed by
// the chat (stats links, volunteer record) — after a confirmation with buttons.
func TestForget(t *testing.T) {
	const chat = 1001
	ctx := context.Background()
	h := newHarness(t, harnessOpts{})
	cat, _ := content(t)
	for _, u := range []string{commandUpdate(1, chat, "/start vneid"), textUpdate(2, chat, "1"), commandUpdate(3, 1002, "/start")} {
		if err := h.handle(u); err != nil {
			t.Fatal(err)
		}
	}
	// Records other features keep about the chat, named the one way every chat key is named.
	for _, kind := range []string{"vol", "ref", "stats"} {
		if err := h.rdb.Set(ctx, h.store.ChatKey(kind, chat), "x", time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}

	if err := h.handle(commandUpdate(4, chat, "/forget")); err != nil {
		t.Fatal(err)
	}
	buttons := h.lastButtons(chat)
	if len(buttons) != 2 || !strings.HasPrefix(buttons[0], "fg:y:") || !strings.HasPrefix(buttons[1], "fg:n:") {
		t.Fatalf("confirmation buttons %q, want yes and no", buttons)
	}
	if keys, _ := h.store.ChatKeys(ctx, chat); len(keys) != 4 {
		t.Fatalf("keys %v before the confirmation, want 4: nothing is deleted by asking", keys)
	}

	t.Run("No", func(t *testing.T) {
		if err := h.handle(pressUpdate(5, chat, 60, buttons[1], "2. Không xoá")); err != nil {
			t.Fatal(err)
		}
		if keys, _ := h.store.ChatKeys(ctx, chat); len(keys) != 4 {
			t.Fatalf("keys %v after No, want all 4 kept", keys)
		}
		if st := h.state(chat); st.Step != "store_android" {
			t.Errorf("step %q, want the resident where they were", st.Step)
		}
	})
	t.Run("Yes", func(t *testing.T) {
		if err := h.handle(pressUpdate(6, chat, 60, buttons[0], "1. Xoá hết 🗑️")); err != nil {
			t.Fatal(err)
		}
		if keys, err := h.store.ChatKeys(ctx, chat); err != nil || len(keys) != 0 {
			t.Fatalf("keys left after /forget: %v (%v)", keys, err)
		}
		texts := h.api.texts(chat)
		if texts[len(texts)-1] != cat.Text("vi", bot.KeyForgetDone) {
			t.Errorf("last reply %q, want the confirmation of deletion", texts[len(texts)-1])
		}
		if keys, _ := h.store.ChatKeys(ctx, 1002); len(keys) != 1 {
			t.Errorf("another chat's keys %v, want its session kept", keys)
		}
	})
	t.Run("OldButton", func(t *testing.T) {
		// After new steps, a Yes from an older confirmation asks again instead of deleting.
		for _, u := range []string{commandUpdate(7, chat, "/forget"), commandUpdate(8, chat, "/start vneid")} {
			if err := h.handle(u); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.handle(pressUpdate(9, chat, 61, "fg:y:0", "1. Xoá hết 🗑️")); err != nil {
			t.Fatal(err)
		}
		if keys, _ := h.store.ChatKeys(ctx, chat); len(keys) != 1 {
			t.Fatalf("keys %v, want the session kept", keys)
		}
		texts := h.api.texts(chat)
		if texts[len(texts)-1] != cat.Text("vi", bot.KeyForgetStale) {
			t.Errorf("last reply %q, want the old-button notice", texts[len(texts)-1])
		}
	})
}

func itoa(n int64) string { return fmtInt(n) }
