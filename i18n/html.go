package i18n

import (
	"fmt"
	"regexp"
	"strings"
)

// Telegram's HTML parse mode accepts a small set of tags and attributes; anything else makes
// sendMessage fail with "can't parse entities", and the resident gets nothing. CheckHTML
// accepts exactly what https://core.telegram.org/bots/api#html-style documents.

// allowedTags maps a tag to the attributes it may carry.
var allowedTags = map[string][]string{
	"b": nil, "strong": nil, "i": nil, "em": nil, "u": nil, "ins": nil,
	"s": nil, "strike": nil, "del": nil, "tg-spoiler": nil,
	"a": {"href"}, "code": {"class"}, "pre": nil,
	"blockquote": {"expandable"}, "span": {"class"},
}

var (
	tagTokenRE = regexp.MustCompile(`^<(/?)([a-z][a-z0-9-]*)((?:\s+[a-z-]+(?:="[^"<>]*")?)*)\s*>`)
	attrRE     = regexp.MustCompile(`([a-z-]+)(?:="([^"<>]*)")?`)
	entityRE   = regexp.MustCompile(`^&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});`)
)

// CheckHTML reports the first thing in s that Telegram's HTML parser would refuse: an unknown
// tag or attribute, an unclosed or misnested tag, a bare "<" or "&", a nested quote.
func CheckHTML(s string) error {
	var open []string
	for i := 0; i < len(s); {
		switch s[i] {
		case '&':
			m := entityRE.FindString(s[i:])
			if m == "" {
				return fmt.Errorf("bare & at byte %d: write &amp;", i)
			}
			i += len(m)
		case '<':
			m := tagTokenRE.FindStringSubmatch(s[i:])
			if m == nil {
				return fmt.Errorf("bare < at byte %d: write &lt;", i)
			}
			var err error
			if open, err = step(open, m[1] == "/", m[2], m[3]); err != nil {
				return err
			}
			i += len(m[0])
		case '>':
			return fmt.Errorf("bare > at byte %d: write &gt;", i)
		default:
			i++
		}
	}
	if len(open) > 0 {
		return fmt.Errorf("<%s> is not closed", open[len(open)-1])
	}
	return nil
}

// step applies one tag to the stack of open tags.
func step(open []string, closing bool, name, attrs string) ([]string, error) {
	allowed, ok := allowedTags[name]
	if !ok {
		return nil, fmt.Errorf("<%s> is not a tag Telegram accepts", name)
	}
	if closing {
		if len(open) == 0 || open[len(open)-1] != name {
			return nil, fmt.Errorf("</%s> does not close the last open tag", name)
		}
		return open[:len(open)-1], nil
	}
	if err := checkAttrs(name, attrs, allowed); err != nil {
		return nil, err
	}
	for _, o := range open {
		switch {
		case o == "pre" && name != "code", o == "code":
			return nil, fmt.Errorf("<%s> cannot be inside <%s>", name, o)
		case o == "blockquote" && name == "blockquote":
			return nil, fmt.Errorf("quotes cannot be nested")
		}
	}
	return append(open, name), nil
}

func checkAttrs(name, attrs string, allowed []string) error {
	seen := map[string]bool{}
	for _, m := range attrRE.FindAllStringSubmatch(attrs, -1) {
		attr, value := m[1], m[2]
		if !contains(allowed, attr) || seen[attr] {
			return fmt.Errorf("<%s> cannot have the attribute %q", name, attr)
		}
		seen[attr] = true
		switch {
		case name == "a" && !(strings.HasPrefix(value, "https://") || strings.HasPrefix(value, "tg://")):
			return fmt.Errorf("<a href> must be an https:// or tg:// link")
		case name == "span" && value != "tg-spoiler":
			return fmt.Errorf(`<span> needs class="tg-spoiler"`)
		case name == "code" && !strings.HasPrefix(value, "language-"):
			return fmt.Errorf(`<code class> must be "language-…"`)
		case name == "blockquote" && strings.Contains(m[0], "="):
			return fmt.Errorf("<blockquote expandable> takes no value")
		}
	}
	if name == "a" && !seen["href"] {
		return fmt.Errorf("<a> needs an href")
	}
	if name == "span" && !seen["class"] {
		return fmt.Errorf(`<span> needs class="tg-spoiler"`)
	}
	return nil
}
