package volunteer

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
	"hocvuso/i18n"
)

// Regression tests for defects a review proved: see each test's comment.

// storedValues returns every string and hash value under the test's prefix, to check that
// nothing a resident typed was kept.
func (h *harness) storedValues() []string {
	h.t.Helper()
	ctx := context.Background()
	keys, err := h.rdb.Keys(ctx, h.pfx+":*").Result()
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		switch h.rdb.Type(ctx, k).Val() {
		case "string":
			out = append(out, h.rdb.Get(ctx, k).Val())
		case "hash":
			for f, v := range h.rdb.HGetAll(ctx, k).Val() {
				out = append(out, f, v)
			}
		}
	}
	return out
}

// A resident who accepted the code of conduct and then went back to the guides with /menu
// must not be registered by the next text they type, which may be their name and phone.
func TestCommandLeavesCommuneRegistration(t *testing.T) {
	h := newHarness(t, Config{})
	const typed = "Nguyen Thi Mai 0912 345 678"
	h.command(volLan, "Lan", "volunteer", "")
	h.press(volLan, dataAccept)
	h.command(volLan, "Lan", "menu", "")
	out := h.text(volLan, typed)

	if _, err := h.svc.Get(context.Background(), volLan); !errors.Is(err, ErrNotFound) {
		t.Fatalf("registered after /menu (err %v)", err)
	}
	for _, v := range h.storedValues() {
		if strings.Contains(v, "Mai") || strings.Contains(v, "345") {
			t.Fatalf("stored what the resident typed: %q", v)
		}
	}
	// The text went to the guides: the answer is the one a chat that never registered gets.
	h.command(volMinh, "Minh", "menu", "")
	want := h.text(volMinh, typed)
	if len(out.Messages) == 0 || len(out.Messages) != len(want.Messages) {
		t.Fatalf("answer to the text: %+v, want the guides' %+v", out.Messages, want.Messages)
	}
	for i := range want.Messages {
		if out.Messages[i].Text != want.Messages[i].Text {
			t.Fatalf("answer %d: %q, want the guides' %q", i, out.Messages[i].Text, want.Messages[i].Text)
		}
	}
}

// A button that is not part of registration leaves it too.
func TestOtherButtonLeavesCommuneRegistration(t *testing.T) {
	h := newHarness(t, Config{})
	h.command(volLan, "Lan", "volunteer", "")
	h.press(volLan, dataAccept)
	h.press(volLan, dataStats)
	h.text(volLan, "Xã Hòa An")
	if _, err := h.svc.Get(context.Background(), volLan); !errors.Is(err, ErrNotFound) {
		t.Fatalf("registered by a text typed after another button (err %v)", err)
	}
}

// A guide's button leaves it as well, though it costs the guides' path no round trip: the
// press saves the session, and the registration step was tied to the session's revision.
func TestGuideButtonLeavesCommuneRegistration(t *testing.T) {
	h := newHarness(t, Config{})
	out := h.command(volLan, "Lan", "start", "vneid")
	guideButton := out.Messages[len(out.Messages)-1].Buttons[0].Data
	h.command(volLan, "Lan", "volunteer", "")
	h.press(volLan, dataAccept)
	step := h.press(volLan, guideButton)
	if h.state(volLan).Step == h.lib.Flow("vneid").Start || len(step.Messages) == 0 {
		t.Fatalf("the guide's button did not move the guide: %+v", step)
	}
	h.text(volLan, "Xã Hòa An")
	if _, err := h.svc.Get(context.Background(), volLan); !errors.Is(err, ErrNotFound) {
		t.Fatalf("registered by a text typed after a guide's button (err %v)", err)
	}
	// Accepting again asks again, and then the commune counts.
	h.press(volLan, dataAccept)
	h.text(volLan, "Xã Hòa An")
	if v, err := h.svc.Get(context.Background(), volLan); err != nil || v.Commune != "Xã Hòa An" {
		t.Fatalf("after accepting again: %+v, %v", v, err)
	}
}

