package flows_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"hocvuso/flows"
	"hocvuso/i18n"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/golden")

// goldenScripts are the resident's side of each transcript, played in every language. A line
// is a command ("/start vneid-REF", "/menu", "/back", "/help", "/lang"), "tap N" (press the
// button numbered N of the newest keyboard), "tap old N" (the same on the keyboard before it),
// "type TEXT", "fwd TEXT" (a text forwarded from another chat), "send KIND" (a sticker, a
// photo…) or "edit" (an edited message). "away " before a line plays it as the resident coming
// back after a long pause. Expected replies live in testdata/golden/<flow>.<lang>.<case>.txt.
// Together the scripts of a guide must walk every step, show every message key of the guide
// and take every "didn't work" button (TestGolden checks).
var goldenScripts = []struct {
	flow   string // the guide whose coverage the script counts for; "menu" for the main menu
	name   string
	script []string
}{
	{"vneid", "main", []string{
		"/start vneid",
		"tap 1", "tap 1", "tap 1", "tap 1", // Android → store → real app → Wi-Fi → install
		"tap 1",                            // it worked → the hub
		"tap 1", "tap 1", "tap 1", "tap 1", // register → phone number → face → it worked (wait)
		"tap 1", "tap 1", "tap 1", // got the SMS → level 2: where → office → activation
		"tap 1", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", // activation steps → log in
		"tap 1", "tap 1", "tap 1", "tap 1", // it worked → one phone → scam → scam 2 → done
		"tap 2", // main menu
	}},
	{"vneid", "install_help", []string{
		"/start vneid", "tap 2", "tap 1", "tap 1", "tap 1", // iphone, store, real app, wifi → install
		"tap 2", "tap 1", "tap 1", // didn't work → no space → try again
		"tap 2", "tap 2", "tap 2", // didn't work → too old → try again
		"tap 2", "tap 3", // didn't work → try again
		"tap 2", "tap 1", "tap 2", "tap 1", // didn't work → no space → too old → level 2
	}},
	{"vneid", "register_help", []string{
		"/start vneid", "type 1", "type 1", "type 1", "type 1", "type 1", // typed numbers up to the hub
		"tap 1", "tap 1", "tap 1", // register, number, face
		"tap 2", "tap 1", // didn't work → try again
		"tap 2", "tap 2", "/back", "/back", // didn't work → police; back twice to the face step
		"tap 1", "tap 2", "tap 1", // worked → no SMS → try again
		"tap 2", "tap 2", "tap 1", // no SMS → still nothing → try again (hub)
	}},
	{"vneid", "activate_help", []string{
		"/start vneid", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", // to the hub
		"tap 2", "tap 2", "tap 1", // activate → no SMS → try again
		"tap 1", "tap 1", // got SMS → open the app → code step
		"tap 2", "tap 1", "tap 2", "tap 2", // didn't work → try again → didn't work → still nothing
		"tap 1", "tap 2", "tap 2", "tap 2", // hub → activate → no SMS → still nothing
		"tap 2", // main menu
	}},
	{"vneid", "login_help", []string{
		"/start vneid", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", // to the hub
		"tap 3", "tap 2", "tap 1", "tap 1", // log in → didn't work → forgot password → try again
		"tap 2", "tap 2", "tap 1", // didn't work → forgot passcode → try again
		"tap 2", "tap 5", "tap 2", "tap 3", // didn't work → try again → didn't work → new phone
		"/back", "tap 4", "tap 1", // back → lost phone → NFC
		"tap 2", "tap 1", "tap 2", "tap 2", // didn't work → try again → didn't work → no NFC
		"tap 2", "tap 2", "tap 2", "tap 1", // try again → didn't work → no NFC → next (scam)
		"tap 1", "tap 1", "tap 1", // scam 2 → done → the next guide (dichvucong)
	}},
	{"vneid", "commands", []string{
		"/start", "type xin chào", "type định danh", "type iPhone", "tap old 1",
		"send sticker", "edit", "/help", "/back", "/back", "type 99",
		"/start vneid-CLB_Bac_Son", "/lang", "tap 2", "type android", "/lang", "type 1", "/menu", "/start nope",
	}},
	{"vneid", "resume", []string{
		"/start vneid", "tap 1", "tap 1", // Android → store → real app
		"away type xin chào", "tap 1", // back after a pause: offered to continue → continue
		"away send sticker", "type 1", // offered again → typed "1" continues
		"/start", "type lua dao", // /start offers to continue; a keyword opens that guide
		"/start vneid", "tap 1", "/start", "tap 2", // /start offers, "Main menu" leaves
		"away type xin chào", // at the menu there is nothing to resume
	}},

	{"dichvucong", "main", []string{
		"/start dichvucong", "tap 1", "tap 1", "tap 1", // have VNeID → open → login → it worked
		"tap 3", "tap 1", "tap 1", "tap 1", "tap 1", // another procedure → form ok → attached → submit → paid
		"tap 1", "tap 1", // track → done → main menu
	}},
	{"dichvucong", "birth_help", []string{
		"/start dichvucong", "tap 1", "tap 1", "tap 2", "tap 1", "tap 1", // login didn't work → try again → worked
		"tap 1", "tap 1", "tap 1", // birth registration → wait for notices → form
		"tap 2", "tap 1", "tap 1", // does not match → try again → details right
		"tap 2", "tap 1", "tap 1", "tap 1", // attach didn't work → try again → worked → submit
		"tap 2", "tap 1", "tap 2", "tap 2", // payment didn't work → try again → didn't → next
		"tap 2", "tap 1", // lost the dossier code → done
		"tap 1", // main menu
	}},
	{"dichvucong", "residence", []string{
		"/start dichvucong", "tap 2", // no VNeID yet → the VNeID guide
		"/start dichvucong", "tap 1", "tap 1", "tap 2", "tap 2", // login didn't work → the VNeID guide
		"/start dichvucong", "tap 1", "tap 1", "tap 1", "tap 2", "tap 1", // residence → form
		"tap 2", "tap 2", // does not match → main menu
	}},

	{"vietqr", "main", []string{
		"/start vietqr", "tap 1", "tap 1", "tap 1", // intro → open the app → scan → it worked
		"tap 1", "tap 1", "tap 1", // right name → amount → confirmed
		"tap 1", "tap 1", "tap 1", // receipt → scams → done
		"tap 1", "/menu", // the safety guide → main menu
	}},
	{"vietqr", "help", []string{
		"/start vietqr", "tap 1", "tap 1", "tap 2", "tap 1", "tap 1", // scan didn't work → try again → worked
		"tap 2", "tap 1", "tap 1", // wrong name → stop → scan again → worked
		"tap 1", "tap 1", "tap 2", "tap 1", "tap 1", // right name → amount → didn't work → face rule → try again
		"tap 1", "tap 2", "tap 1", "tap 1", // confirmed → sent to the wrong one → scams → done
		"tap 2",                                             // main menu
		"/start vietqr", "tap 1", "tap 1", "tap 2", "tap 2", // scan didn't work → main menu
		"/start vietqr", "tap 1", "tap 1", "tap 1", "tap 2", "tap 2", // wrong name → main menu
		"/start vietqr", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", "tap 2", "tap 1", "tap 2", // face rule → main menu
		"/start vietqr", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", "tap 2", // done → main menu
	}},

	{"safety", "main", []string{
		"/start safety", "tap 1", // the stories
		"tap 3", "tap 2", "tap 2", "tap 3", "tap 2", "tap 2", // every answer right
		"tap 1", "tap 1", // score and the six rules → where to report → done
		"tap 1", "/menu", // check a message → main menu
	}},
	{"safety", "wrong", []string{
		"/start safety", "tap 1",
		"type 3",                                    // a typed number answers too: right
		"tap 1", "tap 1", "tap 1", "tap 1", "tap 1", // the rest wrong
		"tap 1", "tap 2", // rules → where to report → check a message
		"type Công an xã thông báo: tài khoản định danh của bạn sắp bị khóa. Tải ứng dụng VNeID mới tại http://vneid-capnhat.com/app.apk và đọc mã OTP cho cán bộ.",
		"tap 1", "type Mai 7 giờ sáng họp thôn ở nhà văn hóa, bà con nhớ đi đầy đủ nhé.", // check another: nothing seen
		"tap 2", // main menu
	}},
	{"safety", "check", []string{
		"/start safety", "tap 2", "send photo", // check a message: a photo cannot be read
		"tap 1", "tap 1", "/back", "/back", "type 2", // the stories → a wrong answer → back twice → typed number: main menu
		"/start vneid", "fwd Bưu điện: bưu phẩm của bạn đang bị giữ. Cập nhật tại https://bit.ly/3xYzAb trong 12 giờ.", // forwarded anywhere
		"/menu", "fwd Con ơi tối nay về ăn cơm không?", // forwarded at the menu
		"/start safety", "tap 2", "type Vui long cung cap mat khau ngay", "tap 2", // check → main menu
	}},

	{"info", "main", []string{
		"/start info", "tap 1", "tap 1", "tap 1", "tap 1", // .gov.vn → one portal → VNeID app → report → done
		"tap 2", // main menu
	}},
	{"info", "guides", []string{
		"/start info", "tap 1", "tap 2", // the portal → the dichvucong guide
		"/start info", "tap 1", "tap 1", "tap 2", // the app → the vneid guide
		"/start info", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", // done → the safety guide
		"/start info", "tap 1", "tap 1", "tap 1", "tap 1", "tap 2", // done → main menu
	}},

	{"menu", "keywords", []string{
		"/start", "type dịch vụ công", "/menu", "type chuyen khoan", "/menu", "type Mã QR",
		"/menu", "type lua dao", "/menu", "type thông tin chính thức", "/menu", "type dinh danh",
		"/menu", "type VNeID", "/menu", "type tôi muốn nộp hồ sơ khai sinh", "/menu", "type xyz",
	}},
}

