package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"hocvuso/i18n"
)

// chatJSON runs the chat subcommand on a scripted input and decodes its JSON lines.
func chatJSON(t *testing.T, input string, args ...string) []jsonMessage {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"chat", "-json", "-redis", ""}, args...)
	if err := run(context.Background(), args, strings.NewReader(input), &out, &errOut); err != nil {
		t.Fatalf("chat: %v (stderr: %s)", err, errOut.String())
	}
	var msgs []jsonMessage
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var m jsonMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func TestChatJSONWalksIntoVNeID(t *testing.T) {
	cat, err := i18n.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	// A first /start asks for the language (1 = Tiếng Việt), then the menu, then the guide.
	msgs := chatJSON(t, "/start\n1\n1\n")
	if len(msgs) != 4 {
		t.Fatalf("got %d messages, want 4 (picker, language set, menu, first step): %+v", len(msgs), msgs)
	}
	if got, want := msgs[0].Buttons[0].Label, cat.Text("vi", "lang.name"); got != want {
		t.Errorf("first picker button = %q, want %q", got, want)
	}
	if got, want := msgs[2].Text, PlainText(cat.Text("vi", "menu.text"), false); got != want {
		t.Errorf("menu text = %q, want %q", got, want)
	}
	if got, want := msgs[2].Buttons[0].Label, cat.Text("vi", "vneid.title"); got != want {
		t.Errorf("first menu button = %q, want %q", got, want)
	}
	// The first step of VNeID, under its step counter.
	counter := strings.NewReplacer("{{.N}}", "1", "{{.Of}}", "5").Replace(cat.Text("vi", "vneid.counter.install"))
	if got, want := msgs[3].Text, PlainText(counter+"\n"+cat.Text("vi", "vneid.os"), false); got != want {
		t.Errorf("first step = %q, want %q", got, want)
	}
}

func TestChatLangFlagIsSaved(t *testing.T) {
	cat, err := i18n.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	msgs := chatJSON(t, "/start\n", "-lang", "en")
	if len(msgs) == 0 {
		t.Fatal("no output")
	}
	if got, want := msgs[len(msgs)-1].Text, PlainText(cat.Text("en", "menu.text"), false); got != want {
		t.Errorf("menu in English = %q, want %q", got, want)
	}
}

func TestChatRejectsUnknownLanguage(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"chat", "-lang", "xx", "-redis", ""}, strings.NewReader(""), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "unknown language") {
		t.Fatalf("err = %v, want unknown language", err)
	}
}

func TestCheckPassesOnLibrary(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"check"}, nil, &out, &errOut); err != nil {
		t.Fatalf("check: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "vneid") {
		t.Errorf("check output lacks the vneid flow:\n%s", out.String())
	}
}

func TestMalformedSettingsAreRefused(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"SESSION_TTL", "30d", "SESSION_TTL"},
		{"AWAY_AFTER", "0s", "more than zero"},
		{"HELP_TIMEOUT", "10min", "HELP_TIMEOUT"},
		{"LOG_LEVEL", "verbose", "LOG_LEVEL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.name, tc.value)
			for _, cmd := range []string{"chat", "serve"} {
				var out, errOut bytes.Buffer
				err := run(context.Background(), []string{cmd, "-redis", ""}, strings.NewReader(""), &out, &errOut)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s with %s=%s: err = %v, want it to name %q", cmd, tc.name, tc.value, err, tc.want)
				}
			}
		})
	}
}

// serve refuses a webhook without an address to listen on: it would listen on a random port.
func TestWebhookNeedsListenAddr(t *testing.T) {
	t.Setenv("TELEGRAM_BOT_TOKEN", "123:abc")
	t.Setenv("WEBHOOK_URL", "https://bot.example.vn/hook")
	t.Setenv("WEBHOOK_SECRET", "s3cret")
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"serve", "-redis", "", "-listen", ""}, strings.NewReader(""), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "LISTEN_ADDR is required") {
		t.Fatalf("serve with WEBHOOK_URL and no LISTEN_ADDR: %v", err)
	}
}
