package volunteer

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"hocvuso/bot"
)

// walk types the numbers of a path, as a resident would.
func (h *harness) walk(chat int64, path []string) {
	h.t.Helper()
	for _, n := range path {
		h.text(chat, n)
	}
}

func TestReferralCountsEachNeighbourOnce(t *testing.T) {
	h := newHarness(t, Config{})
	lan := h.register(volLan, "Lan", "Xã Hòa An")
	path := pathToEnd(t, h.lib.Flow("vneid"))
	payload := "vneid-" + lan.Ref

	if s, f := h.counts(volLan, "vneid"); s != 0 || f != 0 {
		t.Fatalf("before: %d/%d", s, f)
	}
	h.command(resident, "Bà Tư", "start", payload)
	if st := h.state(resident); st.Flow != "vneid" || st.Step != "os" {
		t.Fatalf("the link opened %+v, want vneid at its first step", st)
	}
	if s, f := h.counts(volLan, "vneid"); s != 1 || f != 0 {
		t.Fatalf("after the link: %d/%d, want 1/0", s, f)
	}
	h.command(resident, "Bà Tư", "start", payload) // the same link again
	for _, n := range path[:len(path)-1] {
		h.text(resident, n)
	}
	end := h.text(resident, path[len(path)-1])
	if got := buttonData(end.Messages[len(end.Messages)-1], dataShareF); got != dataShareF+"vneid" {
		t.Fatalf("end step offers no 'share with a neighbour': %+v", end.Messages)
	}
	shared := h.press(resident, dataShareF+"vneid")
	if len(shared.Messages) != 3 || shared.Messages[0].Upload == nil || shared.Messages[1].Buttons[0].URL != "https://t.me/hocvuso_bot?start=vneid" {
		t.Fatalf("a resident's share: %+v", shared.Messages)
	}
	if st := h.state(resident); h.lib.Flow("vneid").Step(st.Step).Kind != "end" {
		t.Fatalf("walked to %q, not the end", st.Step)
	}
	if s, f := h.counts(volLan, "vneid"); s != 1 || f != 1 {
		t.Fatalf("after finishing: %d/%d, want 1/1", s, f)
	}
	h.command(resident, "Bà Tư", "start", payload) // and once more, all the way
	h.walk(resident, path)
	if s, f := h.counts(volLan, "vneid"); s != 1 || f != 1 {
		t.Fatalf("after a second walk: %d/%d, want still 1/1", s, f)
	}
	// A second neighbour counts.
	h.command(resident+1, "Ông Ba", "start", payload)
	if s, f := h.counts(volLan, "vneid"); s != 2 || f != 1 {
		t.Fatalf("second neighbour: %d/%d, want 2/1", s, f)
	}
	// /mystats shows it.
	out := h.command(volLan, "Lan", "mystats", "")
	want := h.render("volunteer.mystats_line", map[string]string{"Title": plain(h.vi("vneid.title")), "Started": "2", "Finished": "1"})
	if !strings.Contains(out.Messages[0].Text, want) {
		t.Fatalf("/mystats:\n%s\nlacks %q", out.Messages[0].Text, want)
	}
	funnel, communes, err := h.svc.Totals(context.Background(), h.lib)
	if err != nil {
		t.Fatal(err)
	}
	if len(funnel) != 1 || funnel[0].Starts != 2 || funnel[0].Done != 1 || funnel[0].Lang != "vi" {
		t.Fatalf("funnel %+v", funnel)
	}
	if len(communes) != 1 || communes[0] != (CommuneRow{Commune: "Xã Hòa An", Flow: "vneid", Starts: 2, Done: 1}) {
		t.Fatalf("communes %+v", communes)
	}
}

