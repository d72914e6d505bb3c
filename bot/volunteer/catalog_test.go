package volunteer

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"hocvuso/i18n"
)

// usedKeys returns every catalog key the package's code names: string literals that start
// with "volunteer.".
func usedKeys(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && strings.HasPrefix(s, "volunteer.") {
					seen[s] = true
				}
			}
			return true
		})
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Every key the code uses exists in Vietnamese and English, and the volunteer catalogs hold
// no key the code does not use.
func TestCatalogsHaveEveryKey(t *testing.T) {
	cat, err := i18n.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	used := usedKeys(t)
	if len(used) < 50 {
		t.Fatalf("found only %d keys in the code: the scan is broken", len(used))
	}
	for _, lang := range []string{"vi", "en"} {
		have := map[string]bool{}
		for _, k := range cat.Keys(lang) {
			have[k] = true
		}
		for _, k := range used {
			if !have[k] {
				t.Errorf("%s catalog lacks %s", lang, k)
			}
		}
		for k := range have {
			if strings.HasPrefix(k, "volunteer.") && !contains(used, k) {
				t.Errorf("%s catalog has %s, which no code uses", lang, k)
			}
		}
	}
}

func contains(list []string, s string) bool {
	i := sort.SearchStrings(list, s)
	return i < len(list) && list[i] == s
}
