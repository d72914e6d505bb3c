package flows

import (
	"fmt"
	"strings"
	"unicode/utf16"
)

// Message keys the loader adds to steps.
const (
	KeyBtnWorked    = "btn.worked"
	KeyBtnDidntWork = "btn.didnt_work"
	KeyCounter      = "step.counter"
)

// validate fills defaults and checks a parsed flow. Problems are recorded on p.
func (p *parser) validate(f *Flow, texts Texts) {
	f.byID = map[string]*Step{}
	for _, s := range f.Steps {
		p.stepDefaults(f, s)
		if !idPattern.MatchString(s.ID) || s.ID == MenuTarget || strings.HasPrefix(s.ID, GuidePrefix) {
			p.errorf(s.Line, s.ID, "step id must be 1-%d of a-z, 0-9, _ (starting with a letter), not %q, and not start with %q",
				MaxStepIDLen, MenuTarget, GuidePrefix)
		}
		if prev, dup := f.byID[s.ID]; dup {
			p.errorf(s.Line, s.ID, "duplicate step id (first at line %d)", prev.Line)
			continue
		}
		f.byID[s.ID] = s
	}
	if f.Start != "" && f.byID[f.Start] == nil {
		p.errorf(p.startLine, "", "start names unknown step %q", f.Start)
	}
	f.questions = map[string]int{}
	for _, s := range f.Steps {
		p.checkStep(f, s)
	}
	p.checkSections(f)
	if len(p.errs) == 0 {
		p.checkReachable(f)
	}
	if texts != nil {
		p.checkTexts(f, texts)
	}
}

func (p *parser) stepDefaults(f *Flow, s *Step) {
	if s.Kind == "" {
		s.Kind = KindMessage
	}
	if s.Text == "" {
		s.Text = f.ID + "." + s.ID
	}
	switch s.Kind {
	case KindQuestion:
		for i := range s.Buttons {
			b := &s.Buttons[i]
			if !b.answer {
				continue
			}
			b.Goto = s.Next
			if b.Feedback == "" && b.Right {
				b.Feedback = s.Text + ".right"
			} else if b.Feedback == "" {
				b.Feedback = s.Text + ".wrong"
			}
		}
	case KindCheckpoint:
		// A missing yes or no is reported by checkKind, once.
		var yn []Button
		if s.Yes != "" {
			yn = append(yn, Button{Label: KeyBtnWorked, Goto: s.Yes, Line: s.Line})
		}
		if s.No != "" {
			yn = append(yn, Button{Label: KeyBtnDidntWork, Goto: s.No, Line: s.Line})
		}
		s.Buttons = append(yn, s.Buttons...)
	case KindEnd:
		if !hasGoto(s, MenuTarget) {
			s.Buttons = append(s.Buttons, Button{Label: KeyBtnMenu, Goto: MenuTarget, Line: s.Line})
		}
	}
}

func hasGoto(s *Step, target string) bool {
	for _, b := range s.Buttons {
		if b.Goto == target {
			return true
		}
	}
	return false
}

var kinds = []string{KindMessage, KindQuestion, KindCheckpoint, KindCheck, KindEnd}

func (p *parser) checkStep(f *Flow, s *Step) {
	if !contains(kinds, s.Kind) {
		p.errorf(s.Line, s.ID, "unknown kind %q (use %s)", s.Kind, strings.Join(kinds, ", "))
	}
	if s.Image != "" && !strings.HasPrefix(s.Image, "https://") {
		p.errorf(s.Line, s.ID, "image must be an https:// address")
	}
	if len(s.Buttons) > MaxButtons {
		p.errorf(s.Line, s.ID, "%d buttons is too many (at most %d)", len(s.Buttons), MaxButtons)
	}
	for i, b := range s.Buttons {
		p.checkButton(f, s, i, b)
	}
	p.checkKind(f, s)
}

// checkKind checks what each kind of step needs.
func (p *parser) checkKind(f *Flow, s *Step) {
	switch s.Kind {
	case KindMessage:
		if len(s.Choices()) == 0 {
			p.errorf(s.Line, s.ID, "no button goes anywhere: add a goto button or make it kind: end")
		}
	case KindQuestion:
		p.checkQuestion(f, s)
	case KindCheckpoint:
		p.checkTarget(f, s, s.Line, "yes", s.Yes)
		p.checkTarget(f, s, s.Line, "no", s.No)
	case KindCheck:
		p.checkTarget(f, s, s.Line, "next", s.Next)
	}
	if s.Score && s.Kind == KindQuestion {
		p.errorf(s.Line, s.ID, "a question cannot show the score: put score: true on a later step")
	}
}

func (p *parser) checkQuestion(f *Flow, s *Step) {
	p.checkTarget(f, s, s.Line, "next", s.Next)
	right, answers := 0, 0
	for _, b := range s.Buttons {
		if !b.answer {
			if b.URL == "" {
				p.errorf(b.Line, s.ID, "a question's buttons can only be links: put answers under answers")
			}
			continue
		}
		answers++
		if b.Right {
			right++
		}
	}
	if answers < 2 || answers > MaxAnswers {
		p.errorf(s.Line, s.ID, "a question needs 2 to %d answers, not %d", MaxAnswers, answers)
	}
	if right == 0 {
		p.errorf(s.Line, s.ID, "no answer is marked right: true")
	}
	if len(f.questions) == MaxQuestions {
		p.errorf(s.Line, s.ID, "more than %d questions in one flow", MaxQuestions)
		return
	}
	f.questions[s.ID] = len(f.questions)
}

