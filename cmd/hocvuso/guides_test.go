package main

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"hocvuso/bot/session"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

func mustContent(t *testing.T) (*i18n.Catalog, *flows.Library) {
	t.Helper()
	cat, lib, err := content(library.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	return cat, lib
}

// shown is the plain text the chat prints for what a resident sees in st.
func shown(cat *i18n.Catalog, lib *flows.Library, lang string, st flows.State) string {
	r := flows.NewEngine(lib, cat).Current(st)[0]
	return PlainText(cat.Bilingual(lang, r.Keys(), r.Safety, func(l string) string { return flows.Compose(cat, l, r) }), false)
}

// pathNumbers returns the numbers a resident types to walk a guide from its start to its
// first end step, found breadth first.
func pathNumbers(t *testing.T, f *flows.Flow) (numbers []string, end string) {
	t.Helper()
	type hop struct {
		from string
		n    int
	}
	prev := map[string]hop{f.Start: {}}
	queue := []string{f.Start}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if f.Step(id).Kind == flows.KindEnd {
			for at := id; at != f.Start; at = prev[at].from {
				numbers = append([]string{strconv.Itoa(prev[at].n)}, numbers...)
			}
			return numbers, id
		}
		for i, b := range f.Step(id).Choices() {
			if _, seen := prev[b.Goto]; !seen && f.Step(b.Goto) != nil {
				prev[b.Goto] = hop{id, i + 1}
				queue = append(queue, b.Goto)
			}
		}
	}
	t.Fatalf("%s has no way to an end step", f.ID)
	return nil, ""
}

// TestChatWalksEveryGuide: in every language, the terminal chat reaches each guide from the
// main menu (by its number) and walks it to its end by typed numbers.
func TestChatWalksEveryGuide(t *testing.T) {
	cat, lib := mustContent(t)
	if len(lib.Flows()) != 5 {
		t.Fatalf("%d guides, want 5", len(lib.Flows()))
	}
	for _, lang := range cat.Languages() {
		for i, f := range lib.Flows() {
			t.Run(lang+"/"+f.ID, func(t *testing.T) {
				numbers, end := pathNumbers(t, f)
				input := "/start\n" + strconv.Itoa(i+1) + "\n" + strings.Join(numbers, "\n") + "\n"
				msgs := chatJSON(t, input, "-lang", lang)
				start := shown(cat, lib, lang, flows.State{Flow: f.ID, Version: f.Version, Step: f.Start})
				if len(msgs) < 2 || msgs[1].Text != start {
					t.Fatalf("menu choice %d did not open %s: %+v", i+1, f.ID, msgs)
				}
				want := shown(cat, lib, lang, flows.State{Flow: f.ID, Version: f.Version, Step: end})
				if got := msgs[len(msgs)-1]; got.Text != want {
					t.Fatalf("walking %s by %v ended on\n%q\nwant the end step\n%q", f.ID, numbers, got.Text, want)
				}
			})
		}
	}
}

// TestChatKeywords: typed words at the main menu open each guide, whatever the accents.
func TestChatKeywords(t *testing.T) {
	cat, lib := mustContent(t)
	words := map[string][]string{
		"vneid":      {"vneid", "định danh", "dinh danh", "Tài khoản định danh điện tử"},
		"dichvucong": {"dịch vụ công", "dich vu cong", "nộp hồ sơ", "khai sinh"},
		"vietqr":     {"chuyển khoản", "chuyen khoan", "mã QR", "ma qr"},
		"safety":     {"lừa đảo", "lua dao", "tin nhắn lạ"},
		"info":       {"thông tin", "thong tin chinh thuc", "gov.vn"},
	}
	for id, ws := range words {
		f := lib.Flow(id)
		want := shown(cat, lib, "vi", flows.State{Flow: id, Version: f.Version, Step: f.Start})
		for _, w := range ws {
			msgs := chatJSON(t, "/start\n"+w+"\n")
			if got := msgs[len(msgs)-1].Text; got != want {
				t.Errorf("keyword %q opened\n%q\nwant %s", w, got, id)
			}
		}
	}
	msgs := chatJSON(t, "/start\nxin chào\n")
	if got, want := msgs[1].Text, PlainText(cat.Text("vi", flows.KeyMenuHint), false); got != want || len(msgs) != 3 {
		t.Errorf("unknown text: %+v", msgs)
	}
}

