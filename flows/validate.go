package flows

import (
	"fmt"
	"strings"
	"unicode/utf16"
)

// validate fills defaults and checks a parsed flow. Problems are recorded on p.
func (p *parser) validate(f *Flow, texts Texts) {
	f.byID = map[string]*Step{}
	for _, s := range f.Steps {
		p.stepDefaults(f, s)
		if !idPattern.MatchString(s.ID) || s.ID == MenuTarget {
			p.errorf(s.Line, s.ID, "step id must be 1-32 of a-z, 0-9, _ (starting with a letter) and not %q", MenuTarget)
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
	for _, s := range f.Steps {
		p.checkStep(f, s)
	}
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
	if s.Kind == KindEnd && !hasGoto(s, MenuTarget) {
		s.Buttons = append(s.Buttons, Button{Label: "btn.menu", Goto: MenuTarget, Line: s.Line})
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

func (p *parser) checkStep(f *Flow, s *Step) {
	if s.Kind != KindMessage && s.Kind != KindEnd {
		p.errorf(s.Line, s.ID, "unknown kind %q (use %q or %q)", s.Kind, KindMessage, KindEnd)
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
	if s.Kind == KindMessage && len(s.Choices()) == 0 {
		p.errorf(s.Line, s.ID, "no button goes anywhere: add a goto button or make it kind: end")
	}
}

func (p *parser) checkButton(f *Flow, s *Step, i int, b Button) {
	switch {
	case b.Label == "":
		p.errorf(b.Line, s.ID, "button %d has no label", i+1)
	case (b.Goto == "") == (b.URL == ""):
		p.errorf(b.Line, s.ID, "button %d needs exactly one of goto or url", i+1)
	case b.URL != "" && !strings.HasPrefix(b.URL, "https://"):
		p.errorf(b.Line, s.ID, "button %d: url must start with https://", i+1)
	case b.Goto != "" && b.Goto != MenuTarget && f.byID[b.Goto] == nil:
		p.errorf(b.Line, s.ID, "button %d goes to unknown step %q", i+1, b.Goto)
	}
	if n := len(EncodePress(maxToken, i)); n > MaxCallbackDataLen {
		p.errorf(b.Line, s.ID, "button %d: callback data of %d bytes is over Telegram's %d", i+1, n, MaxCallbackDataLen)
	}
}

// checkReachable reports steps that no path from the start reaches.
func (p *parser) checkReachable(f *Flow) {
	seen := map[string]bool{}
	queue := []string{f.Start}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if seen[id] || f.byID[id] == nil {
			continue
		}
		seen[id] = true
		for _, b := range f.byID[id].Choices() {
			queue = append(queue, b.Goto)
		}
	}
	for _, s := range f.Steps {
		if !seen[s.ID] {
			p.errorf(s.Line, s.ID, "unreachable: no button leads here from the start step %q", f.Start)
		}
	}
}

// checkTexts reports keys missing from the base catalog and texts over Telegram's limit.
func (p *parser) checkTexts(f *Flow, texts Texts) {
	check := func(line int, step, key string) {
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
	for _, s := range f.Steps {
		check(s.Line, s.ID, s.Text)
		for _, b := range s.Buttons {
			check(b.Line, s.ID, b.Label)
		}
	}
}

// TextLen counts like Telegram: in UTF-16 code units.
func TextLen(s string) int { return len(utf16.Encode([]rune(s))) }

// String names the flow for logs and errors.
func (f *Flow) String() string { return fmt.Sprintf("%s (v%d, %s)", f.ID, f.Version, f.File) }
