package scamcheck

import (
	"slices"
	"strings"
	"testing"

	"hocvuso/flows"
	"hocvuso/i18n"
)

// Every rule and every advice it cites has a text in every language, and the rule's text
// shows the evidence.
func TestRulesHaveTexts(t *testing.T) {
	cat, err := i18n.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range cat.Languages() {
		keys := cat.Keys(lang)
		for _, r := range Rules {
			key := flows.KeyCheckRule(r)
			if !slices.Contains(keys, key) || !slices.Contains(keys, advice[r]) {
				t.Errorf("%s: no %s or %s", lang, key, advice[r])
				continue
			}
			if got := cat.Render(lang, key, map[string]string{"Evidence": "EVIDENCE<x>"}); !strings.Contains(got, "EVIDENCE&lt;x&gt;") {
				t.Errorf("%s %s does not show the (escaped) evidence: %q", lang, key, got)
			}
		}
	}
}
