package flows_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"hocvuso/flows"
)

// kindsFlow has one step of every kind: two scored questions in a numbered section, a
// checkpoint with a remedy, a step with the score and a shared line, a message check, an end.
const kindsFlow = `id: kinds
version: 1
order: 1
title: kinds.title
keywords: [các loại bước]
start: q1
sections:
  - counter: kinds.counter
    steps: [q1, q2, cp]
steps:
  - id: q1
    kind: question
    next: q2
    answers:
      - label: kinds.a.right
        right: true
      - label: kinds.a.wrong
  - id: q2
    kind: question
    next: cp
    answers:
      - label: kinds.b.wrong
      - label: kinds.b.right
        right: true
        feedback: kinds.b.yes
  - id: cp
    kind: checkpoint
    yes: score
    no: fix
    buttons:
      - label: kinds.link
        url: https://example.org/help
  - id: fix
    buttons:
      - label: btn.try_again
        goto: cp
  - id: score
    score: true
    also: [kinds.rule]
    buttons:
      - label: btn.next
        goto: check
      - label: kinds.other
        guide: other
  - id: check
    kind: check
    next: done
    buttons:
      - label: btn.menu
        goto: menu
  - id: done
    kind: end
`

// otherFlow: a guide the first one links to, whose section numbers two alternatives alike.
const otherFlow = `id: other
version: 3
order: 2
title: other.title
keywords: [khác]
start: one
sections:
  - steps: [one, a|b]
steps:
  - id: one
    buttons:
      - label: other.btn.a
        goto: a
      - label: other.btn.b
        goto: b
  - id: a
    buttons:
      - label: btn.next
        goto: fin
  - id: b
    buttons:
      - label: btn.next
        goto: fin
  - id: fin
    kind: end
`

func kindsTexts() fakeTexts {
	vi := map[string]string{}
	for _, k := range []string{"kinds.title", "kinds.q1", "kinds.q1.right", "kinds.q1.wrong", "kinds.q2", "kinds.q2.wrong", "kinds.b.yes",
		"kinds.a.right", "kinds.a.wrong", "kinds.b.wrong", "kinds.b.right", "kinds.cp", "kinds.link", "kinds.fix", "kinds.score", "kinds.rule",
		"kinds.other", "kinds.check", "kinds.done", "other.title", "other.one", "other.a", "other.b", "other.fin", "other.btn.a", "other.btn.b",
		"btn.next", "btn.try_again"} {
		vi[k] = "[" + k + "]"
	}
	vi["kinds.counter"] = "Câu {{.N}}/{{.Of}}"
	vi["kinds.a.right"] = "Cúp máy, đến công an xã"
	vi[flows.KeyLangName] = "Tiếng Việt"
	for _, k := range flows.EngineKeys {
		if _, ok := vi[k]; !ok {
			vi[k] = "[" + k + "]"
		}
	}
	return fakeTexts{langs: []string{"vi"}, texts: map[string]map[string]string{"vi": vi}}
}

// checkerCalls counts what the fake checker saw: the engine must hand it the text, once.
type fakeChecker struct{ seen []string }

func (c *fakeChecker) check(text string) []flows.Finding {
	c.seen = append(c.seen, text)
	if strings.Contains(text, "OTP") {
		return []flows.Finding{{Rule: "secret", Evidence: "OTP", Advice: "rule.1"}, {Rule: "pressure", Evidence: "gấp", Advice: "rule.6"}, {Rule: "money", Evidence: "phí", Advice: "rule.6"}}
	}
	return nil
}

func mustKindsEngine(tb testing.TB, checker flows.Checker) *flows.Engine {
	tb.Helper()
	texts := kindsTexts()
	lib, err := flows.LoadDir(fstest.MapFS{"kinds.yaml": {Data: []byte(kindsFlow)}, "other.yaml": {Data: []byte(otherFlow)}}, ".", texts)
	if err != nil {
		tb.Fatalf("error loading: %v", err)
	}
	var opts []flows.EngineOption
	if checker != nil {
		opts = append(opts, flows.WithChecker(checker))
	}
	return flows.NewEngine(lib, texts, opts...)
}

func press(st flows.State, i int) flows.Input {
	return flows.Input{Kind: flows.Press, Arg: flows.EncodePress(st.Token, i)}
}