func (p *parser) checkTarget(f *Flow, s *Step, line int, name, target string) {
	switch {
	case target == "":
		p.errorf(line, s.ID, "kind %s needs %q: the step to go to", s.Kind, name)
	case target != MenuTarget && f.byID[target] == nil:
		p.errorf(line, s.ID, "%s names unknown step %q", name, target)
	}
}

func (p *parser) checkButton(f *Flow, s *Step, i int, b Button) {
	set := 0
	for _, v := range []string{b.Goto, b.Guide, b.URL} {
		if v != "" {
			set++
		}
	}
	switch {
	case b.Label == "":
		p.errorf(b.Line, s.ID, "button %d has no label", i+1)
	case b.answer && b.Goto == "":
		// an answer of a question whose next is missing: reported by checkQuestion
	case set != 1:
		p.errorf(b.Line, s.ID, "button %d needs exactly one of goto, guide or url", i+1)
	case b.URL != "" && !strings.HasPrefix(b.URL, "https://"):
		p.errorf(b.Line, s.ID, "button %d: url must start with https://", i+1)
	case b.Goto != "" && b.Goto != MenuTarget && f.byID[b.Goto] == nil:
		p.errorf(b.Line, s.ID, "button %d goes to unknown step %q", i+1, b.Goto)
	case b.Guide != "" && !flowIDPattern.MatchString(b.Guide):
		p.errorf(b.Line, s.ID, "button %d: guide %q is not a flow id", i+1, b.Guide)
	}
	if n := len(EncodePress(maxToken, i)); n > MaxCallbackDataLen {
		p.errorf(b.Line, s.ID, "button %d: callback data of %d bytes is over Telegram's %d", i+1, n, MaxCallbackDataLen)
	}
}

// checkSections numbers the steps of each section and reports unknown or repeated steps.
func (p *parser) checkSections(f *Flow) {
	f.counters = map[string]position{}
	for _, sec := range f.Sections {
		if len(sec.Steps) < 2 {
			p.errorf(sec.Line, "", "a section needs at least 2 steps to count")
		}
		key := sec.Counter
		if key == "" {
			key = KeyCounter
		}
		for i, entry := range sec.Steps {
			// "get_android|get_iphone": alternatives that share one number.
			for _, id := range strings.Split(entry, "|") {
				if f.byID[id] == nil {
					p.errorf(sec.Line, "", "section names unknown step %q", id)
					continue
				}
				if _, dup := f.counters[id]; dup {
					p.errorf(sec.Line, id, "step is in two sections (or twice in one)")
				}
				f.counters[id] = position{counter: key, n: i + 1, of: len(sec.Steps)}
			}
		}
	}
}

// checkReachable reports steps that no path from the start reaches, and a flow with no end.
func (p *parser) checkReachable(f *Flow) {
	seen := f.reachable()
	ends := 0
	for _, s := range f.Steps {
		if !seen[s.ID] {
			p.errorf(s.Line, s.ID, "unreachable: no button leads here from the start step %q", f.Start)
		}
		if s.Kind == KindEnd && seen[s.ID] {
			ends++
		}
	}
	if ends == 0 {
		p.errorf(p.startLine, "", "no step of kind end: a resident could never finish this guide")
	}
}

// reachable returns the steps a path from the start reaches.
func (f *Flow) reachable() map[string]bool {
	seen := map[string]bool{}
	queue := []string{f.Start}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if seen[id] || f.byID[id] == nil {
			continue
		}
		seen[id] = true
		for _, e := range f.byID[id].edges() {
			queue = append(queue, e.to)
		}
	}
	return seen
}

// Keys returns every message key the flow uses, once each, in the order of the file.
func (f *Flow) Keys() []string {
	var keys []string
	seen := map[string]bool{}
	add := func(k string) {
		if k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	add(f.Title)
	for _, sec := range f.Sections {
		add(sec.Counter)
	}
	for _, s := range f.Steps {
		add(s.Text)
		for _, k := range s.Also {
			add(k)
		}
		for _, b := range s.Buttons {
			add(b.Label)
			add(b.Feedback)
		}
	}
	return keys
}

// checkTexts reports keys missing from the base catalog and texts over Telegram's limit.
func (p *parser) checkTexts(f *Flow, texts Texts) {
	check := func(line int, step, key string) {
		if key == "" || contains(EngineKeys, key) {
			return // engine keys (and those the loader adds) are checked once, for every catalog
		}
		if !texts.Has(key) {
			p.errorf(line, step, "message key %q is missing from the base (vi) catalog", key)
			return
		}
		for _, lang := range texts.Languages() {
			if n := TextLen(texts.Text(lang, key)); n > MaxTextLen {
				p.errorf(line, step, "text %q in %s is %d characters, over Telegram's %d", key, lang, n, MaxTextLen)
			}
		}
	}
	check(p.titleLine, "", f.Title)
	for _, sec := range f.Sections {
		check(sec.Line, "", sec.Counter)
	}
	for _, s := range f.Steps {
		check(s.Line, s.ID, s.Text)
		for _, k := range s.Also {
			check(s.Line, s.ID, k)
		}
		for _, b := range s.Buttons {
			check(b.Line, s.ID, b.Label)
			check(b.Line, s.ID, b.Feedback)
		}
	}
}

// TextLen counts like Telegram: in UTF-16 code units.
func TextLen(s string) int { return len(utf16.Encode([]rune(s))) }

// String names the flow for logs and errors.
func (f *Flow) String() string { return fmt.Sprintf("%s (v%d, %s)", f.ID, f.Version, f.File) }
