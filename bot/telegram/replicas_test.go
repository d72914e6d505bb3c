package telegram_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot/session"
	"hocvuso/bot/session/redistest"
	"hocvuso/bot/telegram"
)

// Two replicas (two transports, each with its own go-telegram/bot client and Redis pool)
// serve one webhook behind one Redis. Telegram sends each chat's updates one at a time, to
// either replica, and re-sends some: a copy raced to both replicas at once, and old updates
// re-sent later. 50 chats × 20 updates, chats in parallel: every chat must end exactly where
// a sequential run of its updates ends, having received exactly the same replies.
func TestReplicasShareOneRedis(t *testing.T) {
	rdb := testRedis(t)
	replicaTest(t, rdb, func() redis.UniversalClient { return testRedisSame(t, rdb) })
}

// TestReplicasCluster: the same, with each replica on its own client to a real 3-master Redis
// Cluster (redis-server --cluster-enabled yes, joined by redis-cli --cluster create).
func TestReplicasCluster(t *testing.T) {
	cluster := redistest.StartCluster(t, 3)
	connect := func() redis.UniversalClient {
		c, err := session.Connect(cluster.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	replicaTest(t, connect(), connect)
}

// replicaTest is the body of the replica tests: rdb for the reference run and the checks,
// newClient for each replica's own pool on the same Redis.
func replicaTest(t *testing.T, rdb redis.UniversalClient, newClient func() redis.UniversalClient) {
	const chats, perChat = 50, 20
	prefix := uniquePrefix(t, rdb)
	api := newFakeAPI(t)
	secret := telegram.WithWebhookSecret("s")
	replicas := []*harness{
		newHarness(t, harnessOpts{rdb: newClient(), prefix: prefix, api: api, trOpts: []telegram.Option{secret}}),
		newHarness(t, harnessOpts{rdb: newClient(), prefix: prefix, api: api, trOpts: []telegram.Option{secret}}),
	}
	for c := range chats {
		replicas[0].chose(int64(10_000 + c))
	}
	inputs := []string{"1", "2", "3", "1", "1", "/back", "2", "1", "/menu", "vneid", "định danh", "1", "1", "/start vneid"}
	updates := map[int64][]string{}
	var all []string
	rng := rand.New(rand.NewPCG(6, 2026))
	for i := range perChat {
		for c := range chats {
			chat := int64(10_000 + c)
			id := int64(1_000 + i*chats + c) // ids interleave across chats, as Telegram's do
			in := inputs[rng.IntN(len(inputs))]
			if i == 0 {
				in = "/start vneid"
			}
			u := textUpdate(id, chat, in)
			if strings.HasPrefix(in, "/") {
				u = commandUpdate(id, chat, in)
			}
			updates[chat] = append(updates[chat], u)
			all = append(all, u)
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, chats)
	for c := range chats {
		chat := int64(10_000 + c)
		seed := uint64(c)
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, 1))
			for i, u := range updates[chat] {
				if err := deliverLikeTelegram(t, replicas, rng, u); err != nil {
					errs <- fmt.Errorf("chat %d update %d: %w", chat, i, err)
					return
				}
				if i >= 3 && rng.IntN(5) == 0 { // an old update re-sent later
					if err := deliverLikeTelegram(t, replicas, rng, updates[chat][i-3]); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	ref := sequential(t, rdb, all)
	for c := range chats {
		chat := int64(10_000 + c)
		sameState(t, chat, replicas[0].state(chat), ref.state(chat))
		if got, want := api.texts(chat), ref.api.texts(chat); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("chat %d: %d replies, want the %d of a sequential run, in its order", chat, len(got), len(want))
		}
	}
}

// deliverLikeTelegram posts one update to a random replica; one time in four the same update
// also goes to the other replica at the same moment (a retry racing a slow first answer).
// Telegram moves on to the chat's next update only when it got a 200.
func deliverLikeTelegram(t *testing.T, replicas []*harness, rng *rand.Rand, u string) error {
	first := rng.IntN(2)
	if rng.IntN(4) != 0 {
		if code := postWebhook(t, replicas[first].tr, "s", u); code != http.StatusOK {
			return fmt.Errorf("webhook answered %d", code)
		}
		return nil
	}
	codes := make(chan int, 2)
	for _, r := range []int{first, 1 - first} {
		go func() { codes <- postWebhook(t, replicas[r].tr, "s", u) }()
	}
	for range 2 {
		if code := <-codes; code != http.StatusOK {
			return fmt.Errorf("webhook answered %d", code)
		}
	}
	return nil
}
