package bot

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hocvuso/bot/scamcheck"
	"hocvuso/bot/session"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

// newTestRuntime is a runtime on the real guides with the scam check, an embedded Redis and a
// clock the test moves.
func newTestRuntime(t *testing.T, now *time.Time, opts ...Option) (*Runtime, *i18n.Catalog) {
	t.Helper()
	cat, err := i18n.LoadDefault()
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
	rdb := emb.Client()
	t.Cleanup(func() { _ = rdb.Close(); emb.Close() })
	opts = append([]Option{WithClock(func() time.Time { return *now }), WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	return New(flows.NewEngine(lib, cat, flows.WithChecker(scamcheck.Check)), cat, session.New(rdb), opts...), cat
}

func mustHandleEvent(t *testing.T, rt *Runtime, ev Event) Outcome {
	t.Helper()
	if ev.ChatID == 0 {
		ev.ChatID = rtChat
	}
	out, err := rt.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRuntimeAway: the runtime tells the engine a resident is coming back when the session
// was last touched at least the away threshold ago.
func TestRuntimeAway(t *testing.T) {
	now := rtNow
	rt, cat := newTestRuntime(t, &now, WithAwayAfter(2*time.Hour))
	offer := func(out Outcome) bool {
		return len(out.Messages) == 1 && len(out.Messages[0].Buttons) == 2 &&
			out.Messages[0].Buttons[0].Text == cat.Text("vi", flows.KeyBtnContinue)
	}
	mustHandleEvent(t, rt, Event{Kind: EventCommand, Command: "start", Arg: "vietqr"})

	now = now.Add(2*time.Hour - time.Second)
	if out := mustHandleEvent(t, rt, Event{Kind: EventText, Arg: "xin chào"}); offer(out) {
		t.Fatal("offered to resume before the threshold")
	}
	// That text touched the session: the pause counts from it.
	now = now.Add(2 * time.Hour)
	out := mustHandleEvent(t, rt, Event{Kind: EventText, Arg: "xin chào"})
	if !offer(out) || !strings.Contains(out.Messages[0].Text, cat.Text("vi", "vietqr.title")) {
		t.Fatalf("no offer after the pause: %+v", out.Messages)
	}
	out = mustHandleEvent(t, rt, Event{Kind: EventText, Arg: "1"})
	if len(out.Messages) != 1 || !strings.Contains(out.Messages[0].Text, cat.Text("vi", "vietqr.intro")) {
		t.Fatalf("continue: %+v", out.Messages)
	}
}

// TestRuntimeForwarded: a forwarded text is checked wherever the resident is, and the
// resident stays on their step.
func TestRuntimeForwarded(t *testing.T) {
	now := rtNow
	rt, cat := newTestRuntime(t, &now)
	mustHandleEvent(t, rt, Event{Kind: EventCommand, Command: "start", Arg: "vneid"})
	out := mustHandleEvent(t, rt, Event{Kind: EventText, Forwarded: true, Arg: "Tải app tại https://vay-nhanh.top/app.apk, chuyển phí 200.000đ gấp"})
	if len(out.Messages) != 2 {
		t.Fatalf("messages %+v", out.Messages)
	}
	got := out.Messages[0].Text
	for _, want := range []string{cat.Text("vi", flows.KeyCheckFound), "vay-nhanh[.]top", "file .apk", cat.Text("vi", "rule.2"), "156"} {
		if !strings.Contains(got, want) {
			t.Errorf("the check answer lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "vay-nhanh.top") {
		t.Errorf("the answer repeats the link in a tappable form:\n%s", got)
	}
	if !strings.Contains(out.Messages[1].Text, cat.Text("vi", "vneid.os")) {
		t.Errorf("the resident left their step: %q", out.Messages[1].Text)
	}
	// Typed (not forwarded) at a step that is not a check step, the same words are just text.
	out = mustHandleEvent(t, rt, Event{Kind: EventText, Arg: "Tải app tại https://vay-nhanh.top/app.apk"})
	if out.Messages[0].Text != cat.Text("vi", flows.KeyUnknownText) {
		t.Errorf("typed text: %q", out.Messages[0].Text)
	}
}