// The answers to /forget ("keep my data", or a stale one) are the guides' buttons: they
// leave registration too (the runtime saves them like any event).
func TestForgetAnswerLeavesCommuneRegistration(t *testing.T) {
	for _, answer := range []string{"fg:n:", "fg:y:stale"} {
		h := newHarness(t, Config{})
		h.command(volLan, "Lan", "forget", "") // the question stays on screen
		data := answer
		if answer == "fg:n:" {
			data += strconv.FormatUint(uint64(h.state(volLan).Token), 36)
		}
		h.command(volLan, "Lan", "volunteer", "")
		h.press(volLan, dataAccept)
		h.press(volLan, data)
		h.text(volLan, "Nguyễn Thị Lan")
		if v, err := h.svc.Get(context.Background(), volLan); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: registered with commune %q after answering /forget", answer, v.Commune)
		}
	}
}

// A phone number typed as the commune is refused kindly and kept nowhere; the step stays,
// so the commune typed next registers.
func TestCommuneWithAPhoneNumberIsAskedAgain(t *testing.T) {
	h := newHarness(t, Config{})
	h.command(volLan, "Lan", "volunteer", "")
	h.press(volLan, dataAccept)
	out := h.text(volLan, "Xã Hòa An 0912.345.678")
	if len(out.Messages) != 1 || out.Messages[0].Text != h.vi("volunteer.commune_has_number") {
		t.Fatalf("a phone number as commune: %+v", out.Messages)
	}
	for _, v := range h.storedValues() {
		if strings.Contains(v, "345") {
			t.Fatalf("stored the phone number: %q", v)
		}
	}
	out = h.handle(bot.Event{ChatID: volLan, UserID: volLan, Name: "Lan", Kind: bot.EventText, Arg: "Xã Hòa An"})
	if v, err := h.svc.Get(context.Background(), volLan); err != nil || v.Commune != "Xã Hòa An" {
		t.Fatalf("after a valid commune: %+v, %v (answer %+v)", v, err, out.Messages)
	}
}

func TestCleanCommuneRefusesNumbersLikeSecrets(t *testing.T) {
	for in, want := range map[string]string{
		"Nguyen Thi Mai 0912 345 678": "",
		"Xã 123456":                   "",
		"Xã 12-34-56":                 "",
		"Phường 12":                   "Phường 12",
		"Tổ 5 Phường Sông Hiến":       "Tổ 5 Phường Sông Hiến",
	} {
		if got := CleanCommune(in); got != want {
			t.Errorf("CleanCommune(%q) = %q, want %q", in, got, want)
		}
	}
}

// failHSetOnce fails the first HSET it sees, alone or in a pipeline, once armed.
type failHSetOnce struct{ armed atomic.Bool }

var errInjected = errors.New("injected HSET failure")

func (f *failHSetOnce) hit(cmd redis.Cmder) bool {
	return strings.EqualFold(cmd.Name(), "hset") && f.armed.CompareAndSwap(true, false)
}

func (f *failHSetOnce) DialHook(next redis.DialHook) redis.DialHook { return next }

func (f *failHSetOnce) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if f.hit(cmd) {
			return errInjected
		}
		return next(ctx, cmd)
	}
}

func (f *failHSetOnce) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if f.hit(c) {
				return errInjected
			}
		}
		return next(ctx, cmds)
	}
}

