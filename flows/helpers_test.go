package flows_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"hocvuso/bot/scamcheck"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

// fakeTexts is a Texts for flows written inside a test: vi is the base, other languages fall
// back to it key by key.
type fakeTexts struct {
	langs []string
	texts map[string]map[string]string // lang -> key -> text
}

func (f fakeTexts) Has(key string) bool {
	_, ok := f.texts["vi"][key]
	return ok
}

func (f fakeTexts) Text(lang, key string) string {
	if t, ok := f.texts[lang][key]; ok {
		return t
	}
	return f.texts["vi"][key]
}

func (f fakeTexts) Languages() []string { return f.langs }

// demoFlow is a small guide: a question with two answers and a link, a step with a menu
// button, and an end.
const demoFlow = `id: demo
version: 2
order: 1
title: demo.title
keywords: [demo, thử nghiệm]
start: a
steps:
  - id: a
    buttons:
      - label: demo.btn.yes
        goto: b
      - label: demo.btn.no
        goto: c
      - label: btn.site
        url: https://example.org/help
  - id: b
    buttons:
      - label: btn.next
        goto: c
      - label: btn.menu
        goto: menu
  - id: c
    buttons:
      - label: btn.next
        goto: d
  - id: d
    kind: end
`

// chainLen is the number of steps of chainFlow before its end: more than MaxBackStack.
const chainLen = 12

// chainFlow is a straight line n1 → n2 → … → n12 → done, to walk past the back-stack bound.
func chainFlow() string {
	var b strings.Builder
	b.WriteString("id: chain\nversion: 1\norder: 2\ntitle: chain.title\nkeywords: [chuỗi bước]\nstart: n1\nsteps:\n")
	for i := 1; i <= chainLen; i++ {
		next := fmt.Sprintf("n%d", i+1)
		if i == chainLen {
			next = "done"
		}
		fmt.Fprintf(&b, "  - id: n%d\n    buttons:\n      - label: btn.next\n        goto: %s\n", i, next)
	}
	b.WriteString("  - id: done\n    kind: end\n")
	return b.String()
}

func demoTexts() fakeTexts {
	vi := map[string]string{
		"demo.title":      "Thử nghiệm 🧪",
		"demo.a":          "Bạn đồng ý không?",
		"demo.b":          "Bước B",
		"demo.c":          "Bước C",
		"demo.d":          "Xong",
		"demo.btn.yes":    "Đồng ý ✅",
		"demo.btn.no":     "Không ❌",
		"btn.next":        "Tiếp theo ➡️",
		"btn.menu":        "🏠 Menu chính",
		"btn.site":        "Trang web 🌐",
		"chain.title":     "Chuỗi bước",
		"chain.done":      "Hết chuỗi",
		flows.KeyLangName: "Tiếng Việt",
	}
	for i := 1; i <= chainLen; i++ {
		vi[fmt.Sprintf("chain.n%d", i)] = fmt.Sprintf("Bước %d", i)
	}
	for _, k := range flows.EngineKeys {
		if _, ok := vi[k]; !ok {
			vi[k] = "[" + k + "]"
		}
	}
	en := map[string]string{
		"demo.title":      "Demo 🧪",
		"demo.btn.yes":    "Agree ✅",
		"demo.btn.no":     "No ❌",
		"btn.next":        "Next ➡️",
		flows.KeyLangName: "English",
	}
	return fakeTexts{langs: []string{"vi", "en"}, texts: map[string]map[string]string{"vi": vi, "en": en}}
}

// mustDemoEngine returns an engine over demoFlow and chainFlow with demoTexts.
func mustDemoEngine(tb testing.TB) *flows.Engine {
	tb.Helper()
	texts := demoTexts()
	fsys := fstest.MapFS{
		"demo.yaml":  {Data: []byte(demoFlow)},
		"chain.yaml": {Data: []byte(chainFlow())},
	}
	lib, err := flows.LoadDir(fsys, ".", texts)
	if err != nil {
		tb.Fatalf("error loading the demo flows: %v", err)
	}
	return flows.NewEngine(lib, texts)
}

// mustRealEngine returns an engine over flows/library with the embedded catalogs.
func mustRealEngine(tb testing.TB) (*flows.Engine, *i18n.Catalog) {
	tb.Helper()
	cat, err := i18n.LoadDefault()
	if err != nil {
		tb.Fatalf("error loading catalogs: %v", err)
	}
	lib, err := flows.LoadDir(library.FS, ".", cat)
	if err != nil {
		tb.Fatalf("error loading the flow library: %v", err)
	}
	return flows.NewEngine(lib, cat, flows.WithChecker(scamcheck.Check)), cat
}

// mustHandle runs one input and fails the test on an error.
func mustHandle(tb testing.TB, e *flows.Engine, st flows.State, in flows.Input) (flows.State, []flows.Reply) {
	tb.Helper()
	got, replies, err := e.Handle(context.Background(), st, in)
	if err != nil {
		tb.Fatalf("Handle(%+v, %+v): %v", st, in, err)
	}
	return got, replies
}

// sameState compares states field by field; a nil and an empty back-stack are the same.
func sameState(a, b flows.State) bool {
	return a.Flow == b.Flow && a.Version == b.Version && a.Step == b.Step && slices.Equal(a.Back, b.Back) &&
		a.Lang == b.Lang && a.Ref == b.Ref && a.Token == b.Token && a.Mode == b.Mode
}

func replyKeys(replies []flows.Reply) []string {
	keys := make([]string, 0, len(replies))
	for _, r := range replies {
		keys = append(keys, r.Key)
	}
	return keys
}

// last returns the last reply, the one that carries the buttons of what is shown now.
func last(tb testing.TB, replies []flows.Reply) flows.Reply {
	tb.Helper()
	if len(replies) == 0 {
		tb.Fatal("no replies")
	}
	return replies[len(replies)-1]
}
