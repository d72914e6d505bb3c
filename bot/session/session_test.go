package session_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot/session"
	"hocvuso/flows"
)

const chat = 1001

// backend is a Redis the store tests run against: the embedded server always, and the real
// Redis of TEST_REDIS_URL when it is set (CI sets it).
type backend struct {
	name     string
	shortTTL time.Duration // a TTL a test can wait out
	open     func(t *testing.T) testRedis
}

// testRedis is one test's view of a backend: no key under prefix exists when the test starts,
// and whatever the test writes there is removed when it ends.
type testRedis struct {
	rdb    redis.UniversalClient
	prefix string
	// expire returns once key has expired, after its TTL (at most shortTTL) ran out.
	expire func(t *testing.T, key string)
}

func backends() []backend {
	bs := []backend{{name: "embedded", shortTTL: 30 * time.Minute, open: openEmbedded}}
	if url := os.Getenv("TEST_REDIS_URL"); url != "" {
		bs = append(bs, backend{name: "redis", shortTTL: 100 * time.Millisecond, open: func(t *testing.T) testRedis {
			return openRedis(t, url)
		}})
	}
	return bs
}

func openEmbedded(t *testing.T) testRedis {
	emb, err := session.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	rdb := emb.Client()
	t.Cleanup(func() { _ = rdb.Close(); emb.Close() })
	return testRedis{rdb: rdb, prefix: "hvtest", expire: func(t *testing.T, key string) {
		// The embedded server's clock moves only when told to.
		emb.Server().FastForward(time.Hour)
	}}
}

func openRedis(t *testing.T, url string) testRedis {
	rdb, err := session.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("TEST_REDIS_URL is set but Redis does not answer: %v", err)
	}
	prefix := "hvtest-" + strings.ToLower(rand.Text()[:12])
	t.Cleanup(func() {
		ctx := context.Background()
		keys, err := rdb.Keys(ctx, prefix+":*").Result()
		if err == nil && len(keys) > 0 {
			err = rdb.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("error removing the test's keys: %v", err)
		}
		_ = rdb.Close()
	})
	return testRedis{rdb: rdb, prefix: prefix, expire: func(t *testing.T, key string) {
		// Poll until Redis has expired the key, for at most a few seconds.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			n, err := rdb.Exists(ctx, key).Result()
			if err != nil {
				t.Fatalf("waiting for %s to expire: %v", key, err)
			}
			if n == 0 {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s did not expire within 5s", key)
			case <-tick.C:
			}
		}
	}}
}

// eachBackend runs test once per backend; newStore makes stores on the test's own keys.
func eachBackend(t *testing.T, test func(t *testing.T, b backend, r testRedis, newStore func(...session.Option) *session.Store)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			r := b.open(t)
			newStore := func(opts ...session.Option) *session.Store {
				return session.New(r.rdb, append([]session.Option{session.WithPrefix(r.prefix)}, opts...)...)
			}
			test(t, b, r, newStore)
		})
	}
}

func sampleSession() session.Session {
	return session.Session{
		State: flows.State{Flow: "vneid", Version: 1, Step: "install", Back: []string{"os", "get_android"},
			Lang: "en", Ref: "CLB_Bac_Son", Token: 42, Mode: flows.ModeLang},
		Seen: []int64{7, 8},
		At:   1767225600,
	}
}

func TestLoadMissing(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, _ testRedis, newStore func(...session.Option) *session.Store) {
		sess, err := newStore().Load(context.Background(), chat)
		if err != nil {
			t.Fatalf("Load of a missing key: %v", err)
		}
		if !reflect.DeepEqual(sess, session.Session{}) {
			t.Fatalf("Load of a missing key = %+v, want the empty session", sess)
		}
	})
}

