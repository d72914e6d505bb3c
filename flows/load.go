package flows

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/text/unicode/norm"
)

var (
	idPattern     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,11}$`)
	flowIDPattern = regexp.MustCompile(`^[a-z][a-z0-9]{0,15}$`)
)

// LoadError is a problem in one flow file, with the line it was found on.
type LoadError struct {
	File string
	Line int
	Step string
	Msg  string
}

func (e *LoadError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Step != "" {
		return fmt.Sprintf("%s: step %q: %s", loc, e.Step, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Texts is what the loader and the engine need from the catalogs: whether a key exists in the
// base language, and a key's text in a language (with the base language as fallback).
type Texts interface {
	Has(key string) bool
	Text(lang, key string) string
	Languages() []string
}

// LoadDir reads every *.yaml file of dir in fsys, parses and validates them. All problems are
// reported together, each naming its file and line.
func LoadDir(fsys fs.FS, dir string, texts Texts) (*Library, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("error listing flows in %s: %w", dir, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no flow files (*.yaml) in %s", dir)
	}
	var flows []*Flow
	var errs []error
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("error reading %s: %w", name, err))
			continue
		}
		f, ferrs := Parse(name, data, texts)
		errs = append(errs, ferrs...)
		if f != nil {
			flows = append(flows, f)
		}
	}
	errs = append(errs, checkUnique(flows)...)
	errs = append(errs, checkGuides(flows)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return newLibrary(flows), nil
}

func checkUnique(flows []*Flow) []error {
	var errs []error
	seen := map[string]string{}
	for _, f := range flows {
		if other, ok := seen[f.ID]; ok {
			errs = append(errs, &LoadError{File: f.File, Msg: fmt.Sprintf("flow id %q is also used by %s", f.ID, other)})
		}
		seen[f.ID] = f.File
	}
	return errs
}

// checkGuides reports buttons that open a guide no file defines.
func checkGuides(flows []*Flow) []error {
	ids := map[string]bool{}
	for _, f := range flows {
		ids[f.ID] = true
	}
	var errs []error
	for _, f := range flows {
		for _, s := range f.Steps {
			for _, b := range s.Buttons {
				if b.Guide != "" && !ids[b.Guide] {
					errs = append(errs, &LoadError{File: f.File, Line: b.Line, Step: s.ID, Msg: fmt.Sprintf("button opens unknown guide %q", b.Guide)})
				}
			}
		}
	}
	return errs
}

// Parse decodes and validates one flow file. It returns the flow only when there is no error.
func Parse(file string, data []byte, texts Texts) (*Flow, []error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, []error{&LoadError{File: file, Line: yamlErrLine(err), Msg: "not valid YAML: " + cleanYAMLErr(err)}}
	}
	if line := firstNonNFC(data); line > 0 {
		// Keywords and texts in NFD would not match what residents type.
		return nil, []error{&LoadError{File: file, Line: line, Msg: "not in Unicode NFC: normalize the file"}}
	}
	if len(root.Content) == 0 {
		return nil, []error{&LoadError{File: file, Msg: "the file is empty"}}
	}
	p := &parser{file: file}
	f := p.flow(root.Content[0])
	if len(p.errs) == 0 {
		p.validate(f, texts)
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return f, nil
}

// firstNonNFC returns the first line (from 1) that is not in Unicode NFC, or 0.
func firstNonNFC(data []byte) int {
	for i, line := range strings.Split(string(data), "\n") {
		if !norm.NFC.IsNormalString(line) {
			return i + 1
		}
	}
	return 0
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlErrLine(err error) int {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	var n int
	fmt.Sscanf(m[1], "%d", &n)
	return n
}

// cleanYAMLErr drops the "yaml: line N: " prefix: the line is reported on its own.
func cleanYAMLErr(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	return strings.TrimPrefix(yamlLineRE.ReplaceAllString(s, ""), ": ")
}

type parser struct {
	file string
	errs []error
	// lines of the top-level fields, for errors found after parsing
	titleLine, startLine int
}

func (p *parser) errorf(line int, step, format string, args ...any) {
	p.errs = append(p.errs, &LoadError{File: p.file, Line: line, Step: step, Msg: fmt.Sprintf(format, args...)})
}

// fields returns the keys of a mapping node, reporting keys that are not allowed.
func (p *parser) fields(n *yaml.Node, step string, allowed ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, step, "expected a mapping (key: value)")
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !contains(allowed, k.Value) {
			p.errorf(k.Line, step, "unknown field %q (allowed: %s)", k.Value, strings.Join(allowed, ", "))
			continue
		}
		if _, dup := out[k.Value]; dup {
			p.errorf(k.Line, step, "field %q is given twice", k.Value)
		}
		out[k.Value] = v
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) str(n *yaml.Node, step, name string) string {
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		p.errorf(n.Line, step, "%s must be a single value", name)
		return ""
	}
	return strings.TrimSpace(n.Value)
}

func (p *parser) num(n *yaml.Node, step, name string) int {
	if n == nil {
		return 0
	}
	var v int
	if err := n.Decode(&v); err != nil {
		p.errorf(n.Line, step, "%s must be a whole number", name)
	}
	return v
}

func (p *parser) flow(n *yaml.Node) *Flow {
	fs := p.fields(n, "", "id", "version", "order", "title", "keywords", "start", "sections", "steps")
	if fs == nil {
		return nil
	}
	f := &Flow{
		File:    p.file,
		ID:      p.str(fs["id"], "", "id"),
		Version: p.num(fs["version"], "", "version"),
		Order:   p.num(fs["order"], "", "order"),
		Title:   p.str(fs["title"], "", "title"),
		Start:   p.str(fs["start"], "", "start"),
	}
	if t := fs["title"]; t != nil {
		p.titleLine = t.Line
	}
	if st := fs["start"]; st != nil {
		p.startLine = st.Line
	}
	f.Keywords = p.strs(fs["keywords"], "", "keywords")
	p.required(n.Line, map[string]bool{"id": f.ID != "", "version": f.Version > 0, "title": f.Title != "", "start": f.Start != "", "steps": fs["steps"] != nil})
	if f.ID != "" && !flowIDPattern.MatchString(f.ID) {
		p.errorf(fs["id"].Line, "", "flow id %q must be 1-16 lowercase letters or digits, starting with a letter", f.ID)
	}
	for _, sn := range p.list(fs["sections"], "", "sections") {
		if sec := p.section(sn); sec != nil {
			f.Sections = append(f.Sections, sec)
		}
	}
	if fs["steps"] != nil && fs["steps"].Kind != yaml.SequenceNode {
		p.errorf(fs["steps"].Line, "", "steps must be a list")
	}
	for _, sn := range p.list(fs["steps"], "", "steps") {
		if s := p.step(sn); s != nil {
			f.Steps = append(f.Steps, s)
		}
	}
	return f
}

// list returns the items of a sequence node; nil (and an error) for anything else.
func (p *parser) list(n *yaml.Node, step, name string) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, step, "%s must be a list", name)
		return nil
	}
	return n.Content
}

// strs decodes a list of words: [a, b] or one item per line.
func (p *parser) strs(n *yaml.Node, step, name string) []string {
	if n == nil {
		return nil
	}
	var out []string
	if n.Kind != yaml.SequenceNode || n.Decode(&out) != nil {
		p.errorf(n.Line, step, "%s must be a list of words", name)
		return nil
	}
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

func (p *parser) boolean(n *yaml.Node, step, name string) bool {
	if n == nil {
		return false
	}
	var v bool
	if err := n.Decode(&v); err != nil {
		p.errorf(n.Line, step, "%s must be true or false", name)
	}
	return v
}

func (p *parser) section(n *yaml.Node) *Section {
	fs := p.fields(n, "", "counter", "steps")
	if fs == nil {
		return nil
	}
	sec := &Section{Line: n.Line, Counter: p.str(fs["counter"], "", "counter")}
	sec.Steps = p.strs(fs["steps"], "", "section steps")
	if fs["steps"] == nil {
		p.errorf(n.Line, "", "a section needs steps: [step, step, ...]")
	}
	return sec
}

func (p *parser) required(line int, present map[string]bool) {
	var missing []string
	for name, ok := range present {
		if !ok {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, name := range missing {
		p.errorf(line, "", "missing %q", name)
	}
}

var stepFields = []string{"id", "kind", "text", "image", "safety", "also", "score", "next", "yes", "no", "answers", "buttons"}

func (p *parser) step(n *yaml.Node) *Step {
	fs := p.fields(n, peekID(n), stepFields...)
	if fs == nil {
		return nil
	}
	s := &Step{Line: n.Line, ID: p.str(fs["id"], "", "id")}
	s.Safety = p.boolean(fs["safety"], s.ID, "safety")
	s.Kind = p.str(fs["kind"], s.ID, "kind")
	s.Text = p.str(fs["text"], s.ID, "text")
	s.Image = p.str(fs["image"], s.ID, "image")
	s.Also = p.strs(fs["also"], s.ID, "also")
	s.Score = p.boolean(fs["score"], s.ID, "score")
	s.Next = p.str(fs["next"], s.ID, "next")
	s.Yes = p.str(fs["yes"], s.ID, "yes")
	s.No = p.str(fs["no"], s.ID, "no")
	for _, a := range p.list(fs["answers"], s.ID, "answers") {
		s.Buttons = append(s.Buttons, p.answer(a, s.ID))
	}
	for _, b := range p.list(fs["buttons"], s.ID, "buttons") {
		s.Buttons = append(s.Buttons, p.button(b, s.ID))
	}
	p.kindFields(s, fs)
	return s
}

// kindFields reports fields that the step's kind does not use, so a typo does not silently
// change the flow.
func (p *parser) kindFields(s *Step, fs map[string]*yaml.Node) {
	uses := map[string][]string{
		KindQuestion:   {"answers", "next"},
		KindCheckpoint: {"yes", "no"},
		KindCheck:      {"next"},
	}
	for _, field := range []string{"answers", "next", "yes", "no"} {
		if fs[field] != nil && !contains(uses[s.Kind], field) {
			p.errorf(fs[field].Line, s.ID, "%q is only for kind %s", field, kindsUsing(uses, field))
		}
	}
}

func kindsUsing(uses map[string][]string, field string) string {
	var kinds []string
	for k, fields := range uses {
		if contains(fields, field) {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	return strings.Join(kinds, " or ")
}

// peekID returns the id of a step mapping before its fields are checked, so that an error in
// any field can name the step.
func peekID(n *yaml.Node) string {
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "id" && n.Content[i+1].Kind == yaml.ScalarNode {
			return strings.TrimSpace(n.Content[i+1].Value)
		}
	}
	return ""
}

func (p *parser) button(n *yaml.Node, step string) Button {
	fs := p.fields(n, step, "label", "goto", "guide", "url")
	return Button{
		Line:  n.Line,
		Label: p.str(fs["label"], step, "label"),
		Goto:  p.str(fs["goto"], step, "goto"),
		Guide: p.str(fs["guide"], step, "guide"),
		URL:   p.str(fs["url"], step, "url"),
	}
}

// answer reads one answer of a question; where it goes is filled in from the step's next.
func (p *parser) answer(n *yaml.Node, step string) Button {
	fs := p.fields(n, step, "label", "right", "feedback")
	return Button{
		Line:     n.Line,
		Label:    p.str(fs["label"], step, "label"),
		Right:    p.boolean(fs["right"], step, "right"),
		Feedback: p.str(fs["feedback"], step, "feedback"),
		answer:   true,
	}
}
