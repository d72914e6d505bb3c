package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/text/unicode/norm"

	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

func runCheckArgs(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), append([]string{"check"}, args...), nil, &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestCheckTable: one row per flow and language, every step reachable, nothing missing.
func TestCheckTable(t *testing.T) {
	out, errOut, err := runCheckArgs(t)
	if err != nil {
		t.Fatalf("check: %v\n%s", err, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "flow lang steps reachable longest missing untranslated not NFC" {
		t.Fatalf("header %q", lines[0])
	}
	rows := map[string]bool{}
	for _, l := range lines[1 : len(lines)-1] {
		if l == "" {
			break // the catalogs' coverage table follows
		}
		f := strings.Fields(l)
		if len(f) != 8 {
			t.Fatalf("row %q", l)
		}
		n := make([]int, 6)
		for i := range n {
			if n[i], err = strconv.Atoi(f[i+2]); err != nil {
				t.Fatalf("row %q: %v", l, err)
			}
		}
		steps, reachable, longest, missing, untranslated, notNFC := n[0], n[1], n[2], n[3], n[4], n[5]
		// Drafts of minority languages may keep Vietnamese words on purpose (the phone's button
		// names): "untranslated" is a count for their reviewers, not an error.
		l10n, _ := i18n.LanguageOf(f[1])
		if steps < 5 || reachable != steps || longest < 3 || longest > steps || missing != 0 || (untranslated != 0 && !l10n.Review) || notNFC != 0 {
			t.Errorf("row %q", l)
		}
		rows[f[0]+"/"+f[1]] = true
	}
	for _, flow := range []string{"vneid", "dichvucong", "vietqr", "safety", "info"} {
		for _, lang := range []string{"vi", "en"} {
			if !rows[flow+"/"+lang] {
				t.Errorf("no row for %s in %s:\n%s", flow, lang, out)
			}
		}
	}
	if lines[len(lines)-1] != "ok" {
		t.Errorf("last line %q, want ok", lines[len(lines)-1])
	}
}

// TestCheckFailsOnBrokenFiles runs check on the loader's broken examples: a non-zero exit and
// one line per problem, naming file, line and step.
func TestCheckFailsOnBrokenFiles(t *testing.T) {
	_, errOut, err := runCheckArgs(t, filepath.Join("..", "..", "flows", "testdata", "broken"))
	var ec exitCode
	if !errors.As(err, &ec) || ec != 1 {
		t.Fatalf("err = %v, want exit code 1", err)
	}
	for _, want := range []string{
		`unknown_goto.yaml:11: step "ask": button 2 goes to unknown step "nowhere"`,
		`no_end.yaml:5: no step of kind end`,
		`question_no_right.yaml:7: step "ask": no answer is marked right: true`,
		`checkpoint_no_remedy.yaml:7: step "ask": kind checkpoint needs "no"`,
		`bad_yaml.yaml`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the report lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(errOut, "problem(s) in") {
		t.Errorf("no summary line:\n%s", errOut)
	}
}

// A flow file saved decomposed (NFD) by an editor fails the check (case C14).
func TestCheckFailsOnNFD(t *testing.T) {
	data, err := library.FS.ReadFile("safety.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "safety.yaml"), norm.NFD.Bytes(data), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := runCheckArgs(t, dir)
	if err == nil || !strings.Contains(errOut, "safety.yaml: the file is not in Unicode NFC") {
		t.Fatalf("err = %v, report:\n%s", err, errOut)
	}
	// The same file composed passes.
	if err := os.WriteFile(filepath.Join(dir, "safety.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := runCheckArgs(t, dir); err != nil {
		t.Fatalf("composed copy: %v\n%s", err, errOut)
	}
}

// TestCheckMermaid writes the diagrams and finds them equal to the committed ones.
func TestCheckMermaid(t *testing.T) {
	dir := t.TempDir()
	if _, errOut, err := runCheckArgs(t, "-mermaid", dir); err != nil {
		t.Fatalf("check -mermaid: %v\n%s", err, errOut)
	}
	written, _ := filepath.Glob(filepath.Join(dir, "*.mmd"))
	committed, _ := filepath.Glob(filepath.Join("..", "..", "flows", "diagrams", "*.mmd"))
	if len(written) != 5 || len(written) != len(committed) {
		t.Fatalf("wrote %d diagrams, %d committed", len(written), len(committed))
	}
	for _, w := range written {
		got, _ := os.ReadFile(w)
		want, err := os.ReadFile(filepath.Join("..", "..", "flows", "diagrams", filepath.Base(w)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from flows/diagrams (%v)", filepath.Base(w), err)
		}
		if !bytes.Contains(got, []byte("stateDiagram-v2\n")) {
			t.Errorf("%s is not a Mermaid state diagram", filepath.Base(w))
		}
	}
}

// TestCheckKeys counts, per language, the keys a flow shows that are missing, copied from
// Vietnamese untranslated, or not NFC; -v lists them.
func TestCheckKeys(t *testing.T) {
	common := "menu.text: Menu\nbtn.menu: Menu\nlang.name: Tiếng Việt\n"
	catFS := fstest.MapFS{
		"c.vi.yaml": {Data: []byte(common + "t.title: Thử\nt.a: Bước một\nt.b: Hết\nbtn.next: Tiếp\n")},
		// t.a copied from vi (untranslated), t.b decomposed (not NFC), btn.next missing.
		"c.en.yaml": {Data: []byte("lang.name: English\nt.title: Try\nt.a: Bước một\nt.b: \"Ke\u0301t\"\n")},
	}
	cat, err := i18n.Load(catFS, ".", []string{"vi", "en"})
	if err != nil {
		t.Fatal(err)
	}
	flowFS := fstest.MapFS{"t.yaml": {Data: []byte("id: t\nversion: 1\ntitle: t.title\nstart: a\nsteps:\n" +
		"  - id: a\n    buttons:\n      - label: btn.next\n        goto: b\n  - id: b\n    kind: end\n")}}
	lib, err := flows.LoadDir(flowFS, ".", cat)
	if err != nil {
		t.Fatal(err)
	}
	f := lib.Flow("t")
	vi := checkKeys(f, cat, "vi")
	if len(vi.untranslated) != 0 || len(vi.notNFC) != 0 {
		t.Errorf("vi: %+v", vi)
	}
	en := checkKeys(f, cat, "en")
	if !slices.Contains(en.missing, "btn.next") || !slices.Equal(en.untranslated, []string{"t.a"}) || !slices.Equal(en.notNFC, []string{"t.b"}) {
		t.Errorf("en: %+v", en)
	}
	var out bytes.Buffer
	printTable(&out, lib, cat, true)
	for _, want := range []string{"t en untranslated: t.a", "t en not NFC: t.b", "t en missing: btn.next"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the verbose table lacks %q:\n%s", want, out.String())
		}
	}
	if p := nfcProblems(fstest.MapFS{}, "x", cat); len(p) != 1 || !strings.Contains(p[0], `catalog en: key "t.b"`) {
		t.Errorf("NFC problems %q", p)
	}
	// This small catalog lacks most texts of the bot itself, the scam check's among them.
	p := strings.Join(engineKeyProblems(cat), "\n")
	for _, want := range []string{`key "help.text"`, `key "check.rule.secret"`, `key "rule.6"`} {
		if !strings.Contains(p, want) {
			t.Errorf("engine key problems lack %s:\n%s", want, p)
		}
	}
	if strings.Contains(p, `key "menu.text"`) {
		t.Errorf("menu.text is in the catalog:\n%s", p)
	}
	full, err := i18n.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	if p := engineKeyProblems(full); len(p) != 0 {
		t.Errorf("the real catalogs: %q", p)
	}
}
