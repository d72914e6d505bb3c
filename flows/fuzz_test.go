package flows_test

import (
	"os"
	"path/filepath"
	"testing"

	"hocvuso/flows"
	"hocvuso/i18n"
)

// FuzzParse: the flow loader never panics on any file, and a flow it accepts is consistent:
// every goto names a step (or the menu), and the start is a step.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("library/*.yaml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "id: x", "id: [", "- a\n- b", "id: x\nversion: 1\ntitle: vneid.title\nstart: a\nsteps:\n  - id: a\n    kind: end\n",
		"id: x\nversion: 1\ntitle: vneid.title\nstart: a\nsteps:\n  - id: a\n    buttons:\n      - label: btn.next\n        goto: a\n",
		"id: x\nversion: 1\ntitle: vneid.title\nstart: a\nsteps:\n  - id: a\n    buttons: {}\n", "&a [*a]", "a: &a\n  b: *a\n",
		"id: x\nversion: 99999999999999999999\n", "steps:\n  - 1\n  - [2]\n",
	} {
		f.Add([]byte(s))
	}
	cat, err := i18n.LoadDefault()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, errs := flows.Parse("fuzz.yaml", data, cat)
		if (fl == nil) == (len(errs) == 0) {
			t.Fatalf("Parse gave flow %v and %d errors", fl != nil, len(errs))
		}
		if fl == nil {
			return
		}
		for _, s := range fl.Steps {
			for _, b := range s.Choices() {
				if b.Goto != "" && b.Goto != flows.MenuTarget && fl.Step(b.Goto) == nil {
					t.Fatalf("accepted a goto to unknown step %q", b.Goto)
				}
			}
		}
		if fl.Step(fl.Start) == nil {
			t.Fatalf("accepted start %q that is not a step", fl.Start)
		}
	})
}