func TestSaveLoad(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, r testRedis, newStore func(...session.Option) *session.Store) {
		ctx := context.Background()
		st := newStore()
		saved, err := st.Save(ctx, chat, sampleSession())
		if err != nil {
			t.Fatal(err)
		}
		want := sampleSession()
		want.Rev = 1
		if !reflect.DeepEqual(saved, want) {
			t.Fatalf("Save returned %+v, want %+v", saved, want)
		}
		got, err := st.Load(ctx, chat)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Load = %+v, %v; want %+v", got, err, want)
		}
		got.State.Step = "account"
		again, err := st.Save(ctx, chat, got)
		if err != nil || again.Rev != 2 {
			t.Fatalf("second Save: rev %d, %v", again.Rev, err)
		}
		raw, err := r.rdb.Get(ctx, st.Key(chat)).Result()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(raw, "2|{") || len(raw) > 300 {
			t.Fatalf("stored %d bytes %q; want a small value with revision 2 first", len(raw), raw)
		}
		if other, err := st.Load(ctx, chat+1); err != nil || other.Rev != 0 {
			t.Fatalf("another chat sees %+v, %v", other, err)
		}
	})
}

func TestSaveConflict(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, _ testRedis, newStore func(...session.Option) *session.Store) {
		ctx := context.Background()
		st := newStore()
		a, _ := st.Load(ctx, chat)
		b, _ := st.Load(ctx, chat)
		a.State.Step = "from-a"
		if _, err := st.Save(ctx, chat, a); err != nil {
			t.Fatal(err)
		}
		b.State.Step = "from-b"
		if _, err := st.Save(ctx, chat, b); !errors.Is(err, session.ErrConflict) {
			t.Fatalf("the second save from revision 0: %v, want ErrConflict", err)
		}
		ahead := b
		ahead.Rev = 5
		if _, err := st.Save(ctx, chat, ahead); !errors.Is(err, session.ErrConflict) {
			t.Fatalf("a save from a revision never stored: %v, want ErrConflict", err)
		}
		got, _ := st.Load(ctx, chat)
		if got.State.Step != "from-a" || got.Rev != 1 {
			t.Fatalf("stored %+v; the losers must not have written", got)
		}
	})
}

func TestTTL(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, r testRedis, newStore func(...session.Option) *session.Store) {
		ctx := context.Background()
		pttl := func(st *session.Store) time.Duration {
			t.Helper()
			d, err := r.rdb.PTTL(ctx, st.Key(chat)).Result()
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		st := newStore(session.WithTTL(time.Hour))
		sess, err := st.Save(ctx, chat, sampleSession())
		if err != nil {
			t.Fatal(err)
		}
		if d := pttl(st); d <= time.Hour-time.Minute || d > time.Hour {
			t.Fatalf("PTTL after save = %v, want about 1h", d)
		}
		// As if most of the hour had passed: loading does not refresh, saving does.
		if err := r.rdb.PExpire(ctx, st.Key(chat), 5*time.Second).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Load(ctx, chat); err != nil {
			t.Fatal(err)
		}
		if d := pttl(st); d > 5*time.Second {
			t.Fatalf("PTTL after load = %v; Load must not refresh it", d)
		}
		if _, err := st.Save(ctx, chat, sess); err != nil {
			t.Fatal(err)
		}
		if d := pttl(st); d <= time.Hour-time.Minute || d > time.Hour {
			t.Fatalf("PTTL after the second save = %v, want refreshed to about 1h", d)
		}
		// The default is 30 days.
		def := newStore()
		if _, err := def.Save(ctx, chat+1, sampleSession()); err != nil {
			t.Fatal(err)
		}
		d, err := r.rdb.PTTL(ctx, def.Key(chat+1)).Result()
		if err != nil || d <= session.DefaultTTL-time.Minute || d > session.DefaultTTL {
			t.Fatalf("default PTTL = %v, %v; want about %v", d, err, session.DefaultTTL)
		}
	})
}

// TestCaseC20: a session whose TTL ran out mid-flow is "no session", not an error, and a
// save based on it cannot bring half of it back.
func TestCaseC20(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend, r testRedis, newStore func(...session.Option) *session.Store) {
		ctx := context.Background()
		st := newStore(session.WithTTL(b.shortTTL))
		before, err := st.Save(ctx, chat, sampleSession())
		if err != nil {
			t.Fatal(err)
		}
		r.expire(t, st.Key(chat))
		got, err := st.Load(ctx, chat)
		if err != nil {
			t.Fatalf("Load of an expired session: %v", err)
		}
		if !reflect.DeepEqual(got, session.Session{}) {
			t.Fatalf("Load of an expired session = %+v, want the empty session", got)
		}
		before.State.Step = "account"
		if _, err := st.Save(ctx, chat, before); !errors.Is(err, session.ErrConflict) {
			t.Fatalf("saving over an expired session from its old revision: %v, want ErrConflict", err)
		}
		fresh, err := st.Update(ctx, chat, func(s *session.Session) (bool, error) {
			if s.Rev != 0 || s.State.Flow != "" {
				t.Errorf("Update saw %+v, want the empty session", *s)
			}
			s.State.Lang = "vi"
			return true, nil
		})
		if err != nil || fresh.Rev != 1 || fresh.State.Step != "" {
			t.Fatalf("Update after expiry = %+v, %v", fresh, err)
		}
	})
}