// coverage is what the scripts of one language reached, per flow.
type coverage struct {
	visited map[[2]string]bool // flow, step
	moved   map[[3]string]bool // flow, from, to
	shown   map[string]bool    // message keys rendered
}

// playsIn says whether a script is played in a language. Languages whose texts are unreviewed
// drafts play each guide's main script only: a reviewer sees every kind of step in their
// language, in transcripts short enough to read (the sheets of hocvuso i18n export list every
// text); vi and en play every script.
func playsIn(lang, script string) bool {
	l, _ := i18n.LanguageOf(lang)
	return !l.Review || script == "main"
}

func TestGolden(t *testing.T) {
	e, cat := mustRealEngine(t)
	cover := coverage{visited: map[[2]string]bool{}, moved: map[[3]string]bool{}, shown: map[string]bool{}}
	played, want := 0, 0
	for _, lang := range cat.Languages() {
		for _, gs := range goldenScripts {
			if !playsIn(lang, gs.name) {
				continue
			}
			want++
			t.Run(lang+"/"+gs.flow+"/"+gs.name, func(t *testing.T) {
				played++
				id := fmt.Sprintf("%s.%s.%s", gs.flow, lang, gs.name)
				file := filepath.Join("testdata", "golden", id+".txt")
				got := runScript(t, e, cat, lang, gs.script, cover)
				got = fmt.Sprintf("# %s: the script is in flows/golden_test.go; rewrite with\n# go test ./flows -run Golden -update\n", id) + got
				if *update {
					if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run go test ./flows -run Golden -update to create it)", err)
				}
				if string(want) != got {
					t.Errorf("%s differs (- want, + got; rewrite with -update if the change is right):\n%s", file, lineDiff(string(want), got))
				}
			})
		}
	}
	if played < want {
		return // -run picked some scripts only: coverage is judged on the whole set
	}
	for _, f := range e.Library().Flows() {
		checkCoverage(t, f, cover)
	}
}

