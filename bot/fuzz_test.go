package bot_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"hocvuso/bot"
	"hocvuso/flows"
)

// checkOutcome asserts what any input must give: valid UTF-8 text, no raw message keys.
func checkOutcome(t *testing.T, out bot.Outcome) {
	for _, m := range out.Messages {
		if m.Text == "" || !utf8.ValidString(m.Text) {
			t.Fatalf("bad message text %q", m.Text)
		}
		for _, b := range m.Buttons {
			if b.Text == "" || len(b.Data) > flows.MaxCallbackDataLen {
				t.Fatalf("bad button %+v", b)
			}
		}
	}
}

// FuzzCallbackData: any callback data, on any step, is handled without panic or error, and
// data the bot makes decodes back to what it encoded.
func FuzzCallbackData(f *testing.F) {
	for _, s := range []string{"0.0", "1.1", "zz.99", "l:vi", "l:en", "l:", "fg:y:1", "fg:n:0", "fg:", ".", "1.", ".1",
		"-1.0", "1.-1", "4294967295.0", "1y2p0ij.0", "2.100", "l:xx", "\x00", "1.1\n", "ＡＢ.1"} {
		f.Add(s, uint8(0))
	}
	rt := newTestRuntime(f)
	ctx := context.Background()
	var id int64
	f.Fuzz(func(t *testing.T, data string, steps uint8) {
		id++
		chat := int64(steps%4) + 1
		if steps%3 == 0 {
			if _, err := rt.Handle(ctx, bot.Event{ChatID: chat, UpdateID: id, Kind: bot.EventCommand, Command: "start", Arg: "vneid"}); err != nil {
				t.Fatal(err)
			}
		}
		out, err := rt.Handle(ctx, bot.Event{ChatID: chat, UpdateID: -id, MsgID: int64(steps), Kind: bot.EventPress, Arg: data})
		if err != nil {
			t.Fatalf("press %q: %v", data, err)
		}
		checkOutcome(t, out)
		if tok, i, ok := flows.DecodePress(data); ok {
			again, j, ok2 := flows.DecodePress(flows.EncodePress(tok, i))
			if !ok2 || again != tok || j != i {
				t.Fatalf("%q decodes to (%d,%d), which does not round-trip", data, tok, i)
			}
		}
	})
}

var payloadChars = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// FuzzDeepLink: any /start payload opens a guide or the menu, never an error; a payload taken
// as valid is one Telegram can carry.
func FuzzDeepLink(f *testing.F) {
	for _, s := range []string{"", "vneid", "vneid-abc123", "vneid-", "-abc", "VNEID", "vneid-a_b", "x", "vneid-" + strings.Repeat("a", 60),
		"vneid--a", "dichvucong-ref_1", "vneid abc", "vneid-ä", "../../etc", "%00", "vneid-a-b"} {
		f.Add(s)
	}
	rt := newTestRuntime(f)
	ctx := context.Background()
	var id int64
	f.Fuzz(func(t *testing.T, payload string) {
		id++
		out, err := rt.Handle(ctx, bot.Event{ChatID: 9, UpdateID: id, Kind: bot.EventCommand, Command: "start", Arg: payload})
		if err != nil {
			t.Fatalf("/start %q: %v", payload, err)
		}
		checkOutcome(t, out)
		if len(out.Messages) == 0 {
			t.Fatalf("/start %q gave no message", payload)
		}
		flow, ref, ok := flows.ParsePayload(payload)
		if ok && (!payloadChars.MatchString(payload) || flow == "" || len(ref) > 47) {
			t.Fatalf("payload %q accepted as (%q, %q)", payload, flow, ref)
		}
	})
}
