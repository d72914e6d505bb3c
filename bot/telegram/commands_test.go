package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"hocvuso/bot"
	"hocvuso/bot/session"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

// apiCall is one request the fake Bot API received.
type apiCall struct {
	method string
	form   map[string]string
}

// fakeAPI answers the Bot API methods the transport uses and records every call.
type fakeAPI struct {
	mu    sync.Mutex
	calls []apiCall
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	form := map[string]string{}
	if err := r.ParseMultipartForm(1 << 20); err == nil {
		for k, v := range r.MultipartForm.Value {
			form[k] = v[0]
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, apiCall{method: method, form: form})
	f.mu.Unlock()
	result := `true`
	switch method {
	case "getMe":
		result = `{"id":1,"is_bot":true,"first_name":"Học vụ số","username":"hocvuso_bot"}`
	case "sendMessage":
		result = `{"message_id":1,"date":0,"chat":{"id":42,"type":"private"}}`
	}
	fmt.Fprintf(w, `{"ok":true,"result":%s}`, result)
}

func (f *fakeAPI) called(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.method == method {
			out = append(out, c)
		}
	}
	return out
}

func newTransport(t *testing.T) (*Transport, *fakeAPI, *i18n.Catalog) {
	t.Helper()
	cat, err := i18n.LoadDefault(i18n.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := flows.LoadDir(library.FS, ".", cat)
	if err != nil {
		t.Fatal(err)
	}
	emb, err := session.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	rdb := emb.Client()
	t.Cleanup(func() { _ = rdb.Close() })
	rt := bot.New(flows.NewEngine(lib, cat), cat, session.New(rdb), bot.WithLogger(slog.New(slog.DiscardHandler)))
	api := &fakeAPI{}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr, err := New(ctx, rt, "123:abc", WithAPIURL(srv.URL), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	return tr, api, cat
}

type commandsForm struct {
	Commands []models.BotCommand
	Scope    map[string]any
	Lang     string
}

func decodeCommands(t *testing.T, c apiCall) commandsForm {
	t.Helper()
	var out commandsForm
	if err := json.Unmarshal([]byte(c.form["commands"]), &out.Commands); err != nil {
		t.Fatalf("commands %q: %v", c.form["commands"], err)
	}
	if s := c.form["scope"]; s != "" {
		if err := json.Unmarshal([]byte(s), &out.Scope); err != nil {
			t.Fatalf("scope %q: %v", s, err)
		}
	}
	out.Lang = c.form["language_code"]
	return out
}

func TestDefaultCommandMenusUseTwoLetterCodes(t *testing.T) {
	tr, api, cat := newTransport(t)
	if err := tr.SetCommands(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls := api.called("setMyCommands")
	if len(calls) != 3 {
		t.Fatalf("%d setMyCommands calls, want default, vi and en", len(calls))
	}
	for i, want := range []struct{ code, lang string }{{"", "vi"}, {"vi", "vi"}, {"en", "en"}} {
		got := decodeCommands(t, calls[i])
		if got.Lang != want.code || got.Scope["type"] != "default" {
			t.Errorf("call %d: language_code %q, scope %v", i, got.Lang, got.Scope)
		}
		if len(got.Commands) != len(menuCommands) || got.Commands[0].Command != "start" ||
			got.Commands[0].Description != cat.Plain(want.lang, "cmd.start") {
			t.Errorf("call %d commands = %+v", i, got.Commands)
		}
	}
}

func TestChosenLanguageSetsTheChatsMenu(t *testing.T) {
	tr, api, cat := newTransport(t)
	ctx := context.Background()
	from := &models.User{ID: 42, FirstName: "Hoa", LanguageCode: "vi"}
	chat := models.Chat{ID: 42, Type: models.ChatTypePrivate}
	start := &models.Update{ID: 1, Message: &models.Message{ID: 10, From: from, Chat: chat, Text: "/start",
		Entities: []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: 6}}}}
	if err := tr.HandleUpdate(ctx, start); err != nil {
		t.Fatal(err)
	}
	if n := len(api.called("setMyCommands")); n != 0 {
		t.Fatalf("%d setMyCommands before any choice", n)
	}
	press := &models.Update{ID: 2, CallbackQuery: &models.CallbackQuery{ID: "q1", From: *from, Data: flows.EncodeLang("nut-Latn-VN"),
		Message: models.MaybeInaccessibleMessage{Message: &models.Message{ID: 11, Chat: chat}}}}
	if err := tr.HandleUpdate(ctx, press); err != nil {
		t.Fatal(err)
	}
	calls := api.called("setMyCommands")
	if len(calls) != 1 {
		t.Fatalf("%d setMyCommands after choosing Nùng, want 1", len(calls))
	}
	got := decodeCommands(t, calls[0])
	if got.Scope["type"] != "chat" || got.Scope["chat_id"] != float64(42) || got.Lang != "" {
		t.Errorf("scope = %v, language_code %q: want this chat, no language code", got.Scope, got.Lang)
	}
	if want := cat.Plain("nut-Latn-VN", "cmd.lang"); got.Commands[3].Command != "lang" || got.Commands[3].Description != want {
		t.Errorf("lang command = %+v, want description %q", got.Commands[3], want)
	}
	if !strings.Contains(got.Commands[3].Description, "Đổi ngôn ngữ") {
		t.Errorf("draft description %q lacks the Vietnamese words", got.Commands[3].Description)
	}
	start.ID = 3
	if err := tr.HandleUpdate(ctx, start); err != nil {
		t.Fatal(err)
	}
	if n := len(api.called("setMyCommands")); n != 1 {
		t.Errorf("%d setMyCommands after a later /start, want still 1", n)
	}
}