// checkCoverage: together the scripts walk every step of the guide, show every message key it
// uses (so every answer's feedback, right and wrong) and take every "didn't work" branch.
func checkCoverage(t *testing.T, f *flows.Flow, cover coverage) {
	t.Helper()
	for _, s := range f.Steps {
		if !cover.visited[[2]string{f.ID, s.ID}] {
			t.Errorf("no golden script reaches step %s of %s", s.ID, f.ID)
		}
		for _, b := range s.Choices() {
			if b.Label == flows.KeyBtnDidntWork && !cover.moved[[3]string{f.ID, s.ID, b.Goto}] {
				t.Errorf("no golden script takes %s → %s (%s) in %s", s.ID, b.Goto, b.Label, f.ID)
			}
		}
	}
	for _, k := range f.Keys() {
		if !cover.shown[k] {
			t.Errorf("no golden script shows %s of %s", k, f.ID)
		}
	}
}

// runScript plays a script for a resident who chose lang in the language picker (and whose
// client speaks it, for vi and en) and returns the transcript: each input, the replies and
// buttons rendered as residents see them, and the state after it. The picker of a first visit
// is tested in lang_test.go.
func runScript(t *testing.T, e *flows.Engine, cat *i18n.Catalog, lang string, script []string, cover coverage) string {
	t.Helper()
	var out strings.Builder
	st := flows.State{Lang: lang}
	var keyboards [][]flows.ReplyButton
	for _, line := range script {
		in := scriptInput(t, line, keyboards)
		in.Lang = lang
		prev := st
		next, replies, err := e.Handle(context.Background(), st, in)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		st = next
		if st.Flow != "" {
			cover.visited[[2]string{st.Flow, st.Step}] = true
			if prev.Flow == st.Flow && (in.Kind == flows.Press || in.Kind == flows.Text) && st.Token != prev.Token {
				cover.moved[[3]string{st.Flow, prev.Step, st.Step}] = true
			}
		}
		fmt.Fprintf(&out, "\n> %s\n", line)
		show := lang
		if st.Lang != "" {
			show = st.Lang
		}
		for _, r := range replies {
			markShown(cover.shown, r)
			writeReply(&out, cat, show, r)
			if len(r.Buttons) > 0 {
				keyboards = append(keyboards, r.Buttons)
			}
		}
		fmt.Fprintf(&out, "= %+v\n", st)
	}
	return out.String()
}

