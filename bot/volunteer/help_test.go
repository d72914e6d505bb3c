package volunteer

import (
	"context"
	"strings"
	"sync"
	"testing"

	"hocvuso/bot"
)

// askFromStep puts the resident on the second step of VNeID and asks for a volunteer.
func (h *harness) askFromStep() (bot.Outcome, string) {
	h.t.Helper()
	h.command(resident, "Bà Tư", "start", "vneid")
	out := h.text(resident, "1") // Android
	step := h.state(resident).Step
	last := out.Messages[len(out.Messages)-1]
	if buttonData(last, dataAsk) != dataAsk {
		h.t.Fatalf("step %s offers no 'ask a volunteer': %+v", step, last.Buttons)
	}
	return h.press(resident, dataAsk), step
}

func TestHelpRelayBothWaysAndBackToTheStep(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	h.register(volLan, "Lan", "Xã Hòa An")
	h.register(volMinh, "Minh", "Xã Hòa An")
	out, step := h.askFromStep()
	if out.Messages[0].Text != h.render("volunteer.help.searching", map[string]string{"Minutes": "10"}) {
		t.Fatalf("resident after asking: %q", out.Messages[0].Text)
	}
	cards := sendsTo(out, group)
	if len(cards) != 1 {
		t.Fatalf("help cards for the group: %+v", out.Sends)
	}
	card := cards[0].Message
	for _, want := range []string{plain(h.vi("vneid.title")), "(" + step + ")", h.vi("lang.name"), h.vi("volunteer.help.commune_unknown")} {
		if !strings.Contains(card.Text, want) {
			t.Errorf("help card lacks %q:\n%s", want, card.Text)
		}
	}
	if strings.Contains(card.Text, "Bà Tư") || strings.Contains(card.Text, "1001") {
		t.Errorf("help card shows who the resident is:\n%s", card.Text)
	}
	take := buttonData(card, dataTake)
	if take == "" || len(take) > 64 {
		t.Fatalf("card's take button %q", take)
	}
	cards[0].OnSent(context.Background(), 555)

	// Lan presses first, Minh second.
	out = h.groupPress(volLan, "Lan", take)
	if out.Notice != h.vi("volunteer.help.take_ok") || out.EditPressed == nil || len(out.EditPressed.Buttons) != 0 {
		t.Fatalf("Lan's press: %+v", out)
	}
	toLan, toRes := sendsTo(out, volLan), sendsTo(out, resident)
	if len(toLan) != 1 || !strings.Contains(toLan[0].Message.Text, "("+step+")") {
		t.Fatalf("Lan's briefing: %+v", toLan)
	}
	wantConnected := h.render("volunteer.help.connected", map[string]string{"Name": "Lan"})
	if len(toRes) != 1 || toRes[0].Message.Text != wantConnected {
		t.Fatalf("resident told: %+v, want %q", toRes, wantConnected)
	}
	out = h.groupPress(volMinh, "Minh", take)
	if out.Notice != h.vi("volunteer.help.take_taken") || len(out.Sends) != 0 || out.EditPressed != nil {
		t.Fatalf("Minh's press: %+v", out)
	}

	// Relay: resident → Lan, Lan → resident.
	out = h.text(resident, "Em không thấy nút Kích hoạt")
	if d := sendsTo(out, volLan); len(d) != 1 || d[0].Message.Text != h.render("volunteer.help.from_resident", map[string]string{"Text": "Em không thấy nút Kích hoạt"}) {
		t.Fatalf("relayed to Lan: %+v", out.Sends)
	}
	out = h.text(volLan, "Bác kéo xuống dưới cùng <nhé>")
	want := h.render("volunteer.help.from_volunteer", map[string]string{"Name": "Lan", "Text": "Bác kéo xuống dưới cùng <nhé>"})
	if d := sendsTo(out, resident); len(d) != 1 || d[0].Message.Text != want || !strings.Contains(want, "&lt;nhé&gt;") {
		t.Fatalf("relayed to resident: %+v, want %q", out.Sends, want)
	}
	// An OTP is held back.
	out = h.text(resident, "mã của tôi là 482 913")
	if len(out.Sends) != 0 || out.Messages[0].Text != h.vi("volunteer.help.held_back") {
		t.Fatalf("an OTP was relayed: %+v", out)
	}
	// While connected, the resident's place in the guide has not moved.
	if st := h.state(resident); st.Step != step {
		t.Fatalf("resident moved to %q during the conversation", st.Step)
	}

	// Lan ends it: the resident is back on the same step.
	end := buttonData(toLan[0].Message, dataEnd)
	out = h.press(volLan, end)
	if out.Messages[0].Text != h.vi("volunteer.help.ended_volunteer") {
		t.Fatalf("Lan after ending: %+v", out.Messages)
	}
	back := sendsTo(out, resident)
	if len(back) != 2 || back[0].Message.Text != h.vi("volunteer.help.ended") || back[1].Message.Text != h.stepText(step) {
		t.Fatalf("resident after the end: %+v", back)
	}
	// Texts go to the guides again, and the end button is answered kindly.
	out = h.text(resident, "1")
	if len(out.Sends) != 0 || h.state(resident).Step == step {
		t.Fatalf("after the end, text still relayed: %+v", out)
	}
	out = h.press(resident, end)
	if out.Messages[0].Text != h.vi("volunteer.help.already_ended") {
		t.Fatalf("old end button: %+v", out.Messages)
	}
	// Lan's next text is no longer relayed.
	if out = h.text(volLan, "còn đó không?"); len(out.Sends) != 0 {
		t.Fatalf("Lan's text after the end was relayed: %+v", out.Sends)
	}
}

