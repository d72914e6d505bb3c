package telegram_test

import (
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot/bottest"
	"hocvuso/bot/session"
	"hocvuso/bot/telegram"
)

// TestIdleChatsLeaveNoState: after many chats came (several at once) and went, the bot
// holds nothing for any of them in memory; their sessions are in Redis only. (Unpaced: the
// pacer's own per-chat slots are pruned by time, which a test would have to wait out.)
func TestIdleChatsLeaveNoState(t *testing.T) {
	const chats, workers = 600, 30
	emb, err := session.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	var rdb redis.UniversalClient = emb.Client()
	t.Cleanup(func() { _ = rdb.Close() })
	api := bottest.New(t)
	r := newReplica(t, rdb, "hvgrowth", api, telegram.WithLimits(telegram.Unpaced))
	ids := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c := range ids {
				chat := replicaChat(1000 + c)
				r.post(t, messageUpdate(t, int64(1+2*c), chat, "/start vneid"))
				r.post(t, messageUpdate(t, int64(2+2*c), chat, "1"))
			}
		})
	}
	for c := range chats {
		ids <- c
	}
	close(ids)
	wg.Wait()
	if n := r.tr.Tracked(); n != 0 {
		t.Errorf("the transport holds state for %d chats after all went idle, want 0", n)
	}
	if n := len(emb.Server().DB(0).Keys()); n < chats {
		t.Errorf("%d keys in Redis, want a session for each of %d chats", n, chats)
	}
}
