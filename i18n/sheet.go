package i18n

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// A translation sheet is a CSV file a volunteer fills in a spreadsheet: one row per key, with
// the Vietnamese text, the current translation and its status, and where the text appears.
// Export writes one; Import merges it back into the catalog files.

// Sheet columns, in export order. Import finds them by name, so a spreadsheet may reorder them.
const (
	ColLang    = "lang"
	ColKey     = "key"
	ColContext = "context"
	ColSafety  = "safety"
	ColVi      = "vietnamese"
	ColText    = "text"
	ColStatus  = "status"
)

var sheetColumns = []string{ColLang, ColKey, ColContext, ColSafety, ColVi, ColText, ColStatus}

// utf8BOM makes Excel open the CSV as UTF-8 instead of mangling the diacritics.
const utf8BOM = "\uFEFF"

// KeyContext says where a key appears, for translators: "vneid:act_otp", and whether it is on a
// safety-critical step.
type KeyContext struct {
	Where  []string
	Safety bool
}

// Export writes the translation sheet of lang: every key of the base catalog, in file order.
func (c *Catalog) Export(w io.Writer, lang string, ctx map[string]KeyContext) error {
	l, ok := LanguageOf(lang)
	if !ok || !l.Review || c.data[lang] == nil {
		return fmt.Errorf("cannot export %q: only the enabled languages that need review (%s)", lang, strings.Join(c.reviewLangs(), ", "))
	}
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return fmt.Errorf("error writing sheet: %w", err)
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(sheetColumns)
	for _, key := range c.BaseKeys() {
		kc := ctx[key]
		safety := ""
		if kc.Safety {
			safety = "yes"
		}
		text := ""
		if t, ok := c.data[lang].texts[key]; ok {
			text = t
		}
		_ = cw.Write([]string{lang, key, where(kc.Where), safety, c.Text(Base, key), text, statusCell(c.Review(lang, key))})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("error writing sheet: %w", err)
	}
	return nil
}

func (c *Catalog) reviewLangs() []string {
	var out []string
	for _, l := range c.langs {
		if l.Review {
			out = append(out, l.Tag)
		}
	}
	return out
}

func where(places []string) string {
	const show = 3
	if len(places) <= show {
		return strings.Join(places, ", ")
	}
	return fmt.Sprintf("%s (+%d more)", strings.Join(places[:show], ", "), len(places)-show)
}

func statusCell(r Review) string {
	if r.Status == Reviewed || r.Status == Stale {
		return fmt.Sprintf("%s (%s, %s)", r.Status, r.By, r.Date)
	}
	return r.Status.String()
}

// ImportOptions says how imported strings are marked: reviewed by Reviewer on Date, or (Draft)
// as drafts, for translations nobody has checked yet.
type ImportOptions struct {
	Reviewer string
	Date     string // YYYY-MM-DD
	Draft    bool
	Log      *slog.Logger
}

// ImportResult counts what an import changed.
type ImportResult struct {
	Lang      string
	Reviewed  int
	Drafted   int
	Unchanged int
	Files     []string // files written
}

// Import merges a translation sheet into the catalog files in dir. A row is taken when its text
// differs from the catalog, or (with a reviewer) when its status column says "reviewed" or
// "ok". Nothing is written unless every row is valid: known key, unchanged Vietnamese text, valid
// Telegram HTML, the same placeholders as the Vietnamese text. Texts are normalized to NFC.
func Import(dir string, r io.Reader, opt ImportOptions) (ImportResult, error) {
	if err := opt.check(); err != nil {
		return ImportResult{}, err
	}
	rows, err := readSheet(r)
	if err != nil {
		return ImportResult{}, err
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cat, err := LoadDefaultFrom(os.DirFS(dir), ".", WithLogger(log))
	if err != nil {
		return ImportResult{}, fmt.Errorf("error loading catalogs from %s: %w", dir, err)
	}
	im := &importer{cat: cat, opt: opt, files: map[string]*File{}}
	if err := im.apply(rows); err != nil {
		return ImportResult{}, err
	}
	im.res.Files, err = im.write(dir)
	return im.res, err
}

func (o ImportOptions) check() error {
	switch {
	case o.Draft && o.Reviewer != "":
		return fmt.Errorf("give a reviewer or mark as drafts, not both")
	case o.Draft:
		return nil
	case strings.TrimSpace(o.Reviewer) == "":
		return fmt.Errorf("who reviewed these texts? give a reviewer (or import them as drafts)")
	case !dateRE.MatchString(o.Date):
		return fmt.Errorf("the review date %q is not YYYY-MM-DD", o.Date)
	}
	return nil
}

// sheetRow is one row of a sheet, with its line for error messages.
type sheetRow struct {
	line                        int
	lang, key, vi, text, status string
}

func readSheet(r io.Reader) ([]sheetRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	records, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("not a CSV sheet: %w", err)
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("the sheet is empty")
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, utf8BOM)))] = i
	}
	for _, name := range []string{ColLang, ColKey, ColVi, ColText, ColStatus} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("the sheet has no %q column (columns: %s)", name, strings.Join(sheetColumns, ", "))
		}
	}
	cell := func(rec []string, name string) string {
		if i := col[name]; i < len(rec) {
			return cleanCell(rec[i])
		}
		return ""
	}
	var rows []sheetRow
	for i, rec := range records[1:] {
		rows = append(rows, sheetRow{line: i + 2, lang: cell(rec, ColLang), key: cell(rec, ColKey),
			vi: cell(rec, ColVi), text: cell(rec, ColText), status: cell(rec, ColStatus)})
	}
	return rows, nil
}