// TestCorruptedValue: a value the store cannot read is an empty session that the next save
// replaces, never an error that would lock the resident out.
func TestCorruptedValue(t *testing.T) {
	tcs := []struct {
		name, raw string
		rev       uint64
	}{
		{"no revision", "garbage", 0},
		{"empty", "", 0},
		{"broken JSON", "7|{not json", 7},
		{"wrong JSON type", `3|{"st":"vneid"}`, 3},
		{"not a number", `x|{"st":{}}`, 0},
	}
	eachBackend(t, func(t *testing.T, _ backend, r testRedis, newStore func(...session.Option) *session.Store) {
		ctx := context.Background()
		st := newStore()
		for _, tc := range tcs {
			t.Run(tc.name, func(t *testing.T) {
				if err := r.rdb.Set(ctx, st.Key(chat), tc.raw, time.Hour).Err(); err != nil {
					t.Fatal(err)
				}
				got, err := st.Load(ctx, chat)
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if !reflect.DeepEqual(got, session.Session{Rev: tc.rev}) {
					t.Fatalf("Load = %+v, want an empty session at revision %d", got, tc.rev)
				}
				saved, err := st.Update(ctx, chat, func(s *session.Session) (bool, error) {
					s.State.Flow = "vneid"
					return true, nil
				})
				if err != nil || saved.Rev != tc.rev+1 {
					t.Fatalf("Update over the broken value: %+v, %v", saved, err)
				}
				if got, err := st.Load(ctx, chat); err != nil || got.State.Flow != "vneid" {
					t.Fatalf("Load after the repair: %+v, %v", got, err)
				}
			})
		}
	})
}

// TestConcurrentUpdates: 50 updates of one chat at once; compare-and-set with retries must
// not lose any of them.
func TestConcurrentUpdates(t *testing.T) {
	const n = 50
	eachBackend(t, func(t *testing.T, _ backend, _ testRedis, newStore func(...session.Option) *session.Store) {
		ctx := context.Background()
		st := newStore()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				_, err := st.Update(ctx, chat, func(s *session.Session) (bool, error) {
					s.State.Token++
					s.State.Back = append(s.State.Back, strconv.Itoa(i))
					s.MarkSeen(int64(i + 1))
					return true, nil
				})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Update: %v", err)
			}
		}
		got, err := st.Load(ctx, chat)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rev != n || got.State.Token != n || len(got.State.Back) != n {
			t.Fatalf("after %d updates: rev %d, counter %d, %d ids", n, got.Rev, got.State.Token, len(got.State.Back))
		}
		ids := slices.Clone(got.State.Back)
		slices.SortFunc(ids, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
		for i, id := range ids {
			if id != strconv.Itoa(i) {
				t.Fatalf("update ids %q: %d is lost or doubled", got.State.Back, i)
			}
		}
		if len(got.Seen) != session.MaxSeen {
			t.Fatalf("seen %v, want the newest %d", got.Seen, session.MaxSeen)
		}
	})
}

func TestUpdateWithoutSave(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, r testRedis, newStore func(...session.Option) *session.Store) {
		ctx := context.Background()
		st := newStore()
		boom := errors.New("boom")
		if _, err := st.Update(ctx, chat, func(s *session.Session) (bool, error) { s.State.Flow = "x"; return false, nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Update(ctx, chat, func(s *session.Session) (bool, error) { s.State.Flow = "x"; return true, boom }); !errors.Is(err, boom) {
			t.Fatalf("Update returned %v, want the callback's error", err)
		}
		if n, err := r.rdb.Exists(ctx, st.Key(chat)).Result(); err != nil || n != 0 {
			t.Fatalf("a declined update stored something: %d, %v", n, err)
		}
	})
}

func TestDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, r testRedis, newStore func(...session.Option) *session.Store) {
		ctx := context.Background()
		st := newStore()
		if _, err := st.Save(ctx, chat, sampleSession()); err != nil {
			t.Fatal(err)
		}
		if err := st.Delete(ctx, chat); err != nil {
			t.Fatal(err)
		}
		if n, _ := r.rdb.Exists(ctx, st.Key(chat)).Result(); n != 0 {
			t.Fatal("the key is still there")
		}
		if got, err := st.Load(ctx, chat); err != nil || got.Rev != 0 {
			t.Fatalf("Load after Delete = %+v, %v", got, err)
		}
		if err := st.Delete(ctx, chat); err != nil {
			t.Fatalf("deleting nothing: %v", err)
		}
	})
}

// TestUnreachable: when Redis cannot answer, the store says so; it never pretends the chat
// has no session.
func TestUnreachable(t *testing.T) {
	emb, err := session.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: emb.Addr(), MaxRetries: -1, DialerRetries: 1})
	defer rdb.Close()
	st := session.New(rdb)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := st.Load(ctx, chat); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load with a cancelled context: %v", err)
	}
	if _, err := st.Save(ctx, chat, sampleSession()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Save with a cancelled context: %v", err)
	}
	emb.Close()
	calls := 0
	_, err = st.Update(context.Background(), chat, func(*session.Session) (bool, error) { calls++; return true, nil })
	if err == nil || calls != 0 {
		t.Fatalf("Update with Redis gone: %v after %d calls; want an error before the callback", err, calls)
	}
	if err := st.Delete(context.Background(), chat); err == nil {
		t.Fatal("Delete with Redis gone: no error")
	}
}

func TestMarkSeen(t *testing.T) {
	var s session.Session
	s.MarkSeen(0) // transports without ids
	if len(s.Seen) != 0 {
		t.Fatalf("MarkSeen(0) recorded %v", s.Seen)
	}
	for id := int64(1); id <= session.MaxSeen+2; id++ {
		s.MarkSeen(id)
	}
	var want []int64
	for id := int64(3); id <= session.MaxSeen+2; id++ {
		want = append(want, id)
	}
	if !slices.Equal(s.Seen, want) || s.Floor != 2 {
		t.Fatalf("Seen = %v, floor %d; want the newest %d: %v, floor 2", s.Seen, s.Floor, session.MaxSeen, want)
	}
	now := time.Now()
	for id, want := range map[int64]bool{1: false, 2: false, 3: true, session.MaxSeen + 2: true, session.MaxSeen + 3: false, 0: false} {
		// The session was never saved (At is 0): ids below the floor are not taken as seen.
		if got := s.HasSeen(id, now); got != want {
			t.Errorf("HasSeen(%d) = %v, want %v", id, got, want)
		}
	}
}

func TestKey(t *testing.T) {
	if got := session.New(nil).Key(chat); got != "hv:s:{1001}" {
		t.Errorf("default key %q", got)
	}
	if got := session.New(nil, session.WithPrefix("x")).Key(-1001000000001); got != "x:s:{-1001000000001}" {
		t.Errorf("prefixed key of a supergroup %q", got)
	}
}

func TestConnect(t *testing.T) {
	if _, err := session.Connect("redis://127.0.0.1:6379/0"); err != nil {
		t.Fatalf("a good URL: %v", err)
	}
	for _, bad := range []string{"redis://:s3cr3t@127.0.0.1:6379/notadb", "http://user:s3cr3t@127.0.0.1", "s3cr3t"} {
		_, err := session.Connect(bad)
		if err == nil {
			t.Errorf("Connect(%q): no error", bad)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("Connect(%q) leaks the password: %v", bad, err)
		}
	}
}

// Re-deliveries are recognised however many updates of the chat came since: the newest
// MaxSeen exactly, older ones by the floor while the chat is active.
func TestHasSeenFloor(t *testing.T) {
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
}

func TestLease(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, _ testRedis, newStore func(...session.Option) *session.Store) {
		st := newStore()
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
	})
}

func TestForgetAndMove(t *testing.T) {
	eachBackend(t, func(t *testing.T, _ backend, r testRedis, newStore func(...session.Option) *session.Store) {
		st := newStore()
		ctx := context.Background()
		rdb := r.rdb
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
	})
}
