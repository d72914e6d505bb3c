package i18n_test

import (
	"testing"
	"testing/fstest"

	"hocvuso/i18n"
)

func mustCatalog(b *testing.B) *i18n.Catalog {
	b.Helper()
	cat, err := i18n.LoadDefault()
	if err != nil {
		b.Fatal(err)
	}
	return cat
}

// BenchmarkRender renders a step's text, as every reply does.
func BenchmarkRender(b *testing.B) {
	cat := mustCatalog(b)
	b.ReportAllocs()
	for b.Loop() {
		if cat.Render("en", "vneid.os", nil) == "" {
			b.Fatal("empty")
		}
	}
}

// BenchmarkRenderParams renders a text with parameters (go-i18n's template path).
func BenchmarkRenderParams(b *testing.B) {
	fsys := fstest.MapFS{
		"l/common.vi.yaml": {Data: []byte("greet: \"Chào <b>{{.Name}}</b>, bạn đã giúp {{.Count}} người với {{.Flow}}.\"\n")},
		"l/common.en.yaml": {Data: []byte("greet: \"Hello <b>{{.Name}}</b>, you helped {{.Count}} people with {{.Flow}}.\"\n")},
	}
	cat, err := i18n.Load(fsys, "l", []string{"vi", "en"})
	if err != nil {
		b.Fatal(err)
	}
	params := map[string]string{"Name": "Nông Thị Hoa", "Count": "3", "Flow": "VNeID"}
	b.ReportAllocs()
	for b.Loop() {
		if cat.Render("vi", "greet", params) == "" {
			b.Fatal("empty")
		}
	}
}

// BenchmarkMatch picks the language of a Telegram language_code.
func BenchmarkMatch(b *testing.B) {
	cat := mustCatalog(b)
	b.ReportAllocs()
	for b.Loop() {
		if cat.Match("vi-VN") != "vi" {
			b.Fatal("not vi")
		}
	}
}
