package volunteer

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"hocvuso/bot"
)

func TestRegistrationNeedsTheCodeOfConduct(t *testing.T) {
	h := newHarness(t, Config{})
	out := h.command(volLan, "Lan", "volunteer", "")
	if len(out.Messages) != 1 || out.Messages[0].Text != h.vi("volunteer.coc") {
		t.Fatalf("/volunteer: %+v, want the code of conduct", out.Messages)
	}
	if got := buttonData(out.Messages[0], dataAccept); got != dataAccept {
		t.Fatalf("code of conduct has no accept button: %+v", out.Messages[0].Buttons)
	}
	// Typing a commune before accepting is not a registration: the guides answer it.
	h.text(volLan, "Xã Hòa An")
	if _, err := h.svc.Get(context.Background(), volLan); !errors.Is(err, ErrNotFound) {
		t.Fatalf("registered without accepting the code of conduct (err %v)", err)
	}
	// An old commune button pressed without accepting shows the code of conduct again.
	out = h.press(volLan, dataCommune+"Xã Hòa An")
	if out.Messages[0].Text != h.vi("volunteer.coc") {
		t.Fatalf("stale commune button: %q", out.Messages[0].Text)
	}

	out = h.press(volLan, dataAccept)
	if out.Messages[0].Text != h.vi("volunteer.ask_commune") {
		t.Fatalf("after accepting: %q, want the commune question", out.Messages[0].Text)
	}
	out = h.text(volLan, "🙂")
	if out.Messages[0].Text != h.vi("volunteer.commune_invalid") {
		t.Fatalf("an emoji as commune: %q", out.Messages[0].Text)
	}
	out = h.handle(bot.Event{ChatID: volLan, Kind: bot.EventMedia, Arg: "sticker"})
	if out.Messages[0].Text != h.vi("volunteer.commune_invalid") {
		t.Fatalf("a sticker as commune: %q", out.Messages[0].Text)
	}
	out = h.handle(bot.Event{ChatID: volLan, UserID: volLan, Name: "Lan", Kind: bot.EventText, Arg: "  Xã   Hòa An "})
	want := h.render("volunteer.welcome", map[string]string{"Name": "Lan", "Commune": "Xã Hòa An", "Bot": "hocvuso_bot"})
	if out.Messages[0].Text != want {
		t.Fatalf("welcome:\n got  %q\n want %q", out.Messages[0].Text, want)
	}
	v, err := h.svc.Get(context.Background(), volLan)
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "Lan" || v.Commune != "Xã Hòa An" || !v.Approved || v.Lang != "vi" || !v.At.Equal(h.now()) {
		t.Fatalf("stored %+v", v)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9]{10}$`).MatchString(v.Ref) {
		t.Fatalf("referral code %q is not 10 letters and digits", v.Ref)
	}
	if got, err := h.svc.ByRef(context.Background(), v.Ref); err != nil || got.ID != volLan {
		t.Fatalf("ByRef(%q) = %+v, %v", v.Ref, got, err)
	}
	// Registration is over: the next text goes to the guides again.
	out = h.text(volLan, "Xã Khác")
	if out.Messages[0].Text == h.vi("volunteer.welcome") {
		t.Fatal("text after registration was taken for a commune")
	}
}

func TestSecondVolunteerPicksAKnownCommune(t *testing.T) {
	h := newHarness(t, Config{})
	lan := h.register(volLan, "Lan", "Xã Hòa An")
	out := h.command(volMinh, "Minh", "volunteer", "")
	out = h.press(volMinh, dataAccept)
	if out.Messages[0].Text != h.vi("volunteer.ask_commune_pick") {
		t.Fatalf("second volunteer: %q, want the pick list", out.Messages[0].Text)
	}
	data := buttonData(out.Messages[0], dataCommune)
	if data != dataCommune+"Xã Hòa An" {
		t.Fatalf("commune buttons: %+v", out.Messages[0].Buttons)
	}
	h.handle(bot.Event{ChatID: volMinh, UserID: volMinh, Name: "Minh", Kind: bot.EventPress, Arg: data})
	minh, err := h.svc.Get(context.Background(), volMinh)
	if err != nil || minh.Commune != "Xã Hòa An" {
		t.Fatalf("Minh: %+v, %v", minh, err)
	}
	if minh.Ref == lan.Ref {
		t.Fatal("two volunteers share a referral code")
	}
	// Changing commune keeps the referral code and the sign-up date.
	h.advance(24 * 3600 * 1e9)
	again := h.register(volLan, "Lan", "Phường Thục Phán")
	if again.Ref != lan.Ref || !again.At.Equal(lan.At) || again.Commune != "Phường Thục Phán" {
		t.Fatalf("re-registered: %+v, was %+v", again, lan)
	}
}

func TestDeclineReturnsToTheGuide(t *testing.T) {
	h := newHarness(t, Config{})
	h.command(volLan, "Lan", "start", "vneid")
	h.command(volLan, "Lan", "volunteer", "")
	out := h.press(volLan, dataDecline)
	if len(out.Messages) != 2 || out.Messages[0].Text != h.vi("volunteer.declined") || out.Messages[1].Text != h.stepText("os") {
		t.Fatalf("decline: %+v", out.Messages)
	}
}

func TestListApproveRemove(t *testing.T) {
	h := newHarness(t, Config{RequireApproval: true})
	ctx := context.Background()
	lan := h.register(volLan, "Lan", "Xã Hòa An")
	h.advance(1e9)
	h.register(volMinh, "Minh", "Xã Hòa An")
	if lan.Approved {
		t.Fatal("approved without an operator, with RequireApproval")
	}
	vols, err := h.svc.List(ctx)
	if err != nil || len(vols) != 2 || vols[0].ID != volLan || vols[1].ID != volMinh {
		t.Fatalf("List = %+v, %v", vols, err)
	}
	if v, err := h.svc.Approve(ctx, volLan); err != nil || !v.Approved {
		t.Fatalf("Approve = %+v, %v", v, err)
	}
	if err := h.svc.Remove(ctx, volLan); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.ByRef(ctx, lan.Ref); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the removed volunteer's code still resolves: %v", err)
	}
	if err := h.svc.Remove(ctx, volLan); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
	if _, err := h.svc.Approve(ctx, 42); !errors.Is(err, ErrNotFound) {
		t.Fatalf("approving nobody: %v", err)
	}
}

func TestCleanCommune(t *testing.T) {
	for in, want := range map[string]string{
		"  Xã   Hòa An ":             "Xã Hòa An",
		"Phu\u031bo\u031b\u0300ng 1": "Phường 1", // decomposed input is composed
		"Thị trấn Nước Hai":          "Thị trấn Nước Hai",
		"":                           "",
		"/start":                     "",
		"12345":                      "",
		"<b>x</b>":                   "",
		"🙂🙂":                         "",
		string(make([]rune, 0)) + "Xã " + string([]rune("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")): "",
	} {
		if got := CleanCommune(in); got != want {
			t.Errorf("CleanCommune(%q) = %q, want %q", in, got, want)
		}
	}
}