func TestLinksThatDoNotCount(t *testing.T) {
	h := newHarness(t, Config{RequireApproval: true})
	lan := h.register(volLan, "Lan", "Xã Hòa An")
	payload := "vneid-" + lan.Ref
	h.command(resident, "", "start", payload)
	if s, _ := h.counts(volLan, "vneid"); s != 0 {
		t.Fatalf("an unapproved volunteer's link counted %d", s)
	}
	out := h.command(volLan, "Lan", "mystats", "")
	if !strings.Contains(out.Messages[0].Text, h.vi("volunteer.pending_approval")) {
		t.Fatalf("/mystats does not say approval is pending:\n%s", out.Messages[0].Text)
	}
	if _, err := h.svc.Approve(context.Background(), volLan); err != nil {
		t.Fatal(err)
	}
	h.command(volLan, "Lan", "start", payload) // the volunteer's own link
	if s, _ := h.counts(volLan, "vneid"); s != 0 {
		t.Fatalf("the volunteer's own link counted %d", s)
	}
	h.command(resident+1, "", "start", payload)
	if s, _ := h.counts(volLan, "vneid"); s != 1 {
		t.Fatalf("after approval: %d, want 1", s)
	}
}

func TestBadPayloadsOpenTheMenuOrTheGuide(t *testing.T) {
	h := newHarness(t, Config{})
	lan := h.register(volLan, "Lan", "Xã Hòa An")
	for i, tc := range []struct {
		payload, flow string
	}{
		{"vneid-" + lan.Ref + "x", "vneid"}, // unknown code: the guide, no credit
		{"vneid-", ""},
		{"vneid-" + strings.Repeat("A", 70), ""},
		{"nosuchguide-" + lan.Ref, ""},
		{"<script>", ""},
		{"vneid-ab c", ""},
		{"", ""},
	} {
		chat := int64(5000 + i)
		out := h.command(chat, "", "start", tc.payload)
		if len(out.Messages) == 0 {
			t.Fatalf("/start %q: no answer", tc.payload)
		}
		if st := h.state(chat); st.Flow != tc.flow {
			t.Errorf("/start %q opened %q, want %q", tc.payload, st.Flow, tc.flow)
		}
	}
	if s, _ := h.counts(volLan, "vneid"); s != 0 {
		t.Fatalf("bad payloads credited %d starts", s)
	}
}

func TestDropOffIsTheStepWhereMostStop(t *testing.T) {
	h := newHarness(t, Config{})
	f := h.lib.Flow("vneid")
	path := pathToEnd(t, f)
	// Three residents stop after the first step, one after two, one finishes; one reads English.
	for i, n := range []int{1, 1, 1, 2, len(path)} {
		chat := int64(7000 + i)
		h.command(chat, "", "start", "vneid")
		h.walk(chat, path[:n])
	}
	h.command(7100, "", "lang", "")
	h.press(7100, "l:en")
	h.command(7100, "", "start", "vneid")
	stopStep := func(n int) string {
		st := f.Start
		for _, c := range path[:n] {
			i, _ := strconv.Atoi(c)
			st = f.Step(st).Choices()[i-1].Goto
		}
		return st
	}
	funnel, _, err := h.svc.Totals(context.Background(), h.lib)
	if err != nil {
		t.Fatal(err)
	}
	if len(funnel) != 2 {
		t.Fatalf("funnel rows %+v, want vi and en", funnel)
	}
	en, vi := funnel[0], funnel[1]
	if vi.Lang != "vi" || vi.Starts != 5 || vi.Done != 1 || vi.DropStep != stopStep(1) || vi.DropCount != 3 {
		t.Fatalf("vi row %+v, want 5 started, 1 done, 3 stopped at %s", vi, stopStep(1))
	}
	if en.Lang != "en" || en.Starts != 1 || en.Done != 0 || en.DropStep != f.Start || en.DropCount != 1 {
		t.Fatalf("en row %+v", en)
	}
	// One of those who stopped comes back and goes one step further: the counts move.
	h.walk(7000, path[1:2])
	funnel, _, _ = h.svc.Totals(context.Background(), h.lib)
	if vi := funnel[1]; vi.DropCount != 2 || vi.Starts != 5 {
		t.Fatalf("after one moved on: %+v, want 2 still at %s and 5 starts", vi, stopStep(1))
	}
}

