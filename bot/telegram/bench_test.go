package telegram_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"hocvuso/bot"
	"hocvuso/bot/bottest/fakeapi"
	"hocvuso/bot/session"
	"hocvuso/bot/telegram"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

// leanAPI answers like bottest (from fakeapi) without recording: a benchmark makes too many
// calls to keep. It remembers the callback data of the last message sent.
type leanAPI struct {
	bot  fakeapi.Bot
	mu   sync.Mutex
	data []string
}

func (a *leanAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, method, _ := fakeapi.Route(r.URL.Path)
	p, _, err := fakeapi.ReadParams(r)
	if err != nil {
		fakeapi.WriteError(w, fakeapi.Error{Code: 400, Description: err.Error()})
		return
	}
	res, apiErr := a.bot.Answer(method, p)
	if apiErr != nil {
		fakeapi.WriteError(w, *apiErr)
		return
	}
	if method == "sendMessage" || method == "sendPhoto" {
		kb, _ := fakeapi.Call{Method: method, Params: p}.Keyboard()
		var data []string
		for _, row := range kb {
			for _, b := range row {
				if b.CallbackData != "" {
					data = append(data, b.CallbackData)
				}
			}
		}
		a.mu.Lock()
		a.data = data
		a.mu.Unlock()
	}
	fakeapi.WriteResult(w, res)
}

func (a *leanAPI) lastData() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.data
}

// BenchmarkWebhookUpdate is one update through the whole bot: the webhook handler decodes
// it, the runtime loads the session, runs the engine, renders and saves, and the transport
// sends the reply (and answers the press) with go-telegram/bot over loopback HTTP. One chat
// walks the VNeID guide by its first buttons, starting again at its end. The store is the
// embedded server, or TEST_REDIS_URL's Redis when set.
func BenchmarkWebhookUpdate(b *testing.B) {
	cat, err := i18n.LoadDefault()
	if err != nil {
		b.Fatal(err)
	}
	lib, err := flows.LoadDir(library.FS, ".", cat)
	if err != nil {
		b.Fatal(err)
	}
	st := benchStore(b)
	api := &leanAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	log := slog.New(slog.DiscardHandler)
	rt := bot.New(flows.NewEngine(lib, cat), cat, st, bot.WithLogger(log))
	tr, err := telegram.New(context.Background(), rt, fakeapi.Token, telegram.WithAPIURL(srv.URL),
		telegram.WithWebhookSecret(secret), telegram.WithLogger(log))
	if err != nil {
		b.Fatal(err)
	}
	h := tr.WebhookHandler()
	const chat = 5123400017
	id, steps := int64(0), 0
	next := func() []byte {
		id++
		data := api.lastData()
		if steps == 0 || steps > 12 || len(data) == 0 {
			steps = 1
			return []byte(fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"Hoa","language_code":"vi"},"chat":{"id":%d,"type":"private"},"date":1764720000,"text":"/start vneid","entities":[{"offset":0,"length":6,"type":"bot_command"}]}}`, id, id, chat, chat))
		}
		steps++
		d, _ := json.Marshal(data[0])
		return []byte(fmt.Sprintf(`{"update_id":%d,"callback_query":{"id":"cb%d","from":{"id":%d,"is_bot":false,"first_name":"Hoa","language_code":"vi"},"message":{"message_id":%d,"chat":{"id":%d,"type":"private"},"date":1764720000,"text":"…"},"chat_instance":"1","data":%s}}`, id, id, chat, id, chat, d))
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(next()))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("webhook answered %d: %s", w.Code, strings.TrimSpace(w.Body.String()))
		}
	}
}

func benchStore(b *testing.B) *session.Store {
	b.Helper()
	if url := os.Getenv("TEST_REDIS_URL"); url != "" {
		rdb, err := session.Connect(url)
		if err != nil {
			b.Fatal(err)
		}
		prefix := "hvbench-" + strings.ToLower(rand.Text()[:10])
		b.Cleanup(func() { deleteKeys(b, rdb, prefix); _ = rdb.Close() })
		return session.New(rdb, session.WithPrefix(prefix))
	}
	emb, err := session.StartEmbedded()
	if err != nil {
		b.Fatal(err)
	}
	rdb := emb.Client()
	b.Cleanup(func() { _ = rdb.Close(); emb.Close() })
	return session.New(rdb)
}
