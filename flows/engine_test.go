package flows_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"hocvuso/flows"
)

// Keys the demo flows reply with, named for readability of the tables below.
const (
	kMenu    = flows.KeyMenu
	kHint    = flows.KeyMenuHint
	kHelp    = flows.KeyHelp
	kPick    = flows.KeyLangPick
	kChanged = flows.KeyLangChanged
	kStale   = flows.KeyStale
	kUpdated = flows.KeyFlowUpdated
	kNoText  = flows.KeyUnknownText
	kNoMedia = flows.KeyUnknownMedia
	kEdited  = flows.KeyEdited
)

func TestEngineHandle(t *testing.T) {
	e := mustDemoEngine(t)
	press := func(token uint32, i int) flows.Input {
		return flows.Input{Kind: flows.Press, Arg: flows.EncodePress(token, i)}
	}
	text := func(s string) flows.Input { return flows.Input{Kind: flows.Text, Arg: s} }
	menu0 := flows.State{Token: 7}
	chosen0 := flows.State{Token: 7, Lang: "vi"} // a resident who chose Vietnamese in the picker
	atA := flows.State{Flow: "demo", Version: 2, Step: "a", Token: 7}
	atB := flows.State{Flow: "demo", Version: 2, Step: "b", Back: []string{"a"}, Token: 7, Lang: "vi", Ref: "R1"}
	atD := flows.State{Flow: "demo", Version: 2, Step: "d", Back: []string{"a", "c"}, Token: 7}
	with := func(st flows.State, change func(*flows.State)) flows.State {
		st.Back = slices.Clone(st.Back)
		change(&st)
		return st
	}
	picking := func(st flows.State) flows.State { return with(st, func(s *flows.State) { s.Mode = flows.ModeLang }) }
	inDemo := func(step string, back []string, token uint32) flows.State {
		return flows.State{Flow: "demo", Version: 2, Step: step, Back: back, Token: token}
	}
	inChain := flows.State{Flow: "chain", Version: 1, Step: "n1", Token: 8}
	vi := func(st flows.State) flows.State { return with(st, func(s *flows.State) { s.Lang = "vi" }) }
	toB := inDemo("b", []string{"a"}, 8)
	toC := inDemo("c", []string{"a"}, 8)

	tcs := []struct {
		name string
		st   flows.State
		in   flows.Input
		want flows.State
		keys []string
	}{
		// the first /start (no language chosen) asks for the language; the guide waits
		{"start/first visit", menu0, flows.Input{Kind: flows.Start}, picking(flows.State{Token: 8}), []string{flows.KeyLangFirst}},
		{"start/first visit by a deep link", menu0, flows.Input{Kind: flows.Start, Arg: "demo-ABC"},
			picking(with(inDemo("a", nil, 8), func(s *flows.State) { s.Ref = "ABC" })), []string{flows.KeyLangFirst}},
		{"start/first visit, then the language", picking(inDemo("a", nil, 8)), flows.Input{Kind: flows.Press, Arg: "l:vi"}, vi(inDemo("a", nil, 8)), []string{kChanged, "demo.a"}},

		// /start, with and without a deep-link payload
		{"start/no payload at menu", chosen0, flows.Input{Kind: flows.Start}, flows.State{Token: 8, Lang: "vi"}, []string{kMenu}},
		{"start/no payload inside a flow offers to resume", atB, flows.Input{Kind: flows.Start},
			with(atB, func(s *flows.State) { s.Token, s.Mode = 8, flows.ModeResume }), []string{flows.KeyResume}},
		{"start/no payload at an end step", vi(atD), flows.Input{Kind: flows.Start}, flows.State{Token: 8, Lang: "vi"}, []string{kMenu}},
		{"start/flow", chosen0, flows.Input{Kind: flows.Start, Arg: "demo"}, vi(inDemo("a", nil, 8)), []string{"demo.a"}},
		{"start/flow with ref", chosen0, flows.Input{Kind: flows.Start, Arg: "demo-ABC"}, with(vi(inDemo("a", nil, 8)), func(s *flows.State) { s.Ref = "ABC" }), []string{"demo.a"}},
		{"start/new ref replaces old", atB, flows.Input{Kind: flows.Start, Arg: "demo-XYZ_9"}, flows.State{Flow: "demo", Version: 2, Step: "a", Token: 8, Lang: "vi", Ref: "XYZ_9"}, []string{"demo.a"}},
		{"start/no ref keeps old", atB, flows.Input{Kind: flows.Start, Arg: "demo"}, flows.State{Flow: "demo", Version: 2, Step: "a", Token: 8, Lang: "vi", Ref: "R1"}, []string{"demo.a"}},
		{"start/second guide", chosen0, flows.Input{Kind: flows.Start, Arg: "chain"}, vi(inChain), []string{"chain.n1"}},
		{"start/unknown flow with ref", chosen0, flows.Input{Kind: flows.Start, Arg: "vneid-ABC"}, flows.State{Token: 8, Lang: "vi"}, []string{kMenu}},
		{"start/unknown flow", atB, flows.Input{Kind: flows.Start, Arg: "nope"}, flows.State{Token: 8, Lang: "vi", Ref: "R1"}, []string{kMenu}},
		{"start/path", chosen0, flows.Input{Kind: flows.Start, Arg: "../x"}, flows.State{Token: 8, Lang: "vi"}, []string{kMenu}},
		{"start/65 chars", chosen0, flows.Input{Kind: flows.Start, Arg: "demo-" + strings.Repeat("A", 60)}, flows.State{Token: 8, Lang: "vi"}, []string{kMenu}},
		{"start/65 non-ascii chars", chosen0, flows.Input{Kind: flows.Start, Arg: strings.Repeat("đ", 65)}, flows.State{Token: 8, Lang: "vi"}, []string{kMenu}},
		{"start/upper case", chosen0, flows.Input{Kind: flows.Start, Arg: "DEMO"}, flows.State{Token: 8, Lang: "vi"}, []string{kMenu}},

		// button presses
		{"press/first choice", atA, press(7, 0), toB, []string{"demo.b"}},
		{"press/second choice", atA, press(7, 1), toC, []string{"demo.c"}},
		{"press/stale token", atA, press(6, 0), atA, []string{kStale, "demo.a"}},
		{"press/newer token", atA, press(8, 0), atA, []string{kStale, "demo.a"}},
		{"press/garbage", atA, flows.Input{Kind: flows.Press, Arg: "zz"}, atA, []string{kStale, "demo.a"}},
		{"press/empty", atA, flows.Input{Kind: flows.Press}, atA, []string{kStale, "demo.a"}},
		{"press/negative choice", atA, flows.Input{Kind: flows.Press, Arg: "7.-1"}, atA, []string{kStale, "demo.a"}},
		{"press/over 64 bytes", atA, flows.Input{Kind: flows.Press, Arg: "7." + strings.Repeat("0", 70)}, atA, []string{kStale, "demo.a"}},
		{"press/the link is not a choice", atA, press(7, 2), atA, []string{kNoText, "demo.a"}},
		{"press/menu button", atB, press(7, 1), flows.State{Token: 8, Lang: "vi", Ref: "R1"}, []string{kMenu}},
		{"press/menu button of an end step", atD, press(7, 0), flows.State{Token: 8}, []string{kMenu}},
		{"press/guide in the menu", menu0, press(7, 1), inChain, []string{"chain.n1"}},
		{"press/stale guide in the menu", menu0, press(3, 0), menu0, []string{kStale, kMenu}},
		{"press/forged guide in the menu", menu0, press(7, 2), menu0, []string{kNoText, kMenu}},
		{"press/choice closes the picker", picking(atA), press(7, 0), toB, []string{"demo.b"}},
		{"press/language", atA, flows.Input{Kind: flows.Press, Arg: "l:en"}, with(atA, func(s *flows.State) { s.Lang = "en" }), []string{kChanged, "demo.a"}},
		{"press/language closes the picker", picking(atB), flows.Input{Kind: flows.Press, Arg: "l:en"}, with(atB, func(s *flows.State) { s.Lang = "en" }), []string{kChanged, "demo.b"}},
		{"press/unknown language", atA, flows.Input{Kind: flows.Press, Arg: "l:xx"}, atA, []string{"demo.a"}},

		// typed numbers
		{"text/number", atA, text("1"), toB, []string{"demo.b"}},
		{"text/number with spaces", atA, text(" 2 "), toC, []string{"demo.c"}},
		{"text/number of the link", atA, text("3"), atA, []string{kNoText, "demo.a"}},
		{"text/zero", atA, text("0"), atA, []string{kNoText, "demo.a"}},
		{"text/negative", atA, text("-1"), atA, []string{kNoText, "demo.a"}},
		{"text/huge number", atA, text("99999999999999999999"), atA, []string{kNoText, "demo.a"}},

		// typed labels (C14: NFC, NFD, the mixed form of the Windows keyboard, case, no accents)
		{"text/label NFC", atA, text("Đồng ý"), toB, []string{"demo.b"}},
		{"text/label NFD", atA, text("\u0110o\u0302\u0300ng y\u0301"), toB, []string{"demo.b"}},
		{"text/label mixed", atA, text("\u0110\u00f4\u0300ng \u00fd"), toB, []string{"demo.b"}},
		{"text/label upper case", atA, text("ĐỒNG Ý"), toB, []string{"demo.b"}},
		{"text/label without diacritics", atA, text("dong y"), toB, []string{"demo.b"}},
		{"text/label with emoji and punctuation", atA, text("  đồng ý ✅ ! "), toB, []string{"demo.b"}},
		{"text/second label without diacritics", atA, text("KHONG"), toC, []string{"demo.c"}},
		{"text/label ending in an emoji with U+FE0F", atB, text("tiếp theo"),
			flows.State{Flow: "demo", Version: 2, Step: "c", Back: []string{"a", "b"}, Token: 8, Lang: "vi", Ref: "R1"}, []string{"demo.c"}},
		{"text/label in the client's language", atA, flows.Input{Kind: flows.Text, Arg: "agree", Lang: "en"}, toB, []string{"demo.b"}},
		{"text/label in the chosen language", with(atA, func(s *flows.State) { s.Lang = "en" }), flows.Input{Kind: flows.Text, Arg: "AGREE", Lang: "vi"},
			with(toB, func(s *flows.State) { s.Lang = "en" }), []string{"demo.b"}},
		// Vietnamese labels always match: unreviewed translations show them beside their own.
		{"text/label in Vietnamese, the base", with(atA, func(s *flows.State) { s.Lang = "en" }), text("đồng ý"), with(toB, func(s *flows.State) { s.Lang = "en" }), []string{"demo.b"}},

		// typed text at the menu: numbers, titles, keywords
		{"text/menu number", menu0, text("1"), inDemo("a", nil, 8), []string{"demo.a"}},
		{"text/menu second number", menu0, text("2"), inChain, []string{"chain.n1"}},
		{"text/menu title", menu0, text("thử nghiệm"), inDemo("a", nil, 8), []string{"demo.a"}},
		{"text/menu keyword", menu0, text("demo"), inDemo("a", nil, 8), []string{"demo.a"}},
		{"text/menu keyword without diacritics", menu0, text("CHUOI BUOC"), inChain, []string{"chain.n1"}},
		{"text/menu keyword inside a sentence", menu0, text("mình muốn học chuỗi bước nhé"), inChain, []string{"chain.n1"}},
		{"text/menu part of a keyword", menu0, text("chuỗi"), menu0, []string{kHint, kMenu}},
		{"text/menu unmatched", menu0, text("xin chào"), menu0, []string{kHint, kMenu}},
		{"text/menu number out of range", menu0, text("3"), menu0, []string{kHint, kMenu}},
		{"text/menu only emoji", menu0, text("👍"), menu0, []string{kHint, kMenu}},

		// unmatched text inside a flow: fallback and the same step, nothing changes
		{"text/unmatched in a flow", atB, text("xin chào"), atB, []string{kNoText, "demo.b"}},
		{"text/keyword in a flow", atA, text("chuỗi bước"), atA, []string{kNoText, "demo.a"}},

		// commands
		{"menu/from a flow", atB, flows.Input{Kind: flows.Menu}, flows.State{Token: 8, Lang: "vi", Ref: "R1"}, []string{kMenu}},
		{"menu/closes the picker", picking(menu0), flows.Input{Kind: flows.Menu}, flows.State{Token: 8}, []string{kMenu}},
		{"back/one step", atB, flows.Input{Kind: flows.Back}, flows.State{Flow: "demo", Version: 2, Step: "a", Token: 8, Lang: "vi", Ref: "R1"}, []string{"demo.a"}},
		{"back/at the start", atA, flows.Input{Kind: flows.Back}, flows.State{Token: 8}, []string{kMenu}},
		{"back/at the menu", menu0, flows.Input{Kind: flows.Back}, flows.State{Token: 8}, []string{kMenu}},
		{"back/closes the picker", picking(atD), flows.Input{Kind: flows.Back}, inDemo("c", []string{"a"}, 8), []string{"demo.c"}},
		{"help/in a flow", atB, flows.Input{Kind: flows.Help}, atB, []string{kHelp, "demo.b"}},
		{"help/at the menu", menu0, flows.Input{Kind: flows.Help}, menu0, []string{kHelp, kMenu}},
		{"help/closes the picker", picking(atA), flows.Input{Kind: flows.Help}, atA, []string{kHelp, "demo.a"}},

		// the language picker, then a typed answer
		{"lang/opens the picker", atA, flows.Input{Kind: flows.Lang}, picking(atA), []string{kPick}},
		{"lang/number", picking(atA), text("2"), with(atA, func(s *flows.State) { s.Lang = "en" }), []string{kChanged, "demo.a"}},
		{"lang/number is not a choice", picking(atB), text("1"), atB, []string{kChanged, "demo.b"}},
		{"lang/name", picking(atA), text("english"), with(atA, func(s *flows.State) { s.Lang = "en" }), []string{kChanged, "demo.a"}},
		{"lang/name without diacritics", picking(with(atA, func(s *flows.State) { s.Lang = "en" })), text("TIENG VIET"), with(atA, func(s *flows.State) { s.Lang = "vi" }), []string{kChanged, "demo.a"}},
		{"lang/tag", picking(menu0), text("EN"), flows.State{Token: 7, Lang: "en"}, []string{kChanged, kMenu}},
		{"lang/unmatched closes the picker", picking(atA), text("xin chào"), atA, []string{kNoText, "demo.a"}},
		{"lang/unmatched falls through to the choices", picking(atA), text("đồng ý"), toB, []string{"demo.b"}},
		{"lang/number out of range asks again", picking(atA), text("9"), picking(atA), []string{kNoText, kPick}},

		// media and edits
		{"media/sticker", atA, flows.Input{Kind: flows.Media, Arg: "sticker"}, atA, []string{kNoMedia, "demo.a"}},
		{"media/at the menu", menu0, flows.Input{Kind: flows.Media, Arg: "photo"}, menu0, []string{kNoMedia, kMenu}},
		{"media/edited", atB, flows.Input{Kind: flows.Media, Arg: "edited"}, atB, []string{kEdited, "demo.b"}},
	}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.st
			in.Back = slices.Clone(tc.st.Back)
			got, replies, err := e.Handle(context.Background(), in, tc.in)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if !sameState(got, tc.want) {
				t.Errorf("state:\n got  %+v\n want %+v", got, tc.want)
			}
			if keys := replyKeys(replies); !slices.Equal(keys, tc.keys) {
				t.Errorf("reply keys: got %q, want %q", keys, tc.keys)
			}
			if !sameState(in, tc.st) {
				t.Errorf("the input state was changed: %+v", in)
			}
			for i, r := range replies {
				if toast := r.Key == kStale; r.Toast != toast {
					t.Errorf("reply %d (%s): Toast = %v, want %v", i, r.Key, r.Toast, toast)
				}
			}
		})
	}
}

