package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"hocvuso/bot"
	"hocvuso/bot/scamcheck"
	"hocvuso/bot/volunteer"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

const i18nUsage = `hocvuso i18n: tools for translators and reviewers.

Usage:
  hocvuso i18n status                       coverage and review status per language, and problems
  hocvuso i18n export -lang TAG [-o FILE]   write a translation sheet (CSV) for a spreadsheet
  hocvuso i18n import -reviewer NAME FILE   merge a filled sheet back, marking its strings reviewed
  hocvuso i18n import -draft FILE           merge new translations as unreviewed drafts

Flags -dir (catalog folder, default i18n/locales) work with every command.
`

// defaultLocalesDir is where the catalogs live in the source tree.
const defaultLocalesDir = "i18n/locales"

// runI18n dispatches the translator tools.
func runI18n(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, i18nUsage)
		return exitCode(2)
	}
	switch args[0] {
	case "status":
		return runI18nStatus(args[1:], stdout, stderr)
	case "export":
		return runI18nExport(args[1:], stdout, stderr)
	case "import":
		return runI18nImport(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, i18nUsage)
		return nil
	}
	fmt.Fprintf(stderr, "unknown i18n command %q\n\n%s", args[0], i18nUsage)
	return exitCode(2)
}

// loadCatalogs reads the catalogs of dir, or the built-in ones when dir is empty and the source
// tree is not here. Broken languages are reported by the caller, not logged.
func loadCatalogs(dir string) (*i18n.Catalog, error) {
	quiet := i18n.WithLogger(slog.New(slog.DiscardHandler))
	if dir == "" {
		if _, err := os.Stat(defaultLocalesDir); err != nil {
			return i18n.LoadDefault(quiet)
		}
		dir = defaultLocalesDir
	}
	return i18n.LoadDefaultFrom(os.DirFS(dir), ".", quiet)
}

func runI18nStatus(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("i18n status", flag.ContinueOnError)
	fset.SetOutput(stderr)
	dir := fset.String("dir", "", "catalog folder (default "+defaultLocalesDir+", or the built-in catalogs)")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	cat, err := loadCatalogs(*dir)
	if err != nil {
		return err
	}
	if !reportCatalogs(cat, stdout, stderr) {
		return exitCode(1)
	}
	return nil
}

// reportCatalogs prints the coverage table and every catalog problem. It reports whether the
// catalogs are clean.
func reportCatalogs(cat *i18n.Catalog, stdout, stderr io.Writer) bool {
	fmt.Fprintln(stdout)
	_ = i18n.WriteCoverage(stdout, cat.Coverage())
	problems := cat.Problems()
	for _, p := range problems {
		fmt.Fprintln(stderr, p.Error())
	}
	return len(problems) == 0
}

func runI18nExport(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("i18n export", flag.ContinueOnError)
	fset.SetOutput(stderr)
	lang := fset.String("lang", "", "language tag, e.g. tyz-Latn-VN (required)")
	out := fset.String("o", "", "file to write (default: standard output)")
	dir := fset.String("dir", "", "catalog folder (default "+defaultLocalesDir+", or the built-in catalogs)")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	cat, lib, err := contentFrom(*dir)
	if err != nil {
		return err
	}
	tag, ok := cat.Canonical(*lang)
	if !ok {
		return fmt.Errorf("-lang: unknown or disabled language %q (have: %s)", *lang, strings.Join(cat.Languages(), ", "))
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("error creating sheet: %w", err)
		}
		defer f.Close()
		w = f
	}
	if err := cat.Export(w, tag, keyContexts(cat, lib)); err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(stderr, "wrote %s: fill the text column, then: hocvuso i18n import -reviewer \"NAME\" %s\n", *out, *out)
	}
	return nil
}

// contentFrom loads the catalogs of dir and the built-in flows, checked against them.
func contentFrom(dir string) (*i18n.Catalog, *flows.Library, error) {
	cat, err := loadCatalogs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("error loading catalogs: %w", err)
	}
	lib, err := flows.LoadDir(library.FS, ".", cat)
	if err != nil {
		return nil, nil, fmt.Errorf("error loading flows:\n%w", err)
	}
	return cat, lib, nil
}

