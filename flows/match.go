package flows

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

var folder = cases.Fold()

// Normalize prepares typed text for comparison: NFC, case folded, emoji and punctuation
// removed, spaces collapsed. Keyboards send Vietnamese both composed and decomposed.
func Normalize(s string) string {
	s = folder.String(norm.NFC.String(s))
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
			// A combining mark belongs to the letter before it. After anything else it is
			// dropped: "➡️" ends in U+FE0F (a mark), which must not make "Tiếp theo ➡️"
			// differ from a typed "tiếp theo".
			if !space && b.Len() > 0 {
				b.WriteRune(r)
			}
		default:
			space = true
		}
	}
	return norm.NFC.String(b.String())
}

// Fold also removes diacritics, so "dinh danh" matches "định danh".
func Fold(s string) string {
	s = norm.NFD.String(Normalize(s))
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteByte('d')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// containsWords reports whether the words of sub appear, in order and whole, in s.
func containsWords(s, sub string) bool {
	if sub == "" {
		return false
	}
	return strings.Contains(" "+s+" ", " "+sub+" ")
}
