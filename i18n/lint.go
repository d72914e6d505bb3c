package i18n

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/template"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// Telegram limits that texts must respect in every language.
const (
	MaxTextLen   = 4096 // sendMessage text, in UTF-16 code units after HTML parsing
	MaxNoticeLen = 200  // answerCallbackQuery text
	MaxLabelLen  = 64   // our own limit for a button label a small phone can show
	MaxNameLen   = 64   // Telegram's first_name limit: the longest name a greeting may hold
)

// Problem is something wrong in a catalog: the bot still runs (the string or language is
// dropped, or the text is shown as it is), but CI and `hocvuso check` fail on it.
type Problem struct {
	File string
	Line int
	Lang string
	Key  string
	Msg  string
}

func (p Problem) Error() string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if loc == "" {
		loc = p.Lang
	}
	if p.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Key, p.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, p.Msg)
}

var placeholderRE = regexp.MustCompile(`{{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*}}`)

// placeholders returns the parameter names a text uses ("{{.Name}}" gives "Name"), sorted, once each.
func placeholders(s string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}

// checkText checks one catalog text against the Vietnamese text of the same key: not empty,
// valid Telegram HTML, a valid template using exactly the same parameters.
func checkText(text, vi string) error {
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("empty text")
	}
	if strings.Contains(text, "{{") {
		if _, err := template.New("").Parse(text); err != nil {
			return fmt.Errorf("broken placeholder: %w", err)
		}
		if rest := placeholderRE.ReplaceAllString(text, ""); strings.Contains(rest, "{{") {
			return fmt.Errorf("only plain placeholders like {{.Name}} are allowed")
		}
	}
	if got, want := placeholders(text), placeholders(vi); !slices.Equal(got, want) {
		return fmt.Errorf("placeholders %v differ from the Vietnamese text's %v", got, want)
	}
	if err := CheckHTML(placeholderRE.ReplaceAllString(text, "x")); err != nil {
		return fmt.Errorf("not valid Telegram HTML: %w", err)
	}
	return nil
}

// nfcProblems reports lines of a file that are not in Unicode NFC: the same word in NFD would
// not match what residents type, and fonts on cheap phones draw it badly.
func nfcProblems(name, lang string, data []byte) []Problem {
	var out []Problem
	for i, line := range strings.Split(string(data), "\n") {
		if !norm.NFC.IsNormalString(line) {
			out = append(out, Problem{File: name, Line: i + 1, Lang: lang, Msg: "not in Unicode NFC (normalize the file)"})
		}
	}
	return out
}

// UTF16Len counts like Telegram: in UTF-16 code units.
func UTF16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// Problems lists everything wrong in the loaded catalogs: files not in NFC, strings dropped at
// load, disabled languages, and texts over Telegram's limits once rendered the way residents
// see them (a draft with its Vietnamese text, a long first name in a greeting).
func (c *Catalog) Problems() []Problem {
	out := append([]Problem(nil), c.problems...)
	for _, tag := range sortedKeys(c.disabled) {
		out = append(out, Problem{Lang: tag, Msg: "language disabled: " + c.disabled[tag].Error()})
	}
	for _, l := range c.langs {
		for _, key := range c.BaseKeys() {
			out = append(out, c.lengthProblems(l.Tag, key)...)
		}
	}
	return out
}

func (c *Catalog) lengthProblems(lang, key string) []Problem {
	params := map[string]string{}
	for _, name := range placeholders(c.Text(Base, key)) {
		params[name] = strings.Repeat("W", MaxNameLen)
	}
	var out []Problem
	check := func(what string, n, limit int) {
		if n > limit {
			out = append(out, Problem{Lang: lang, Key: key, Msg: fmt.Sprintf("%s is %d characters, over the limit of %d", what, n, limit)})
		}
	}
	for _, safety := range []bool{false, true} {
		msg, ok := c.message(lang, key, params, safety)
		if ok {
			check("the rendered message", VisibleLen(msg), MaxTextLen)
		}
	}
	if isLabelKey(key) {
		check("the button label", UTF16Len(c.Label(lang, key)), MaxLabelLen)
	}
	if strings.HasPrefix(key, "notice.") || strings.HasPrefix(key, "cmd.") {
		check("the notice", UTF16Len(c.Plain(lang, key)), MaxNoticeLen)
	}
	return out
}

// labelKeyRE matches the keys of button labels by the catalogs' naming convention: btn.*,
// <group>.btn.*, and a guide's menu button <flow>.title.
var labelKeyRE = regexp.MustCompile(`^(?:btn\.|[a-z0-9_]+\.(?:[a-z0-9_.]*\.)?btn\.|[a-z0-9_]+\.title$)`)

func isLabelKey(key string) bool { return labelKeyRE.MatchString(key) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
