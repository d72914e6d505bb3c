package telegram

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"hocvuso/bot"
	"hocvuso/bot/bottest"
)

// gateClock is a virtual clock whose pacing waits block until the test lets one through (a
// value sent on open) or all (open closed), or the waiter's context ends: it shows who waits,
// and lets a context end mid-wait.
type gateClock struct {
	mu       sync.Mutex
	t        time.Time
	sleeping chan struct{} // one value per wait that began
	open     chan struct{}
}

func newGateClock() *gateClock {
	return &gateClock{t: time.Date(2026, 10, 10, 8, 0, 0, 0, time.UTC), sleeping: make(chan struct{}, 64), open: make(chan struct{})}
}

func (c *gateClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *gateClock) sleep(ctx context.Context, d time.Duration) bool {
	c.sleeping <- struct{}{}
	select {
	case <-c.open:
		c.mu.Lock()
		if t := c.t.Add(d); t.After(c.t) {
			c.t = t
		}
		c.mu.Unlock()
		return true
	case <-ctx.Done():
		return false
	}
}

const volunteersGroup int64 = -1001234

// groupLimits are Telegram's per-chat and per-group spacing without the global one, so that
// only the group's pacing makes anything wait.
var groupLimits = Limits{PerChat: chatInterval, ChatBurst: chatBurst, PerGroup: groupInterval, GroupBurst: groupBurst}

func outboxTransport(t *testing.T, clock *gateClock) (*Transport, *bottest.Server) {
	t.Helper()
	api := bottest.New(t)
	tr, err := New(t.Context(), nil, bottest.Token, WithAPIURL(api.URL()), WithLimits(groupLimits),
		WithClock(clock.now, clock.sleep), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	return tr, api
}

func card(n int) bot.Delivery {
	return bot.Delivery{ChatID: volunteersGroup, Message: bot.Message{Text: "help card " + strconv.Itoa(n)}}
}

func textsTo(api *bottest.Server, chat int64) []string {
	var out []string
	for _, c := range api.Calls("sendMessage") {
		if c.Params["chat_id"] == strconv.FormatInt(chat, 10) {
			out = append(out, c.Params["text"])
		}
	}
	return out
}

// A help card that must wait for the group's sending slot does not wait inside the update that
// made it: the update's context may end (the webhook's deadline) and the card still goes, in
// order with the cards after it, while messages to other chats go at once.
func TestOutboxKeepsCardsTheUpdateCannotWaitFor(t *testing.T) {
	clock := newGateClock()
	tr, api := outboxTransport(t, clock)

	tr.deliverAll(t.Context(), []bot.Delivery{card(1)})
	if got := textsTo(api, volunteersGroup); len(got) != 1 {
		t.Fatalf("first card: %q, want it sent at once", got)
	}

	// The second card's update ends while the card waits for the group's slot.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { tr.deliverAll(ctx, []bot.Delivery{card(2)}); close(done) }()
	<-clock.sleeping // someone waits for the group's slot
	cancel()
	<-done

	// A relay to a resident goes at once; a third card queues behind the second.
	const resident = 5551001
	tr.deliverAll(t.Context(), []bot.Delivery{card(3), {ChatID: resident, Message: bot.Message{Text: "relay"}}})
	if got := textsTo(api, resident); len(got) != 1 {
		t.Fatalf("relay to the resident: %q, want it sent at once", got)
	}
	if got := textsTo(api, volunteersGroup); len(got) != 1 {
		t.Fatalf("group before its slot is free: %q", got)
	}

	close(clock.open)
	api.WaitCalls(t, "sendMessage", 4)
	want := []string{"help card 1", "help card 2", "help card 3"}
	if got := textsTo(api, volunteersGroup); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("group received %q, want %q", got, want)
	}
	drain, stop := context.WithCancel(t.Context())
	defer stop()
	if left := tr.Drain(drain); left != 0 {
		t.Fatalf("%d deliveries left after all were sent", left)
	}
}

// Shutdown gives queued cards the grace period; what is still waiting then is counted as
// unsent and never sent afterwards.
func TestOutboxDrainStopsAtTheGracePeriod(t *testing.T) {
	clock := newGateClock()
	tr, api := outboxTransport(t, clock)
	tr.deliverAll(t.Context(), []bot.Delivery{card(1), card(2)})
	<-clock.sleeping // card 2 waits for the group's slot
	expired, cancel := context.WithCancel(t.Context())
	cancel()
	if left := tr.Drain(expired); left != 1 {
		t.Fatalf("Drain left %d unsent, want 1", left)
	}
	close(clock.open)
	tr.outbox.mu.Lock()
	for tr.outbox.n > 0 { // the worker gives up once its context ended
		tr.outbox.idle.Wait()
	}
	tr.outbox.mu.Unlock()
	if got := textsTo(api, volunteersGroup); len(got) != 1 {
		t.Fatalf("group received %q after the drain, want only the first card", got)
	}
}

