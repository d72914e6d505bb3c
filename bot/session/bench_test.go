package session_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"

	"hocvuso/bot/session"
)

// benchStores returns a store on the embedded server and, when TEST_REDIS_URL is set, one on
// that Redis, each under its own prefix, removed at the end.
func benchStores(b *testing.B) map[string]*session.Store {
	b.Helper()
	emb, err := session.StartEmbedded()
	if err != nil {
		b.Fatal(err)
	}
	embRDB := emb.Client()
	b.Cleanup(func() { _ = embRDB.Close(); emb.Close() })
	out := map[string]*session.Store{"embedded": session.New(embRDB, session.WithPrefix("hvbench"))}
	if url := os.Getenv("TEST_REDIS_URL"); url != "" {
		rdb, err := session.Connect(url)
		if err != nil {
			b.Fatal(err)
		}
		prefix := "hvbench-" + strings.ToLower(rand.Text()[:10])
		b.Cleanup(func() {
			ctx := context.Background()
			iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
			for iter.Next(ctx) {
				rdb.Del(ctx, iter.Val())
			}
			_ = rdb.Close()
		})
		out["redis"] = session.New(rdb, session.WithPrefix(prefix))
	}
	return out
}

func eachBenchStore(b *testing.B, fn func(b *testing.B, st *session.Store)) {
	stores := benchStores(b)
	for _, name := range []string{"embedded", "redis"} {
		st := stores[name]
		if st == nil {
			continue
		}
		b.Run(name, func(b *testing.B) { fn(b, st) })
	}
}

// BenchmarkLoad is the GET of every update.
func BenchmarkLoad(b *testing.B) {
	eachBenchStore(b, func(b *testing.B, st *session.Store) {
		ctx := context.Background()
		if _, err := st.Save(ctx, chat, sampleSession()); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.Load(ctx, chat); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUpdate is a whole load, change and compare-and-set save: the store's part of an
// update.
func BenchmarkUpdate(b *testing.B) {
	eachBenchStore(b, func(b *testing.B, st *session.Store) {
		ctx := context.Background()
		var id int64
		b.ReportAllocs()
		for b.Loop() {
			id++
			_, err := st.Update(ctx, chat, func(s *session.Session) (bool, error) {
				if s.Rev == 0 {
					*s = sampleSession()
				}
				s.State.Token++
				s.MarkSeen(id)
				return true, nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
