package session_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot/session"
)

func testStore(t *testing.T) (*session.Store, func() redis.UniversalClient) {
	t.Helper()
	var open func() redis.UniversalClient
	if url := os.Getenv("TEST_REDIS_URL"); url != "" {
		open = func() redis.UniversalClient {
			c, err := session.Connect(url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			return c
		}
	} else {
		emb, err := session.StartEmbedded()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(emb.Close)
		open = func() redis.UniversalClient {
			c := emb.Client()
			t.Cleanup(func() { _ = c.Close() })
			return c
		}
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "t" + hex.EncodeToString(b)
	rdb := open()
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return session.New(rdb, session.WithPrefix(prefix)), open
}

// Re-deliveries are recognised however many updates of the chat came since: the newest
// MaxSeen exactly, older ones by the floor while the chat is active.
func TestHasSeen(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	var s session.Session
	for id := int64(100); id < 140; id++ {
		s.MarkSeen(id)
	}
	s.At = now.Unix()
	for _, tc := range []struct {
		id   int64
		at   time.Time
		want bool
	}{
		{139, now, true},
		{124, now, true},                          // remembered exactly
		{101, now, true},                          // below the floor, chat active
		{140, now, false},                         // new
		{0, now, false},                           // no id: never a duplicate
		{101, now.Add(25 * time.Hour), false},     // Telegram keeps updates 24h: ids may restart
		{139, now.Add(30 * 24 * time.Hour), true}, // an exact match stays a match
	} {
		if got := s.HasSeen(tc.id, tc.at); got != tc.want {
			t.Errorf("HasSeen(%d) = %v, want %v", tc.id, got, tc.want)
		}
	}
	if len(s.Seen) != session.MaxSeen {
		t.Errorf("%d ids kept, want %d", len(s.Seen), session.MaxSeen)
	}
}

// Many writers on two pools (two replicas) never lose an update.
func TestUpdateConcurrent(t *testing.T) {
	st, open := testStore(t)
	other := session.New(open(), session.WithPrefix(st.Prefix()))
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 40 {
		s := st
		if i%2 == 1 {
			s = other
		}
		wg.Go(func() {
			_, err := s.Update(ctx, 7, func(sess *session.Session) (bool, error) {
				sess.State.Token++
				return true, nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := st.Load(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got.State.Token != 40 || got.Rev != 40 {
		t.Fatalf("token %d rev %d, want 40 and 40", got.State.Token, got.Rev)
	}
}

func TestLease(t *testing.T) {
	st, _ := testStore(t)
	ctx := context.Background()
	a, b := st.Lease("poll", "a", time.Minute), st.Lease("poll", "b", time.Minute)
	if ok, err := a.Acquire(ctx); !ok || err != nil {
		t.Fatalf("a: %v %v", ok, err)
	}
	if ok, _ := b.Acquire(ctx); ok {
		t.Fatal("b took a held lease")
	}
	if ok, _ := a.Acquire(ctx); !ok {
		t.Fatal("a could not renew")
	}
	if err := b.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Acquire(ctx); ok {
		t.Fatal("b's release freed a's lease")
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Acquire(ctx); !ok {
		t.Fatal("b could not take a released lease")
	}
}

func TestForgetAndMove(t *testing.T) {
	st, _ := testStore(t)
	ctx := context.Background()
	rdb := st.Client()
	if _, err := st.Save(ctx, -4000000001, session.Session{At: 1}); err != nil {
		t.Fatal(err)
	}
	rdb.Set(ctx, st.ChatKey("vol", -4000000001), "v", time.Hour)
	rdb.Set(ctx, st.ChatKey("vol", -40000000012), "other chat", time.Hour)
	if err := st.Move(ctx, -4000000001, -1001000000001); err != nil {
		t.Fatal(err)
	}
	if keys, _ := st.ChatKeys(ctx, -4000000001); len(keys) != 0 {
		t.Errorf("old id keeps %v", keys)
	}
	keys, _ := st.ChatKeys(ctx, -1001000000001)
	if len(keys) != 2 {
		t.Fatalf("new id has %v, want the session and the record", keys)
	}
	if ttl := rdb.PTTL(ctx, st.ChatKey("vol", -1001000000001)).Val(); ttl <= 0 {
		t.Errorf("TTL lost in the move: %v", ttl)
	}
	if err := st.Forget(ctx, -1001000000001); err != nil {
		t.Fatal(err)
	}
	if keys, _ := st.ChatKeys(ctx, -1001000000001); len(keys) != 0 {
		t.Errorf("left after Forget: %v", keys)
	}
	if rdb.Exists(ctx, st.ChatKey("vol", -40000000012)).Val() != 1 {
		t.Error("Forget touched a chat whose id merely starts the same")
	}
}
