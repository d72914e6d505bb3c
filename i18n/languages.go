package i18n

import (
	"strings"

	"golang.org/x/text/language"
)

// Language is one language residents can choose. Tags are what residents and operators see
// and what sessions store; see README.md for why each was chosen.
type Language struct {
	Tag     string // BCP 47 tag, always in full for minority languages: "tyz-Latn-VN"
	English string // name for operators (check, export)
	// Telegram is the client language_code that pre-selects this language ("vi", "en"). Telegram
	// has no interface language for Tày, Nùng, Hmong or Dao, so theirs is empty: residents pick
	// them in the language picker.
	Telegram string
	// Review marks languages whose texts are drafts until a native speaker reviews them.
	Review bool
}

// Languages in the order the language picker shows them: Vietnamese first (the base), then
// the province's languages by number of people (2019 census), English last.
var languages = []Language{
	{Tag: "vi", English: "Vietnamese", Telegram: "vi"},
	{Tag: "tyz-Latn-VN", English: "Tày (1961 Tày–Nùng Latin)", Review: true},
	{Tag: "nut-Latn-VN", English: "Nùng (1961 Tày–Nùng Latin)", Review: true},
	{Tag: "mww-Latn-VN", English: "Hmong Daw (RPA)", Review: true},
	{Tag: "ium-Latn-VN", English: "Dao – Iu Mien (Unified Script)", Review: true},
	{Tag: "en", English: "English", Telegram: "en"},
}

// AllLanguages returns the language table, in picker order.
func AllLanguages() []Language { return append([]Language(nil), languages...) }

// LanguageOf returns the table entry of a tag.
func LanguageOf(tag string) (Language, bool) {
	for _, l := range languages {
		if l.Tag == tag {
			return l, true
		}
	}
	return Language{}, false
}

// noPlural lists languages that have no grammatical plural (like Vietnamese) and no CLDR plural
// rule, so go-i18n v2.7 refuses their messages with "no plural rule registered". This is the one
// place that knows about it: bundleTag files their messages under a private-use Vietnamese tag,
// which borrows Vietnamese's single "other" category. hnj has a CLDR rule and needs no help.
var noPlural = map[string]bool{"tyz": true, "nut": true, "hmn": true, "mww": true, "ium": true, "mji": true}

// bundleTag is the tag a language's messages are filed under inside go-i18n. It is internal:
// never stored, never shown. Each language has its own go-i18n bundle, so go-i18n's language
// matcher (which treats art-x-tay and art-x-nung as the same language) never picks between them.
func bundleTag(tag language.Tag) language.Tag {
	base, _ := tag.Base()
	if noPlural[base.String()] {
		return language.Make("vi-x-" + base.String())
	}
	return tag
}

// canonicalTag parses s as a BCP 47 tag and returns its canonical spelling ("TYZ-latn-vn" is
// "tyz-Latn-VN").
func canonicalTag(s string) (string, bool) {
	tag, err := language.Parse(s)
	if err != nil {
		return "", false
	}
	return tag.String(), true
}

// baseOf returns the language subtag: "tyz" for "tyz-Latn-VN".
func baseOf(tag string) string {
	b, _, _ := strings.Cut(tag, "-")
	return strings.ToLower(b)
}