func TestQuestionScore(t *testing.T) {
	e := mustKindsEngine(t, nil)
	st, _ := mustHandle(t, e, flows.State{}, flows.Input{Kind: flows.Start, Arg: "kinds"})
	// A right answer: its feedback, then the next question.
	st, replies := mustHandle(t, e, st, press(st, 0))
	if got := replyKeys(replies); !slices.Equal(got, []string{"kinds.q1.right", "kinds.q2"}) || st.Asked != 1 || st.Right != 1 {
		t.Fatalf("right answer: keys %q, asked %b right %b", got, st.Asked, st.Right)
	}
	// A double tap (case C02): the old token is stale and the score does not move.
	again, replies := mustHandle(t, e, st, flows.Input{Kind: flows.Press, Arg: flows.EncodePress(st.Token-1, 0)})
	if again.Asked != 1 || again.Right != 1 || replies[0].Key != flows.KeyStale {
		t.Fatalf("double tap changed the score: %+v %q", again, replyKeys(replies))
	}
	// A wrong answer with the default feedback key; an answer's own feedback key.
	wrong, replies := mustHandle(t, e, st, press(st, 0))
	if got := replyKeys(replies); !slices.Equal(got, []string{"kinds.q2.wrong", "kinds.cp"}) || wrong.Asked != 3 || wrong.Right != 1 {
		t.Fatalf("wrong answer: keys %q, asked %b right %b", got, wrong.Asked, wrong.Right)
	}
	st, replies = mustHandle(t, e, st, press(st, 1))
	if got := replyKeys(replies); !slices.Equal(got, []string{"kinds.b.yes", "kinds.cp"}) || st.Right != 3 {
		t.Fatalf("own feedback: keys %q, right %b", got, st.Right)
	}
	// Back to question 1, answered wrong this time: the score follows the last answer.
	st, _ = mustHandle(t, e, st, flows.Input{Kind: flows.Back})
	st, _ = mustHandle(t, e, st, flows.Input{Kind: flows.Back})
	st, _ = mustHandle(t, e, st, press(st, 1))
	if st.Asked != 3 || st.Right != 2 {
		t.Fatalf("re-answered: asked %b right %b, want 11 10", st.Asked, st.Right)
	}
	st, _ = mustHandle(t, e, st, press(st, 1))
	st, replies = mustHandle(t, e, st, press(st, 0)) // checkpoint: it worked → the score step
	r := last(t, replies)
	if r.Key != "kinds.score" || len(r.Head) != 1 || r.Head[0].Key != flows.KeyScore ||
		!reflect.DeepEqual(r.Head[0].Params, map[string]string{"Right": "1", "Total": "2"}) {
		t.Fatalf("score step: %+v", r)
	}
	if len(r.Tail) != 1 || r.Tail[0].Key != "kinds.rule" {
		t.Errorf("shared line: %+v", r.Tail)
	}
	// Leaving the guide forgets the score.
	st, _ = mustHandle(t, e, st, flows.Input{Kind: flows.Menu})
	if st.Asked != 0 || st.Right != 0 {
		t.Errorf("the menu kept the score: %+v", st)
	}
}

// Case C14 on a quiz: a typed answer matches in NFC, NFD, the Windows mixed form, without
// diacritics and in capitals.
func TestQuestionTypedAnswer(t *testing.T) {
	e := mustKindsEngine(t, nil)
	for _, typed := range []string{
		"Cúp máy, đến công an xã",
		"Cu\u0301p ma\u0301y, \u0111e\u0302\u0301n co\u0302ng an xa\u0303",
		"CUP MAY DEN CONG AN XA",
		"cup may den cong an xa",
	} {
		st, _ := mustHandle(t, e, flows.State{}, flows.Input{Kind: flows.Start, Arg: "kinds"})
		st, replies := mustHandle(t, e, st, flows.Input{Kind: flows.Text, Arg: typed})
		if st.Right != 1 || replyKeys(replies)[0] != "kinds.q1.right" {
			t.Errorf("typed %q: %+v %q", typed, st, replyKeys(replies))
		}
	}
}

