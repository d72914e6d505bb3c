package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
	"hocvuso/bot/bottest"
	"hocvuso/bot/session"
	"hocvuso/bot/telegram"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

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