func TestEngineButtons(t *testing.T) {
	e := mustDemoEngine(t)
	btn := func(label string, n int, data string) flows.ReplyButton {
		return flows.ReplyButton{Label: label, Number: n, Data: data}
	}
	tcs := []struct {
		name  string
		st    flows.State
		in    flows.Input
		image string
		want  []flows.ReplyButton
	}{
		{"menu lists the guides in order", flows.State{Token: 41}, flows.Input{Kind: flows.Menu}, "",
			[]flows.ReplyButton{btn("demo.title", 1, flows.EncodePress(42, 0)), btn("chain.title", 2, flows.EncodePress(42, 1))}},
		{"links are not numbered", flows.State{Lang: "vi"}, flows.Input{Kind: flows.Start, Arg: "demo"}, "",
			[]flows.ReplyButton{btn("demo.btn.yes", 1, flows.EncodePress(1, 0)), btn("demo.btn.no", 2, flows.EncodePress(1, 1)),
				{Label: "btn.site", URL: "https://example.org/help"}}},
		{"an end step gets a menu button", flows.State{Flow: "demo", Version: 2, Step: "c", Token: 9}, flows.Input{Kind: flows.Text, Arg: "1"}, "",
			[]flows.ReplyButton{btn(flows.KeyBtnMenu, 1, flows.EncodePress(10, 0))}},
		{"the picker shows each language in its own language", flows.State{Token: 5}, flows.Input{Kind: flows.Lang}, "",
			[]flows.ReplyButton{
				{Label: flows.KeyLangName, Lang: "vi", Number: 1, Data: flows.EncodeLang("vi")},
				{Label: flows.KeyLangName, Lang: "en", Number: 2, Data: flows.EncodeLang("en")}}},
	}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			_, replies := mustHandle(t, e, tc.st, tc.in)
			r := last(t, replies)
			if !reflect.DeepEqual(r.Buttons, tc.want) {
				t.Errorf("buttons:\n got  %+v\n want %+v", r.Buttons, tc.want)
			}
			if r.Image != tc.image {
				t.Errorf("image %q, want %q", r.Image, tc.image)
			}
		})
	}
}

