package i18n

import (
	"html"
	"regexp"
	"strings"
	"unicode"
)

// Keys the renderer itself uses. They must exist in the base catalog.
const (
	KeyDraftMarker = "draft.marker"   // "bản dịch thử – chưa kiểm tra"
	KeyUnknown     = "fallback.text"  // shown if a key is missing everywhere, never the key itself
	keyGreetFriend = "greet.stranger" // the word a greeting uses when the name is unknown
)

// RendererKeys lists the keys above, for catalog checks.
var RendererKeys = []string{KeyDraftMarker, KeyUnknown, keyGreetFriend}

// Message renders key for a resident who reads lang, the way it is sent:
//   - reviewed texts (and vi, en) show alone, and so does the Vietnamese text of a key the
//     language lacks;
//   - a draft shows first, then a "draft, not checked" line, then the Vietnamese text in a
//     collapsed quote, so nobody depends on an unchecked translation;
//   - on a safety-critical step (OTP, passwords, money, scams) the Vietnamese text comes first
//     and the draft is the collapsed part.
//
// If the two-language form would be over Telegram's limit, the Vietnamese text shows alone.
// The result is never empty and never a raw key.
func (c *Catalog) Message(lang, key string, params map[string]string, safety bool) string {
	return c.Bilingual(lang, []string{key}, safety, func(l string) string { return c.Render(l, key, params) })
}

// Bilingual is Message for a text composed of several keys (a step counter, the step's text,
// shared rules below it): compose renders the whole text in a language. If any of keys is
// unchecked in lang, the composition in lang and the one in Vietnamese show together.
func (c *Catalog) Bilingual(lang string, keys []string, safety bool, compose func(lang string) string) string {
	msg, _ := c.bilingual(lang, keys, safety, compose)
	if VisibleLen(msg) > MaxTextLen {
		msg = compose(Base)
	}
	if strings.TrimSpace(msg) == "" {
		c.log.Error("message key missing from every catalog", "keys", keys)
		if msg = c.Render(lang, KeyUnknown, nil); msg == "" {
			msg = "…"
		}
	}
	return msg
}

// message composes the message of one key; bilingual reports whether it shows two languages.
func (c *Catalog) message(lang, key string, params map[string]string, safety bool) (msg string, bilingual bool) {
	return c.bilingual(lang, []string{key}, safety, func(l string) string { return c.Render(l, key, params) })
}

func (c *Catalog) bilingual(lang string, keys []string, safety bool, compose func(lang string) string) (msg string, bilingual bool) {
	text := compose(lang)
	unchecked := false
	for _, key := range keys {
		unchecked = unchecked || c.Review(lang, key).Status.Unchecked()
	}
	if !unchecked {
		return text, false
	}
	vi := compose(Base)
	if text == vi {
		return text, false
	}
	marker := "<i>✍️ " + c.marker(lang) + "</i>"
	nested := strings.Contains(text, "<blockquote") || strings.Contains(vi, "<blockquote")
	switch {
	case nested: // Telegram cannot nest quotes: fall back to a plain separator
		if safety {
			return vi + "\n\n" + marker + "\n" + text, true
		}
		return text + "\n" + marker + "\n\n🇻🇳 " + vi, true
	case safety:
		return vi + "\n\n<blockquote expandable>" + marker + "\n" + text + "</blockquote>", true
	}
	return text + "\n" + marker + "\n<blockquote expandable>🇻🇳 " + vi + "</blockquote>", true
}

// marker is "draft, not checked" in the resident's language and in Vietnamese.
func (c *Catalog) marker(lang string) string {
	own, vi := c.Render(lang, KeyDraftMarker, nil), c.Render(Base, KeyDraftMarker, nil)
	if own == vi {
		return vi
	}
	return own + " · " + vi
}

