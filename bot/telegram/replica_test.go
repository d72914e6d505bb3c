package telegram_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
	"hocvuso/bot/bottest"
	"hocvuso/bot/session"
	"hocvuso/bot/session/redistest"
	"hocvuso/bot/telegram"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

// Replica test sizes: 50 chats × 20 updates, as a campaign's first minutes look to two
// replicas behind one webhook.
const (
	replicaChats   = 50
	replicaUpdates = 20
)

// TestReplicasCluster: two bot replicas on a real 3-master Redis Cluster pass the
// interleaved-updates replica test.
func TestReplicasCluster(t *testing.T) {
	cluster := redistest.StartCluster(t, 3)
	runReplicaTest(t, func(t *testing.T) redis.UniversalClient {
		rdb, err := session.Connect(cluster.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rdb.Close() })
		return rdb
	})
}

// runReplicaTest sends every chat's updates in order, each to one of two replicas in turn
// (each replica with its own Redis client, runtime and go-telegram/bot client), all chats at
// once. Every chat must end exactly as a sequential run on a single bot leaves it: same
// state, same revision (no update lost or applied twice), same update ids remembered.
func runReplicaTest(t *testing.T, newClient func(t *testing.T) redis.UniversalClient) {
	api := bottest.New(t)
	prefix := "hvreplica-" + strings.ToLower(rand.Text()[:10])
	replicas := []*replica{newReplica(t, newClient(t), prefix, api), newReplica(t, newClient(t), prefix, api)}
	script, burst := replicaScript(t, replicaChats, replicaUpdates)

	var wg sync.WaitGroup
	for c, updates := range script {
		wg.Go(func() {
			for i, u := range updates {
				replicas[(c+i)%2].post(t, u)
			}
			// Then a burst of the same chat on both replicas at once: the compare-and-set
			// must keep every one of them.
			var burstWG sync.WaitGroup
			for i, u := range burst[c] {
				burstWG.Go(func() { replicas[i%2].post(t, u) })
			}
			burstWG.Wait()
		})
	}
	wg.Wait()

	ref := newReplica(t, newClient(t), prefix+"-ref", api)
	for c, updates := range script {
		for _, u := range append(updates, burst[c]...) {
			ref.post(t, u)
		}
	}
	ctx := context.Background()
	for c := range script {
		chat := replicaChat(c)
		got, err := replicas[0].store.Load(ctx, chat)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.store.Load(ctx, chat)
		if err != nil {
			t.Fatal(err)
		}
		got.At, want.At = 0, 0
		// The burst's updates may land in any order: compare the ids remembered as a set.
		slices.Sort(got.Seen)
		slices.Sort(want.Seen)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("chat %d: replicas left %+v, a sequential run %+v", chat, got, want)
		}
		if want.Rev == 0 || want.State.Flow == "" && want.State.Token == 0 {
			t.Errorf("chat %d: the sequential run did nothing: %+v", chat, want)
		}
	}
}

// replica is one bot process: its own Redis client, runtime, Bot API client and webhook.
type replica struct {
	store *session.Store
	tr    *telegram.Transport
	hook  *httptest.Server
}

func newReplica(t *testing.T, rdb redis.UniversalClient, prefix string, api *bottest.Server, opts ...telegram.Option) *replica {
	t.Helper()
	cat, err := i18n.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := flows.LoadDir(library.FS, ".", cat)
	if err != nil {
		t.Fatal(err)
	}
	st := session.New(rdb, session.WithPrefix(prefix))
	t.Cleanup(func() { deleteKeys(t, rdb, prefix) }) // the keys this replica's client can see
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	rt := bot.New(flows.NewEngine(lib, cat), cat, st, bot.WithLogger(log))
	tr, err := telegram.New(t.Context(), rt, bottest.Token, append([]telegram.Option{telegram.WithAPIURL(api.URL()),
		telegram.WithWebhookSecret(secret), telegram.WithLogger(log)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{store: st, tr: tr, hook: httptest.NewServer(tr.WebhookHandler())}
	t.Cleanup(r.hook.Close)
	return r
}

// post delivers one update by webhook; it must be answered 200.
func (r *replica) post(t *testing.T, raw []byte) {
	if code, _ := r.postStatus(t, raw); code != http.StatusOK {
		t.Errorf("webhook answered %d", code)
	}
}

// postStatus delivers one update by webhook and returns the answer's status and body.
func (r *replica) postStatus(t *testing.T, raw []byte) (int, string) {
	req, err := http.NewRequest(http.MethodPost, r.hook.URL, bytes.NewReader(raw))
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	resp, err := r.hook.Client().Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func replicaChat(c int) int64 { return 5_300_000_000 + int64(c) }

// replicaScript returns each chat's updates: /start into the VNeID guide, then typed answers
// and commands drawn from a fixed seed. Update ids grow across all chats, interleaved, as
// Telegram numbers them. burst holds, per chat, a few /help commands whose order does not
// change the state.
func replicaScript(t *testing.T, chats, n int) (script, burst [][][]byte) {
	t.Helper()
	rng := mathrand.New(mathrand.NewPCG(7, uint64(chats*n)))
	inputs := []string{"1", "1", "2", "1", "3", "/back", "/help", "/menu"}
	script, burst = make([][][]byte, chats), make([][][]byte, chats)
	id := int64(900_000_000)
	for i := range n {
		for c := range chats {
			text := "/start vneid"
			if i > 0 {
				text = inputs[rng.IntN(len(inputs))]
			}
			id++
			script[c] = append(script[c], messageUpdate(t, id, replicaChat(c), text))
		}
	}
	for range 4 {
		for c := range chats {
			id++
			burst[c] = append(burst[c], messageUpdate(t, id, replicaChat(c), "/help"))
		}
	}
	return script, burst
}

// messageUpdate is a private message (fixture 01), a command when text starts with "/".
func messageUpdate(t *testing.T, id, chat int64, text string) []byte {
	t.Helper()
	u := fixture(t, "01-start-private-vi.json")
	u["update_id"] = id
	set(t, u, "message.chat.id", chat)
	set(t, u, "message.from.id", chat)
	set(t, u, "message.text", text)
	if text[0] == '/' {
		cmd, _, _ := bytes.Cut([]byte(text), []byte(" "))
		set(t, u, "message.entities", []map[string]any{{"offset": 0, "length": len(cmd), "type": "bot_command"}})
	} else {
		set(t, u, "message.entities", nil)
	}
	raw, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// deleteKeys removes a test's keys, on every master of a cluster.
func deleteKeys(t testing.TB, rdb redis.UniversalClient, prefix string) {
	ctx := context.Background()
	del := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, prefix+":*", 500).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	var err error
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return del(ctx, c) })
	} else {
		err = del(ctx, rdb)
	}
	if err != nil {
		t.Errorf("error deleting %s keys: %v", prefix, err)
	}
}
