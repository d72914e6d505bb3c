package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"hocvuso/bot"
	"hocvuso/bot/scamcheck"
	"hocvuso/bot/session"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

func newTestRuntime(tb testing.TB, opts ...bot.Option) *bot.Runtime {
	tb.Helper()
	cat, err := i18n.LoadDefault()
	if err != nil {
		tb.Fatal(err)
	}
	lib, err := flows.LoadDir(library.FS, ".", cat)
	if err != nil {
		tb.Fatal(err)
	}
	emb, err := session.StartEmbedded()
	if err != nil {
		tb.Fatal(err)
	}
	rdb := emb.Client()
	tb.Cleanup(func() { _ = rdb.Close(); emb.Close() })
	return bot.New(flows.NewEngine(lib, cat), cat, session.New(rdb), opts...)
}

func TestSensitiveNumber(t *testing.T) {
	tests := []struct {
		text string
		kind string
	}{
		{"012345678901", bot.SensitiveCitizenID},
		{"số căn cước của tôi: 001 234 567 890", bot.SensitiveCitizenID},
		{"mã là 483920", bot.SensitiveOTP},
		{"OTP 483 920", bot.SensitiveOTP},
		{"４８３９２０", bot.SensitiveOTP}, // full-width digits
		{"4111 1111 1111 1111", bot.SensitiveCard},
		{"4111-1111-1111-1111", bot.SensitiveCard},
		{"378282246310005", bot.SensitiveCard}, // 15 digits, Luhn-valid (Amex test number)
		{"1", ""},
		{"2", ""},
		{"0912345678", ""},      // a phone number
		{"500.000 đồng", ""},    // an amount
		{"50000", ""},           // an amount
		{"Bước 1/7", ""},        // a step counter
		{"12/05/2024", ""},      // a date
		{"378282246310004", ""}, // 15 digits failing Luhn
		{"", ""},
	}
	for _, tc := range tests {
		kind, ok := bot.SensitiveNumber(tc.text)
		if kind != tc.kind || ok != (tc.kind != "") {
			t.Errorf("SensitiveNumber(%q) = %q, %v; want %q", tc.text, kind, ok, tc.kind)
		}
	}
}

// A sensitive number is answered with the warning, does not move the resident, and is not in
// what is stored.
func TestSensitiveNumberWarning(t *testing.T) {
	rt := newTestRuntime(t)
	ctx := context.Background()
	if _, err := rt.Handle(ctx, bot.Event{ChatID: 1, UpdateID: 1, Kind: bot.EventCommand, Command: "start", Arg: "vneid"}); err != nil {
		t.Fatal(err)
	}
	out, err := rt.Handle(ctx, bot.Event{ChatID: 1, UpdateID: 2, Kind: bot.EventText, Arg: "001234567890"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || out.Messages[0].Text != rt.Catalog().Text("vi", bot.KeySensitive) {
		t.Fatalf("messages %+v, want the safety warning only", out.Messages)
	}
	raw, err := rt.Store().Client().Get(ctx, rt.Store().Key(1)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := rt.Store().Load(ctx, 1); s.State.Step != "os" {
		t.Errorf("step %q, want os", s.State.Step)
	}
	if strings.Contains(raw, "001234567890") {
		t.Error("the number was stored")
	}
}

// Waiting updates of one chat get the lock in update_id order; the lock table empties.
func TestChatLocksOrder(t *testing.T) {
	locks := bot.NewChatLocks()
	unlock := locks.Lock(1, 100)
	var mu sync.Mutex
	var order []int64
	var wg sync.WaitGroup
	for i, seq := range []int64{105, 103, 104, 101} {
		wg.Go(func() {
			u := locks.Lock(1, seq)
			mu.Lock()
			order = append(order, seq)
			mu.Unlock()
			u()
		})
		deadline := time.Now().Add(5 * time.Second)
		for locks.Waiting(1) != i+1 {
			if time.Now().After(deadline) {
				t.Fatal("timed out waiting for waiters")
			}
			time.Sleep(time.Millisecond)
		}
	}
	other := locks.Lock(2, 1) // another chat is not held up
	other()
	unlock()
	wg.Wait()
	if want := []int64{101, 103, 104, 105}; len(order) != 4 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] || order[3] != want[3] {
		t.Fatalf("order %v, want %v", order, want)
	}
	if locks.Len() != 0 {
		t.Errorf("%d lock entries left", locks.Len())
	}
}

// A forwarded message is checked for scam signs even when it holds a code: the warning comes
// first, then the check's answer.
func TestSensitiveNumberInForwardedMessage(t *testing.T) {
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
	defer emb.Close()
	rdb := emb.Client()
	defer rdb.Close()
	rt := bot.New(flows.NewEngine(lib, cat, flows.WithChecker(scamcheck.Check)), cat, session.New(rdb))
	out, err := rt.Handle(context.Background(), bot.Event{ChatID: 1, UpdateID: 1, Kind: bot.EventText, Forwarded: true,
		Arg: "Mã OTP của bạn là 483920. Cung cấp mã này cho cán bộ để nhận hỗ trợ ngay, nếu không tài khoản sẽ bị khoá."})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) < 2 || out.Messages[0].Text != cat.Text("vi", bot.KeySensitive) {
		t.Fatalf("messages %+v, want the warning, then the check", out.Messages)
	}
	if strings.Contains(out.Messages[1].Text, "483920") {
		t.Error("the code was repeated back")
	}
}

// Every text the runtime itself sends exists in every language the bot offers.
func TestRuntimeKeysInCatalogs(t *testing.T) {
	cat, err := i18n.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range cat.Languages() {
		have := map[string]bool{}
		for _, k := range cat.Keys(lang) {
			have[k] = true
		}
		for _, k := range bot.RuntimeKeys {
			if !have[k] {
				t.Errorf("%s catalog lacks %q", lang, k)
			}
		}
	}
}
