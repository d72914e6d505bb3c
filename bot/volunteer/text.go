package volunteer

import (
	"html"
	"regexp"
	"strings"
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

// clip bounds a relayed text so the message stays under Telegram's limit.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// digitsRE finds 6 or more digits in a row, allowing spaces, dots and dashes between them:
// an OTP (6), a phone number (10), a citizen ID (12) or a card number (16).
var digitsRE = regexp.MustCompile(`\d(?:[ .\-]?\d){5,}`)

// looksSecret reports whether a resident's text holds a number that must not go to anyone.
func looksSecret(s string) bool { return digitsRE.MatchString(s) }
