package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hocvuso/i18n"
)

// TestChatLangFlagAcceptsEveryTag: -lang is a saved choice, so /start goes straight to the
// menu in that language, for every language and for a bare code too.
func TestChatLangFlagAcceptsEveryTag(t *testing.T) {
	cat, err := i18n.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	for _, arg := range append(cat.Languages(), "tyz", "MWW-latn-vn") {
		t.Run(arg, func(t *testing.T) {
			lang, _ := cat.Canonical(arg)
			msgs := chatJSON(t, "/start\n1\n", "-lang", arg)
			if len(msgs) != 2 {
				t.Fatalf("got %d messages, want the menu and the first step: %+v", len(msgs), msgs)
			}
			menu := PlainText(cat.Message(lang, "menu.text", nil, false), false)
			if msgs[0].Text != menu {
				t.Errorf("menu = %q, want %q", msgs[0].Text, menu)
			}
			if got, want := msgs[1].Buttons[0].Label, cat.Label(lang, "vneid.btn.android"); got != want {
				t.Errorf("first button = %q, want %q", got, want)
			}
		})
	}
}

func TestI18nStatusPrintsCoverage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"i18n", "status"}, nil, &out, &errOut); err != nil {
		t.Fatalf("status: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"tyz-Latn-VN", "nut-Latn-VN", "mww-Latn-VN", "ium-Latn-VN", "100%"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestI18nExportImportCommands drives the two commands as a volunteer would: export a sheet,
// fill a row in, import it with a reviewer's name, and see the catalog file change.
func TestI18nExportImportCommands(t *testing.T) {
	dir := t.TempDir()
	names, _ := fs.Glob(i18n.Locales(), "locales/*.yaml")
	for _, name := range names {
		data, _ := fs.ReadFile(i18n.Locales(), name)
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sheetPath := filepath.Join(t.TempDir(), "dao.csv")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"i18n", "export", "-dir", dir, "-lang", "ium", "-o", sheetPath}, nil, &out, &errOut); err != nil {
		t.Fatalf("export: %v\n%s", err, errOut.String())
	}
	data, err := os.ReadFile(sheetPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, r := range rows {
		if r[1] == "vneid.act_otp" {
			found = true
			if r[2] != "vneid:act_otp" || r[3] != "yes" {
				t.Errorf("act_otp context %q, safety %q", r[2], r[3])
			}
		}
		if r[1] == "btn.next" {
			r[5] = "Mingh ziangh ➡️"
		}
	}
	if !found {
		t.Fatal("no vneid.act_otp row")
	}
	var buf bytes.Buffer
	_ = csv.NewWriter(&buf).WriteAll(rows)
	if err := os.WriteFile(sheetPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	args := []string{"i18n", "import", "-dir", dir, "-reviewer", "Triệu Thị Mai", "-date", "2026-05-02", sheetPath}
	if err := run(context.Background(), args, nil, &out, &errOut); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "ium-Latn-VN: 1 reviewed") {
		t.Errorf("import output: %s", out.String())
	}
	common, _ := os.ReadFile(filepath.Join(dir, "common.ium-Latn-VN.yaml"))
	for _, want := range []string{`btn.next: "Mingh ziangh ➡️"`, `btn.next: {status: reviewed, by: "Triệu Thị Mai", date: "2026-05-02", vi: "`} {
		if !strings.Contains(string(common), want) {
			t.Errorf("catalog lacks %s:\n%s", want, common)
		}
	}
}

// Every row of a translation sheet says where its text shows, and the texts about OTPs,
// passwords, money and scams are marked for the reviewer wherever they come from: a guide's
// step, the rules shown below it, a quiz answer's feedback, the scam check, the volunteers.
func TestExportSheetContextAndSafety(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"i18n", "export", "-lang", "tyz-Latn-VN"}, nil, &out, &errOut); err != nil {
		t.Fatalf("export: %v\n%s", err, errOut.String())
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out.String(), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	safety := map[string]bool{}
	for _, r := range rows[1:] {
		if r[col["context"]] == "" {
			t.Errorf("%s has no context", r[col["key"]])
		}
		safety[r[col["key"]]] = r[col["safety"]] != ""
	}
	for key, want := range map[string]bool{
		"vneid.act_otp": true, "rule.1": true, "safety.q_police.right": true, "check.rule.secret": true,
		"volunteer.coc": true, "safety.sensitive": true, "vneid.btn.android": false, "cmd.start": false,
	} {
		if got, ok := safety[key]; !ok || got != want {
			t.Errorf("%s: safety %v (in sheet: %v), want %v", key, got, ok, want)
		}
	}
}
