package telegram_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
	"hocvuso/bot/bottest"
	"hocvuso/bot/session"
	"hocvuso/bot/volunteer"
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
	h.chose(chat, 1002)
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
		if st := h.state(chat); st.Step != "get_android" {
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

// /forget with the volunteer features on: a volunteer who registered, shared a guide and
// brought a neighbour asks to be forgotten. Nothing of theirs remains: no key of the chat,
// no registry entry, no referral code; the neighbour's own session is untouched.
func TestForgetVolunteer(t *testing.T) {
	const vol, neighbour = 2001, 2002
	ctx := context.Background()
	rdb := testRedis(t)
	prefix := uniquePrefix(t, rdb)
	svc := volunteer.New(rdb, volunteer.Config{BotUsername: bottest.Username}, volunteer.WithPrefix(prefix))
	h := newHarness(t, harnessOpts{rdb: rdb, prefix: prefix, rtOpts: []bot.Option{bot.WithAddon(svc)}})
	id := int64(1)
	next := func() int64 { id++; return id }
	steps := []string{
		commandUpdate(next(), vol, "/volunteer"),
		pressUpdate(next(), vol, 70, "v:coc", "Đồng ý"),
		textUpdate(next(), vol, "Xã Hưng Đạo"),
		commandUpdate(next(), vol, "/share"),
		pressUpdate(next(), vol, 71, "v:sh:vneid", "VNeID"),
	}
	for _, u := range steps {
		if err := h.handle(u); err != nil {
			t.Fatal(err)
		}
	}
	v, err := svc.Get(ctx, vol)
	if err != nil || v.Ref == "" {
		t.Fatalf("the volunteer is not registered with a referral code: %+v, %v", v, err)
	}
	for _, u := range []string{commandUpdate(next(), neighbour, "/start vneid-"+v.Ref), textUpdate(next(), neighbour, "1")} {
		if err := h.handle(u); err != nil {
			t.Fatal(err)
		}
	}
	if keys, _ := h.store.ChatKeys(ctx, vol); len(keys) == 0 {
		t.Fatal("the volunteer has no keys: the test would prove nothing")
	}
	if err := h.handle(commandUpdate(next(), vol, "/forget")); err != nil {
		t.Fatal(err)
	}
	yes := h.lastButtons(vol)[0]
	if err := h.handle(pressUpdate(next(), vol, 72, yes, "1. Xoá hết 🗑️")); err != nil {
		t.Fatal(err)
	}
	if keys, err := h.store.ChatKeys(ctx, vol); err != nil || len(keys) != 0 {
		t.Errorf("keys of the volunteer left: %v (%v)", keys, err)
	}
	if _, err := svc.Get(ctx, vol); !errors.Is(err, volunteer.ErrNotFound) {
		t.Errorf("the volunteer is still registered: %v", err)
	}
	if _, err := svc.ByRef(ctx, v.Ref); err == nil {
		t.Error("the referral code still names the volunteer")
	}
	if st := h.state(neighbour); st.Flow != "vneid" {
		t.Errorf("the neighbour's session changed: %+v", st)
	}
	// Nothing still holds the volunteer's id, but the neighbour's own counting marks (who
	// referred them, kept in the neighbour's key until it expires).
	iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
	for iter.Next(ctx) {
		if strings.Contains(iter.Val(), session.HashTag(neighbour)) {
			continue
		}
		dump := redisValue(t, rdb, iter.Val())
		if strings.Contains(dump, fmtInt(vol)) {
			t.Errorf("key %s still holds the volunteer's id: %.120s", iter.Val(), dump)
		}
	}
}

// redisValue returns a key's content as text, whatever its type.
func redisValue(t *testing.T, rdb redis.UniversalClient, key string) string {
	ctx := context.Background()
	switch typ := rdb.Type(ctx, key).Val(); typ {
	case "string":
		return rdb.Get(ctx, key).Val()
	case "hash":
		return fmt.Sprint(rdb.HGetAll(ctx, key).Val())
	case "zset":
		return fmt.Sprint(rdb.ZRangeWithScores(ctx, key, 0, -1).Val())
	case "set":
		return fmt.Sprint(rdb.SMembers(ctx, key).Val())
	case "list":
		return fmt.Sprint(rdb.LRange(ctx, key, 0, -1).Val())
	default:
		return typ
	}
}
