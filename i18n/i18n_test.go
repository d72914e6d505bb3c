package i18n_test

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"hocvuso/i18n"
)

func mustDefault(tb testing.TB) *i18n.Catalog {
	tb.Helper()
	cat, err := i18n.LoadDefault()
	if err != nil {
		tb.Fatalf("error loading the embedded catalogs: %v", err)
	}
	return cat
}

// mustFallback loads testdata/fallback, where en lacks some keys of vi.
func mustFallback(tb testing.TB) *i18n.Catalog {
	tb.Helper()
	cat, err := i18n.Load(os.DirFS("testdata"), "fallback", []string{"vi", "en"})
	if err != nil {
		tb.Fatalf("error loading testdata/fallback: %v", err)
	}
	return cat
}

// TestCaseC17: the client's language_code, whatever its shape, picks a supported language.
func TestCaseC17(t *testing.T) {
	cat := mustDefault(t)
	tcs := []struct{ code, want string }{
		{"vi", "vi"},
		{"vi-VN", "vi"},
		{"en", "en"},
		{"en-US", "en"},
		{"en-GB", "en"},
		{"EN", "en"},
		{"", "vi"},
		{"zh-hans", "vi"},
		{"hmn", "vi"},
		{"fr", "vi"},
		{"und", "vi"},
		{"xx-invalid", "vi"},
		{"not a tag at all", "vi"},
	}
	for _, tc := range tcs {
		if got := cat.Match(tc.code); got != tc.want {
			t.Errorf("Match(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

func TestLanguages(t *testing.T) {
	cat := mustDefault(t)
	want := []string{"vi", "tyz-Latn-VN", "nut-Latn-VN", "mww-Latn-VN", "ium-Latn-VN", "en"}
	if got := cat.Languages(); !slices.Equal(got, want) {
		t.Fatalf("Languages() = %q, want %q (base first, picker order)", got, want)
	}
	for lang, want := range map[string]bool{"vi": true, "en": true, "tyz-Latn-VN": true, "tyz": false, "fr": false, "": false, "vi-VN": false} {
		if got := cat.Supports(lang); got != want {
			t.Errorf("Supports(%q) = %v, want %v", lang, got, want)
		}
	}
}

// TestCaseC16: a key missing in a language renders the base (vi) text, never the key.
func TestCaseC16(t *testing.T) {
	cat := mustFallback(t)
	name := map[string]string{"Name": "An"}
	tcs := []struct {
		name, lang, key string
		params          map[string]string
		want            string
	}{
		{"translated", "en", "greet", name, "Hello <b>An</b>!"},
		{"base", "vi", "greet", name, "Chào <b>An</b>!"},
		{"missing in en, with a template", "en", "only.vi", name, "Chỉ có tiếng Việt, An."},
		{"missing in en, plain", "en", "plain.vi", nil, "Chỉ có tiếng Việt."},
		{"unsupported language", "fr", "greet", name, "Chào <b>An</b>!"},
		{"no language", "", "both", nil, "Cả hai"},
		{"second file of the base", "en", "extra", nil, "Thêm"},
		{"missing everywhere", "en", "no.such.key", nil, ""},
		{"missing everywhere, base", "vi", "no.such.key", name, ""},
	}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			got := cat.Render(tc.lang, tc.key, tc.params)
			if got != tc.want {
				t.Errorf("Render(%q, %q) = %q, want %q", tc.lang, tc.key, got, tc.want)
			}
			if strings.Contains(got, tc.key) {
				t.Errorf("Render(%q, %q) shows the key: %q", tc.lang, tc.key, got)
			}
		})
	}
	if got := cat.Text("en", "plain.vi"); got != "Chỉ có tiếng Việt." {
		t.Errorf("Text falls back to %q", got)
	}
	if !cat.Has("only.vi") || cat.Has("en.only") || cat.Has("no.such.key") {
		t.Error("Has must report exactly the keys of the base catalog")
	}
	// en.only is not a key of the base: it is dropped (and reported), never shown.
	if got, want := cat.Keys("en"), []string{"both", "greet"}; !slices.Equal(got, want) {
		t.Errorf("Keys(en) = %q, want %q (sorted)", got, want)
	}
	if p := cat.Problems(); len(p) != 1 || p[0].Key != "en.only" {
		t.Errorf("Problems() = %v, want the en-only key", p)
	}
}

// TestRenderEscapesParams: a resident's name cannot break the Telegram HTML of a message.
func TestRenderEscapesParams(t *testing.T) {
	cat := mustFallback(t)
	tcs := []struct{ name, want string }{
		{"<Tom & Jerry>", "Chào <b>&lt;Tom &amp; Jerry&gt;</b>!"},
		{`"quoted" 'single'`, "Chào <b>&#34;quoted&#34; &#39;single&#39;</b>!"},
		{"{{.Name}}", "Chào <b>{{.Name}}</b>!"},
		{"Nguyễn Thị Hoa", "Chào <b>Nguyễn Thị Hoa</b>!"},
	}
	for _, tc := range tcs {
		if got := cat.Render("vi", "greet", map[string]string{"Name": tc.name}); got != tc.want {
			t.Errorf("Render with %q = %q, want %q", tc.name, got, tc.want)
		}
	}
	// A text without a template is returned as written, even with params.
	if got := cat.Render("en", "both", map[string]string{"Name": "<x>"}); got != "Both" {
		t.Errorf("plain text rendered as %q", got)
	}
}

// TestCaseC16KeySets is the CI check that every language has exactly the keys of the base,
// group by group, so no resident ever falls back to Vietnamese by accident.
func TestCaseC16KeySets(t *testing.T) {
	cat := mustDefault(t)
	base := cat.Keys(i18n.Base)
	for _, lang := range cat.Languages() {
		if got := cat.Keys(lang); !slices.Equal(got, base) {
			t.Errorf("%s keys differ from %s: only in %s %q, only in %s %q", lang, i18n.Base,
				lang, missing(got, base), i18n.Base, missing(base, got))
		}
	}
	// The same, file by file: a key must live in the same group in every language.
	groups := map[string]map[string][]string{} // group -> lang -> keys
	names, err := fs.Glob(i18n.Locales(), "locales/*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no catalogs: %v", err)
	}
	for _, name := range names {
		parts := strings.Split(path.Base(name), ".")
		data, err := fs.ReadFile(i18n.Locales(), name)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]any
		if err := yaml.Unmarshal(data, &raw); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		delete(raw, i18n.StatusKey) // review status, not a text
		if groups[parts[0]] == nil {
			groups[parts[0]] = map[string][]string{}
		}
		for k := range raw {
			groups[parts[0]][parts[1]] = append(groups[parts[0]][parts[1]], k)
		}
	}
	for group, byLang := range groups {
		want := byLang[i18n.Base]
		sort.Strings(want)
		for _, lang := range cat.Languages() {
			got := byLang[lang]
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s.%s.yaml: only here %q, missing %q", group, lang, missing(got, want), missing(want, got))
			}
		}
	}
}