func TestStatsOnlyForAdmins(t *testing.T) {
	h := newHarness(t, Config{Admins: []int64{9000}})
	h.command(resident, "", "start", "vneid")
	out := h.command(resident, "", "stats", "")
	for _, m := range out.Messages {
		if strings.Contains(m.Text, h.vi("volunteer.stats.title")) {
			t.Fatal("a resident got /stats")
		}
	}
	out = h.command(9000, "", "stats", "")
	text := out.Messages[0].Text
	want := h.render("volunteer.stats.funnel_line", map[string]string{"Guide": "vneid", "Lang": "vi", "Starts": "1", "Done": "0",
		"Drop": h.render("volunteer.stats.dropoff", map[string]string{"Step": "os", "Count": "1"})})
	if !strings.HasPrefix(text, h.vi("volunteer.stats.title")) || !strings.Contains(text, want) {
		t.Fatalf("/stats for an admin:\n%s\nwant a line %q", text, want)
	}
}

// Global counters hold counts only: no resident's chat id appears in any global key, field
// or value, and everything else about a resident lives under their own hash tag.
func TestCountsKeepNoResidentIDs(t *testing.T) {
	h := newHarness(t, Config{HelpChatID: group})
	lan := h.register(volLan, "Lan", "Xã Hòa An")
	const res = 987654321
	h.command(res, "Bà Tư", "start", "vneid-"+lan.Ref)
	h.walk(res, pathToEnd(t, h.lib.Flow("vneid")))
	ctx := context.Background()
	keys, err := h.rdb.Keys(ctx, h.pfx+":*").Result()
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.Itoa(res)
	for _, k := range keys {
		if strings.Contains(k, "{"+id+"}") {
			continue // the resident's own keys: deleted by /forget
		}
		if dump := h.contents(k); strings.Contains(k, id) || strings.Contains(dump, id) {
			t.Errorf("key %s holds the resident's id", k)
		}
	}
	if err := h.rt.Forget(ctx, res); err != nil {
		t.Fatal(err)
	}
	keys, _ = h.rdb.Keys(ctx, h.pfx+":*{"+id+"}*").Result()
	if len(keys) != 0 {
		t.Fatalf("after Forget, the resident still has keys %v", keys)
	}
	// The counts stay: they name nobody.
	if s, f := h.counts(volLan, "vneid"); s != 1 || f != 1 {
		t.Fatalf("counts after the resident was forgotten: %d/%d", s, f)
	}
}

func TestForgetAVolunteer(t *testing.T) {
	h := newHarness(t, Config{})
	lan := h.register(volLan, "Lan", "Xã Hòa An")
	h.command(resident, "", "start", "vneid-"+lan.Ref)
	ctx := context.Background()
	if err := h.svc.Forget(ctx, volLan); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Get(ctx, volLan); err == nil {
		t.Fatal("volunteer still registered after Forget")
	}
	if _, err := h.svc.ByRef(ctx, lan.Ref); err == nil {
		t.Fatal("referral code still resolves after Forget")
	}
	if n, _ := h.rdb.Exists(ctx, h.svc.k.volCounts(volLan)).Result(); n != 0 {
		t.Fatal("volunteer counters kept after Forget")
	}
	// Their old link still opens the guide.
	h.command(resident+1, "", "start", "vneid-"+lan.Ref)
	if st := h.state(resident + 1); st.Flow != "vneid" {
		t.Fatalf("old link opened %+v", st)
	}
}

// contents returns a key's value as text, whatever its type.
func (h *harness) contents(k string) string {
	h.t.Helper()
	ctx := context.Background()
	typ, err := h.rdb.Type(ctx, k).Result()
	if err != nil {
		h.t.Fatal(err)
	}
	var v any
	switch typ {
	case "string":
		v, err = h.rdb.Get(ctx, k).Result()
	case "hash":
		v, err = h.rdb.HGetAll(ctx, k).Result()
	case "zset":
		v, err = h.rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
	default:
		h.t.Fatalf("key %s has unexpected type %s", k, typ)
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return fmt.Sprint(v)
}

var _ = bot.EventText