// TestEngineBackStack walks further than MaxBackStack, then goes back more often than that.
func TestEngineBackStack(t *testing.T) {
	e := mustDemoEngine(t)
	st, _ := mustHandle(t, e, flows.State{}, flows.Input{Kind: flows.Start, Arg: "chain"})
	for i := 1; i < chainLen; i++ {
		st, _ = mustHandle(t, e, st, flows.Input{Kind: flows.Press, Arg: flows.EncodePress(st.Token, 0)})
	}
	if st.Step != "n12" {
		t.Fatalf("walked to %q, want n12", st.Step)
	}
	// n1 … n11 were left; only the newest MaxBackStack are kept.
	wantBack := []string{"n6", "n7", "n8", "n9", "n10", "n11"}
	if len(wantBack) != flows.MaxBackStack {
		t.Fatalf("test assumes MaxBackStack = %d", len(wantBack))
	}
	if !slices.Equal(st.Back, wantBack) {
		t.Fatalf("back-stack %q, want %q", st.Back, wantBack)
	}
	for i := len(wantBack) - 1; i >= 0; i-- {
		token := st.Token
		var replies []flows.Reply
		st, replies = mustHandle(t, e, st, flows.Input{Kind: flows.Back})
		if st.Flow != "chain" || st.Step != wantBack[i] || !slices.Equal(st.Back, wantBack[:i]) || st.Token != token+1 {
			t.Fatalf("back #%d: state %+v, want step %s with back %q", len(wantBack)-i, st, wantBack[i], wantBack[:i])
		}
		if keys := replyKeys(replies); !slices.Equal(keys, []string{"chain." + wantBack[i]}) {
			t.Fatalf("back #%d: replies %q", len(wantBack)-i, keys)
		}
	}
	st, replies := mustHandle(t, e, st, flows.Input{Kind: flows.Back})
	if st.Flow != "" || st.Step != "" || len(st.Back) != 0 || replyKeys(replies)[0] != kMenu {
		t.Fatalf("back past the bound: state %+v, replies %q; want the menu", st, replyKeys(replies))
	}
}

