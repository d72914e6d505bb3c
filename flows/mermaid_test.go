package flows_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiagrams keeps flows/diagrams/<flow>.mmd in sync with the flows: a changed flow must be
// committed with its new diagram (hocvuso check -mermaid flows/diagrams, or -update here).
func TestDiagrams(t *testing.T) {
	e, _ := mustRealEngine(t)
	lib := e.Library()
	want := map[string]bool{}
	for _, f := range lib.Flows() {
		file := filepath.Join("diagrams", f.ID+".mmd")
		want[filepath.Base(file)] = true
		got, err := lib.Mermaid(f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(strings.SplitN(got, "\n", 3)[1], "stateDiagram") || !strings.Contains(got, "[*] --> "+f.Start+"\n") {
			t.Errorf("%s: not a Mermaid state diagram starting at %s:\n%s", f.ID, f.Start, got)
		}
		if *update {
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%v (run go run ./cmd/hocvuso check -mermaid flows/diagrams)", err)
			continue
		}
		if string(old) != got {
			t.Errorf("%s is out of date (- committed, + now); run go run ./cmd/hocvuso check -mermaid flows/diagrams:\n%s", file, lineDiff(string(old), got))
		}
	}
	files, _ := filepath.Glob(filepath.Join("diagrams", "*.mmd"))
	for _, file := range files {
		if !want[filepath.Base(file)] {
			t.Errorf("%s belongs to no flow: delete it", file)
		}
	}
}

// Every transition of the engine is an arrow of the diagram.
func TestDiagramHasEveryTransition(t *testing.T) {
	e, _ := mustRealEngine(t)
	lib := e.Library()
	for _, f := range lib.Flows() {
		d, err := lib.Mermaid(f.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range lib.Events(f.ID) {
			arrow := "    " + ev.Src[0] + " --> " + ev.Dst + ": " + ev.Name + "\n"
			if !strings.Contains(d, arrow) {
				t.Errorf("%s: the diagram lacks %q", f.ID, arrow)
			}
		}
	}
}
