// Package flows holds the guides as data and the engine that walks a resident through them.
// It is pure: no network, no Redis, no clock. Callers persist the State it returns.
package flows

import "strconv"

// Step kinds.
const (
	KindMessage    = "message"    // text and buttons
	KindQuestion   = "question"   // a quiz question: answers with right/wrong feedback, scored
	KindCheckpoint = "checkpoint" // "Did it work?": yes goes on, no goes to a remedy
	KindCheck      = "check"      // the next text the resident sends is checked for scam signs
	KindEnd        = "end"        // the guide is complete: the main menu is offered
)

// Reserved goto targets and step ids.
const (
	MenuTarget  = "menu"    // goto target that opens the main menu
	GuidePrefix = "guide_"  // fsm state of a button that opens another guide ("guide_vneid")
	CheckEvent  = "checked" // fsm event of a check step once the message is checked
)

// Limits checked when flows load.
const (
	MaxTextLen         = 4096 // Telegram's message length limit, in UTF-16 code units
	MaxCallbackDataLen = 64   // Telegram's callback_data limit, in bytes
	MaxBackStack       = 6    // how far /back can go (the stack is stored in the session)
	MaxButtons         = 12   // a keyboard a resident can still read on a small phone
	MaxQuestions       = 32   // questions per flow: the score is two 32-bit masks in State
	MaxAnswers         = 4    // answers per question
	MaxStepIDLen       = 12   // step ids are stored in the session (and its back stack)
)

// Flow is one guide, loaded from flows/library/<id>.yaml.
type Flow struct {
	ID       string
	Version  int
	Order    int
	Title    string // message key of the menu button
	Keywords []string
	Start    string
	Sections []*Section
	Steps    []*Step
	File     string // where it was loaded from, for error messages

	byID      map[string]*Step
	questions map[string]int      // question step id -> its bit in State.Asked/Right
	counters  map[string]position // step id -> its place in a section
}

// Section is a numbered part of a guide: each of its steps shows "Step n/N" above its text.
type Section struct {
	Counter string   // message key of the counter, with {{.N}} and {{.Of}}; default step.counter
	Steps   []string // step ids, in order
	Line    int
}

type position struct {
	counter string
	n, of   int
}

// Step is one message of a guide.
type Step struct {
	ID      string
	Kind    string
	Text    string // message key
	Image   string
	Also    []string // message keys shown below the text, in order (shared rules, report numbers)
	Score   bool     // show the quiz score above the text
	Next    string   // question and check steps: where to go after the answer or the check
	Yes, No string   // checkpoint steps: where "It worked" and "It didn't work" go
	Buttons []Button
	Line    int
	// Safety marks a safety-critical step (OTP, passwords, money, scams): its text shows in
	// Vietnamese first until a native speaker has reviewed the translation.
	Safety bool
}

// Button is a move to another step (Goto), into another guide (Guide), or a link (URL).
// Answers of a question are buttons too, with Right and Feedback set.
type Button struct {
	Label    string // message key
	Goto     string
	Guide    string
	URL      string
	Right    bool   // a right answer to a question
	Feedback string // message key shown after this answer
	Line     int

	answer bool // read from a question's answers
}

// target is the fsm state a choice leads to.
func (b Button) target() string {
	if b.Guide != "" {
		return GuidePrefix + b.Guide
	}
	return b.Goto
}

// Step returns the step with the given id, or nil.
func (f *Flow) Step(id string) *Step { return f.byID[id] }

// Questions returns how many questions the flow has.
func (f *Flow) Questions() int { return len(f.questions) }

// Counter returns the counter of a step in a section: its message key, its number and the
// section's length. ok is false for steps outside every section.
func (f *Flow) Counter(step string) (key string, n, of int, ok bool) {
	p, ok := f.counters[step]
	return p.counter, p.n, p.of, ok
}

// Choices are the buttons a resident can press or type the number of, in order.
func (s *Step) Choices() []Button {
	var out []Button
	for _, b := range s.Buttons {
		if b.Goto != "" || b.Guide != "" {
			out = append(out, b)
		}
	}
	return out
}

// Links are the URL buttons of the step.
func (s *Step) Links() []Button {
	var out []Button
	for _, b := range s.Buttons {
		if b.URL != "" {
			out = append(out, b)
		}
	}
	return out
}

// edge is one transition out of a step: an fsm event.
type edge struct {
	event, to string
}

// edges are the step's transitions: one per choice, named by the number a resident types
// and the label's key ("2 btn.didnt_work"), so diagrams read well; and for a check step the
// "checked" event.
func (s *Step) edges() []edge {
	var out []edge
	for i, b := range s.Choices() {
		out = append(out, edge{event: choiceEvent(i, b), to: b.target()})
	}
	if s.Kind == KindCheck && s.Next != "" {
		out = append(out, edge{event: CheckEvent, to: s.Next})
	}
	return out
}

func choiceEvent(i int, b Button) string { return strconv.Itoa(i+1) + " " + b.Label }