// keyContexts says where each key appears, so a translator knows what a text is for, and
// whether it is safety-critical (OTP, passwords, money, scams), so a reviewer checks those
// first. Keys the guides do not name get their context from who shows them.
func keyContexts(cat *i18n.Catalog, lib *flows.Library) map[string]i18n.KeyContext {
	ctx := map[string]i18n.KeyContext{}
	add := func(key, where string, safety bool) {
		if key == "" {
			return
		}
		kc := ctx[key]
		if !slices.Contains(kc.Where, where) {
			kc.Where = append(kc.Where, where)
		}
		kc.Safety = kc.Safety || safety
		ctx[key] = kc
	}
	for _, key := range append(append(append([]string{}, flows.EngineKeys...), i18n.RendererKeys...), bot.RuntimeKeys...) {
		add(key, "bot", key == bot.KeySensitive)
	}
	for _, f := range lib.Flows() {
		add(f.Title, f.ID+": menu button", false)
		for _, sec := range f.Sections {
			add(sec.Counter, f.ID+": step counter", false)
		}
		for _, s := range f.Steps {
			where := f.ID + ":" + s.ID
			add(s.Text, where, s.Safety)
			for _, k := range s.Also {
				add(k, where+" (below the text)", s.Safety)
			}
			for _, b := range s.Buttons {
				add(b.Label, where+" button", false)
				add(b.Feedback, where+" answer feedback", s.Safety)
			}
			if s.Kind == flows.KindCheck {
				for _, k := range []string{flows.KeyCheckFound, flows.KeyCheckNone, flows.KeyCheckMedia, flows.KeyReport} {
					add(k, where+" (scam check answer)", true)
				}
			}
		}
	}
	for _, rule := range scamcheck.Rules {
		add(flows.KeyCheckRule(rule), "scam check: a sign it noticed", true)
	}
	for _, key := range cat.Keys(i18n.Base) {
		if _, ok := ctx[key]; ok {
			continue
		}
		for _, p := range keyPrefixes {
			if strings.HasPrefix(key, p.prefix) {
				add(key, p.where, volunteer.IsSafetyText(key))
				break
			}
		}
	}
	return ctx
}

// keyPrefixes name who shows the keys no guide names.
var keyPrefixes = []struct{ prefix, where string }{
	{"volunteer.", "volunteers: registration, sharing, help from a volunteer"},
	{"cmd.", "Telegram's command menu"},
	{"lang.", "language picker"},
	{"forget.", "/forget (delete my data)"},
	{"group.", "a group chat"},
	{"notice.", "bot"},
	{"btn.", "a button"},
	{"", "bot"},
}

func runI18nImport(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("i18n import", flag.ContinueOnError)
	fset.SetOutput(stderr)
	reviewer := fset.String("reviewer", "", "who checked these texts (a native speaker); marks them reviewed")
	date := fset.String("date", time.Now().Format(time.DateOnly), "date of the review, YYYY-MM-DD")
	draft := fset.Bool("draft", false, "import as unreviewed drafts instead")
	dir := fset.String("dir", defaultLocalesDir, "catalog folder to update")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() != 1 {
		return fmt.Errorf("give one sheet to import (hocvuso i18n import -reviewer NAME FILE)")
	}
	f, err := os.Open(fset.Arg(0))
	if err != nil {
		return fmt.Errorf("error opening sheet: %w", err)
	}
	defer f.Close()
	if _, err := os.Stat(*dir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no catalog folder %s (run from the repository root, or give -dir)", *dir)
	}
	res, err := i18n.Import(*dir, f, i18n.ImportOptions{Reviewer: *reviewer, Date: *date, Draft: *draft})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d reviewed, %d drafts, %d unchanged\n", res.Lang, res.Reviewed, res.Drafted, res.Unchanged)
	for _, name := range res.Files {
		fmt.Fprintln(stdout, "wrote", name)
	}
	return nil
}
