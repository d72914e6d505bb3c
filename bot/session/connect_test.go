package session_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot/session"
	"hocvuso/bot/session/redistest"
)

func TestConnectURLs(t *testing.T) {
	tests := []struct {
		url   string
		kind  string // "single", "cluster" or "sentinel"
		addrs string
	}{
		{"redis://127.0.0.1:6379/2", "single", "127.0.0.1:6379"},
		{"rediss://u:p@cache.example:6380", "single", "cache.example:6380"},
		{"redis+cluster://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3", "cluster", "10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:6379"},
		{"rediss+cluster://:secret@n1:7000,n2:7001/0?pool_size=20", "cluster", "n1:7000,n2:7001"},
		{"redis+sentinel://s1:26379,s2:26379/0?master=hv", "sentinel", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := session.Connect(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			switch v := c.(type) {
			case *redis.ClusterClient:
				if tt.kind != "cluster" {
					t.Fatalf("got a cluster client, want %s", tt.kind)
				}
				if got := strings.Join(v.Options().Addrs, ","); got != tt.addrs {
					t.Fatalf("seed addresses %s, want %s", got, tt.addrs)
				}
			case *redis.Client:
				if tt.kind == "cluster" {
					t.Fatalf("got %T, want a cluster client", c)
				}
				if tt.kind == "single" && v.Options().Addr != tt.addrs {
					t.Fatalf("address %s, want %s", v.Options().Addr, tt.addrs)
				}
			default:
				t.Fatalf("unexpected client %T", c)
			}
		})
	}
}

func TestConnectBadURLs(t *testing.T) {
	for _, u := range []string{
		"redis+sentinel://:hunter2@s1:26379/0",               // no master
		"redis+cluster://:hunter2@n1:7000/3",                 // a cluster has db 0 only
		"redis+cluster://:hunter2@/",                         // no host
		"redis+cluster://:hunter2@n1:7000?no_such_option=1",  // unknown option
		"redis://:hunter2@localhost:6379/0?pool_size=banana", // bad option value
		"mysql://:hunter2@localhost/0",
	} {
		_, err := session.Connect(u)
		if err == nil {
			t.Errorf("%s: no error", u)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", u, err)
		}
	}
}

// TestConnectCluster runs the store on a real 3-master Redis Cluster: chats spread over every
// master, and the compare-and-set script works because each chat's keys share one slot.
func TestConnectCluster(t *testing.T) {
	cluster := redistest.StartCluster(t, 3)
	rdb, err := session.Connect(cluster.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	ctx := context.Background()
	st := session.New(rdb, session.WithPrefix("hvtest"))
	const chats = 60
	for chat := range int64(chats) {
		for step := range 3 {
			if _, err := st.Update(ctx, chat, func(s *session.Session) (bool, error) {
				s.State.Flow, s.State.Step = "vneid", fmt.Sprint("step", step)
				s.MarkSeen(chat*10 + int64(step) + 1)
				return true, nil
			}); err != nil {
				t.Fatalf("chat %d: %v", chat, err)
			}
		}
	}
	for chat := range int64(chats) {
		s, err := st.Load(ctx, chat)
		if err != nil || s.Rev != 3 || s.State.Step != "step2" {
			t.Fatalf("chat %d: loaded %+v, %v", chat, s, err)
		}
	}
	perMaster := map[string]int64{}
	var mu sync.Mutex
	cc := rdb.(*redis.ClusterClient)
	err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { // runs them at once
		n, err := c.DBSize(ctx).Result()
		mu.Lock()
		perMaster[c.Options().Addr] = n
		mu.Unlock()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(perMaster) != 3 {
		t.Fatalf("sessions on %d masters, want 3: %v", len(perMaster), perMaster)
	}
	for addr, n := range perMaster {
		if n == 0 {
			t.Errorf("master %s holds no session: %v", addr, perMaster)
		}
	}
}

// TestConnectSentinel finds the master through a real Sentinel.
func TestConnectSentinel(t *testing.T) {
	master := redistest.StartServer(t)
	sentinel := redistest.StartSentinel(t, master, "hv")
	rdb, err := session.Connect("redis+sentinel://" + sentinel.Addr() + "/0?master=hv")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	ctx := context.Background()
	st := session.New(rdb, session.WithPrefix("hvtest"))
	if _, err := st.Update(ctx, 7, func(s *session.Session) (bool, error) { s.State.Step = "os"; return true, nil }); err != nil {
		t.Fatal(err)
	}
	direct := redis.NewClient(&redis.Options{Addr: master.Addr()})
	defer direct.Close()
	if n, err := direct.Exists(ctx, st.Key(7)).Result(); err != nil || n != 1 {
		t.Fatalf("the session is not on the master the sentinel names: %d, %v", n, err)
	}
}
