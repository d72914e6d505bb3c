package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"

	"hocvuso/bot"
	"hocvuso/bot/session"
)

// runChat is the terminal chat: one line of input per resident action, the bot's messages
// printed back. It runs the same runtime, flows, catalogs and store as Telegram.
func runChat(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", "", "language to chat in: vi, tyz-Latn-VN (Tày), nut-Latn-VN (Nùng), mww-Latn-VN (Hmong),\nium-Latn-VN (Dao), en; saved in the session like a choice in the picker")
	asJSON := fs.Bool("json", false, "print one JSON object per bot message")
	chatID := fs.Int64("chat", 1, "chat id; with REDIS_URL set, the same id continues the same session")
	redisURL := fs.String("redis", os.Getenv("REDIS_URL"), "Redis URL (default $REDIS_URL; empty: embedded store)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cat, lib, err := content(nil, "")
	if err != nil {
		return err
	}
	if *lang != "" {
		tag, ok := cat.Canonical(*lang)
		if !ok {
			return fmt.Errorf("unknown language %q (have: %s)", *lang, strings.Join(cat.Languages(), ", "))
		}
		*lang = tag
	}
	st, closeStore, err := store(ctx, *redisURL, true, session.DefaultTTL)
	if err != nil {
		return err
	}
	defer closeStore()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rt := runtime(cat, lib, st, log)
	if *lang != "" {
		if err := saveLang(ctx, st, *chatID, *lang); err != nil {
			return err
		}
	}
	p := &printer{w: stdout, json: *asJSON, color: isTerminal(stdout)}
	interactive := isTerminal(stdin)
	if interactive {
		fmt.Fprintln(stderr, "Type a button's number, or words, or /start /menu /back /help /lang. Ctrl-D ends.")
		if err := chatLine(ctx, rt, *chatID, "/start", p); err != nil {
			return err
		}
	}
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		if err := chatLine(ctx, rt, *chatID, sc.Text(), p); err != nil {
			return err
		}
	}
	return sc.Err()
}

// saveLang stores a language chosen on the command line, as /lang would.
func saveLang(ctx context.Context, st *session.Store, chatID int64, lang string) error {
	_, err := st.Update(ctx, chatID, func(s *session.Session) (bool, error) {
		s.State.Lang = lang
		return true, nil
	})
	return err
}

// chatLine turns a typed line into an event, the way Telegram would deliver it.
func chatLine(ctx context.Context, rt *bot.Runtime, chatID int64, line string, p *printer) error {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil
	}
	ev := bot.Event{ChatID: chatID, Kind: bot.EventText, Arg: line}
	if strings.HasPrefix(line, "/") {
		cmd, arg, _ := strings.Cut(line[1:], " ")
		ev = bot.Event{ChatID: chatID, Kind: bot.EventCommand, Command: strings.ToLower(cmd), Arg: strings.TrimSpace(arg)}
	}
	out, err := rt.Handle(ctx, ev)
	if err != nil {
		return fmt.Errorf("error handling input: %w", err)
	}
	if out.Notice != "" {
		p.print(bot.Message{Text: out.Notice})
	}
	for _, m := range out.Messages {
		p.print(m)
	}
	return nil
}

type printer struct {
	w     io.Writer
	json  bool
	color bool
}

type jsonButton struct {
	Label  string `json:"label"`
	Number int    `json:"number,omitempty"`
	URL    string `json:"url,omitempty"`
}

type jsonMessage struct {
	Text    string       `json:"text"`
	Buttons []jsonButton `json:"buttons"`
	Image   string       `json:"image,omitempty"`
}

func (p *printer) print(m bot.Message) {
	if p.json {
		jm := jsonMessage{Text: PlainText(m.Text, false), Image: m.Image, Buttons: []jsonButton{}}
		for _, b := range m.Buttons {
			jm.Buttons = append(jm.Buttons, jsonButton{Label: b.Text, Number: b.Number, URL: b.URL})
		}
		line, _ := json.Marshal(jm)
		fmt.Fprintf(p.w, "%s\n", line)
		return
	}
	fmt.Fprintln(p.w, "🤖 "+strings.ReplaceAll(PlainText(m.Text, p.color), "\n", "\n   "))
	if m.Image != "" {
		fmt.Fprintln(p.w, "   [picture] "+m.Image)
	}
	for _, b := range m.Buttons {
		if b.URL != "" {
			fmt.Fprintf(p.w, "   [link] %s: %s\n", b.Text, b.URL)
			continue
		}
		fmt.Fprintf(p.w, "   [%d] %s\n", b.Number, b.Text)
	}
	fmt.Fprintln(p.w)
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// PlainText turns Telegram HTML into terminal text; bold becomes ANSI bold when color is on.
func PlainText(s string, color bool) string {
	if color {
		s = strings.NewReplacer("<b>", "\x1b[1m", "</b>", "\x1b[0m").Replace(s)
	}
	return html.UnescapeString(tagRE.ReplaceAllString(s, ""))
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