// TestEngineDoesNotAliasInput: Handle is pure, so the caller's back-stack array must not be
// written even when it has spare capacity.
func TestEngineDoesNotAliasInput(t *testing.T) {
	e := mustDemoEngine(t)
	backing := make([]string, 1, 8)
	backing[0] = "a"
	st := flows.State{Flow: "demo", Version: 2, Step: "b", Back: backing, Token: 3}
	got, _ := mustHandle(t, e, st, flows.Input{Kind: flows.Press, Arg: flows.EncodePress(3, 0)})
	if !slices.Equal(got.Back, []string{"a", "b"}) {
		t.Fatalf("back-stack %q", got.Back)
	}
	if spare := backing[:2][1]; spare != "" {
		t.Fatalf("Handle wrote %q into the caller's back-stack array", spare)
	}
}

func TestEngineDeterministic(t *testing.T) {
	e := mustDemoEngine(t)
	st := flows.State{Flow: "demo", Version: 2, Step: "a", Token: 7, Lang: "en"}
	for _, in := range []flows.Input{{Kind: flows.Text, Arg: "agree"}, {Kind: flows.Lang}, {Kind: flows.Press, Arg: "7.1"}} {
		s1, r1 := mustHandle(t, e, st, in)
		s2, r2 := mustHandle(t, e, st, in)
		if !reflect.DeepEqual(s1, s2) || !reflect.DeepEqual(r1, r2) {
			t.Errorf("%+v: two runs differ: %+v %+v / %+v %+v", in, s1, r1, s2, r2)
		}
	}
}

