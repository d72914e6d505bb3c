package bottest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"hocvuso/bot/bottest"
)

// client is the real go-telegram/bot client pointed at srv.
func client(t *testing.T, srv *bottest.Server) *tgbot.Bot {
	t.Helper()
	b, err := tgbot.New(bottest.Token, tgbot.WithServerURL(srv.URL()), tgbot.WithSkipGetMe())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawClient has its own transport: a test closing its httptest server closes the idle
// connections of http.DefaultTransport, which can break a request of another test.
var rawClient = &http.Client{Transport: &http.Transport{}}

// post sends a JSON body to a method, as our own getUpdates loop does.
func post(t *testing.T, srv *bottest.Server, token, method, body string) (int, map[string]any) {
	t.Helper()
	resp, err := rawClient.Post(srv.URL()+"/bot"+token+"/"+method, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func update(id int64) []byte {
	return fmt.Appendf(nil, `{"update_id":%d,"message":{"message_id":1,"date":1,"chat":{"id":1001,"type":"private"},"text":"hi"}}`, id)
}

func ids(t *testing.T, result any) []int64 {
	t.Helper()
	items, _ := result.([]any)
	var out []int64
	for _, it := range items {
		out = append(out, int64(it.(map[string]any)["update_id"].(float64)))
	}
	return out
}

func TestServer(t *testing.T) {
	t.Run("GetMe", func(t *testing.T) {
		srv := bottest.New(t)
		me, err := client(t, srv).GetMe(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if me.Username != bottest.Username || me.ID != bottest.BotID || !me.IsBot {
			t.Errorf("getMe = %+v", me)
		}
		if got := srv.Calls("getMe"); len(got) != 1 || len(got[0].Params) != 0 {
			t.Errorf("calls = %+v, want one getMe without params", got)
		}
	})

	t.Run("MultipartSend", func(t *testing.T) {
		srv := bottest.New(t)
		b := client(t, srv)
		ctx := context.Background()
		markup := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
			{{Text: "1. Android", CallbackData: "2.0"}}, {{Text: "Store", URL: "https://example.org"}},
		}}
		m1, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: int64(1001), Text: "<b>xin chào</b>", ParseMode: models.ParseModeHTML, ReplyMarkup: markup})
		if err != nil {
			t.Fatal(err)
		}
		m2, err := b.SendPhoto(ctx, &tgbot.SendPhotoParams{ChatID: int64(-4000000001), Photo: &models.InputFileString{Data: "https://example.org/a.png"}, Caption: "c"})
		if err != nil {
			t.Fatal(err)
		}
		if m1.ID != 1 || m2.ID != 2 || m1.Chat.ID != 1001 || m2.Chat.ID != -4000000001 || len(m2.Photo) == 0 {
			t.Errorf("messages = %+v, %+v", m1, m2)
		}
		calls := srv.Calls("sendMessage")
		if len(calls) != 1 {
			t.Fatalf("sendMessage calls = %+v", calls)
		}
		p := calls[0].Params
		if p["chat_id"] != "1001" || p["text"] != "<b>xin chào</b>" || p["parse_mode"] != "HTML" {
			t.Errorf("params = %+v", p)
		}
		kb, err := calls[0].Keyboard()
		want := [][]bottest.Button{{{Text: "1. Android", CallbackData: "2.0"}}, {{Text: "Store", URL: "https://example.org"}}}
		if err != nil || fmt.Sprint(kb) != fmt.Sprint(want) {
			t.Errorf("keyboard = %v, %v; want %v", kb, err, want)
		}
		if got := srv.Calls("sendPhoto")[0].Params["photo"]; got != "https://example.org/a.png" {
			t.Errorf("photo = %q", got)
		}
	})

	t.Run("FileUpload", func(t *testing.T) {
		srv := bottest.New(t)
		_, err := client(t, srv).SendPhoto(context.Background(), &tgbot.SendPhotoParams{ChatID: int64(1001), Photo: &models.InputFileUpload{Filename: "qr.png", Data: bytes.NewReader([]byte("png"))}})
		if err != nil {
			t.Fatal(err)
		}
		if got := srv.Calls("sendPhoto")[0].Params["photo"]; got != "file:qr.png" {
			t.Errorf("photo = %q", got)
		}
	})

	t.Run("JSONBody", func(t *testing.T) {
		srv := bottest.New(t)
		code, out := post(t, srv, bottest.Token, "getUpdates", `{"offset":5,"timeout":0,"allowed_updates":["message","callback_query"]}`)
		if code != http.StatusOK || out["ok"] != true {
			t.Fatalf("getUpdates = %d %v", code, out)
		}
		p := srv.Calls("getUpdates")[0].Params
		if p["offset"] != "5" || p["timeout"] != "0" || p["allowed_updates"] != `["message","callback_query"]` {
			t.Errorf("params = %+v", p)
		}
	})

	t.Run("Offset", func(t *testing.T) {
		srv := bottest.New(t)
		srv.Push(update(10), update(11), update(12))
		if _, out := post(t, srv, bottest.Token, "getUpdates", `{"timeout":0}`); fmt.Sprint(ids(t, out["result"])) != "[10 11 12]" {
			t.Errorf("first batch = %v", out["result"])
		}
		if _, out := post(t, srv, bottest.Token, "getUpdates", `{"offset":12,"timeout":0,"limit":5}`); fmt.Sprint(ids(t, out["result"])) != "[12]" {
			t.Errorf("batch from 12 = %v", out["result"])
		}
		srv.WaitConfirmed(t, 11)
		if n := srv.Pending(); n != 1 {
			t.Errorf("pending = %d, want 1: updates below the offset are forgotten", n)
		}
		// A lower offset cannot bring confirmed updates back.
		if _, out := post(t, srv, bottest.Token, "getUpdates", `{"offset":1,"timeout":0}`); fmt.Sprint(ids(t, out["result"])) != "[12]" {
			t.Errorf("batch from 1 = %v", out["result"])
		}
	})

	t.Run("LongPoll", func(t *testing.T) {
		srv := bottest.New(t)
		got := make(chan map[string]any, 1)
		go func() {
			resp, err := rawClient.Post(srv.URL()+"/bot"+bottest.Token+"/getUpdates", "application/json", strings.NewReader(`{"timeout":30}`))
			if err != nil {
				got <- nil
				return
			}
			defer resp.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			got <- out
		}()
		srv.WaitCalls(t, "getUpdates", 1) // the call is held: nothing is queued
		srv.Push(update(7))
		if out := <-got; fmt.Sprint(ids(t, out["result"])) != "[7]" {
			t.Errorf("held getUpdates returned %v", out)
		}
	})

	t.Run("CloseReleasesLongPoll", func(t *testing.T) {
		srv := bottest.New(t)
		var wg sync.WaitGroup
		wg.Go(func() {
			resp, err := rawClient.Post(srv.URL()+"/bot"+bottest.Token+"/getUpdates", "application/json", strings.NewReader(`{"timeout":30}`))
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
		srv.WaitCalls(t, "getUpdates", 1)
		srv.Close()
		wg.Wait()
	})

	t.Run("Fail", func(t *testing.T) {
		srv := bottest.New(t)
		b := client(t, srv)
		ctx := context.Background()
		srv.Fail("sendMessage", 403, "Forbidden: bot was blocked by the user", 0)
		srv.Fail("sendMessage", 429, "Too Many Requests: retry after 7", 7)
		params := &tgbot.SendMessageParams{ChatID: int64(1001), Text: "x"}
		if _, err := b.SendMessage(ctx, params); !errors.Is(err, tgbot.ErrorForbidden) || !strings.Contains(err.Error(), "blocked") {
			t.Errorf("first send: err = %v, want forbidden", err)
		}
		var tooMany *tgbot.TooManyRequestsError
		if _, err := b.SendMessage(ctx, params); !errors.As(err, &tooMany) || tooMany.RetryAfter != 7 {
			t.Errorf("second send: err = %v, want 429 with retry_after 7", err)
		}
		if _, err := b.SendMessage(ctx, params); err != nil {
			t.Errorf("third send: %v", err)
		}
		if n := len(srv.Calls("sendMessage")); n != 3 {
			t.Errorf("recorded %d calls, want 3: failed calls are recorded too", n)
		}
	})

	t.Run("UnusedFailureFailsTheTest", func(t *testing.T) {
		rec := &recorder{TB: t}
		srv := bottest.New(rec)
		srv.Fail("answerCallbackQuery", 400, "Bad Request: query is too old", 0)
		srv.Close()
		if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "answerCallbackQuery") {
			t.Errorf("errors = %q, want one about the unused failure", rec.errs)
		}
	})

	t.Run("Reset", func(t *testing.T) {
		srv := bottest.New(t)
		srv.Fail("getMe", 500, "Internal Server Error", 0)
		if _, err := client(t, srv).GetMe(context.Background()); err == nil {
			t.Error("getMe did not fail")
		}
		srv.Fail("getMe", 500, "Internal Server Error", 0)
		srv.Reset()
		if n := len(srv.Calls("")); n != 0 {
			t.Errorf("%d calls after Reset", n)
		}
		if _, err := client(t, srv).GetMe(context.Background()); err != nil {
			t.Errorf("getMe after Reset: %v", err)
		}
	})

	t.Run("Routes", func(t *testing.T) {
		srv := bottest.New(t)
		if code, out := post(t, srv, "123:wrong", "getMe", `{}`); code != http.StatusUnauthorized || out["ok"] != false {
			t.Errorf("wrong token: %d %v", code, out)
		}
		if code, out := post(t, srv, bottest.Token, "sendDice", `{"chat_id":1}`); code != http.StatusNotFound || out["error_code"] != 404.0 {
			t.Errorf("unknown method: %d %v", code, out)
		}
		if n := len(srv.Calls("")); n != 1 {
			t.Errorf("%d calls recorded, want the unknown method only", n)
		}
	})
}

// recorder captures Errorf, to test that the server reports unused failures.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