func TestCheckpointAndCounter(t *testing.T) {
	e := mustKindsEngine(t, nil)
	st := flows.State{Flow: "kinds", Version: 1, Step: "cp", Token: 4}
	r := e.Current(st)[0]
	want := []flows.ReplyButton{
		{Label: flows.KeyBtnWorked, Number: 1, Data: flows.EncodePress(4, 0)},
		{Label: flows.KeyBtnDidntWork, Number: 2, Data: flows.EncodePress(4, 1)},
		{Label: "kinds.link", URL: "https://example.org/help"},
	}
	if !reflect.DeepEqual(r.Buttons, want) {
		t.Errorf("checkpoint buttons:\n got  %+v\n want %+v", r.Buttons, want)
	}
	if len(r.Head) != 1 || r.Head[0].Key != "kinds.counter" || !reflect.DeepEqual(r.Head[0].Params, map[string]string{"N": "3", "Of": "3"}) {
		t.Errorf("counter: %+v", r.Head)
	}
	st, replies := mustHandle(t, e, st, press(st, 1))
	if st.Step != "fix" || replyKeys(replies)[0] != "kinds.fix" || len(last(t, replies).Head) != 0 {
		t.Errorf("it didn't work: %+v %+v", st, replies)
	}
	// Alternatives of a section share a number.
	for _, step := range []string{"a", "b"} {
		r := e.Current(flows.State{Flow: "other", Version: 3, Step: step})[0]
		if len(r.Head) != 1 || r.Head[0].Key != flows.KeyCounter || r.Head[0].Params["N"] != "2" || r.Head[0].Params["Of"] != "2" {
			t.Errorf("step %s: counter %+v", step, r.Head)
		}
	}
	if r := e.Current(flows.State{Flow: "other", Version: 3, Step: "fin"})[0]; len(r.Head) != 0 {
		t.Errorf("a step outside sections has a counter: %+v", r.Head)
	}
}

func TestGuideButton(t *testing.T) {
	e := mustKindsEngine(t, nil)
	st := flows.State{Flow: "kinds", Version: 1, Step: "score", Token: 9, Asked: 3, Right: 1, Back: []string{"q1"}}
	st, replies := mustHandle(t, e, st, press(st, 1))
	want := flows.State{Flow: "other", Version: 3, Step: "one", Token: 10}
	if !sameState(st, want) || st.Asked != 0 || st.Right != 0 || replyKeys(replies)[0] != "other.one" {
		t.Errorf("guide button: %+v %q", st, replyKeys(replies))
	}
}

func TestCheckStep(t *testing.T) {
	c := &fakeChecker{}
	e := mustKindsEngine(t, c.check)
	atCheck := flows.State{Flow: "kinds", Version: 1, Step: "check", Token: 5}
	text := func(s string) flows.Input { return flows.Input{Kind: flows.Text, Arg: s} }

	st, replies := mustHandle(t, e, atCheck, text("Gửi mã OTP gấp"))
	if st.Step != "done" || len(replies) != 2 || replies[1].Key != "kinds.done" {
		t.Fatalf("after the check: %+v %q", st, replyKeys(replies))
	}
	var tail []string
	for _, p := range replies[0].Tail {
		tail = append(tail, p.Key+fmt.Sprint(p.Params))
	}
	wantTail := []string{"check.rule.secret" + fmt.Sprint(map[string]string{"Evidence": "OTP"}),
		"check.rule.pressure" + fmt.Sprint(map[string]string{"Evidence": "gấp"}),
		"check.rule.money" + fmt.Sprint(map[string]string{"Evidence": "phí"}),
		"rule.1map[]", "rule.6map[]", flows.KeyReport + "map[]"}
	if replies[0].Key != flows.KeyCheckFound || !slices.Equal(tail, wantTail) {
		t.Errorf("findings: %s %q, want %q", replies[0].Key, tail, wantTail)
	}

	_, replies = mustHandle(t, e, atCheck, text("Mai họp thôn"))
	if r := replies[0]; r.Key != flows.KeyCheckNone || len(r.Tail) != 1 || r.Tail[0].Key != flows.KeyReport {
		t.Errorf("nothing found must say so and where to report: %+v", r)
	}
	if !slices.Equal(c.seen, []string{"Gửi mã OTP gấp", "Mai họp thôn"}) {
		t.Errorf("checker saw %q", c.seen)
	}

	// A typed number is the step's button, not a message to check.
	st, replies = mustHandle(t, e, atCheck, text("1"))
	if st.Flow != "" || len(c.seen) != 2 || replyKeys(replies)[0] != flows.KeyMenu {
		t.Errorf("typed 1 at the check step: %+v %q", st, replyKeys(replies))
	}
	// After a long pause the message a check step asked for is still checked.
	st, _ = mustHandle(t, e, atCheck, flows.Input{Kind: flows.Text, Arg: "Mai họp thôn", Away: true})
	if st.Step != "done" || len(c.seen) != 3 {
		t.Errorf("away at the check step: %+v", st)
	}
	// A photo cannot be checked: say so, stay.
	st, replies = mustHandle(t, e, atCheck, flows.Input{Kind: flows.Media, Arg: "photo"})
	if !sameState(st, atCheck) || !slices.Equal(replyKeys(replies), []string{flows.KeyCheckMedia, "kinds.check"}) {
		t.Errorf("photo at the check step: %+v %q", st, replyKeys(replies))
	}
}