// An update whose handling failed is applied when Telegram delivers it again, not dropped
// as a duplicate.
func TestFailedUpdateIsAppliedOnRetry(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	h.command(resident, "Bà Tư", "start", "vneid")
	h.text(resident, "1")
	hook := &failHSetOnce{}
	h.rdb.AddHook(hook)
	hook.armed.Store(true)
	ev := bot.Event{ChatID: resident, UserID: resident, Kind: bot.EventPress, Arg: dataAsk, UpdateID: 888888}
	if _, err := h.rt.Handle(context.Background(), ev); !errors.Is(err, errInjected) {
		t.Fatalf("first delivery: err %v, want the injected failure", err)
	}
	retry, err := h.rt.Handle(context.Background(), ev)
	if err != nil || retry.Duplicate || len(sendsTo(retry, group)) != 1 {
		t.Fatalf("retry: %+v, %v; want the help card posted", retry, err)
	}
	again, err := h.rt.Handle(context.Background(), ev)
	if err != nil || !again.Duplicate || len(again.Sends) != 0 {
		t.Fatalf("a third delivery after success: %+v, %v; want a duplicate", again, err)
	}
}

// takeAsLan registers Lan, has the resident ask, and Lan take it; it returns the step.
func (h *harness) takeAsLan() string {
	h.t.Helper()
	out, step := h.askFromStep()
	if got := h.groupPress(volLan, "Lan", buttonData(sendsTo(out, group)[0].Message, dataTake)); got.Notice != h.vi("volunteer.help.take_ok") {
		h.t.Fatalf("Lan's take: %+v", got)
	}
	return step
}

// Removing a volunteer ends their conversation: nothing they type reaches the resident,
// who is told it ended and shown their step.
func TestRemoveEndsTheConversation(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	ctx := context.Background()
	h.register(volLan, "Lan", "Xã Hòa An")
	step := h.takeAsLan()
	if err := h.svc.Remove(ctx, volLan); err != nil {
		t.Fatal(err)
	}
	if out := h.text(volLan, "cho tôi mã OTP"); len(sendsTo(out, resident)) != 0 {
		t.Fatalf("a removed volunteer's text was relayed: %+v", out.Sends)
	}
	ds, err := h.rt.Due(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].ChatID != resident || ds[0].Message.Text != h.vi("volunteer.help.ended") || ds[1].Message.Text != h.stepText(step) {
		t.Fatalf("resident told: %+v", ds)
	}
	if ds, err := h.rt.Due(ctx); err != nil || len(ds) != 0 {
		t.Fatalf("told twice: %+v, %v", ds, err)
	}
	if out := h.text(resident, "alo"); len(sendsTo(out, volLan)) != 0 {
		t.Fatalf("resident's text relayed to the removed volunteer: %+v", out.Sends)
	}
}

// A volunteer whose record is gone (removed by an older binary, or between two reads) is
// not relayed: the conversation ends there.
func TestRelayChecksTheVolunteerIsRegistered(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	ctx := context.Background()
	h.register(volLan, "Lan", "Xã Hòa An")
	step := h.takeAsLan()
	if err := h.rdb.HDel(ctx, h.svc.k.registry(), strconv.Itoa(volLan)).Err(); err != nil {
		t.Fatal(err)
	}
	out := h.text(volLan, "cho tôi mã OTP")
	if len(out.Messages) != 1 || out.Messages[0].Text != h.vi("volunteer.help.ended_volunteer") {
		t.Fatalf("to the former volunteer: %+v", out.Messages)
	}
	toRes := sendsTo(out, resident)
	if len(toRes) != 2 || toRes[0].Message.Text != h.vi("volunteer.help.ended") || toRes[1].Message.Text != h.stepText(step) {
		t.Fatalf("to the resident: %+v", toRes)
	}
	for _, d := range toRes {
		if strings.Contains(d.Message.Text, "OTP") {
			t.Fatalf("relayed: %q", d.Message.Text)
		}
	}
}

// With approval required, a volunteer not yet approved cannot take a request.
func TestTakeNeedsApproval(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group, RequireApproval: true})
	h.register(volLan, "Lan", "Xã Hòa An")
	out, _ := h.askFromStep()
	take := buttonData(sendsTo(out, group)[0].Message, dataTake)
	got := h.groupPress(volLan, "Lan", take)
	if got.Notice != h.vi("volunteer.help.take_pending") || len(got.Sends) != 0 || got.EditPressed != nil {
		t.Fatalf("an unapproved volunteer's take: %+v", got)
	}
	if _, err := h.svc.Approve(context.Background(), volLan); err != nil {
		t.Fatal(err)
	}
	if got = h.groupPress(volLan, "Lan", take); got.Notice != h.vi("volunteer.help.take_ok") {
		t.Fatalf("after approval: %+v", got)
	}
}