func TestResidentEndsAndCancels(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	h.register(volLan, "Lan", "Xã Hòa An")
	out, step := h.askFromStep()
	cancel := buttonData(out.Messages[0], dataCancel)
	take := buttonData(sendsTo(out, group)[0].Message, dataTake)
	sendsTo(out, group)[0].OnSent(context.Background(), 77)
	// Asking twice does not post a second card.
	if again := h.press(resident, dataAsk); len(again.Sends) != 0 || again.Messages[0].Text != h.vi("volunteer.help.still_waiting") {
		t.Fatalf("second ask: %+v", again)
	}
	out = h.press(resident, cancel)
	if out.Messages[0].Text != h.vi("volunteer.help.cancelled") || out.Messages[1].Text != h.stepText(step) {
		t.Fatalf("cancel: %+v", out.Messages)
	}
	if e := sendsTo(out, group); len(e) != 1 || e[0].EditID != 77 {
		t.Fatalf("card not edited on cancel: %+v", out.Sends)
	}
	if out = h.groupPress(volLan, "Lan", take); out.Notice != h.vi("volunteer.help.take_closed") {
		t.Fatalf("taking a cancelled request: %+v", out)
	}
	// Ask again, Lan takes it, the resident ends it.
	out = h.press(resident, dataAsk)
	take = buttonData(sendsTo(out, group)[0].Message, dataTake)
	out = h.groupPress(volLan, "Lan", take)
	end := buttonData(sendsTo(out, resident)[0].Message, dataEnd)
	out = h.press(resident, end)
	if out.Messages[0].Text != h.vi("volunteer.help.ended") || out.Messages[1].Text != h.stepText(step) {
		t.Fatalf("resident's end: %+v", out.Messages)
	}
	if d := sendsTo(out, volLan); len(d) != 1 || d[0].Message.Text != h.vi("volunteer.help.ended_volunteer") {
		t.Fatalf("Lan not told: %+v", out.Sends)
	}
}

func TestFirstPressWinsUnderRace(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	const n = 8
	for i := range n {
		h.register(int64(3000+i), "V", "Xã Hòa An")
	}
	out, _ := h.askFromStep()
	take := buttonData(sendsTo(out, group)[0].Message, dataTake)
	notices := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ev := bot.Event{ChatID: group, UserID: int64(3000 + i), Name: "V", Kind: bot.EventPress, Arg: take, Group: true, UpdateID: int64(90000 + i)}
			o, err := h.rt.Handle(context.Background(), ev)
			if err != nil {
				t.Error(err)
			}
			notices[i] = o.Notice
		})
	}
	wg.Wait()
	won := 0
	for _, no := range notices {
		switch no {
		case h.vi("volunteer.help.take_ok"):
			won++
		case h.vi("volunteer.help.take_taken"):
		default:
			t.Errorf("unexpected answer %q", no)
		}
	}
	if won != 1 {
		t.Fatalf("%d volunteers were connected, want exactly 1", won)
	}
}