func TestEngineUnknownInputKind(t *testing.T) {
	e := mustDemoEngine(t)
	st := flows.State{Flow: "demo", Version: 2, Step: "a", Token: 7}
	got, replies, err := e.Handle(context.Background(), st, flows.Input{Kind: 99})
	if err == nil {
		t.Fatal("no error for an unknown input kind")
	}
	if !sameState(got, st) || len(replies) != 0 {
		t.Fatalf("state %+v, replies %q; want unchanged and none", got, replyKeys(replies))
	}
}

// TestCaseC03: a session saved against an older flow definition resumes safely.
func TestCaseC03(t *testing.T) {
	e := mustDemoEngine(t)
	gone := flows.State{Flow: "demo", Version: 1, Step: "download_v1", Back: []string{"a", "old"}, Token: 7, Lang: "en", Ref: "R"}
	restarted := flows.State{Flow: "demo", Version: 2, Step: "a", Token: 8, Lang: "en", Ref: "R"}
	unknown := flows.State{Flow: "eid_install", Version: 3, Step: "download_v1", Back: []string{"x"}, Token: 7, Lang: "en", Ref: "R"}
	menu := flows.State{Token: 8, Lang: "en", Ref: "R"}
	tcs := []struct {
		name string
		st   flows.State
		in   flows.Input
		want flows.State
		keys []string
	}{
		{"typed answer to a removed step", gone, flows.Input{Kind: flows.Text, Arg: "Tiếp"}, restarted, []string{kUpdated, "demo.a"}},
		{"typed number for a removed step is not applied", gone, flows.Input{Kind: flows.Text, Arg: "1"}, restarted, []string{kUpdated, "demo.a"}},
		{"button of a removed step", gone, flows.Input{Kind: flows.Press, Arg: flows.EncodePress(7, 0)}, restarted, []string{kUpdated, "demo.a"}},
		{"language button still works", gone, flows.Input{Kind: flows.Press, Arg: "l:vi"},
			flows.State{Flow: "demo", Version: 2, Step: "a", Token: 8, Lang: "vi", Ref: "R"}, []string{kUpdated, kChanged, "demo.a"}},
		{"help on a removed step", gone, flows.Input{Kind: flows.Help}, restarted, []string{kUpdated, kHelp, "demo.a"}},
		{"back on a removed step", gone, flows.Input{Kind: flows.Back}, flows.State{Token: 9, Lang: "en", Ref: "R"}, []string{kUpdated, kMenu}},
		{"media on a removed step", gone, flows.Input{Kind: flows.Media, Arg: "voice"}, restarted, []string{kUpdated, kNoMedia, "demo.a"}},
		{"unknown flow, typed text", unknown, flows.Input{Kind: flows.Text, Arg: "1"}, menu, []string{kUpdated, kMenu}},
		{"unknown flow, button", unknown, flows.Input{Kind: flows.Press, Arg: flows.EncodePress(7, 0)}, menu, []string{kUpdated, kMenu}},
		{"unknown flow, /start of a guide", unknown, flows.Input{Kind: flows.Start, Arg: "demo"},
			flows.State{Flow: "demo", Version: 2, Step: "a", Token: 9, Lang: "en", Ref: "R"}, []string{kUpdated, "demo.a"}},
		{"unknown flow, /menu", unknown, flows.Input{Kind: flows.Menu}, flows.State{Token: 9, Lang: "en", Ref: "R"}, []string{kUpdated, kMenu}},
		{"older version, step kept: no notice, removed steps leave the back-stack",
			flows.State{Flow: "demo", Version: 1, Step: "b", Back: []string{"old", "a"}, Token: 7}, flows.Input{Kind: flows.Back},
			flows.State{Flow: "demo", Version: 2, Step: "a", Token: 8}, []string{"demo.a"}},
		{"same version, removed step in the back-stack",
			flows.State{Flow: "demo", Version: 2, Step: "b", Back: []string{"old"}, Token: 7}, flows.Input{Kind: flows.Back},
			flows.State{Token: 8}, []string{kMenu}},
	}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			got, replies, err := e.Handle(context.Background(), tc.st, tc.in)
			if err != nil {
				t.Fatalf("Handle returned an error: %v", err)
			}
			if !sameState(got, tc.want) {
				t.Errorf("state:\n got  %+v\n want %+v", got, tc.want)
			}
			if keys := replyKeys(replies); !slices.Equal(keys, tc.keys) {
				t.Errorf("reply keys: got %q, want %q", keys, tc.keys)
			}
			// The repaired state is healthy: the next press of a shown button works.
			r := last(t, replies)
			if len(r.Buttons) == 0 {
				t.Fatal("no buttons to go on with")
			}
			next, _, err := e.Handle(context.Background(), got, flows.Input{Kind: flows.Press, Arg: r.Buttons[0].Data})
			if err != nil || next.Token != got.Token+1 {
				t.Errorf("pressing the first button after the repair: %+v, %v", next, err)
			}
		})
	}
}