// noticeKeys returns the keys the package's code shows as toasts: notice(rt, lang, "key", …).
func noticeKeys(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if id, isID := func() (*ast.Ident, bool) {
				if !ok {
					return nil, false
				}
				id, ok := call.Fun.(*ast.Ident)
				return id, ok
			}(); isID && id.Name == "notice" && len(call.Args) >= 3 {
				if lit, ok := call.Args[2].(*ast.BasicLit); ok {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						keys = append(keys, s)
					}
				}
			}
			return true
		})
	}
	return keys
}

// Every toast fits Telegram's 200-unit limit for answers to button presses, in every
// language, with the longest bot username.
func TestEveryToastFitsInEveryLanguage(t *testing.T) {
	h := newHarness(t, Config{})
	keys := noticeKeys(t)
	if len(keys) < 7 {
		t.Fatalf("found only %d toast keys: the scan is broken (%v)", len(keys), keys)
	}
	params := map[string]string{"Bot": strings.Repeat("b", 32)}
	for _, lang := range h.cat.Languages() {
		for _, key := range keys {
			got := notice(h.rt, lang, key, params)
			if n := i18n.UTF16Len(got); n == 0 || n > i18n.MaxNoticeLen {
				t.Errorf("%s %s: toast is %d units: %q", lang, key, n, got)
			}
		}
	}
}

func TestClipCountsUTF16Units(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"😀😀😀", 6, "😀😀😀"},
		{"😀😀😀", 5, "😀😀…"},
		{"a😀", 2, "a…"},
		{"😀😀", 2, "…"},
	} {
		if got := clip(c.in, c.n); got != c.want {
			t.Errorf("clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// A relayed text of emoji (two UTF-16 units each) still fits one Telegram message.
func TestRelayedEmojiFitTelegramsLimit(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	h.register(volLan, "Lan", "Xã Hòa An")
	h.takeAsLan()
	long := strings.Repeat("😀", 2048)
	for _, c := range []struct{ from, to int64 }{{resident, volLan}, {volLan, resident}} {
		out := h.text(c.from, long)
		ds := sendsTo(out, c.to)
		if len(ds) != 1 {
			t.Fatalf("relay %d→%d: %+v", c.from, c.to, out.Sends)
		}
		if n := i18n.VisibleLen(ds[0].Message.Text); n > i18n.MaxTextLen {
			t.Errorf("relay %d→%d: message is %d units, over %d", c.from, c.to, n, i18n.MaxTextLen)
		}
		if !strings.Contains(ds[0].Message.Text, "😀…") {
			t.Errorf("relay %d→%d: the cut is not marked", c.from, c.to)
		}
	}
}

// One unsteady tap sends two callback updates: the second press of the same button of the
// same message is answered with the quiet toast, not with a second set of stats.
func TestVolunteerButtonDoubleTap(t *testing.T) {
	h := newHarness(t, Config{})
	h.register(volLan, "Lan", "Xã Hòa An")
	tap := func(msg int64) bot.Outcome {
		return h.handle(bot.Event{ChatID: volLan, UserID: volLan, Kind: bot.EventPress, Arg: dataStats, MsgID: msg})
	}
	first := tap(41)
	if first.Quiet() || len(first.Messages) == 0 {
		t.Fatalf("first press: %+v", first)
	}
	second := tap(41)
	if !second.DoubleTap || len(second.Messages) != 0 || second.Notice != h.vi(bot.KeyDoubleTap) {
		t.Fatalf("second press of the same button: %+v", second)
	}
	if other := tap(42); other.Quiet() || len(other.Messages) == 0 {
		t.Fatalf("the same button on another message: %+v", other)
	}
}
