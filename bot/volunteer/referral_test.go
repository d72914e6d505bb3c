package volunteer

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"hocvuso/flows"
)

func TestNewRefIsRandomAndFitsPayloads(t *testing.T) {
	seen := map[string]bool{}
	letters := map[rune]int{}
	for range 2000 {
		ref, err := NewRef(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(ref) != RefLen || strings.Trim(ref, refAlphabet) != "" {
			t.Fatalf("ref %q is not %d of the alphabet", ref, RefLen)
		}
		if seen[ref] {
			t.Fatalf("ref %q drawn twice in 2000", ref)
		}
		seen[ref] = true
		for _, r := range ref {
			letters[r]++
		}
		// The engine reads the payload back to the same guide and code.
		p, err := Payload("vneid", ref)
		if err != nil {
			t.Fatal(err)
		}
		if f, got, ok := flows.ParsePayload(p); !ok || f != "vneid" || got != ref {
			t.Fatalf("ParsePayload(%q) = %q, %q, %v", p, f, got, ok)
		}
	}
	// 20,000 letters over 62: each appears; none is more than twice as common as expected.
	if len(letters) != len(refAlphabet) {
		t.Errorf("only %d of %d letters drawn", len(letters), len(refAlphabet))
	}
	for r, n := range letters {
		if n > 2*20000/len(refAlphabet) {
			t.Errorf("letter %q drawn %d times of 20000: biased", r, n)
		}
	}
}

func TestNewRefFailsWithoutRandomness(t *testing.T) {
	if _, err := NewRef(bytes.NewReader(nil)); err == nil {
		t.Fatal("no error from an empty random source")
	}
}

func TestPayloadRules(t *testing.T) {
	if p, err := Payload("vneid", ""); err != nil || p != "vneid" {
		t.Errorf("Payload without ref = %q, %v", p, err)
	}
	for _, bad := range []string{"", "vne id", "vneid?x", strings.Repeat("a", 65)} {
		if _, err := Payload(bad, ""); err == nil {
			t.Errorf("Payload(%q) accepted", bad)
		}
	}
	if got := Link("hocvuso_bot", "vneid-Ab1"); got != "https://t.me/hocvuso_bot?start=vneid-Ab1" {
		t.Errorf("Link = %q", got)
	}
}

func TestLooksSecret(t *testing.T) {
	for s, want := range map[string]bool{
		"mã là 123456":                 true,
		"0912 345 678":                 true,
		"001234567890":                 true,
		"4111-1111-1111-1111":          true,
		"bước 2 của 5":                 false,
		"năm 2025":                     false,
		"tổng đài 1900 0368":           true, // 8 digits: held back too; the bot itself gives hotlines
		"Tôi không thấy nút Kích hoạt": false,
	} {
		if got := looksSecret(s); got != want {
			t.Errorf("looksSecret(%q) = %v, want %v", s, got, want)
		}
	}
}
