package i18n

import (
	"bytes"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

func mustLoadDefault(t *testing.T) *Catalog {
	t.Helper()
	cat, err := LoadDefault(WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("LoadDefault: %v", err)
	}
	return cat
}

// TestEveryCatalogLoadsUnderItsTag checks every file of locales/: its name gives the tag of
// the table, go-i18n files its messages under the tag we expect, and the language renders its
// own texts (not Vietnamese ones through some library fallback).
func TestEveryCatalogLoadsUnderItsTag(t *testing.T) {
	wantBundle := map[string]string{
		"vi": "vi", "en": "en",
		"tyz-Latn-VN": "vi-x-tyz", "nut-Latn-VN": "vi-x-nut", "mww-Latn-VN": "vi-x-mww", "ium-Latn-VN": "vi-x-ium",
	}
	cat := mustLoadDefault(t)
	if d := cat.Disabled(); len(d) > 0 {
		t.Fatalf("disabled languages: %v", d)
	}
	if got, want := len(cat.Languages()), len(languages); got != want {
		t.Fatalf("%d languages enabled, want %d: %v", got, want, cat.Languages())
	}
	names, err := fs.Glob(Locales(), "locales/*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no catalogs: %v", err)
	}
	for _, name := range names {
		t.Run(path.Base(name), func(t *testing.T) {
			data, _ := fs.ReadFile(Locales(), name)
			f, err := ParseFile(name, data)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := LanguageOf(f.Lang); !ok {
				t.Fatalf("file tag %q is not in the language table", f.Lang)
			}
			if got, want := bundleTag(language.Make(f.Lang)).String(), wantBundle[f.Lang]; got != want {
				t.Errorf("go-i18n tag = %q, want %q", got, want)
			}
			for _, key := range f.Keys {
				if strings.Contains(f.Texts[key], "{{") {
					continue
				}
				if got, want := cat.Render(f.Lang, key, nil), f.Texts[key]; got != want {
					t.Errorf("%s renders %q, want the file's %q", key, got, want)
				}
			}
		})
	}
}

// TestGoI18nRefusesMinorityTagsDirectly documents case C15: go-i18n v2.7 has no plural rule
// for these languages. If this starts failing, go-i18n gained rules and noPlural can shrink.
func TestGoI18nRefusesMinorityTagsDirectly(t *testing.T) {
	for base := range noPlural {
		tag := language.Make(base + "-Latn-VN")
		err := goi18n.NewBundle(language.Vietnamese).AddMessages(tag, &goi18n.Message{ID: "k", Other: "x"})
		if err == nil || !strings.Contains(err.Error(), "no plural rule") {
			t.Errorf("%s: go-i18n accepted the tag (err %v): noPlural may no longer need it", tag, err)
		}
		bt := bundleTag(tag)
		if err := goi18n.NewBundle(bt).AddMessages(bt, &goi18n.Message{ID: "k", Other: "x"}); err != nil {
			t.Errorf("%s under %s: %v", tag, bt, err)
		}
	}
}

// TestGoI18nReadsTheCatalogFormat: the _status block does not make a file unreadable for
// go-i18n's own parser (goi18n merge and friends still work on our files).
func TestGoI18nReadsTheCatalogFormat(t *testing.T) {
	names, _ := fs.Glob(Locales(), "locales/*.yaml")
	for _, name := range names {
		data, _ := fs.ReadFile(Locales(), name)
		msgs, err := goi18n.ParseMessageBytes(data, yaml.Unmarshal)
		if err != nil {
			t.Errorf("%s: go-i18n cannot parse it: %v", name, err)
			continue
		}
		f, _ := ParseFile(name, data)
		ids := map[string]bool{}
		for _, m := range msgs {
			ids[m.ID] = true
		}
		for _, key := range f.Keys {
			if !ids[key] {
				t.Errorf("%s: go-i18n does not see key %s", name, key)
			}
		}
	}
}