// lateCancelCtx passes the engine's own ctx.Err check and is cancelled by the time looplab/fsm
// derives its context: the way a shutdown can race with an update.
type lateCancelCtx struct {
	context.Context
	errCalls atomic.Int32
	done     chan struct{}
}

func newLateCancelCtx() *lateCancelCtx {
	c := &lateCancelCtx{Context: context.Background(), done: make(chan struct{})}
	close(c.done)
	return c
}

func (c *lateCancelCtx) Done() <-chan struct{} { return c.done }

func (c *lateCancelCtx) Err() error {
	if c.errCalls.Add(1) == 1 {
		return nil
	}
	return context.Canceled
}

// TestCaseC19: a cancelled context fails one Handle and never wedges the chat: looplab/fsm
// v1.0.3 stays "in transition" after a cancelled Event, so the engine must not reuse a machine.
func TestCaseC19(t *testing.T) {
	e := mustDemoEngine(t)
	st := flows.State{Flow: "demo", Version: 2, Step: "a", Token: 7}
	press := flows.Input{Kind: flows.Press, Arg: flows.EncodePress(7, 0)}

	t.Run("cancelled before Handle", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for _, in := range []flows.Input{press, {Kind: flows.Text, Arg: "1"}, {Kind: flows.Start, Arg: "demo"}} {
			got, replies, err := e.Handle(ctx, st, in)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%+v: error %v, want context.Canceled", in, err)
			}
			if !sameState(got, st) || len(replies) != 0 {
				t.Fatalf("%+v: state %+v replies %q, want unchanged and none", in, got, replyKeys(replies))
			}
		}
		got, _ := mustHandle(t, e, st, press)
		if got.Step != "b" {
			t.Fatalf("next Handle went to %q, want b", got.Step)
		}
	})

	t.Run("cancelled inside the transition", func(t *testing.T) {
		ctx := newLateCancelCtx()
		_, _, err := e.Handle(ctx, st, press)
		if !errors.Is(err, context.Canceled) || ctx.errCalls.Load() < 2 {
			t.Fatalf("error %v after %d ctx.Err calls; want the transition to fail with context.Canceled", err, ctx.errCalls.Load())
		}
		// The same stored state, a good context: both a choice and /start work.
		got, replies := mustHandle(t, e, st, press)
		if got.Step != "b" || replyKeys(replies)[0] != "demo.b" {
			t.Fatalf("next press: %+v %q", got, replyKeys(replies))
		}
		got, _ = mustHandle(t, e, st, flows.Input{Kind: flows.Start, Arg: "demo"})
		if got.Step != "a" || got.Token != 8 {
			t.Fatalf("/start after the cancelled transition: %+v", got)
		}
	})
}

