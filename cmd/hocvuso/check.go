package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/text/unicode/norm"

	"hocvuso/bot"
	"hocvuso/bot/scamcheck"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

// runCheck validates flow files (all the load checks, against the built-in catalogs) and
// prints, per flow and language, the steps, the reachable steps, the longest path, and the
// keys that are missing, untranslated or not NFC. It exits non-zero on any error, naming file
// and line. With -mermaid DIR it also writes one Mermaid state diagram per flow into DIR.
func runCheck(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("check", flag.ContinueOnError)
	fset.SetOutput(stderr)
	verbose := fset.Bool("v", false, "list the keys behind each count")
	mermaid := fset.String("mermaid", "", "write one Mermaid state diagram per flow into this directory")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "usage: hocvuso check [-v] [-mermaid DIR] [FLOW_DIR]  (default: the built-in library)")
		fset.PrintDefaults()
	}
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	flowFS, name := fs.FS(library.FS), "flows/library"
	if dir := fset.Arg(0); dir != "" {
		flowFS, name = os.DirFS(dir), dir
	}
	cat, err := i18n.LoadDefault()
	if err != nil {
		fmt.Fprintf(stderr, "error loading catalogs: %v\n", err)
		return exitCode(1)
	}
	var problems []string
	lib, err := flows.LoadDir(flowFS, ".", cat)
	if err != nil {
		problems = append(problems, strings.Split(err.Error(), "\n")...)
	}
	problems = append(problems, nfcProblems(flowFS, name, cat)...)
	problems = append(problems, engineKeyProblems(cat)...)
	if lib != nil {
		printTable(stdout, lib, cat, *verbose)
		if *mermaid != "" {
			if err := writeDiagrams(lib, *mermaid); err != nil {
				problems = append(problems, err.Error())
			}
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "%d problem(s) in %s:\n", len(problems), name)
		for _, p := range problems {
			fmt.Fprintln(stderr, "  "+p)
		}
		return exitCode(1)
	}
	if !reportCatalogs(cat, stdout, stderr) {
		return exitCode(1)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

// keyReport is what one language's catalog lacks for one flow.
type keyReport struct {
	missing, untranslated, notNFC []string
}

// checkKeys looks up every key the flow shows in lang. A key is untranslated when its text is
// the base text word for word although that text has Vietnamese diacritics (so it is not a
// name like "Android 🤖" that every language writes the same).
func checkKeys(f *flows.Flow, cat *i18n.Catalog, lang string) keyReport {
	var r keyReport
	have := map[string]bool{}
	for _, k := range cat.Keys(lang) {
		have[k] = true
	}
	for _, k := range f.AllKeys() {
		if !have[k] {
			r.missing = append(r.missing, k)
			continue
		}
		text := cat.Text(lang, k)
		if !norm.NFC.IsNormalString(text) {
			r.notNFC = append(r.notNFC, k)
		}
		if base := cat.Text(i18n.Base, k); lang != i18n.Base && text == base && flows.Fold(base) != flows.Normalize(base) {
			r.untranslated = append(r.untranslated, k)
		}
	}
	return r
}

func printTable(w io.Writer, lib *flows.Library, cat *i18n.Catalog, verbose bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "flow\tlang\tsteps\treachable\tlongest\tmissing\tuntranslated\tnot NFC")
	var details []string
	for _, f := range lib.Flows() {
		st := f.Stats()
		for _, lang := range cat.Languages() {
			r := checkKeys(f, cat, lang)
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", f.ID, lang, st.Steps, st.Reachable, st.Longest,
				len(r.missing), len(r.untranslated), len(r.notNFC))
			for _, l := range []struct {
				what string
				keys []string
			}{{"missing", r.missing}, {"untranslated", r.untranslated}, {"not NFC", r.notNFC}} {
				if verbose && len(l.keys) > 0 {
					details = append(details, fmt.Sprintf("%s %s %s: %s", f.ID, lang, l.what, strings.Join(l.keys, ", ")))
				}
			}
		}
	}
	tw.Flush()
	for _, d := range details {
		fmt.Fprintln(w, d)
	}
}

// nfcProblems reports flow files and catalog texts that are not NFC: typed words are compared
// in NFC, so a decomposed label or keyword would never match what a resident types.
func nfcProblems(flowFS fs.FS, name string, cat *i18n.Catalog) []string {
	var out []string
	files, _ := fs.Glob(flowFS, "*.yaml")
	for _, file := range files {
		data, err := fs.ReadFile(flowFS, file)
		if err == nil && !norm.NFC.IsNormal(data) {
			out = append(out, fmt.Sprintf("%s: the file is not in Unicode NFC (save it composed)", filepath.Join(name, file)))
		}
	}
	for _, lang := range cat.Languages() {
		for _, k := range cat.Keys(lang) {
			if !norm.NFC.IsNormalString(cat.Text(lang, k)) {
				out = append(out, fmt.Sprintf("catalog %s: key %q is not in Unicode NFC", lang, k))
			}
		}
	}
	return out
}

// engineKeyProblems reports texts the engine and the message check use that the base catalog
// lacks: the bot would show an empty message.
func engineKeyProblems(cat *i18n.Catalog) []string {
	keys := slices.Clone(flows.EngineKeys)
	keys = append(keys, bot.RuntimeKeys...)
	for _, r := range scamcheck.Rules {
		keys = append(keys, flows.KeyCheckRule(r))
	}
	for i := 1; i <= 6; i++ {
		keys = append(keys, fmt.Sprintf("rule.%d", i))
	}
	var out []string
	for _, k := range keys {
		if !cat.Has(k) {
			out = append(out, fmt.Sprintf("catalog %s: key %q, used by the bot itself, is missing", i18n.Base, k))
		}
	}
	return out
}

// writeDiagrams writes <flow>.mmd for every flow into dir.
func writeDiagrams(lib *flows.Library, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("error creating %s: %w", dir, err)
	}
	var errs []error
	for _, f := range lib.Flows() {
		d, err := lib.Mermaid(f.ID)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, f.ID+".mmd"), []byte(d), 0o644)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("error writing the diagram of %s: %w", f.ID, err))
		}
	}
	return errors.Join(errs...)
}
