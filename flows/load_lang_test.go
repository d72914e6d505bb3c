package flows

import (
	"strings"
	"testing"
)

const safetyFlow = `id: t
version: 1
title: t.title
start: a
steps:
  - id: a
    safety: true
    buttons:
      - label: btn.next
        goto: b
  - id: b
    kind: end
`

func TestSafetyField(t *testing.T) {
	f, errs := Parse("t.yaml", []byte(safetyFlow), nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if !f.Step("a").Safety || f.Step("b").Safety {
		t.Errorf("safety = %v, %v; want true, false", f.Step("a").Safety, f.Step("b").Safety)
	}
	_, errs = Parse("t.yaml", []byte(strings.Replace(safetyFlow, "safety: true", "safety: maybe", 1)), nil)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "t.yaml:7") || !strings.Contains(errs[0].Error(), "true or false") {
		t.Errorf("errs = %v, want one naming t.yaml:7", errs)
	}
}

func TestFlowFileMustBeNFC(t *testing.T) {
	nfd := strings.Replace(safetyFlow, "title: t.title", "title: t.title\nkeywords: [\"đi\u0323nh danh\"]", 1)
	_, errs := Parse("t.yaml", []byte(nfd), nil)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "t.yaml:4") || !strings.Contains(errs[0].Error(), "NFC") {
		t.Errorf("errs = %v, want one naming t.yaml:4 and NFC", errs)
	}
}
