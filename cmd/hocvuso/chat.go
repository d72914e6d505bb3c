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
	"path/filepath"
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
	awayAfter := fs.Duration("away", envDuration("AWAY_AFTER", bot.DefaultAwayAfter), "pause after which a resident is offered to continue where they were ($AWAY_AFTER)")
	name := fs.String("name", "", "your first name, as Telegram would tell the bot (shown to neighbours you help)")
	qrDir := fs.String("qr-dir", ".", "folder where /share writes QR cards")
	vc := volunteerFlags(fs)
	if err := checkEnv(); err != nil {
		return err
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if vc.BotUsername == "" {
		vc.BotUsername = "hocvuso_bot" // links need a username; -bot or BOT_USERNAME names the real one
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
	rt := runtime(cat, lib, st, log, vc.service(st.Client(), log), bot.WithAwayAfter(*awayAfter))
	if *lang != "" {
		if err := saveLang(ctx, st, *chatID, *lang); err != nil {
			return err
		}
	}
	p := &printer{w: stdout, json: *asJSON, color: isTerminal(stdout), qrDir: *qrDir, name: *name}
	interactive := isTerminal(stdin)
	if interactive {
		fmt.Fprintln(stderr, "Type a button's number, or words, or /start /menu /back /help /lang; \"fwd: TEXT\" forwards a message to check. Ctrl-D ends.")
		if err := chatLine(ctx, rt, *chatID, "/start", p); err != nil {
			return err
		}
	}
	sc := bufio.NewScanner(stdin)
	// Telegram allows 4096 characters a message; a pasted page may be longer, so allow 1 MiB.
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
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

// forwardPrefix marks a line as a message forwarded from another chat, which the bot checks
// for scam signs (Telegram tells the bot when a message was forwarded; a terminal cannot).
const forwardPrefix = "fwd:"

// chatLine turns a typed line into an event, the way Telegram would deliver it. A button's
// number is a press of that button, as a tap would be.
func chatLine(ctx context.Context, rt *bot.Runtime, chatID int64, line string, p *printer) error {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil
	}
	ev := bot.Event{ChatID: chatID, Kind: bot.EventText, Arg: line}
	if data := p.pressed(line); data != "" {
		ev = bot.Event{ChatID: chatID, Kind: bot.EventPress, Arg: data}
	}
	if text, ok := strings.CutPrefix(line, forwardPrefix); ok {
		ev.Arg, ev.Forwarded = strings.TrimSpace(text), true
	}
	if strings.HasPrefix(line, "/") {
		cmd, arg, _ := strings.Cut(line[1:], " ")
		ev = bot.Event{ChatID: chatID, Kind: bot.EventCommand, Command: strings.ToLower(cmd), Arg: strings.TrimSpace(arg)}
	}
	ev.Name = p.name
	out, err := rt.Handle(ctx, ev)
	if err != nil {
		return fmt.Errorf("error handling input: %w", err)
	}
	p.keys = nil
	if out.Notice != "" {
		p.print(bot.Message{Text: out.Notice})
	}
	for _, m := range out.Messages {
		p.print(m)
	}
	for _, d := range out.Sends {
		p.printTo(d)
	}
	return nil
}

type printer struct {
	w     io.Writer
	json  bool
	color bool
	qrDir string
	name  string
	keys  map[string]string // what to type -> callback data, for the buttons of the last answer
}

// pressed returns the callback data of the button whose number or letter was typed.
func (p *printer) pressed(line string) string { return p.keys[strings.ToLower(line)] }

// key returns what to type to press b: its number, or a letter for buttons without one
// (volunteer buttons), as a tap would press it in Telegram.
func (p *printer) key(b bot.Button) string {
	if b.Data == "" {
		return ""
	}
	if p.keys == nil {
		p.keys = map[string]string{}
	}
	k := fmt.Sprint(b.Number)
	if b.Number == 0 {
		k = string(rune('a' + len(p.keys)%26))
		for p.keys[k] != "" {
			k += "'"
		}
	}
	p.keys[k] = b.Data
	return k
}

// printTo prints a message for another chat (a help card, a relayed message).
func (p *printer) printTo(d bot.Delivery) {
	if !p.json {
		fmt.Fprintf(p.w, "→ chat %d:\n", d.ChatID)
	}
	p.print(d.Message)
}

// saveUpload writes a picture the bot made (a QR card) to the QR folder.
func (p *printer) saveUpload(f *bot.File) string {
	path := filepath.Join(p.qrDir, filepath.Base(f.Name))
	if err := os.WriteFile(path, f.Data, 0o644); err != nil {
		return "(could not write " + path + ": " + err.Error() + ")"
	}
	return path
}

type jsonButton struct {
	Label  string `json:"label"`
	Number int    `json:"number,omitempty"`
	Key    string `json:"key,omitempty"` // what to type to press it
	URL    string `json:"url,omitempty"`
}

type jsonMessage struct {
	Text    string       `json:"text"`
	Buttons []jsonButton `json:"buttons"`
	Image   string       `json:"image,omitempty"`
	File    string       `json:"file,omitempty"` // where a picture the bot made was written
}

func (p *printer) print(m bot.Message) {
	file := ""
	if m.Upload != nil {
		file = p.saveUpload(m.Upload)
	}
	if p.json {
		jm := jsonMessage{Text: PlainText(m.Text, false), Image: m.Image, File: file, Buttons: []jsonButton{}}
		for _, b := range m.Buttons {
			jm.Buttons = append(jm.Buttons, jsonButton{Label: b.Text, Number: b.Number, Key: p.key(b), URL: b.URL})
		}
		line, _ := json.Marshal(jm)
		fmt.Fprintf(p.w, "%s\n", line)
		return
	}
	fmt.Fprintln(p.w, "🤖 "+strings.ReplaceAll(PlainText(m.Text, p.color), "\n", "\n   "))
	if m.Image != "" {
		fmt.Fprintln(p.w, "   [picture] "+m.Image)
	}
	if file != "" {
		fmt.Fprintf(p.w, "   [QR card] %s (%d bytes)\n", file, len(m.Upload.Data))
	}
	for _, b := range m.Buttons {
		if b.URL != "" {
			fmt.Fprintf(p.w, "   [link] %s: %s\n", b.Text, b.URL)
			continue
		}
		fmt.Fprintf(p.w, "   [%s] %s\n", p.key(b), b.Text)
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
