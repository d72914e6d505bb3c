package i18n

import (
	"bytes"
	"encoding/csv"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyLocales copies the embedded catalogs into a temporary folder that Import may rewrite.
func copyLocales(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	names, _ := fs.Glob(Locales(), "locales/*.yaml")
	for _, name := range names {
		data, _ := fs.ReadFile(Locales(), name)
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func loadDir(t *testing.T, dir string) *Catalog {
	t.Helper()
	cat, err := LoadDefaultFrom(os.DirFS(dir), ".", WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// sheet exports lang and returns the rows, header first.
func sheet(t *testing.T, cat *Catalog, lang string) [][]string {
	t.Helper()
	var buf bytes.Buffer
	ctx := map[string]KeyContext{"vneid.act_otp": {Where: []string{"vneid:act_otp"}, Safety: true}}
	if err := cat.Export(&buf, lang, ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), utf8BOM) {
		t.Error("sheet has no UTF-8 byte order mark (Excel would garble it)")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), utf8BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func writeSheet(t *testing.T, rows [][]string) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func col(rows [][]string, name string) int {
	for i, h := range rows[0] {
		if h == name {
			return i
		}
	}
	return -1
}

func rowOf(t *testing.T, rows [][]string, key string) []string {
	t.Helper()
	k := col(rows, ColKey)
	for _, r := range rows[1:] {
		if r[k] == key {
			return r
		}
	}
	t.Fatalf("no row for %s", key)
	return nil
}

func TestExportEditImportRoundTrip(t *testing.T) {
	const lang = "tyz-Latn-VN"
	dir := copyLocales(t)
	before := loadDir(t, dir)
	rows := sheet(t, before, lang)
	if got, want := len(rows)-1, len(before.BaseKeys()); got != want {
		t.Fatalf("sheet has %d rows, want one per key (%d)", got, want)
	}
	otp := rowOf(t, rows, "vneid.act_otp")
	if otp[col(rows, ColSafety)] != "yes" || otp[col(rows, ColContext)] != "vneid:act_otp" || otp[col(rows, ColStatus)] != "draft" {
		t.Errorf("act_otp row = %v", otp)
	}
	if otp[col(rows, ColVi)] != before.Text("vi", "vneid.act_otp") {
		t.Errorf("Vietnamese column = %q", otp[col(rows, ColVi)])
	}

	// A reviewer fixes one text (typed with decomposed accents, Windows line ends), approves
	// another as it is, and leaves the rest.
	edited := "Mã chắng gõ khẩu VNeID.\r\nBấu đọc hẩư cần lăng."
	nfdEdited := strings.ReplaceAll(edited, "ắ", "a\u0306\u0301")
	rowOf(t, rows, "vneid.act_otp")[col(rows, ColText)] = nfdEdited
	rowOf(t, rows, "btn.next")[col(rows, ColStatus)] = "ok"
	res, err := Import(dir, writeSheet(t, rows), ImportOptions{Reviewer: "Nông Thị Hoa", Date: "2026-05-01"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reviewed != 2 || res.Drafted != 0 || res.Unchanged != len(rows)-3 {
		t.Errorf("result = %+v, want 2 reviewed and the rest unchanged", res)
	}
	if len(res.Files) != 2 {
		t.Errorf("wrote %v, want the common and vneid files", res.Files)
	}

	after := loadDir(t, dir)
	if got, want := after.Text(lang, "vneid.act_otp"), "Mã chắng gõ khẩu VNeID.\nBấu đọc hẩư cần lăng."; got != want {
		t.Errorf("imported text = %q, want %q (NFC, LF)", got, want)
	}
	for _, key := range []string{"vneid.act_otp", "btn.next"} {
		r := after.Review(lang, key)
		if r.Status != Reviewed || r.By != "Nông Thị Hoa" || r.Date != "2026-05-01" {
			t.Errorf("%s: review = %+v", key, r)
		}
	}
	if got := after.Review(lang, "btn.done").Status; got != Draft {
		t.Errorf("untouched key is %v, want draft", got)
	}
	if got, want := after.Message(lang, "vneid.act_otp", nil, true), "Mã chắng gõ khẩu VNeID.\nBấu đọc hẩư cần lăng."; got != want {
		t.Errorf("reviewed safety step = %q, want the reviewed text alone", got)
	}
	for _, p := range after.Problems() {
		t.Errorf("after import: %v", p)
	}

	// The same sheet again changes nothing.
	snapshot := readAll(t, dir)
	rows2 := sheet(t, after, lang)
	res, err = Import(dir, writeSheet(t, rows2), ImportOptions{Reviewer: "Someone Else", Date: "2026-06-01"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reviewed != 0 {
		t.Errorf("re-import reviewed %d strings again", res.Reviewed)
	}
	if got := readAll(t, dir); got != snapshot {
		t.Error("re-importing an unchanged sheet changed the files")
	}
}

func readAll(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		b.WriteString(e.Name() + "\n" + string(data))
	}
	return b.String()
}

// TestCanonicalFormIsStable: the committed minority catalogs are already in the form Import
// writes, so an import only shows the lines it changed in a diff.
func TestCanonicalFormIsStable(t *testing.T) {
	names, _ := fs.Glob(Locales(), "locales/*.yaml")
	for _, name := range names {
		data, _ := fs.ReadFile(Locales(), name)
		f, err := ParseFile(name, data)
		if err != nil {
			t.Fatal(err)
		}
		if f.Status == nil {
			continue // vi and en are hand-written with blank lines and comments
		}
		if got := string(f.Encode()); got != string(data) {
			t.Errorf("%s is not in canonical form; Encode gives:\n%s", name, got)
		}
	}
}

func TestImportDraftsNewKeys(t *testing.T) {
	const lang = "nut-Latn-VN"
	dir := copyLocales(t)
	rows := sheet(t, loadDir(t, dir), lang)
	rowOf(t, rows, "btn.next")[col(rows, ColText)] = "Pây tiếp nè ➡️"
	res, err := Import(dir, writeSheet(t, rows), ImportOptions{Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Drafted != 1 || res.Reviewed != 0 {
		t.Errorf("result = %+v", res)
	}
	cat := loadDir(t, dir)
	if got := cat.Review(lang, "btn.next"); got.Status != Draft || cat.Text(lang, "btn.next") != "Pây tiếp nè ➡️" {
		t.Errorf("btn.next = %q, %+v", cat.Text(lang, "btn.next"), got)
	}
}

func TestImportRefusesBrokenRows(t *testing.T) {
	const lang = "mww-Latn-VN"
	tests := []struct {
		name, key, column, value, want string
	}{
		{"placeholder removed", "lang.first", ColText, "Nyob zoo! Xaiv ib hom lus.", "placeholders"},
		{"placeholder renamed", "lang.first", ColText, "Nyob zoo {{.Npe}}!", "placeholders"},
		{"broken template", "lang.first", ColText, "Nyob zoo {{.Name}!", "placeholder"},
		{"unclosed tag", "vneid.act_open", ColText, "Qhib <b>VNeID", "Telegram HTML"},
		{"unknown tag", "vneid.act_open", ColText, "Qhib <p>VNeID</p>", "Telegram HTML"},
		{"bare ampersand", "btn.next", ColText, "Mus & ntxiv", "Telegram HTML"},
		{"unknown key", "no.such.key", ColKey, "", "no such key"},
		{"Vietnamese changed", "btn.next", ColVi, "Tiếp ➡️", "export again"},
		{"two languages", "btn.next", ColLang, "hnj-Latn-VN", "one sheet holds one language"},
	}
	exported := sheet(t, mustLoadDefault(t), lang) // the embedded catalogs are what copyLocales copies
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := copyLocales(t)
			rows := make([][]string, len(exported))
			for i, r := range exported {
				rows[i] = append([]string(nil), r...)
			}
			if tc.column == ColKey {
				rows = append(rows, []string{lang, tc.key, "", "", "x", "y", "draft"})
			} else {
				rowOf(t, rows, tc.key)[col(rows, tc.column)] = tc.value
			}
			snapshot := readAll(t, dir)
			_, err := Import(dir, writeSheet(t, rows), ImportOptions{Reviewer: "Vaj Ntxhoo", Date: "2026-05-01"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
			if readAll(t, dir) != snapshot {
				t.Error("a refused import changed the files")
			}
		})
	}
}

func TestImportRefusesSourceLanguages(t *testing.T) {
	dir := copyLocales(t)
	sheet := "lang,key,vietnamese,text,status\nvi,btn.next,Tiếp theo ➡️,Tiếp ➡️,ok\n"
	_, err := Import(dir, strings.NewReader(sheet), ImportOptions{Reviewer: "A", Date: "2026-05-01"})
	if err == nil || !strings.Contains(err.Error(), "only languages that need review") {
		t.Fatalf("err = %v", err)
	}
}

func TestImportNeedsReviewerOrDraft(t *testing.T) {
	dir := copyLocales(t)
	for _, opt := range []ImportOptions{{}, {Reviewer: "A", Date: "May 1"}, {Reviewer: "A", Date: "2026-05-01", Draft: true}} {
		if _, err := Import(dir, strings.NewReader("lang,key,vietnamese,text,status\n"), opt); err == nil {
			t.Errorf("Import with %+v accepted", opt)
		}
	}
}