func TestCatalogsAreClean(t *testing.T) {
	cat := mustLoadDefault(t)
	for _, p := range cat.Problems() {
		t.Error(p.Error())
	}
}

// TestCoverageIsComplete: every language has every key (drafts count as present).
func TestCoverageIsComplete(t *testing.T) {
	cat := mustLoadDefault(t)
	for _, cv := range cat.Coverage() {
		if cv.Disabled != nil || cv.Percent() != 100 {
			t.Errorf("%s: %d of %d keys (%d%%), missing %v, disabled: %v", cv.Lang, cv.Present, cv.Total, cv.Percent(), cv.Missing, cv.Disabled)
		}
		l, _ := LanguageOf(cv.Lang)
		if !l.Review && cv.Reviewed != cv.Total {
			t.Errorf("%s is written by the team, yet %d of %d keys count as reviewed", cv.Lang, cv.Reviewed, cv.Total)
		}
	}
}

// TestRendererKeysExist: the renderer and the greeting need their keys in the base catalog.
func TestRendererKeysExist(t *testing.T) {
	cat := mustLoadDefault(t)
	for _, key := range RendererKeys {
		if !cat.Has(key) {
			t.Errorf("base catalog lacks %q", key)
		}
	}
}

// TestEveryRenderedMessageIsValid renders every key in every language the way residents see
// it (drafts with Vietnamese, safety order, a hostile 64-character first name) and checks it
// is Telegram HTML within Telegram's limits.
func TestEveryRenderedMessageIsValid(t *testing.T) {
	cat := mustLoadDefault(t)
	name := strings.Repeat("<b>&", MaxNameLen/4)
	for _, lang := range cat.Languages() {
		for _, key := range cat.BaseKeys() {
			params := map[string]string{"Name": cat.Greeting(lang, name), "Lang": cat.Text(lang, "lang.name")}
			for _, safety := range []bool{false, true} {
				msg := cat.Message(lang, key, params, safety)
				if err := CheckHTML(msg); err != nil {
					t.Errorf("%s %s (safety %v): %v\n%s", lang, key, safety, err, msg)
				}
				if n := VisibleLen(msg); n > MaxTextLen || n == 0 {
					t.Errorf("%s %s: %d characters", lang, key, n)
				}
				if strings.Contains(msg, "{{") || strings.Contains(msg, "<no value>") {
					t.Errorf("%s %s: unfilled placeholder in %q", lang, key, msg)
				}
			}
		}
	}
}

