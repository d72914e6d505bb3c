package volunteer

import (
	"fmt"
	"io"
	"regexp"
)

// RefLen is the length of a referral code: 10 of 62 characters is about 59 random bits, so a
// code cannot be guessed, and it is drawn from crypto/rand, so it says nothing about the
// volunteer's phone number or Telegram id.
const RefLen = 10

// MaxPayload is Telegram's limit for a /start payload.
const MaxPayload = 64

const refAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

var payloadRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// NewRef draws a referral code from r (crypto/rand.Reader in production).
func NewRef(r io.Reader) (string, error) {
	out := make([]byte, 0, RefLen)
	buf := make([]byte, 2*RefLen)
	for len(out) < RefLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("error drawing a referral code: %w", err)
		}
		for _, b := range buf {
			// Rejection sampling keeps the 62 letters equally likely.
			if int(b) < 4*len(refAlphabet) && len(out) < RefLen {
				out = append(out, refAlphabet[int(b)%len(refAlphabet)])
			}
		}
	}
	return string(out), nil
}

// Payload is the /start payload that opens flow, with the volunteer's referral code when ref
// is not empty: "<flow>-<ref>" (flows.ParsePayload reads it back).
func Payload(flow, ref string) (string, error) {
	p := flow
	if ref != "" {
		p += "-" + ref
	}
	if !payloadRE.MatchString(p) {
		return "", fmt.Errorf("error making a deep-link payload for %q: not 1-64 of A-Za-z0-9_-", flow)
	}
	return p, nil
}

// Link is the deep link that opens the bot with payload.
func Link(botUsername, payload string) string {
	return "https://t.me/" + botUsername + "?start=" + payload
}