func markShown(shown map[string]bool, r flows.Reply) {
	shown[r.Key] = true
	for _, p := range append(slices.Clone(r.Head), r.Tail...) {
		shown[p.Key] = true
	}
	for _, k := range r.Texts {
		shown[k] = true
	}
	for _, b := range r.Buttons {
		shown[b.Label] = true
	}
}

func scriptInput(t *testing.T, line string, keyboards [][]flows.ReplyButton) flows.Input {
	t.Helper()
	if rest, ok := strings.CutPrefix(line, "away "); ok {
		in := scriptInput(t, rest, keyboards)
		in.Away = true
		return in
	}
	verb, arg, _ := strings.Cut(line, " ")
	switch verb {
	case "/start":
		return flows.Input{Kind: flows.Start, Arg: arg}
	case "/menu":
		return flows.Input{Kind: flows.Menu}
	case "/back":
		return flows.Input{Kind: flows.Back}
	case "/help":
		return flows.Input{Kind: flows.Help}
	case "/lang":
		return flows.Input{Kind: flows.Lang}
	case "type":
		return flows.Input{Kind: flows.Text, Arg: arg}
	case "fwd":
		return flows.Input{Kind: flows.Text, Arg: arg, Forwarded: true}
	case "send":
		return flows.Input{Kind: flows.Media, Arg: arg}
	case "edit":
		return flows.Input{Kind: flows.Media, Arg: "edited"}
	case "tap":
		back := 1
		if rest, ok := strings.CutPrefix(arg, "old "); ok {
			back, arg = 2, rest
		}
		n, err := strconv.Atoi(arg)
		if err != nil || len(keyboards) < back {
			t.Fatalf("%q: no such keyboard or button", line)
		}
		for _, b := range keyboards[len(keyboards)-back] {
			if b.Number == n {
				return flows.Input{Kind: flows.Press, Arg: b.Data}
			}
		}
		t.Fatalf("%q: the keyboard has no button %d", line, n)
	}
	t.Fatalf("%q: unknown script line", line)
	return flows.Input{}
}