func TestNobodyTakesItInTime(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	h.register(volLan, "Lan", "Xã Hòa An")
	out, _ := h.askFromStep()
	card := sendsTo(out, group)[0]
	card.OnSent(context.Background(), 99)
	take := buttonData(card.Message, dataTake)
	ctx := context.Background()
	if ds, err := h.rt.Due(ctx); err != nil || len(ds) != 0 {
		t.Fatalf("due before the timeout: %+v, %v", ds, err)
	}
	h.advance(DefaultHelpTimeout + 1e9)
	ds, err := h.rt.Due(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var toRes, edits []bot.Delivery
	for _, d := range ds {
		if d.ChatID == resident {
			toRes = append(toRes, d)
		}
		if d.ChatID == group && d.EditID == 99 {
			edits = append(edits, d)
		}
	}
	if len(toRes) != 1 || toRes[0].Message.Text != h.vi("volunteer.help.timeout") {
		t.Fatalf("resident after the timeout: %+v", toRes)
	}
	if !strings.Contains(h.vi("volunteer.help.timeout"), "Bộ phận một cửa") {
		t.Fatal("the timeout message does not name the one-stop shop")
	}
	if buttonData(toRes[0].Message, dataAsk) == "" || buttonData(toRes[0].Message, dataBack) == "" {
		t.Fatalf("timeout offers no retry or way back: %+v", toRes[0].Message.Buttons)
	}
	if len(edits) != 1 || len(edits[0].Message.Buttons) != 0 {
		t.Fatalf("card not marked expired: %+v", edits)
	}
	if ds, _ := h.rt.Due(ctx); len(ds) != 0 {
		t.Fatalf("told twice: %+v", ds)
	}
	if out := h.groupPress(volLan, "Lan", take); out.Notice != h.vi("volunteer.help.take_closed") {
		t.Fatalf("taking an expired request: %+v", out)
	}
	// "Continue the guide" shows the step; the resident's text goes to the guides again.
	out = h.press(resident, dataBack)
	if out.Messages[0].Text != h.stepText(h.state(resident).Step) {
		t.Fatalf("back to the guide: %+v", out.Messages)
	}
}

func TestTakeNeedsARegisteredVolunteer(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	h.register(resident, "Tư", "Xã Hòa An") // a volunteer can need help too
	out, _ := h.askFromStep()
	take := buttonData(sendsTo(out, group)[0].Message, dataTake)
	out = h.groupPress(4242, "Ai", take)
	want := plain(h.render("volunteer.help.take_register", map[string]string{"Bot": "hocvuso_bot"}))
	if out.Notice != want || len(out.Sends) != 0 {
		t.Fatalf("unregistered press: %+v, want %q", out, want)
	}
	// The resident cannot take their own request either.
	if out = h.groupPress(resident, "Tư", take); out.Notice != h.vi("volunteer.help.take_self") {
		t.Fatalf("own request: %+v", out)
	}
}

func TestNoVolunteerGroupPointsToTheOneStopShop(t *testing.T) {
	h := newHarness(t, Config{})
	h.command(resident, "", "start", "vneid")
	out := h.text(resident, "1")
	if buttonData(out.Messages[len(out.Messages)-1], dataAsk) != "" {
		t.Fatal("'ask a volunteer' offered without a volunteers' group")
	}
	out = h.command(resident, "", "volunteer_help", "")
	if out.Messages[0].Text != h.vi("volunteer.help.unavailable") || len(out.Sends) != 0 {
		t.Fatalf("/volunteer_help without a group: %+v", out)
	}
}

func TestRelayedUpdateIsAppliedOnce(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	h.register(volLan, "Lan", "Xã Hòa An")
	out, _ := h.askFromStep()
	h.groupPress(volLan, "Lan", buttonData(sendsTo(out, group)[0].Message, dataTake))
	ev := bot.Event{ChatID: resident, UserID: resident, Kind: bot.EventText, Arg: "alo", UpdateID: 777777}
	first, err := h.rt.Handle(context.Background(), ev)
	if err != nil || len(first.Sends) != 1 {
		t.Fatalf("first delivery: %+v, %v", first, err)
	}
	second, err := h.rt.Handle(context.Background(), ev)
	if err != nil || !second.Duplicate || len(second.Sends) != 0 {
		t.Fatalf("re-delivered update: %+v, %v", second, err)
	}
}

func TestForgetEndsAConversation(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	h.register(volLan, "Lan", "Xã Hòa An")
	out, _ := h.askFromStep()
	h.groupPress(volLan, "Lan", buttonData(sendsTo(out, group)[0].Message, dataTake))
	if err := h.rt.Forget(context.Background(), resident); err != nil {
		t.Fatal(err)
	}
	if out = h.text(volLan, "bác ơi"); len(out.Sends) != 0 {
		t.Fatalf("relayed to a forgotten resident: %+v", out.Sends)
	}
}

// While nobody has taken the request yet, the resident can go on with the guide by typing;
// only text the guide does not understand is answered with "still waiting".
func TestWaitingForAVolunteerDoesNotBlockTheGuide(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	h.register(volLan, "Lan", "Xã Hòa An")
	out, step := h.askFromStep()
	take := buttonData(sendsTo(out, group)[0].Message, dataTake)

	out = h.text(resident, "tôi không hiểu bước này")
	if len(out.Sends) != 0 || len(out.Messages) != 1 || out.Messages[0].Text != h.vi("volunteer.help.still_waiting") {
		t.Fatalf("free text while waiting: %+v", out)
	}
	out = h.handle(bot.Event{ChatID: resident, UserID: resident, Kind: bot.EventMedia, Arg: "sticker"})
	if len(out.Messages) != 1 || out.Messages[0].Text != h.vi("volunteer.help.still_waiting") {
		t.Fatalf("a sticker while waiting: %+v", out)
	}
	if st := h.state(resident); st.Step != step {
		t.Fatalf("unanswered text moved the resident to %q", st.Step)
	}

	out = h.text(resident, "1")
	next := h.state(resident).Step
	if next == step || len(out.Sends) != 0 || out.Messages[len(out.Messages)-1].Text != h.stepText(next) {
		t.Fatalf("typing the first choice while waiting: step %q → %q, %+v", step, next, out)
	}

	// The request still stands: a volunteer takes it and the relay starts at the new step.
	out = h.groupPress(volLan, "Lan", take)
	if out.Notice != h.vi("volunteer.help.take_ok") {
		t.Fatalf("taking the request after the resident moved on: %+v", out)
	}
	if out = h.text(resident, "1"); len(sendsTo(out, volLan)) != 1 {
		t.Fatalf("once connected, text goes to the volunteer: %+v", out)
	}
	if st := h.state(resident); st.Step != next {
		t.Fatalf("relayed text moved the resident to %q", st.Step)
	}
}

// A card waits for the group's sending slot (about 20 messages a minute). Cancelled before it
// leaves, it is not sent; cancelled while it was on its way, it is edited as soon as it is.
func TestCardOfACancelledRequest(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	out, _ := h.askFromStep()
	d := sendsTo(out, group)[0]
	if d.Wanted == nil || !d.Wanted(context.Background()) {
		t.Fatal("a pending request's card is not wanted")
	}
	h.press(resident, buttonData(out.Messages[0], dataCancel))
	if d.Wanted(context.Background()) {
		t.Fatal("the card of a cancelled request would still be posted")
	}
	// The card left just before the cancel was saved: its id arrives after.
	edits := d.OnSent(context.Background(), 321)
	if len(edits) != 1 || edits[0].EditID != 321 || edits[0].ChatID != group || len(edits[0].Message.Buttons) != 0 ||
		!strings.HasPrefix(edits[0].Message.Text, strings.Split(h.vi("volunteer.help.card_cancelled"), "\n")[0]) {
		t.Fatalf("edit after a late card: %+v", edits)
	}
	// A card sent for a request still pending needs no edit.
	out, _ = h.askFromStep()
	if edits := sendsTo(out, group)[0].OnSent(context.Background(), 322); len(edits) != 0 {
		t.Fatalf("edits for a pending request's card: %+v", edits)
	}
}