// missing returns the elements of a that b lacks.
func missing(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

var (
	tagRE    = regexp.MustCompile(`<(/?)([a-z]+)((?:\s+href="https://[^"<>]*")?)>`)
	entityRE = regexp.MustCompile(`&(?:amp|lt|gt|quot|#[0-9]+);`)
	allowed  = []string{"b", "strong", "i", "em", "u", "s", "code", "pre", "a", "blockquote"}
)

// TestCatalogHTML: every text is Telegram HTML that Telegram accepts: known tags, closed in
// order, links only https, and &, <, > written as entities.
func TestCatalogHTML(t *testing.T) {
	cat := mustDefault(t)
	for _, lang := range cat.Languages() {
		for _, key := range cat.Keys(lang) {
			if problem := checkHTML(cat.Text(lang, key)); problem != "" {
				t.Errorf("%s %s: %s", lang, key, problem)
			}
		}
	}
	// The checker itself catches what Telegram would refuse.
	for _, bad := range []string{"a <b>bold", "<b><i>x</b></i>", "Tom & Jerry", "1 < 2", `<a href="http://x">x</a>`, "<span>x</span>"} {
		if checkHTML(bad) == "" {
			t.Errorf("checkHTML(%q) found no problem", bad)
		}
	}
}

func checkHTML(s string) string {
	var open []string
	for _, m := range tagRE.FindAllStringSubmatch(s, -1) {
		closing, name, attr := m[1] == "/", m[2], m[3]
		switch {
		case !slices.Contains(allowed, name):
			return "tag <" + name + "> is not Telegram HTML"
		case name == "a" && !closing && attr == "":
			return "<a> without an https href"
		case name != "a" && attr != "":
			return "<" + name + "> takes no attributes"
		case closing && (len(open) == 0 || open[len(open)-1] != name):
			return "</" + name + "> closes nothing open"
		case closing:
			open = open[:len(open)-1]
		default:
			open = append(open, name)
		}
	}
	if len(open) > 0 {
		return "<" + open[len(open)-1] + "> is never closed"
	}
	rest := entityRE.ReplaceAllString(tagRE.ReplaceAllString(s, ""), "")
	if strings.ContainsAny(rest, "<>&") {
		return "a bare <, > or & (write &lt; &gt; &amp;)"
	}
	return ""
}

// TestLanguageWithoutCatalogIsDisabled: a language with no files is not offered, and the bot
// still starts (case C15: one missing or broken catalog never stops it).
func TestLanguageWithoutCatalogIsDisabled(t *testing.T) {
	cat, err := i18n.Load(os.DirFS("testdata"), "fallback", []string{"vi", "tyz-Latn-VN", "en"})
	if err != nil {
		t.Fatal(err)
	}
	if cat.Supports("tyz-Latn-VN") || !strings.Contains(fmt.Sprint(cat.Disabled()["tyz-Latn-VN"]), "no catalog") {
		t.Errorf("Supports = %v, Disabled = %v", cat.Supports("tyz-Latn-VN"), cat.Disabled())
	}
	if got := cat.Languages(); !slices.Equal(got, []string{"vi", "en"}) {
		t.Errorf("Languages() = %q", got)
	}
}

func TestLoadErrors(t *testing.T) {
	tcs := []struct {
		name, dir string
		order     []string
		want      string
	}{
		{"file name without a language", "badname", []string{"vi"}, "catalog file names are <group>.<lang>.yaml"},
		{"key twice in one language", "dupkey", []string{"vi"}, `key "greet" is defined twice for vi`},
		{"not a flat map", "badyaml", []string{"vi"}, "not a flat YAML map of key: text"},
		{"base not first", "fallback", []string{"en", "vi"}, `the base language "vi" must come first`},
		{"no languages", "fallback", nil, `the base language "vi" must come first`},
	}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			cat, err := i18n.Load(os.DirFS("testdata"), tc.dir, tc.order)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load(%s): catalog %v, error %v; want an error containing %q", tc.dir, cat != nil, err, tc.want)
			}
		})
	}
}