// cleanCell undoes what spreadsheets do to text: Windows line ends, decomposed accents,
// trailing spaces.
func cleanCell(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return norm.NFC.String(strings.TrimSpace(strings.Join(lines, "\n")))
}

type importer struct {
	cat   *Catalog
	opt   ImportOptions
	files map[string]*File // changed files by group
	lang  string
	res   ImportResult
}

func (im *importer) apply(rows []sheetRow) error {
	var errs []error
	seen := map[string]int{}
	for _, row := range rows {
		if first, dup := seen[row.key]; dup {
			errs = append(errs, fmt.Errorf("line %d (%s): the key is also on line %d", row.line, row.key, first))
			continue
		}
		seen[row.key] = row.line
		if err := im.row(row); err != nil {
			errs = append(errs, fmt.Errorf("line %d (%s): %w", row.line, row.key, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("nothing imported, fix these rows first:\n%w", errors.Join(errs...))
	}
	return nil
}

func (im *importer) row(row sheetRow) error {
	if err := im.setLang(row.lang); err != nil {
		return err
	}
	vi, ok := im.cat.data[Base].texts[row.key]
	if !ok {
		return fmt.Errorf("no such key in the Vietnamese catalog")
	}
	if row.vi != cleanCell(vi) {
		return fmt.Errorf("the Vietnamese text changed since this sheet was exported: export again")
	}
	if row.text == "" {
		im.res.Unchanged++
		return nil
	}
	if err := checkText(row.text, vi); err != nil {
		return err
	}
	current, had := im.cat.data[im.lang].texts[row.key]
	changed := !had || row.text != cleanCell(current)
	approve := isApproval(row.status) && im.cat.Review(im.lang, row.key).Status != Reviewed
	switch {
	case im.opt.Draft && changed:
		im.set(row.key, row.text, KeyStatus{Status: StateDraft})
		im.res.Drafted++
	case !im.opt.Draft && (changed || approve):
		im.set(row.key, row.text, KeyStatus{Status: StateReviewed, By: im.opt.Reviewer, Date: im.opt.Date, Vi: SourceHash(vi)})
		im.res.Reviewed++
	default:
		im.res.Unchanged++
	}
	return nil
}

func (im *importer) setLang(lang string) error {
	tag, ok := canonicalTag(lang)
	if !ok {
		return fmt.Errorf("%q is not a language tag", lang)
	}
	if im.lang == "" {
		l, known := LanguageOf(tag)
		switch {
		case !known || !l.Review:
			return fmt.Errorf("%s: only languages that need review can be imported (%s)", tag, strings.Join(im.cat.reviewLangs(), ", "))
		case im.cat.data[tag] == nil:
			return fmt.Errorf("%s is disabled: %v", tag, im.cat.disabled[tag])
		}
		im.lang, im.res.Lang = tag, tag
	}
	if tag != im.lang {
		return fmt.Errorf("one sheet holds one language: %s, not %s", im.lang, tag)
	}
	return nil
}

func isApproval(status string) bool {
	s := strings.ToLower(status)
	return strings.HasPrefix(s, StateReviewed) || s == "ok" || s == "đã kiểm tra"
}

// set puts a text and its status into the language's file of the key's group.
func (im *importer) set(key, text string, ks KeyStatus) {
	f := im.file(im.cat.Group(key))
	if _, ok := f.Texts[key]; !ok {
		f.Keys = append(f.Keys, key)
	}
	f.Texts[key] = text
	if f.Status == nil {
		f.Status = &StatusBlock{Status: StateDraft}
	}
	if f.Status.Strings == nil {
		f.Status.Strings = map[string]KeyStatus{}
	}
	if ks.Status == f.Status.Status && ks.Status == StateDraft {
		delete(f.Status.Strings, key) // the file's default says it already
	} else {
		f.Status.Strings[key] = ks
	}
}

func (im *importer) file(group string) *File {
	if f := im.files[group]; f != nil {
		return f
	}
	for _, f := range im.cat.data[im.lang].files {
		if f.Group == group {
			im.files[group] = f
			return f
		}
	}
	l, _ := LanguageOf(im.lang)
	f := &File{
		Name: group + "." + im.lang + ".yaml", Group: group, Lang: im.lang,
		Header: []string{"# " + l.English + " (" + im.lang + "), group " + group + ". Status per string in _status; see i18n/README.md."},
		Status: &StatusBlock{Status: StateDraft}, Texts: map[string]string{}, Lines: map[string]int{},
	}
	im.files[group] = f
	return f
}

// write saves the changed files, keys in the order of the Vietnamese catalog.
func (im *importer) write(dir string) ([]string, error) {
	order := map[string]int{}
	for i, key := range im.cat.BaseKeys() {
		order[key] = i
	}
	var written []string
	for _, group := range sortedKeys(im.files) {
		f := im.files[group]
		slices.SortStableFunc(f.Keys, func(a, b string) int { return order[a] - order[b] })
		path := filepath.Join(dir, f.Name)
		if err := writeFileAtomic(path, f.Encode()); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".import-*")
	if err != nil {
		return fmt.Errorf("error writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("error writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("error writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("error writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("error writing %s: %w", path, err)
	}
	return nil
}
