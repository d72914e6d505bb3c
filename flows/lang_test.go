package flows_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

func newEngine(t *testing.T) (*flows.Engine, *i18n.Catalog) {
	t.Helper()
	cat, err := i18n.LoadDefault(i18n.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := flows.LoadDir(library.FS, ".", cat)
	if err != nil {
		t.Fatal(err)
	}
	return flows.NewEngine(lib, cat), cat
}

func handle(t *testing.T, e *flows.Engine, st flows.State, in flows.Input) (flows.State, []flows.Reply) {
	t.Helper()
	st, replies, err := e.Handle(context.Background(), st, in)
	if err != nil {
		t.Fatalf("Handle(%+v): %v", in, err)
	}
	return st, replies
}

func keys(replies []flows.Reply) []string {
	var out []string
	for _, r := range replies {
		out = append(out, r.Key)
	}
	return out
}

func TestFirstStartShowsLanguagePickerOnce(t *testing.T) {
	e, cat := newEngine(t)
	st, replies := handle(t, e, flows.State{}, flows.Input{Kind: flows.Start, Lang: "vi"})
	if got := keys(replies); len(got) != 1 || got[0] != flows.KeyLangFirst {
		t.Fatalf("first /start replies %v, want only the language picker", got)
	}
	picker := replies[0]
	if got, want := len(picker.Buttons), len(cat.Languages()); got != want {
		t.Fatalf("picker has %d buttons, want %d", got, want)
	}
	for i, b := range picker.Buttons {
		if b.Lang != cat.Languages()[i] || b.Label != flows.KeyLangName {
			t.Errorf("button %d = %+v, want %s in its own language", i, b, cat.Languages()[i])
		}
	}
	// Choose Tày by its button.
	st, replies = handle(t, e, st, flows.Input{Kind: flows.Press, Arg: picker.Buttons[1].Data})
	if st.Lang != "tyz-Latn-VN" {
		t.Fatalf("lang = %q after pressing Tày", st.Lang)
	}
	if got := keys(replies); len(got) != 2 || got[0] != flows.KeyLangChanged || got[1] != flows.KeyMenu {
		t.Errorf("after choosing: %v, want lang.changed then the menu", got)
	}
	// Later /start: straight to the menu.
	_, replies = handle(t, e, st, flows.Input{Kind: flows.Start, Lang: "vi"})
	if got := keys(replies); len(got) != 1 || got[0] != flows.KeyMenu {
		t.Errorf("second /start replies %v, want the menu", got)
	}
}

func TestDeepLinkWaitsForLanguage(t *testing.T) {
	e, _ := newEngine(t)
	st, replies := handle(t, e, flows.State{}, flows.Input{Kind: flows.Start, Arg: "vneid-vol42"})
	if got := keys(replies); len(got) != 1 || got[0] != flows.KeyLangFirst {
		t.Fatalf("deep link replies %v, want the picker first", got)
	}
	if st.Flow != "vneid" || st.Ref != "vol42" {
		t.Errorf("state = %+v, want the guide and referral kept", st)
	}
	st, replies = handle(t, e, st, flows.Input{Kind: flows.Text, Arg: "4"}) // Hmoob, typed
	if st.Lang != "mww-Latn-VN" {
		t.Fatalf("typing 4 chose %q", st.Lang)
	}
	if got := keys(replies); len(got) != 2 || got[1] != "vneid.os" {
		t.Errorf("after choosing: %v, want the guide's first step", got)
	}
}

func TestLangCommandAnyTime(t *testing.T) {
	e, _ := newEngine(t)
	st := flows.State{Lang: "vi", Flow: "vneid", Version: 1, Step: "install", Token: 7}
	st, replies := handle(t, e, st, flows.Input{Kind: flows.Lang})
	if got := keys(replies); len(got) != 1 || got[0] != flows.KeyLangPick {
		t.Fatalf("/lang replies %v", got)
	}
	st, replies = handle(t, e, st, flows.Input{Kind: flows.Text, Arg: "nung"})
	if st.Lang != "nut-Latn-VN" || st.Step != "install" {
		t.Errorf("state = %+v, want Nùng and the same step", st)
	}
	if got := keys(replies); len(got) != 2 || got[1] != "vneid.install" {
		t.Errorf("replies %v, want the current step again", got)
	}
}

func TestTypedLanguageNames(t *testing.T) {
	e, _ := newEngine(t)
	tests := map[string]string{
		"Tày": "tyz-Latn-VN", "tay": "tyz-Latn-VN", "tiếng Tày": "tyz-Latn-VN",
		"NÙNG": "nut-Latn-VN", "hmoob": "mww-Latn-VN", "dao": "ium-Latn-VN", "Iu Mienh": "ium-Latn-VN",
		"tiếng việt": "vi", "english": "en", "ium-latn-vn": "ium-Latn-VN",
	}
	for typed, want := range tests {
		for _, form := range []string{typed, norm.NFD.String(typed)} {
			st, _ := handle(t, e, flows.State{Lang: "vi", Mode: flows.ModeLang}, flows.Input{Kind: flows.Text, Arg: form})
			if st.Lang != want {
				t.Errorf("typed %q (%d bytes) chose %q, want %q", typed, len(form), st.Lang, want)
			}
		}
	}
}

// TestNFDInputMatchesButtonsInEveryLanguage types each button's label, decomposed and in
// capitals, in each language, and expects the same move as a tap.
func TestNFDInputMatchesButtonsInEveryLanguage(t *testing.T) {
	e, cat := newEngine(t)
	f := e.Library().Flow("vneid")
	for _, lang := range cat.Languages() {
		for _, s := range f.Steps {
			for i, b := range s.Choices() {
				label := cat.Text(lang, b.Label)
				if dup := duplicateLabel(cat, lang, s, b.Label); dup {
					continue // two buttons with the same words: only the number tells them apart
				}
				base := flows.State{Lang: lang, Flow: "vneid", Version: f.Version, Step: s.ID, Token: 3}
				want, _ := handle(t, e, base, flows.Input{Kind: flows.Press, Arg: flows.EncodePress(3, i)})
				for _, typed := range []string{norm.NFD.String(label), strings.ToUpper(norm.NFD.String(label)), cat.Text("vi", b.Label)} {
					got, _ := handle(t, e, base, flows.Input{Kind: flows.Text, Arg: typed})
					if got.Step != want.Step || got.Flow != want.Flow {
						t.Errorf("%s %s: typing %q went to %q, tapping to %q", lang, s.ID, typed, got.Step, want.Step)
					}
				}
			}
		}
	}
}

func duplicateLabel(cat *i18n.Catalog, lang string, s *flows.Step, key string) bool {
	n := 0
	for _, b := range s.Choices() {
		if flows.Fold(cat.Text(lang, b.Label)) == flows.Fold(cat.Text(lang, key)) {
			n++
		}
	}
	return n > 1
}

func TestNFDKeywordsAtTheMenu(t *testing.T) {
	e, cat := newEngine(t)
	for _, lang := range cat.Languages() {
		for _, kw := range []string{"định danh", "Định Danh Điện Tử", "căn cước điện tử", "VNeID"} {
			st, _ := handle(t, e, flows.State{Lang: lang}, flows.Input{Kind: flows.Text, Arg: norm.NFD.String(kw)})
			if st.Flow != "vneid" {
				t.Errorf("%s: keyword %q (NFD) did not open the guide", lang, kw)
			}
		}
	}
}

func TestSafetyStepsAreMarked(t *testing.T) {
	e, _ := newEngine(t)
	f := e.Library().Flow("vneid")
	for _, id := range []string{"act_otp", "scam", "scam2", "act_password", "forgot_pw"} {
		st := flows.State{Lang: "tyz-Latn-VN", Flow: "vneid", Version: f.Version, Step: id}
		_, replies := handle(t, e, st, flows.Input{Kind: flows.Help})
		last := replies[len(replies)-1]
		if last.Key != "vneid."+id || !last.Safety {
			t.Errorf("step %s: reply %+v, want a safety reply", id, last)
		}
	}
	st := flows.State{Lang: "tyz-Latn-VN", Flow: "vneid", Version: f.Version, Step: "wifi"}
	_, replies := handle(t, e, st, flows.Input{Kind: flows.Help})
	if replies[len(replies)-1].Safety {
		t.Error("the Wi-Fi step is marked safety-critical")
	}
}