// writeReply renders one reply through the real catalog, the way the runtime does: drafts
// with their Vietnamese text, safety steps in Vietnamese first, no first name known.
func writeReply(out *strings.Builder, cat *i18n.Catalog, lang string, r flows.Reply) {
	prefix := "< "
	rr := goldenRenderer{cat: cat, extra: map[string]string{"Name": cat.Greeting(lang, ""), "Lang": cat.Text(lang, flows.KeyLangName)}}
	text := cat.Bilingual(lang, r.Keys(), r.Safety, func(l string) string { return flows.Compose(rr, l, r) })
	if r.Toast {
		prefix, text = "< (toast) ", cat.Plain(lang, r.Key)
	}
	out.WriteString(prefix + strings.ReplaceAll(text, "\n", "\n  ") + "\n")
	if r.Image != "" {
		fmt.Fprintf(out, "  [picture] %s\n", r.Image)
	}
	for _, b := range r.Buttons {
		label := cat.Label(lang, b.Label)
		if b.Lang != "" {
			label = cat.Text(b.Lang, b.Label) // the picker: each language's own name
		}
		if b.URL != "" {
			fmt.Fprintf(out, "  [link] %s -> %s\n", label, b.URL)
			continue
		}
		fmt.Fprintf(out, "  [%d] %s\n", b.Number, label)
	}
}

// goldenRenderer adds the parameters the runtime gives every text ({{.Name}}, {{.Lang}}).
type goldenRenderer struct {
	cat   *i18n.Catalog
	extra map[string]string
}

func (g goldenRenderer) Render(lang, key string, params map[string]string) string {
	merged := map[string]string{}
	for k, v := range g.extra {
		merged[k] = v
	}
	for k, v := range params {
		merged[k] = v
	}
	return g.cat.Render(lang, key, merged)
}

// lineDiff shows the lines that differ between want and got, with a little context.
func lineDiff(want, got string) string {
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	// lcs[i][j] is the length of the longest common subsequence of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		mark byte
		line int // 1-based line in want (for ' ' and '-') or got (for '+')
		text string
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', i + 1, a[i]})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', i + 1, a[i]})
			i++
		default:
			ops = append(ops, op{'+', j + 1, b[j]})
			j++
		}
	}
	const around, maxLines = 2, 60
	var out strings.Builder
	shown, lastShown := 0, -1
	for k, o := range ops {
		near := false
		for d := max(0, k-around); d <= min(len(ops)-1, k+around); d++ {
			near = near || ops[d].mark != ' '
		}
		if !near {
			continue
		}
		if lastShown >= 0 && k > lastShown+1 {
			out.WriteString("  ...\n")
		}
		if shown == maxLines {
			out.WriteString("  (more differences)\n")
			break
		}
		fmt.Fprintf(&out, "%c %4d %s\n", o.mark, o.line, o.text)
		shown, lastShown = shown+1, k
	}
	return out.String()
}