// Understands: true for what the guide has an answer to, false for what gets "I did not
// understand".
func TestEngineUnderstands(t *testing.T) {
	e := mustDemoEngine(t)
	menu := flows.State{Token: 7}
	atA := flows.State{Flow: "demo", Version: 2, Step: "a", Token: 7}
	picking := flows.State{Token: 7, Mode: flows.ModeLang}
	text := func(s string) flows.Input { return flows.Input{Kind: flows.Text, Arg: s} }
	tcs := []struct {
		name string
		st   flows.State
		in   flows.Input
		want bool
	}{
		{"number of a choice", atA, text("2"), true},
		{"number past the choices", atA, text("9"), false},
		{"label, case and accents folded", atA, text("dong y"), true},
		{"free text in a guide", atA, text("tôi không hiểu"), false},
		{"keyword at the menu", menu, text("thử nghiệm"), true},
		{"keyword inside a guide", atA, text("thử nghiệm"), false},
		{"free text at the menu", menu, text("xin chào"), false},
		{"language in the picker", picking, text("English"), true},
		{"number of a language in the picker", flows.State{Flow: "demo", Version: 2, Step: "a", Token: 7, Mode: flows.ModeLang}, text("2"), true},
		{"number past the picker's languages", flows.State{Flow: "demo", Version: 2, Step: "a", Token: 7, Mode: flows.ModeLang}, text("9"), false},
		{"a sticker", atA, flows.Input{Kind: flows.Media, Arg: "sticker"}, false},
		{"a command", atA, flows.Input{Kind: flows.Back}, true},
		{"a press", atA, flows.Input{Kind: flows.Press, Arg: flows.EncodePress(7, 0)}, true},
	}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			if got := e.Understands(context.Background(), tc.st, tc.in); got != tc.want {
				t.Fatalf("Understands = %v, want %v", got, tc.want)
			}
		})
	}
}

// On a step that asks for a message to check, any text is understood: it is checked.
func TestEngineUnderstandsCheckStep(t *testing.T) {
	e, _ := mustRealEngine(t)
	f := e.Library().Flow("safety")
	var check string
	for _, s := range f.Steps {
		if s.Kind == flows.KindCheck {
			check = s.ID
		}
	}
	if check == "" {
		t.Fatal("the safety guide has no check step")
	}
	st := flows.State{Flow: f.ID, Version: f.Version, Step: check, Token: 7}
	in := flows.Input{Kind: flows.Text, Arg: "Vui lòng đọc mã OTP cho cán bộ"}
	if !e.Understands(context.Background(), st, in) {
		t.Fatal("a message sent on the check step is not understood")
	}
	if e.Understands(context.Background(), st, flows.Input{Kind: flows.Media, Arg: "sticker"}) {
		t.Fatal("a sticker on the check step is understood")
	}
}
