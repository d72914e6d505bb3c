package i18n

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// StatusKey is the reserved top-level key that carries a catalog's review status. The loader
// strips it before the texts reach go-i18n; go-i18n's own parser also reads such a file (it sees
// a few nested messages under "_status"), so the format stays go-i18n-compatible.
const StatusKey = "_status"

// Review states written in catalog files.
const (
	StateDraft    = "draft"
	StateReviewed = "reviewed"
)

// StatusBlock is a catalog file's _status: the status of every string not listed in Strings,
// and the strings whose status differs.
//
//	_status:
//	  status: draft                 # draft, or reviewed (then by and date are required)
//	  note: "…"                     # optional, for reviewers
//	  strings:
//	    btn.next: {status: reviewed, by: "Nông Thị Hoa", date: "2026-05-01", vi: "1c9e0d2a"}
type StatusBlock struct {
	Status  string
	By      string
	Date    string
	Note    string
	Strings map[string]KeyStatus
}

// KeyStatus is the status of one string. Vi is the hash of the Vietnamese text the string was
// reviewed against (SourceHash): when the Vietnamese text changes, the review is stale.
type KeyStatus struct {
	Status string
	By     string
	Date   string
	Vi     string
}

// File is one catalog file: <group>.<lang>.yaml.
type File struct {
	Name   string // base name
	Group  string
	Lang   string   // canonical tag
	Header []string // comment lines before the first key, kept when the file is rewritten
	Status *StatusBlock
	Keys   []string // in file order
	Texts  map[string]string
	Lines  map[string]int // line of each key
}

// fileName splits "<group>.<lang>.yaml".
func fileName(name string) (group, lang string, ok bool) {
	parts := strings.Split(path.Base(name), ".")
	if len(parts) != 3 || parts[2] != "yaml" || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	lang, ok = canonicalTag(parts[1])
	return parts[0], lang, ok
}

// ParseFile reads a catalog file. Errors name the file and line.
func ParseFile(name string, data []byte) (*File, error) {
	group, lang, ok := fileName(name)
	if !ok {
		return nil, fmt.Errorf("%s: catalog file names are <group>.<lang>.yaml (lang a BCP 47 tag, e.g. tyz-Latn-VN)", name)
	}
	f := &File{Name: path.Base(name), Group: group, Lang: lang, Texts: map[string]string{}, Lines: map[string]int{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %w", name, err)
	}
	f.Header = headerLines(data)
	if len(root.Content) == 0 {
		return f, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: not a flat YAML map of key: text", name, doc.Line)
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if err := f.add(k, v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, k.Line, err)
		}
	}
	if f.Status != nil {
		if err := f.checkStatus(); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, StatusKey, err)
		}
	}
	return f, nil
}

func (f *File) add(k, v *yaml.Node) error {
	if k.Value == StatusKey {
		st, err := parseStatus(v)
		if err != nil {
			return err
		}
		f.Status = st
		return nil
	}
	if _, dup := f.Texts[k.Value]; dup {
		return fmt.Errorf("key %q is defined twice", k.Value)
	}
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return fmt.Errorf("key %q: not a flat YAML map of key: text", k.Value)
	}
	f.Keys = append(f.Keys, k.Value)
	f.Texts[k.Value] = v.Value
	f.Lines[k.Value] = k.Line
	return nil
}

func headerLines(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		out = append(out, strings.TrimRight(line, "\r"))
	}
	return out
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func parseStatus(n *yaml.Node) (*StatusBlock, error) {
	m, err := scalarMap(n, "status", "by", "date", "note", "strings")
	if err != nil {
		return nil, err
	}
	st := &StatusBlock{Status: m["status"], By: m["by"], Date: m["date"], Note: m["note"], Strings: map[string]KeyStatus{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "strings" {
			continue
		}
		sn := n.Content[i+1]
		if sn.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: strings must be a map of key: {status, by, date, vi}", sn.Line)
		}
		for j := 0; j+1 < len(sn.Content); j += 2 {
			km, err := scalarMap(sn.Content[j+1], "status", "by", "date", "vi")
			if err != nil {
				return nil, fmt.Errorf("strings: %s: %w", sn.Content[j].Value, err)
			}
			st.Strings[sn.Content[j].Value] = KeyStatus{Status: km["status"], By: km["by"], Date: km["date"], Vi: km["vi"]}
		}
	}
	return st, nil
}

// scalarMap reads a mapping of scalar values (except the nested "strings"), refusing unknown keys.
func scalarMap(n *yaml.Node, allowed ...string) (map[string]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: expected a map (%s)", n.Line, strings.Join(allowed, ", "))
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !contains(allowed, k.Value) {
			return nil, fmt.Errorf("line %d: unknown field %q (allowed: %s)", k.Line, k.Value, strings.Join(allowed, ", "))
		}
		if k.Value == "strings" {
			continue
		}
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: %s must be a single value", v.Line, k.Value)
		}
		out[k.Value] = v.Value
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (f *File) checkStatus() error {
	st := f.Status
	if err := checkState(st.Status, st.By, st.Date); err != nil {
		return err
	}
	for key, ks := range st.Strings {
		if _, ok := f.Texts[key]; !ok {
			return fmt.Errorf("strings: %q is not a key of this file", key)
		}
		if err := checkState(ks.Status, ks.By, ks.Date); err != nil {
			return fmt.Errorf("strings: %s: %w", key, err)
		}
	}
	return nil
}

func checkState(state, by, date string) error {
	switch state {
	case StateDraft:
		return nil
	case StateReviewed:
		if strings.TrimSpace(by) == "" || !dateRE.MatchString(date) {
			return fmt.Errorf("reviewed needs by (the reviewer) and date (YYYY-MM-DD)")
		}
		return nil
	}
	return fmt.Errorf("status %q is neither %s nor %s", state, StateDraft, StateReviewed)
}

// Encode writes the file in the canonical form: header comments, _status, then one
// `key: "text"` line per key in Keys order.
func (f *File) Encode() []byte {
	var b strings.Builder
	for _, h := range f.Header {
		b.WriteString(h + "\n")
	}
	if st := f.Status; st != nil {
		b.WriteString(StatusKey + ":\n")
		b.WriteString("  status: " + st.Status + "\n")
		writeField(&b, "  ", "by", st.By)
		writeField(&b, "  ", "date", st.Date)
		writeField(&b, "  ", "note", st.Note)
		if len(st.Strings) > 0 {
			b.WriteString("  strings:\n")
			for _, key := range f.Keys {
				if ks, ok := st.Strings[key]; ok {
					b.WriteString("    " + key + ": " + ks.flow() + "\n")
				}
			}
		}
	}
	for _, key := range f.Keys {
		b.WriteString(key + ": " + yamlQuote(f.Texts[key]) + "\n")
	}
	return []byte(b.String())
}

func writeField(b *strings.Builder, indent, name, value string) {
	if value != "" {
		b.WriteString(indent + name + ": " + yamlQuote(value) + "\n")
	}
}

func (ks KeyStatus) flow() string {
	parts := []string{"status: " + ks.Status}
	for _, f := range [][2]string{{"by", ks.By}, {"date", ks.Date}, {"vi", ks.Vi}} {
		if f[1] != "" {
			parts = append(parts, f[0]+": "+yamlQuote(f[1]))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// yamlQuote writes s as a YAML double-quoted scalar, keeping printable UTF-8 as it is.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || r == 0xfeff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
