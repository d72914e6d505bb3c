// Package flows holds the guides as data and the engine that walks a resident through them.
// It is pure: no network, no Redis, no clock. Callers persist the State it returns.
package flows

// Step kinds.
const (
	KindMessage = "message"
	KindEnd     = "end"
)

// MenuTarget is the goto target that opens the main menu.
const MenuTarget = "menu"

// Limits checked when flows load.
const (
	MaxTextLen         = 4096 // Telegram's message length limit, in UTF-16 code units
	MaxCallbackDataLen = 64   // Telegram's callback_data limit, in bytes
	MaxBackStack       = 8    // how far /back can go
	MaxButtons         = 12   // a keyboard a resident can still read on a small phone
)

// Flow is one guide, loaded from flows/library/<id>.yaml.
type Flow struct {
	ID       string
	Version  int
	Order    int
	Title    string // message key of the menu button
	Keywords []string
	Start    string
	Steps    []*Step
	File     string // where it was loaded from, for error messages

	byID map[string]*Step
}

// Step is one message of a guide.
type Step struct {
	ID      string
	Kind    string
	Text    string // message key
	Image   string
	Buttons []Button
	Line    int
	// Safety marks a safety-critical step (OTP, passwords, money, scams): its text shows in
	// Vietnamese first until a native speaker has reviewed the translation.
	Safety bool
}

// Button is either a move to another step (Goto) or a link (URL).
type Button struct {
	Label string // message key
	Goto  string
	URL   string
	Line  int
}

// Step returns the step with the given id, or nil.
func (f *Flow) Step(id string) *Step { return f.byID[id] }

// Choices are the buttons a resident can press or type the number of, in order.
// End steps get a main-menu button when they have none.
func (s *Step) Choices() []Button {
	var out []Button
	for _, b := range s.Buttons {
		if b.Goto != "" {
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