// A wait given up (its context ended) gives its slot back: otherwise every abandoned wait
// would push the group's next card further out.
func TestPacerReleasesAbandonedSlots(t *testing.T) {
	p := newPacer(groupLimits)
	t0 := time.Date(2026, 10, 10, 8, 0, 0, 0, time.UTC)
	if at := p.reserveChat(volunteersGroup, t0); !at.Equal(t0) {
		t.Fatalf("first slot %v", at)
	}
	second := p.reserveChat(volunteersGroup, t0)
	if want := t0.Add(groupInterval); !second.Equal(want) {
		t.Fatalf("second slot %v, want %v", second, want)
	}
	p.releaseChat(volunteersGroup, second)
	if got := p.wait(volunteersGroup, t0); got != groupInterval {
		t.Fatalf("wait after the release %v, want %v", got, groupInterval)
	}
	again := p.reserveChat(volunteersGroup, t0)
	if !again.Equal(second) {
		t.Fatalf("slot after the release %v, want the released %v", again, second)
	}
	// Only the latest slot comes back: releasing an earlier one leaves later ones in place.
	later := p.reserveChat(volunteersGroup, t0)
	p.releaseChat(volunteersGroup, again)
	if next := p.reserveChat(volunteersGroup, t0); !next.Equal(later.Add(groupInterval)) {
		t.Fatalf("slot after releasing an earlier one %v, want %v", next, later.Add(groupInterval))
	}
}

// A message waiting for its chat's slot takes no global slot meanwhile: the other chats'
// messages are not held behind the group's pacing.
func TestPacerChatWaitDoesNotHoldOthers(t *testing.T) {
	p := newPacer(TelegramLimits)
	t0 := time.Date(2026, 10, 10, 8, 0, 0, 0, time.UTC)
	for range 5 {
		p.reserveChat(volunteersGroup, t0) // five cards: the last may go 12 s from now
	}
	if got := p.wait(volunteersGroup, t0); got != 5*groupInterval {
		t.Fatalf("the group's next card waits %v, want %v", got, 5*groupInterval)
	}
	const resident = 5551001
	if at := p.reserveChat(resident, t0); !at.Equal(t0) {
		t.Fatalf("a resident's slot %v, want now", at)
	}
	if at := p.reserveGlobal(t0); !at.Equal(t0) {
		t.Fatalf("global slot for the resident's message %v, want now", at)
	}
	if at := p.reserveGlobal(t0); !at.Equal(t0.Add(globalInterval)) {
		t.Fatalf("next global slot %v, want %v later", at, globalInterval)
	}
}

// A card Telegram refused with a 429 keeps its place: the card queued after it does not
// overtake it when the pause ends.
func TestOutboxKeepsOrderThroughA429(t *testing.T) {
	clock := newGateClock()
	close(clock.open) // waits pass at once, in virtual time
	tr, api := outboxTransport(t, clock)
	refused := false
	api.Hook("sendMessage", func(c bottest.Call) *bottest.Failure {
		if c.Params["text"] == "help card 1" && !refused {
			refused = true
			return &bottest.Failure{Code: 429, Description: "Too Many Requests: retry after 5", RetryAfter: 5}
		}
		return nil
	})
	tr.deliverAll(t.Context(), []bot.Delivery{card(1), card(2)})
	api.WaitCalls(t, "sendMessage", 3)
	var accepted []string
	for _, c := range api.Calls("sendMessage") {
		if !c.Failed {
			accepted = append(accepted, c.Params["text"])
		}
	}
	if len(accepted) != 2 || accepted[0] != "help card 1" || accepted[1] != "help card 2" {
		t.Fatalf("group accepted %q, want card 1 then card 2", accepted)
	}
}