// TestChatForward: "fwd: TEXT" plays a forwarded message, which is checked for scam signs.
func TestChatForward(t *testing.T) {
	cat, _ := mustContent(t)
	msgs := chatJSON(t, "/start\nfwd: Vui lòng cung cấp mã OTP để nhận quà\n")
	if len(msgs) != 3 || !strings.HasPrefix(msgs[1].Text, PlainText(cat.Text("vi", flows.KeyCheckFound), false)) ||
		!strings.Contains(msgs[1].Text, "mã OTP") {
		t.Fatalf("forwarded: %+v", msgs)
	}
}

// testRedisURL returns TEST_REDIS_URL, or the address of an embedded server for this test.
func testRedisURL(t *testing.T) string {
	t.Helper()
	if url := os.Getenv("TEST_REDIS_URL"); url != "" {
		return url
	}
	emb, err := session.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	return "redis://" + emb.Addr()
}

// TestChatResumesAcrossRuns: two runs of `hocvuso chat` on the same Redis and chat id. The
// second run comes back to the guide where the first one left it.
func TestChatResumesAcrossRuns(t *testing.T) {
	cat, lib := mustContent(t)
	url := testRedisURL(t)
	chat := strconv.FormatInt(-(1<<50 + rand.Int64N(1<<40)), 10) // a chat id no other test uses
	rdb, err := session.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	store := session.New(rdb)
	id, _ := strconv.ParseInt(chat, 10, 64)
	t.Cleanup(func() {
		_ = store.Delete(context.Background(), id)
		_ = rdb.Close()
	})

	args := []string{"-redis", url, "-chat", chat, "-lang", "vi"} // a resident who chose Vietnamese
	first := chatJSON(t, "/start vneid\n1\n1\n", args...)         // Android → store → real app (3/5)
	f := lib.Flow("vneid")
	real := shown(cat, lib, "vi", flows.State{Flow: "vneid", Version: f.Version, Step: "real_app"})
	if got := first[len(first)-1].Text; got != real {
		t.Fatalf("first run ended on %q", got)
	}
	raw, err := rdb.Get(context.Background(), store.Key(id)).Result()
	if err != nil {
		t.Fatalf("the first run saved nothing: %v", err)
	}
	t.Logf("stored session: %d bytes", len(raw))
	if len(raw) > 300 {
		t.Errorf("the stored session is %d bytes: %s", len(raw), raw)
	}

	second := chatJSON(t, "/start\n1\n", args...)
	offer := PlainText(flows.Compose(cat, "vi", flows.Reply{Key: flows.KeyResumeStep,
		Params: map[string]string{"N": "3", "Of": "5"}, Texts: map[string]string{"Guide": f.Title}}), false)
	if len(second) != 2 || second[0].Text != offer {
		t.Fatalf("second run: %+v\nwant the offer %q", second, offer)
	}
	if b := second[0].Buttons; len(b) != 2 || b[0].Label != cat.Text("vi", flows.KeyBtnContinue) || b[1].Label != cat.Text("vi", flows.KeyBtnMenu) {
		t.Errorf("offer buttons %+v", b)
	}
	if second[1].Text != real {
		t.Errorf("continue showed %q, want the step the first run left", second[1].Text)
	}

	// A third run that chooses the main menu leaves the guide.
	third := chatJSON(t, "/start\n2\n", args...)
	if got, want := third[len(third)-1].Text, PlainText(cat.Text("vi", flows.KeyMenu), false); got != want {
		t.Errorf("main menu: %q", got)
	}
	sess, err := store.Load(context.Background(), id)
	if err != nil || sess.State.Flow != "" {
		t.Errorf("after the main menu: %+v %v", sess.State, err)
	}
}