func TestForwardedAnywhere(t *testing.T) {
	c := &fakeChecker{}
	e := mustKindsEngine(t, c.check)
	fwd := flows.Input{Kind: flows.Text, Arg: "Chuyển phí OTP", Forwarded: true}
	for _, st := range []flows.State{
		{Token: 3},
		{Flow: "kinds", Version: 1, Step: "fix", Back: []string{"cp"}, Token: 3},
		{Flow: "kinds", Version: 1, Step: "q1", Token: 3, Mode: flows.ModeLang},
	} {
		got, replies := mustHandle(t, e, st, fwd)
		if got.Flow != st.Flow || got.Step != st.Step || got.Token != st.Token || replies[0].Key != flows.KeyCheckFound || len(replies) != 2 {
			t.Errorf("forwarded at %+v: now %+v, replies %q", st, got, replyKeys(replies))
		}
	}
	// Without a checker a forwarded text is an ordinary text.
	plain := mustKindsEngine(t, nil)
	_, replies := mustHandle(t, plain, flows.State{Token: 3}, fwd)
	if replyKeys(replies)[0] != flows.KeyMenuHint {
		t.Errorf("no checker: %q", replyKeys(replies))
	}
}

func TestResume(t *testing.T) {
	e := mustKindsEngine(t, nil)
	mid := flows.State{Flow: "kinds", Version: 1, Step: "q2", Back: []string{"q1"}, Token: 6, Asked: 1, Right: 1, Lang: "vi"}
	away := func(in flows.Input) flows.Input { in.Away = true; return in }

	offered, replies := mustHandle(t, e, mid, away(flows.Input{Kind: flows.Text, Arg: "alo"}))
	if offered.Mode != flows.ModeResume || offered.Token != 7 || offered.Step != "q2" || offered.Asked != 1 {
		t.Fatalf("offer state %+v", offered)
	}
	r := last(t, replies)
	if r.Key != flows.KeyResumeStep || r.Texts["Guide"] != "kinds.title" || r.Params["N"] != "2" || r.Params["Of"] != "3" {
		t.Errorf("offer %+v", r)
	}
	wantButtons := []flows.ReplyButton{{Label: flows.KeyBtnContinue, Number: 1, Data: flows.EncodePress(7, 0)}, {Label: flows.KeyBtnMenu, Number: 2, Data: flows.EncodePress(7, 1)}}
	if !reflect.DeepEqual(r.Buttons, wantButtons) {
		t.Errorf("offer buttons %+v", r.Buttons)
	}

	cont, replies := mustHandle(t, e, offered, press(offered, 0))
	if cont.Mode != "" || cont.Step != "q2" || !slices.Equal(cont.Back, []string{"q1"}) || cont.Asked != 1 || replyKeys(replies)[0] != "kinds.q2" {
		t.Errorf("continue: %+v %q", cont, replyKeys(replies))
	}
	menu, replies := mustHandle(t, e, offered, press(offered, 1))
	if menu.Flow != "" || menu.Mode != "" || replyKeys(replies)[0] != flows.KeyMenu {
		t.Errorf("main menu: %+v %q", menu, replyKeys(replies))
	}
	stale, replies := mustHandle(t, e, offered, press(mid, 0))
	if !sameState(stale, offered) || !slices.Equal(replyKeys(replies), []string{flows.KeyStale, flows.KeyResumeStep}) {
		t.Errorf("a button from before the pause: %+v %q", stale, replyKeys(replies))
	}
	kw, _ := mustHandle(t, e, offered, flows.Input{Kind: flows.Text, Arg: "khac"})
	if kw.Flow != "other" {
		t.Errorf("a keyword at the offer opens that guide: %+v", kw)
	}
	again, replies := mustHandle(t, e, offered, away(flows.Input{Kind: flows.Text, Arg: "alo"}))
	if again.Mode != flows.ModeResume || !slices.Equal(replyKeys(replies), []string{flows.KeyMenuHint, flows.KeyResumeStep}) {
		t.Errorf("text while the offer is open: %+v %q", again, replyKeys(replies))
	}

	// A press is an intent: it acts even after a pause. A step outside sections gets the
	// offer without a number. The menu and end steps have nothing to resume.
	pressed, _ := mustHandle(t, e, mid, away(press(mid, 1)))
	if pressed.Step != "cp" {
		t.Errorf("a press after a pause: %+v", pressed)
	}
	_, replies = mustHandle(t, e, flows.State{Flow: "kinds", Version: 1, Step: "fix", Token: 2}, away(flows.Input{Kind: flows.Media, Arg: "sticker"}))
	if last(t, replies).Key != flows.KeyResume {
		t.Errorf("offer outside sections: %q", replyKeys(replies))
	}
	for _, st := range []flows.State{{Token: 2}, {Flow: "kinds", Version: 1, Step: "done", Token: 2}} {
		got, _ := mustHandle(t, e, st, away(flows.Input{Kind: flows.Text, Arg: "alo"}))
		if got.Mode == flows.ModeResume {
			t.Errorf("offered to resume at %+v", st)
		}
	}
	// A step removed by a new version: the start of the guide, with one notice.
	gone := flows.State{Flow: "kinds", Version: 0, Step: "removed", Token: 2}
	got, replies := mustHandle(t, e, gone, away(flows.Input{Kind: flows.Text, Arg: "alo"}))
	if got.Step != "q1" || got.Mode != "" || !slices.Equal(replyKeys(replies), []string{flows.KeyFlowUpdated, "kinds.q1"}) {
		t.Errorf("removed step: %+v %q", got, replyKeys(replies))
	}
}