// Label renders a button label. A draft label carries the Vietnamese words too
// ("Pây tiếp · Tiếp theo ➡️"), keeping the emoji once; the same words show once.
func (c *Catalog) Label(lang, key string) string {
	text := c.Text(lang, key)
	if !c.Review(lang, key).Status.Unchecked() {
		return text
	}
	vi := c.Text(Base, key)
	lead, core, trail := splitDecor(vi)
	dlead, dcore, dtrail := splitDecor(text)
	if lead == "" {
		lead = dlead
	}
	if trail == "" {
		trail = dtrail
	}
	if strings.EqualFold(core, dcore) || dcore == "" {
		return lead + core + trail
	}
	shared, dcore, core := commonWords(dcore, core)
	return lead + shared + dcore + " · " + core + trail
}

// commonWords moves the words both labels start with out of them, so "VNeID – pov thawj" and
// "VNeID – định danh" become "VNeID – " + "pov thawj" · "định danh": short enough for a button.
// Only a prefix that ends in a dash or colon is shared, so that a name is moved ("VNeID –"),
// not the first word of a sentence ("Trả xèn…" and "Trả tiền…").
func commonWords(a, b string) (shared, restA, restB string) {
	wa, wb := strings.Fields(a), strings.Fields(b)
	n := 0
	for i := 0; i < len(wa)-1 && i < len(wb)-1 && wa[i] == wb[i]; i++ {
		if strings.IndexFunc(wa[i], unicode.IsLetter) < 0 && strings.IndexFunc(wa[i], unicode.IsDigit) < 0 {
			n = i + 1 // a separator word: everything up to here is a shared name
		}
	}
	if n == 0 {
		return "", a, b
	}
	return strings.Join(wa[:n], " ") + " ", strings.Join(wa[n:], " "), strings.Join(wb[n:], " ")
}

// splitDecor splits a label into leading symbols, words and trailing symbols ("🏠 ", "Menu
// chính", "") so two languages can share one emoji.
func splitDecor(s string) (lead, core, trail string) {
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	start := strings.IndexFunc(s, isWord)
	if start < 0 {
		return s, "", ""
	}
	end := strings.LastIndexFunc(s, isWord)
	end += len(string([]rune(s[end:])[0]))
	core = s[start:end]
	// Keep closing punctuation with the words ("(NFC)").
	for end < len(s) && strings.ContainsRune(").!?", rune(s[end])) {
		end++
		core = s[start:end]
	}
	return s[:start], core, s[end:]
}

// Plain renders key as plain text (no HTML) for a button-press notice or a command menu: a
// draft is followed by the Vietnamese text in brackets, unless that is over the notice limit,
// when the Vietnamese text shows alone.
func (c *Catalog) Plain(lang, key string) string {
	text := StripHTML(c.Render(lang, key, nil))
	if !c.Review(lang, key).Status.Unchecked() {
		return text
	}
	vi := StripHTML(c.Render(Base, key, nil))
	if text == vi {
		return vi
	}
	both := text + " (" + vi + ")"
	if UTF16Len(both) > MaxNoticeLen {
		return vi
	}
	return both
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// StripHTML turns Telegram HTML into the plain text a resident sees.
func StripHTML(s string) string { return html.UnescapeString(tagRE.ReplaceAllString(s, "")) }

// VisibleLen is the length Telegram checks against its limits: text after HTML parsing, in
// UTF-16 code units.
func VisibleLen(s string) int { return UTF16Len(StripHTML(s)) }

// Greeting returns the name to greet a resident by: their first name, shortened to Telegram's
// limit, or the catalog's word for "friend" when it is unknown. The caller passes it as a
// parameter, so it is HTML-escaped when rendered, and never stores it.
func (c *Catalog) Greeting(lang, firstName string) string {
	name := strings.TrimSpace(firstName)
	if r := []rune(name); len(r) > MaxNameLen {
		name = string(r[:MaxNameLen])
	}
	if name == "" {
		name = StripHTML(c.Render(lang, keyGreetFriend, nil))
	}
	return name
}
