// Package scamcheck looks at a message a resident wants checked ("is this a scam?") and names
// the warning signs it notices, with simple rules a volunteer can explain: it asks for an OTP,
// passcode or password; it rushes or scares; it asks for money or a "fee"; it links to a site
// that is neither a .gov.vn site nor a known bank; it asks to install an app from a link; it
// hides a link behind a shortener; it asks to scan a QR code.
//
// It is pure: it never opens a link, never stores or logs the text, and cannot be sure of
// anything. A message with no sign may still be a scam, and the bot says so.
package scamcheck

import (
	"regexp"
	"strings"

	"hocvuso/flows"
)

// Rules, in the order findings are reported.
const (
	Secret   = "secret"   // asks for an OTP, passcode, password or a photo of the ID card
	App      = "app"      // asks to install an app from a link, or sends an .apk file
	Short    = "short"    // a shortened link hides where it goes
	Link     = "link"     // a link to a site that is not .gov.vn, a known bank or an app store
	Money    = "money"    // asks for money, a fee, a deposit, or offers a loan
	Pressure = "pressure" // rushes or scares: locked account, arrest, fines, emergencies, deadlines
	QR       = "qr"       // asks to scan a QR code
)

// Rules lists every rule, in report order.
var Rules = []string{Secret, App, Short, Link, Money, Pressure, QR}

// advice is the resident rule (a shared message key, said the same way everywhere) that
// answers each sign.
var advice = map[string]string{
	Secret:   "rule.1",
	App:      "rule.2",
	Money:    "rule.3",
	Short:    "rule.4",
	Link:     "rule.4",
	QR:       "rule.5",
	Pressure: "rule.6",
}

// Check returns the warning signs in text, at most one per rule, in report order.
func Check(text string) []flows.Finding {
	m := newMessage(text)
	found := map[string]string{}
	links := m.links()
	checkSecret(m, links, found)
	checkLinks(m, links, found)
	checkPhrases(m, found)
	var out []flows.Finding
	for _, rule := range Rules {
		if ev, ok := found[rule]; ok {
			out = append(out, flows.Finding{Rule: rule, Evidence: ev, Advice: advice[rule]})
		}
	}
	return out
}

// message is the text prepared for matching, as sentences of words. Scam SMS are often
// written without diacritics, so a sentence without any is matched on folded words ("mat
// khau"); one with diacritics is matched exactly, so that "vậy" is not read as "vay" (borrow).
// This is decided per sentence: a scam may greet with accents ("Chào bạn!") and ask without
// them ("gui ma OTP").
type message struct {
	raw       string
	sentences []sentence
}

type sentence struct {
	words    []string
	accented bool
}

// form is how a sentence's words (and the patterns looked for in it) are compared.
func (s sentence) form(text string) string {
	if s.accented {
		return flows.Normalize(text)
	}
	return flows.Fold(text)
}

var sentenceEnd = regexp.MustCompile(`[.!?;:\n]+(\s|$)`)

func newMessage(text string) message {
	m := message{raw: text}
	for _, part := range sentenceEnd.Split(text, -1) {
		s := sentence{accented: flows.Normalize(part) != flows.Fold(part)}
		if s.words = strings.Fields(s.form(part)); len(s.words) > 0 {
			m.sentences = append(m.sentences, s)
		}
	}
	return m
}

// pattern is a phrase to look for; it is also what the resident is told was noticed.
type pattern struct {
	phrase string
	// strict phrases are single words whose unaccented form means something else ("gấp"
	// urgent, "gap" meet): they match only in a message written with diacritics.
	strict bool
}

// at is where a phrase was found: sentence and word.
type at struct{ s, w int }

// find returns where the phrase occurs.
func (m message) find(p pattern) []at {
	var out []at
	for si, s := range m.sentences {
		if p.strict && !s.accented {
			continue
		}
		pw := strings.Fields(s.form(p.phrase))
		for i := 0; i+len(pw) <= len(s.words); i++ {
			if equalWords(s.words[i:i+len(pw)], pw) {
				out = append(out, at{si, i})
			}
		}
	}
	return out
}

func equalWords(a, b []string) bool {
	for i := range b {
		if a[i] != b[i] {
			return false
		}
	}
	return len(b) > 0
}

// first returns the first of the patterns found in the message, if any.
func (m message) first(ps []pattern) (pattern, bool) {
	for _, p := range ps {
		if len(m.find(p)) > 0 {
			return p, true
		}
	}
	return pattern{}, false
}

// precededBy reports whether one of words comes within n words before a.
func (m message) precededBy(a at, n int, words []string) bool {
	s := m.sentences[a.s]
	for j := a.w - 1; j >= 0 && j >= a.w-n; j-- {
		for _, w := range words {
			if s.words[j] == s.form(w) {
				return true
			}
		}
	}
	return false
}