// keyRenderer renders "key(params)" so tests can see what Compose put together.
type keyRenderer struct{}

func (keyRenderer) Render(lang, key string, params map[string]string) string {
	var ps []string
	for k, v := range params {
		ps = append(ps, k+"="+v)
	}
	sort.Strings(ps)
	return lang + ":" + key + "(" + strings.Join(ps, ",") + ")"
}

func TestCompose(t *testing.T) {
	full := flows.Reply{Key: "t", Params: map[string]string{"A": "1"}, Texts: map[string]string{"G": "g"},
		Head: []flows.Part{{Key: "h"}}, Tail: []flows.Part{{Key: "x", Params: map[string]string{"E": "e"}}, {Key: "y"}}}
	if got, want := flows.Compose(keyRenderer{}, "vi", full), "vi:h()\nvi:t(A=1,G=vi:g())\nvi:x(E=e)\nvi:y()"; got != want {
		t.Errorf("Compose = %q, want %q", got, want)
	}
}

func TestStats(t *testing.T) {
	e := mustKindsEngine(t, nil)
	// q1 → q2 → cp → fix ↺ cp (cut); cp → score → check → done: 6 messages.
	if got, want := e.Library().Flow("kinds").Stats(), (flows.Stats{Steps: 7, Reachable: 7, Longest: 6}); got != want {
		t.Errorf("kinds: %+v, want %+v", got, want)
	}
	if got, want := e.Library().Flow("other").Stats(), (flows.Stats{Steps: 4, Reachable: 4, Longest: 3}); got != want {
		t.Errorf("other: %+v, want %+v", got, want)
	}
}

// TestStateSize: the session stays small. The worst case for the real library: the longest
// step ids in a full back stack, every score bit, the largest token, a long language tag and
// the longest referral code a deep link can carry.
func TestStateSize(t *testing.T) {
	e, _ := mustRealEngine(t)
	for _, f := range e.Library().Flows() {
		var longest string
		for _, s := range f.Steps {
			if len(s.ID) > len(longest) {
				longest = s.ID
			}
		}
		st := flows.State{Flow: f.ID, Version: f.Version, Step: longest, Lang: "hnj-Latn-VN-x-chv",
			Ref: strings.Repeat("R", 47), Token: ^uint32(0), Mode: flows.ModeResume, Asked: ^uint32(0), Right: ^uint32(0)}
		for range flows.MaxBackStack {
			st.Back = append(st.Back, longest)
		}
		data, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		// The session adds about 90 bytes (revision, 4 update ids, timestamp) to this.
		if len(data) > 280 {
			t.Errorf("%s: worst-case state is %d bytes: %s", f.ID, len(data), data)
		}
		t.Logf("%s: worst-case state %d bytes", f.ID, len(data))
	}
}