// The volunteers' group became a supergroup, and its old id is still configured: its cards
// queue under the new id, so the second one still does not hold its update.
func TestOutboxFollowsAMigratedGroup(t *testing.T) {
	clock := newGateClock()
	tr, api := outboxTransport(t, clock)
	const oldID = -4000000001
	tr.migrated.Store(int64(oldID), volunteersGroup)
	old := func(n int) bot.Delivery { d := card(n); d.ChatID = oldID; return d }
	tr.deliverAll(t.Context(), []bot.Delivery{old(1)})
	done := make(chan struct{})
	go func() { tr.deliverAll(t.Context(), []bot.Delivery{old(2)}); close(done) }()
	<-clock.sleeping                                 // card 2 waits for the new group's slot…
	closedSoon(t, done, "card 2's update to let go") // …and its update does not wait with it
	close(clock.open)
	api.WaitCalls(t, "sendMessage", 2)
	if got := textsTo(api, volunteersGroup); len(got) != 2 {
		t.Fatalf("new group received %q, want both cards", got)
	}
}

// In a private chat's burst (3 messages at once, then one a second) an abandoned wait gives
// its slot back too.
func TestPacerReleasesWithinABurst(t *testing.T) {
	p := newPacer(groupLimits)
	const resident = 5551001
	t0 := time.Date(2026, 10, 10, 8, 0, 0, 0, time.UTC)
	for range chatBurst {
		p.reserveChat(resident, t0)
	}
	before := p.wait(resident, t0)
	at := p.reserveChat(resident, t0)
	p.releaseChat(resident, at)
	if after := p.wait(resident, t0); after != before {
		t.Fatalf("wait after giving the slot back %v, want %v as before", after, before)
	}
}

// Messages to one chat a second apart add up: the update waiting for them lets go once the
// waits pass a second in all, not only when one wait is long.
func TestOutboxLetsGoOfChainedWaits(t *testing.T) {
	clock := newGateClock()
	tr, api := outboxTransport(t, clock)
	const resident = 5551001
	var ds []bot.Delivery
	for i := range chatBurst + 3 {
		ds = append(ds, bot.Delivery{ChatID: resident, Message: bot.Message{Text: "relay " + strconv.Itoa(i)}})
	}
	done := make(chan struct{})
	go func() { tr.deliverAll(t.Context(), ds); close(done) }()
	<-clock.sleeping // the 4th message waits about a second: not yet long
	select {
	case <-done:
		t.Fatal("the update let go after one short wait")
	default:
	}
	clock.open <- struct{}{} // the 4th message goes; the 5th waits a second more…
	<-clock.sleeping
	closedSoon(t, done, "the update to let go once the waits passed a second in all") // …while it waits
	if n := len(textsTo(api, resident)); n != chatBurst+1 {
		t.Fatalf("%d messages sent before the update let go, want %d", n, chatBurst+1)
	}
	close(clock.open)
	api.WaitCalls(t, "sendMessage", len(ds))
}

// closedSoon waits for ch to be closed; a test that waits that long has failed (it would
// otherwise hang).
func closedSoon(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(bottest.WaitTimeout):
		t.Fatalf("waited %s for %s", bottest.WaitTimeout, what)
	}
}

// A panic in a delivery's callback costs that delivery only: the chat's queue goes on.
func TestOutboxSurvivesAPanickingCallback(t *testing.T) {
	clock := newGateClock()
	close(clock.open)
	tr, api := outboxTransport(t, clock)
	bad := card(1)
	bad.OnSent = func(context.Context, int64) []bot.Delivery { panic("bug in OnSent") }
	tr.deliverAll(t.Context(), []bot.Delivery{bad, card(2)})
	api.WaitCalls(t, "sendMessage", 2)
	if got := textsTo(api, volunteersGroup); len(got) != 2 || got[1] != "help card 2" {
		t.Fatalf("group received %q, want both cards", got)
	}
}

// wait returns how long a message to chatID would wait if it asked now, without counting it
// (for the tests: the transport reserves, then waits).
func (p *pacer) wait(chatID int64, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := latest(now, p.pausedUntil, p.global.earliest(now))
	if c := p.chats[chatID]; c != nil {
		at = latest(at, c.earliest(now))
	}
	return at.Sub(now)
}

// Pacer.Wait (the bench's floor bot) keeps to the same two steps as the transport: a wait
// given up returns an error and gives its slot back.
func TestPacerWaitGivesUpAndReleases(t *testing.T) {
	p := NewPacer(TelegramLimits)
	if err := p.Wait(t.Context(), volunteersGroup); err != nil {
		t.Fatalf("first message to the group: %v", err)
	}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.Wait(cancelled, volunteersGroup); err == nil {
		t.Fatal("a second card within the group's spacing did not wait")
	}
	if got := p.p.wait(volunteersGroup, time.Now()); got > groupInterval {
		t.Fatalf("next card waits %v after the given-up one, want at most %v", got, groupInterval)
	}
}