func TestMatchOnlyPreselectsTelegramLanguages(t *testing.T) {
	cat := mustLoadDefault(t)
	tests := []struct{ code, want string }{
		{"", "vi"}, {"vi", "vi"}, {"vi-VN", "vi"}, {"en", "en"}, {"en-US", "en"}, {"en-GB", "en"},
		{"hmn", "vi"}, {"mww", "vi"}, {"tyz", "vi"}, {"zh-hans", "vi"}, {"it", "vi"}, {"not a tag!", "vi"},
	}
	for _, tc := range tests {
		if got := cat.Match(tc.code); got != tc.want {
			t.Errorf("Match(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

func TestCanonical(t *testing.T) {
	cat := mustLoadDefault(t)
	tests := []struct{ in, want string }{
		{"tyz-Latn-VN", "tyz-Latn-VN"}, {"TYZ-latn-vn", "tyz-Latn-VN"}, {"nut", "nut-Latn-VN"},
		{"mww", "mww-Latn-VN"}, {"ium-Latn-VN", "ium-Latn-VN"}, {"VI", "vi"}, {"hmn", ""}, {"xx", ""},
	}
	for _, tc := range tests {
		got, ok := cat.Canonical(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

// fixtureFS is a small set of catalogs for behaviour tests.
func fixtureFS(extra map[string]string) fstest.MapFS {
	files := map[string]string{
		"common.vi.yaml": `lang.name: "Tiếng Việt"
greet.stranger: "bạn"
draft.marker: "bản dịch thử – chưa kiểm tra"
fallback.text: "Mình chưa hiểu."
hello: "Chào {{.Name}}!"
step.otp: "Mã chỉ gõ vào VNeID."
btn.next: "Tiếp theo ➡️"
only.vi: "Chỉ có tiếng Việt."
`,
		"common.en.yaml": `lang.name: "English"
hello: "Hello {{.Name}}!"
`,
		"common.tyz-Latn-VN.yaml": `_status:
  status: draft
  strings:
    step.otp: {status: reviewed, by: "Nông Thị Hoa", date: "2026-05-01"}
lang.name: "Tày"
draft.marker: "slư dịch thử"
hello: "Chào {{.Name}}!"
step.otp: "Mã chắng gõ khẩu VNeID."
btn.next: "Pây tiếp ➡️"
`,
	}
	for k, v := range extra {
		files[k] = v
	}
	out := fstest.MapFS{}
	for k, v := range files {
		out["loc/"+k] = &fstest.MapFile{Data: []byte(v)}
	}
	return out
}

func loadFixture(t *testing.T, extra map[string]string, tags ...string) (*Catalog, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	if len(tags) == 0 {
		tags = []string{"vi", "tyz-Latn-VN", "en"}
	}
	cat, err := Load(fixtureFS(extra), "loc", tags, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cat, &logs
}

func TestOneBadCatalogDisablesOnlyThatLanguage(t *testing.T) {
	cat, logs := loadFixture(t, map[string]string{
		"common.nut-Latn-VN.yaml": "lang.name: \"Nùng\"\n  broken: [yaml\n",
	}, "vi", "tyz-Latn-VN", "nut-Latn-VN", "en")
	if cat.Supports("nut-Latn-VN") {
		t.Fatal("a broken Nùng catalog still offers Nùng")
	}
	if !cat.Supports("tyz-Latn-VN") || !cat.Supports("en") {
		t.Fatalf("other languages were disabled too: %v", cat.Languages())
	}
	if cat.Disabled()["nut-Latn-VN"] == nil {
		t.Error("Disabled() does not report Nùng")
	}
	if !strings.Contains(logs.String(), "language disabled") || !strings.Contains(logs.String(), "nut-Latn-VN") {
		t.Errorf("no error logged for Nùng: %s", logs.String())
	}
	if got, want := cat.Text("nut-Latn-VN", "btn.next"), "Tiếp theo ➡️"; got != want {
		t.Errorf("a disabled language renders %q, want the Vietnamese %q", got, want)
	}
}

func TestBadBaseCatalogIsAnError(t *testing.T) {
	_, err := Load(fixtureFS(map[string]string{"common.vi.yaml": "k: \"<b>unclosed\"\n"}), "loc", []string{"vi"})
	if err == nil || !strings.Contains(err.Error(), "common.vi.yaml:1") {
		t.Fatalf("err = %v, want an error naming common.vi.yaml:1", err)
	}
}

func TestBadStringIsDroppedAndReported(t *testing.T) {
	cat, logs := loadFixture(t, map[string]string{
		"extra.tyz-Latn-VN.yaml": "only.vi: \"<b>mì bấu khép\"\n",
	})
	if got, want := cat.Message("tyz-Latn-VN", "only.vi", nil, false), "Chỉ có tiếng Việt."; got != want {
		t.Errorf("Message = %q, want the Vietnamese %q", got, want)
	}
	found := false
	for _, p := range cat.Problems() {
		found = found || (p.Key == "only.vi" && p.File == "extra.tyz-Latn-VN.yaml")
	}
	if !found {
		t.Errorf("problem not reported: %v", cat.Problems())
	}
	if !strings.Contains(logs.String(), "dropped") {
		t.Errorf("drop not logged: %s", logs.String())
	}
}

func TestPlaceholderMismatchIsDropped(t *testing.T) {
	cat, _ := loadFixture(t, map[string]string{"x.tyz-Latn-VN.yaml": "only.vi: \"Chào {{.Nam}}\"\n"})
	if got := cat.Review("tyz-Latn-VN", "only.vi").Status; got != Missing {
		t.Errorf("status = %v, want missing (dropped)", got)
	}
}

func TestNonNFCFileIsReported(t *testing.T) {
	nfd := "only.vi: \"Pa\u0302y tie\u0302\u0301p\"\n" // "Pây tiếp" decomposed
	cat, _ := loadFixture(t, map[string]string{"y.tyz-Latn-VN.yaml": nfd})
	found := false
	for _, p := range cat.Problems() {
		found = found || (p.File == "y.tyz-Latn-VN.yaml" && p.Line == 1 && strings.Contains(p.Msg, "NFC"))
	}
	if !found {
		t.Errorf("NFD file not reported: %v", cat.Problems())
	}
}

func TestDraftRendersBilingual(t *testing.T) {
	cat, _ := loadFixture(t, nil)
	got := cat.Message("tyz-Latn-VN", "hello", map[string]string{"Name": "Hoa"}, false)
	want := "Chào Hoa!" // draft equal to Vietnamese: shown once
	if got != want {
		t.Errorf("equal draft = %q, want %q", got, want)
	}
	got = cat.Message("tyz-Latn-VN", "btn.next", nil, false)
	want = "Pây tiếp ➡️\n<i>✍️ slư dịch thử · bản dịch thử – chưa kiểm tra</i>\n<blockquote expandable>🇻🇳 Tiếp theo ➡️</blockquote>"
	if got != want {
		t.Errorf("draft =\n%q\nwant\n%q", got, want)
	}
	if err := CheckHTML(got); err != nil {
		t.Error(err)
	}
}

func TestReviewedRendersAlone(t *testing.T) {
	cat, _ := loadFixture(t, nil)
	for _, safety := range []bool{false, true} {
		if got, want := cat.Message("tyz-Latn-VN", "step.otp", nil, safety), "Mã chắng gõ khẩu VNeID."; got != want {
			t.Errorf("reviewed (safety %v) = %q, want %q alone", safety, got, want)
		}
	}
	r := cat.Review("tyz-Latn-VN", "step.otp")
	if r.Status != Reviewed || r.By != "Nông Thị Hoa" || r.Date != "2026-05-01" {
		t.Errorf("review = %+v", r)
	}
}

func TestSafetyDraftShowsVietnameseFirst(t *testing.T) {
	cat, _ := loadFixture(t, map[string]string{"s.tyz-Latn-VN.yaml": "only.vi: \"Slư Tày.\"\n"})
	got := cat.Message("tyz-Latn-VN", "only.vi", nil, true)
	want := "Chỉ có tiếng Việt.\n\n<blockquote expandable><i>✍️ slư dịch thử · bản dịch thử – chưa kiểm tra</i>\nSlư Tày.</blockquote>"
	if got != want {
		t.Errorf("safety draft =\n%q\nwant\n%q", got, want)
	}
}

func TestMissingKeyFallsBackNeverRawNeverEmpty(t *testing.T) {
	cat, _ := loadFixture(t, nil)
	if got, want := cat.Message("tyz-Latn-VN", "only.vi", nil, false), "Chỉ có tiếng Việt."; got != want {
		t.Errorf("missing key = %q, want the Vietnamese %q", got, want)
	}
	got := cat.Message("tyz-Latn-VN", "no.such.key", nil, false)
	if got == "" || strings.Contains(got, "no.such.key") {
		t.Errorf("unknown key renders %q", got)
	}
}

func TestStaleReviewShowsAsDraft(t *testing.T) {
	tyz := `_status:
  status: draft
  strings:
    step.otp: {status: reviewed, by: "A", date: "2026-05-01", vi: "00000000"}
step.otp: "Mã chắng gõ khẩu VNeID."
`
	cat, _ := loadFixture(t, map[string]string{"common.tyz-Latn-VN.yaml": tyz})
	if got := cat.Review("tyz-Latn-VN", "step.otp").Status; got != Stale {
		t.Fatalf("status = %v, want stale (the Vietnamese hash differs)", got)
	}
	if got := cat.Message("tyz-Latn-VN", "step.otp", nil, false); !strings.Contains(got, "<blockquote expandable>🇻🇳 Mã chỉ gõ vào VNeID.") {
		t.Errorf("stale review not shown with Vietnamese: %q", got)
	}
}

func TestLabel(t *testing.T) {
	cat, _ := loadFixture(t, nil)
	tests := []struct{ lang, key, want string }{
		{"tyz-Latn-VN", "btn.next", "Pây tiếp · Tiếp theo ➡️"},
		{"tyz-Latn-VN", "step.otp", "Mã chắng gõ khẩu VNeID."}, // reviewed
		{"vi", "btn.next", "Tiếp theo ➡️"},
		{"en", "btn.next", "Tiếp theo ➡️"}, // missing in en: Vietnamese
	}
	for _, tc := range tests {
		if got := cat.Label(tc.lang, tc.key); got != tc.want {
			t.Errorf("Label(%s, %s) = %q, want %q", tc.lang, tc.key, got, tc.want)
		}
	}
}

func TestPlain(t *testing.T) {
	cat, _ := loadFixture(t, nil)
	if got, want := cat.Plain("tyz-Latn-VN", "btn.next"), "Pây tiếp ➡️ (Tiếp theo ➡️)"; got != want {
		t.Errorf("Plain = %q, want %q", got, want)
	}
}

func TestGreetingEscapesAndBounds(t *testing.T) {
	cat, _ := loadFixture(t, nil)
	got := cat.Message("vi", "hello", map[string]string{"Name": cat.Greeting("vi", "<b>Tí & Tèo")}, false)
	if want := "Chào &lt;b&gt;Tí &amp; Tèo!"; got != want {
		t.Errorf("greeting = %q, want %q", got, want)
	}
	if got, want := cat.Message("vi", "hello", map[string]string{"Name": cat.Greeting("vi", "  ")}, false), "Chào bạn!"; got != want {
		t.Errorf("anonymous greeting = %q, want %q", got, want)
	}
	if got := cat.Greeting("vi", strings.Repeat("ā", 100)); len([]rune(got)) != MaxNameLen {
		t.Errorf("long name kept %d runes, want %d", len([]rune(got)), MaxNameLen)
	}
	if got, want := cat.Message("vi", "hello", nil, false), "Chào !"; got != want {
		t.Errorf("without params = %q, want %q (never <no value>)", got, want)
	}
}

func TestLabelSharesCommonWords(t *testing.T) {
	cat := mustLoadDefault(t)
	if got, want := cat.Label("mww-Latn-VN", "vneid.title"), "VNeID – pov thawj · định danh điện tử 🪪"; got != want {
		t.Errorf("Label = %q, want %q", got, want)
	}
}

func TestIsLabelKey(t *testing.T) {
	for key, want := range map[string]bool{
		"btn.next": true, "vneid.btn.android": true, "volunteer.help.btn.ask": true, "vneid.title": true,
		"volunteer.stats.title": false, "vneid.os": false, "menu.text": false, "notice.busy": false,
	} {
		if got := isLabelKey(key); got != want {
			t.Errorf("isLabelKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestCommonWords(t *testing.T) {
	tests := []struct{ a, b, shared, restA, restB string }{
		{"VNeID – pov thawj", "VNeID – định danh điện tử", "VNeID – ", "pov thawj", "định danh điện tử"},
		{"Trả xèn tẻo mã QR", "Trả tiền bằng mã QR", "", "Trả xèn tẻo mã QR", "Trả tiền bằng mã QR"},
		{"Pây tiếp", "Tiếp theo", "", "Pây tiếp", "Tiếp theo"},
	}
	for _, tc := range tests {
		shared, a, b := commonWords(tc.a, tc.b)
		if shared != tc.shared || a != tc.restA || b != tc.restB {
			t.Errorf("commonWords(%q, %q) = %q, %q, %q", tc.a, tc.b, shared, a, b)
		}
	}
}
