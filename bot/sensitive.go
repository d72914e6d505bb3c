package bot

import (
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Kinds of number a resident must never send anyone.
const (
	SensitiveCitizenID = "citizen_id" // 12 digits: the number on the chip-based citizen ID card (CCCD)
	SensitiveOTP       = "otp"        // 6 digits: a one-time code from an SMS or a bank app
	SensitiveCard      = "card"       // 16 digits (or 13-19 passing the Luhn check): a bank card
)

// SensitiveNumber reports whether text holds a number that looks like a citizen ID, a one-time
// code or a card number. Digits may be grouped by spaces or dashes ("1234 5678 9012 3456");
// dots and commas are not joined, so an amount such as "500.000" is not taken for a code.
func SensitiveNumber(text string) (kind string, ok bool) {
	for _, run := range digitRuns(norm.NFKC.String(text)) {
		switch n := len(run); {
		case n == 12:
			return SensitiveCitizenID, true
		case n == 6:
			return SensitiveOTP, true
		case n == 16, n >= 13 && n <= 19 && luhn(run):
			return SensitiveCard, true
		}
	}
	return "", false
}

// digitRuns returns the runs of ASCII digits in s, joining runs separated by one space or dash.
func digitRuns(s string) []string {
	var runs []string
	var cur []byte
	var pendingSep bool
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			cur = append(cur, byte(r))
			pendingSep = false
		case (r == ' ' || r == '-' || r == '\u00a0') && len(cur) > 0 && !pendingSep:
			pendingSep = true
		default:
			if unicode.IsDigit(r) {
				continue // a digit of another script: not part of a Latin-digit code
			}
			if len(cur) > 0 {
				runs = append(runs, string(cur))
			}
			cur, pendingSep = nil, false
		}
	}
	if len(cur) > 0 {
		runs = append(runs, string(cur))
	}
	return runs
}

// luhn checks a card number's check digit.
func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
