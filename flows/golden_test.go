package flows_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"hocvuso/flows"
	"hocvuso/i18n"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/golden")

// goldenScripts are the resident's side of each transcript of the vneid guide, played in every
// language. A line is a command ("/start vneid-REF", "/menu", "/back", "/help", "/lang"),
// "tap N" (press the button numbered N of the newest keyboard), "tap old N" (the same on the
// keyboard before it), "type TEXT", "send KIND" (a sticker, a photo…) or "edit" (an edited
// message). Expected replies live in testdata/golden/vneid.<lang>.<case>.txt.
var goldenScripts = []struct {
	name   string
	script []string
}{
	{"main", []string{
		"/start vneid",
		"tap 1", "tap 1", "tap 1", "tap 1", // Android → store → real app → Wi-Fi → install
		"tap 1",                            // it worked → the hub
		"tap 1", "tap 1", "tap 1", "tap 1", // register → phone number → face → it worked (wait)
		"tap 1", "tap 1", "tap 1", // got the SMS → level 2: where → office → activation
		"tap 1", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", // activation steps → log in
		"tap 1", "tap 1", "tap 1", "tap 1", // it worked → one phone → scam → scam 2 → done
		"tap 1", // main menu
	}},
	{"install_help", []string{
		"/start vneid", "tap 2", "tap 1", "tap 1", "tap 1", // iphone, store, real app, wifi → install
		"tap 2", "tap 1", "tap 1", // didn't work → no space → try again
		"tap 2", "tap 2", "tap 2", // didn't work → too old → try again
		"tap 2", "tap 3", // didn't work → try again
		"tap 2", "tap 1", "tap 2", "tap 1", // didn't work → no space → too old → level 2
	}},
	{"register_help", []string{
		"/start vneid", "type 1", "type 1", "type 1", "type 1", "type 1", // typed numbers up to the hub
		"tap 1", "tap 1", "tap 1", // register, number, face
		"tap 2", "tap 1", // didn't work → try again
		"tap 2", "tap 2", "/back", "/back", // didn't work → police; back twice to the face step
		"tap 1", "tap 2", "tap 1", // worked → no SMS → try again
		"tap 2", "tap 2", "tap 1", // no SMS → still nothing → try again (hub)
	}},
	{"activate_help", []string{
		"/start vneid", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", // to the hub
		"tap 2", "tap 2", "tap 1", // activate → no SMS → try again
		"tap 1", "tap 1", // got SMS → open the app → code step
		"tap 2", "tap 1", "tap 2", "tap 2", // didn't work → try again → didn't work → still nothing
		"tap 1", "tap 2", "tap 2", "tap 2", // hub → activate → no SMS → still nothing
		"tap 2", // main menu
	}},
	{"login_help", []string{
		"/start vneid", "tap 1", "tap 1", "tap 1", "tap 1", "tap 1", // to the hub
		"tap 3", "tap 2", "tap 1", "tap 1", // log in → didn't work → forgot password → try again
		"tap 2", "tap 2", "tap 1", // didn't work → forgot passcode → try again
		"tap 2", "tap 5", "tap 2", "tap 3", // didn't work → try again → didn't work → new phone
		"/back", "tap 4", "tap 1", // back → lost phone → NFC
		"tap 2", "tap 1", "tap 2", "tap 2", // didn't work → try again → didn't work → no NFC
		"tap 2", "tap 2", "tap 2", "tap 1", // try again → didn't work → no NFC → next (scam)
	}},
	{"commands", []string{
		"/start", "type xin chào", "type định danh", "type iPhone", "tap old 1",
		"send sticker", "edit", "/help", "/back", "/back", "type 99",
		"/start vneid-CLB_Bac_Son", "/lang", "tap 2", "type android", "/lang", "type 1", "/menu", "/start nope",
	}},
}

func TestGolden(t *testing.T) {
	e, cat := mustRealEngine(t)
	visited := map[string]bool{}
	moved := map[[2]string]bool{}
	played := 0
	for _, lang := range cat.Languages() {
		for _, gs := range goldenScripts {
			t.Run(lang+"/"+gs.name, func(t *testing.T) {
				played++
				file := filepath.Join("testdata", "golden", fmt.Sprintf("vneid.%s.%s.txt", lang, gs.name))
				got := runScript(t, e, cat, lang, gs.script, visited, moved)
				got = fmt.Sprintf("# vneid.%s.%s: the script is in flows/golden_test.go; rewrite with\n# go test ./flows -run Golden -update\n", lang, gs.name) + got
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
	if played < len(goldenScripts) {
		return // -run picked some scripts only: coverage is judged on the whole set
	}
	// Together the scripts walk every step of the guide and every "didn't work" branch.
	f := e.Library().Flow("vneid")
	for _, s := range f.Steps {
		if !visited[s.ID] {
			t.Errorf("no golden script reaches step %s", s.ID)
		}
		for _, b := range s.Choices() {
			if b.Label == "btn.didnt_work" && !moved[[2]string{s.ID, b.Goto}] {
				t.Errorf("no golden script takes %s → %s (%s)", s.ID, b.Goto, b.Label)
			}
		}
	}
}

// runScript plays a script for a new resident whose client speaks lang and returns the
// transcript: each input, the rendered replies and buttons, and the state after it.
func runScript(t *testing.T, e *flows.Engine, cat *i18n.Catalog, lang string, script []string,
	visited map[string]bool, moved map[[2]string]bool) string {
	t.Helper()
	var out strings.Builder
	var st flows.State
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
		if st.Flow == "vneid" {
			visited[st.Step] = true
			if prev.Flow == "vneid" && (in.Kind == flows.Press || in.Kind == flows.Text) && st.Token != prev.Token {
				moved[[2]string{prev.Step, st.Step}] = true
			}
		}
		fmt.Fprintf(&out, "\n> %s\n", line)
		show := lang
		if st.Lang != "" {
			show = st.Lang
		}
		for _, r := range replies {
			writeReply(&out, cat, show, r)
			if len(r.Buttons) > 0 {
				keyboards = append(keyboards, r.Buttons)
			}
		}
		fmt.Fprintf(&out, "= %+v\n", st)
	}
	return out.String()
}

func scriptInput(t *testing.T, line string, keyboards [][]flows.ReplyButton) flows.Input {
	t.Helper()
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

// writeReply renders one reply through the real catalog, the way the runtime does.
func writeReply(out *strings.Builder, cat *i18n.Catalog, lang string, r flows.Reply) {
	prefix := "< "
	if r.Toast {
		prefix = "< (toast) "
	}
	text := cat.Render(lang, r.Key, r.Params)
	out.WriteString(prefix + strings.ReplaceAll(text, "\n", "\n  ") + "\n")
	if r.Image != "" {
		fmt.Fprintf(out, "  [picture] %s\n", r.Image)
	}
	for _, b := range r.Buttons {
		bl := lang
		if b.Lang != "" {
			bl = b.Lang
		}
		label := cat.Text(bl, b.Label)
		if b.URL != "" {
			fmt.Fprintf(out, "  [link] %s -> %s\n", label, b.URL)
			continue
		}
		fmt.Fprintf(out, "  [%d] %s\n", b.Number, label)
	}
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
