package volunteer

import (
	"html"
	"regexp"
	"strings"
	"unicode/utf16"

	"hocvuso/bot"
	"hocvuso/i18n"
)

var tagRE = regexp.MustCompile(`<[^>]*>`)

// plain turns catalog HTML into plain text (for a picture, an inline result title, or a
// snippet that must not cut a tag in half).
func plain(s string) string {
	return strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(s, "")))
}

// snippet returns the first line of s as plain text, at most n characters.
func snippet(s string, n int) string {
	s = plain(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// clip bounds s to n UTF-16 code units, the unit Telegram counts its limits in (an emoji is
// two), ending a cut text with "…". It never splits a character.
func clip(s string, n int) string {
	if i18n.UTF16Len(s) <= n {
		return s
	}
	units := 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if w < 1 {
			w = 1 // an invalid rune is sent as U+FFFD, one unit
		}
		if units+w > n-1 { // keep one unit for "…"
			return s[:i] + "…"
		}
		units += w
	}
	return s
}

// notice is a key rendered as a button-press notice (a toast), within Telegram's limit of
// 200 UTF-16 units: a draft with its Vietnamese text in brackets when both fit, else the
// Vietnamese text alone (a draft never shows alone), cut if it is still too long.
func notice(rt *bot.Runtime, lang, key string, params map[string]string) string {
	c := rt.Catalog()
	own := plain(c.Render(lang, key, params))
	if c.Review(lang, key).Status.Unchecked() {
		if vi := plain(c.Render(i18n.Base, key, params)); vi != own {
			if both := own + " (" + vi + ")"; i18n.UTF16Len(both) <= i18n.MaxNoticeLen {
				return both
			}
			own = vi
		}
	}
	return clip(own, i18n.MaxNoticeLen)
}

// digitsRE finds 6 or more digits in a row, allowing spaces, dots and dashes between them:
// an OTP (6), a phone number (10), a citizen ID (12) or a card number (16).
var digitsRE = regexp.MustCompile(`\d(?:[ .\-]?\d){5,}`)

// looksSecret reports whether a resident's text holds a number that must not go to anyone.
func looksSecret(s string) bool { return digitsRE.MatchString(s) }
