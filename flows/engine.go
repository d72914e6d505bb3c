package flows

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/looplab/fsm"
)

// Message keys the engine itself uses. They must exist in the base catalog.
const (
	KeyMenu         = "menu.text"
	KeyMenuHint     = "menu.hint"
	KeyHelp         = "help.text"
	KeyLangPick     = "lang.pick"
	KeyLangFirst    = "lang.first" // the picker on a first /start; may greet by {{.Name}}
	KeyLangChanged  = "lang.changed"
	KeyLangName     = "lang.name"
	KeyStale        = "notice.stale_button"
	KeyFlowUpdated  = "notice.flow_updated"
	KeyUnknownText  = "fallback.text"
	KeyUnknownMedia = "fallback.media"
	KeyEdited       = "fallback.edited"
	KeyBtnMenu      = "btn.menu"
	KeyBtnContinue  = "btn.continue"
	KeyResume       = "resume.offer"      // {{.Guide}}
	KeyResumeStep   = "resume.offer_step" // {{.Guide}} {{.N}} {{.Of}}
	KeyScore        = "quiz.score"        // {{.Right}} {{.Total}}
	KeyCheckFound   = "check.found"
	KeyCheckNone    = "check.none"
	KeyCheckMedia   = "check.media"
	KeyReport       = "report.where" // where to report a scam, with its "last checked" date
)

// EngineKeys lists the keys above and those the loader adds, for catalog checks.
var EngineKeys = []string{KeyMenu, KeyMenuHint, KeyHelp, KeyLangPick, KeyLangFirst, KeyLangChanged, KeyLangName,
	KeyStale, KeyFlowUpdated, KeyUnknownText, KeyUnknownMedia, KeyEdited, KeyBtnMenu,
	KeyBtnContinue, KeyResume, KeyResumeStep, KeyScore, KeyBtnWorked, KeyBtnDidntWork, KeyCounter,
	KeyCheckFound, KeyCheckNone, KeyCheckMedia, KeyReport}

// Engine walks residents through the flows of a library. Handle is pure and deterministic:
// the same state and input always give the same new state and replies.
type Engine struct {
	lib     *Library
	texts   Texts
	checker Checker
}

// EngineOption configures an Engine.
type EngineOption func(*Engine)

// WithChecker sets the message check used by check steps and forwarded messages. Without
// one, such texts are answered like any text the engine does not understand.
func WithChecker(c Checker) EngineOption { return func(e *Engine) { e.checker = c } }

// NewEngine returns an engine over lib. texts gives button labels, so that typed words can be
// matched against them, and the languages offered by the picker.
func NewEngine(lib *Library, texts Texts, opts ...EngineOption) *Engine {
	e := &Engine{lib: lib, texts: texts}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Library returns the engine's flows.
func (e *Engine) Library() *Library { return e.lib }

// Handle computes the new state and the replies for one input.
func (e *Engine) Handle(ctx context.Context, st State, in Input) (State, []Reply, error) {
	// A cancelled context must not reach fsm.Event: looplab/fsm v1.0.3 then stays "in transition".
	if err := ctx.Err(); err != nil {
		return st, nil, fmt.Errorf("error handling input: %w", err)
	}
	st, notices := e.repair(st)
	if len(notices) > 0 && answersStep(st, in) {
		// The press or typed answer was meant for a step that no longer exists: show where the
		// resident is now instead of applying it to a step they have not seen.
		st.Mode = ""
		return st, append(notices, e.current(st)...), nil
	}
	var replies []Reply
	var err error
	switch in.Kind {
	case Start:
		st, replies = e.start(st, in.Arg)
	case Menu:
		st = toMenu(st)
		replies = e.current(st)
	case Back:
		st, replies = e.back(st)
	case Help:
		st.Mode = ""
		replies = append([]Reply{{Key: KeyHelp}}, e.current(st)...)
	case Lang:
		st.Mode = ModeLang
		replies = []Reply{e.langPicker(KeyLangPick)}
	case Press:
		st, replies, err = e.press(ctx, st, in.Arg)
	case Text:
		st, replies, err = e.text(ctx, st, in)
	case Media:
		st, replies = e.media(st, in)
	default:
		return st, nil, fmt.Errorf("error handling input: unknown kind %d", in.Kind)
	}
	return st, append(notices, replies...), err
}

// repair brings a state saved under an older flow version back onto the current flows.
func (e *Engine) repair(st State) (State, []Reply) {
	if st.Flow == "" {
		return st, nil
	}
	f := e.lib.Flow(st.Flow)
	if f == nil {
		return toMenu(st), []Reply{{Key: KeyFlowUpdated}}
	}
	if f.Step(st.Step) == nil {
		st.Step, st.Back, st.Version = f.Start, nil, f.Version
		st.Token++
		return st, []Reply{{Key: KeyFlowUpdated}}
	}
	// Drop back-stack steps the flow no longer has, even when the author forgot to raise the
	// version: /back to a removed step would otherwise have nothing to show.
	st.Version = f.Version
	back := st.Back[:0:0]
	for _, id := range st.Back {
		if f.Step(id) != nil {
			back = append(back, id)
		}
	}
	st.Back = back
	return st, nil
}

// answersStep reports whether in answers the step shown (a choice pressed or typed), as
// opposed to a command or a language choice, which mean the same on any step.
func answersStep(st State, in Input) bool {
	switch in.Kind {
	case Press:
		_, lang := DecodeLang(in.Arg)
		return !lang
	case Text:
		return st.Mode != ModeLang && !in.Forwarded
	}
	return false
}

func toMenu(st State) State {
	st.Flow, st.Version, st.Step, st.Back, st.Mode = "", 0, "", nil, ""
	st.Asked, st.Right = 0, 0
	st.Token++
	return st
}

var payloadRE = regexp.MustCompile(`^([a-z][a-z0-9]{0,15})(?:-([A-Za-z0-9_]{1,47}))?$`)

// ParsePayload splits a deep-link payload "<flow>[-<ref>]". ok is false for anything else.
func ParsePayload(p string) (flow, ref string, ok bool) {
	m := payloadRE.FindStringSubmatch(p)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

func (e *Engine) start(st State, payload string) (State, []Reply) {
	if payload == "" && e.resumable(st) {
		// A resident who types /start in the middle of a guide is usually coming back to it.
		return e.offerResume(st)
	}
	id, ref, ok := ParsePayload(payload)
	f := e.lib.Flow(id)
	if !ok || f == nil {
		// Unknown or broken payloads open the menu: a resident never sees an error for a bad link.
		st = toMenu(st)
	} else {
		if ref != "" {
			st.Ref = ref
		}
		st = e.enter(st, f)
	}
	if st.Lang == "" {
		// No language chosen yet: Telegram cannot tell us Tày, Nùng, H'Mông or Dao, so ask
		// first. The guide (or menu) waits and shows once a language is picked.
		st.Mode = ModeLang
		return st, []Reply{e.langPicker(KeyLangFirst)}
	}
	return st, e.current(st)
}

func (e *Engine) enter(st State, f *Flow) State {
	st.Flow, st.Version, st.Step, st.Back, st.Mode = f.ID, f.Version, f.Start, nil, ""
	st.Asked, st.Right = 0, 0
	st.Token++
	return st
}

func (e *Engine) back(st State) (State, []Reply) {
	st.Mode = ""
	if st.Flow == "" || len(st.Back) == 0 {
		st = toMenu(st)
		return st, e.current(st)
	}
	st.Step = st.Back[len(st.Back)-1]
	st.Back = st.Back[:len(st.Back)-1]
	st.Token++
	return st, e.current(st)
}

func (e *Engine) press(ctx context.Context, st State, data string) (State, []Reply, error) {
	if tag, ok := DecodeLang(data); ok {
		st, replies := e.setLang(st, tag)
		return st, replies, nil
	}
	tok, i, ok := DecodePress(data)
	if !ok || tok != st.Token {
		return st, append([]Reply{{Key: KeyStale, Toast: true}}, e.current(st)...), nil
	}
	if st.Mode == ModeLang {
		st.Mode = ""
	}
	return e.choose(ctx, st, i)
}

// choose applies choice i of what the resident sees now: a guide of the menu, the resume
// offer, or a step button.
func (e *Engine) choose(ctx context.Context, st State, i int) (State, []Reply, error) {
	if i < 0 || i >= len(e.labels(st)) {
		// Only forged callback data gets here (typed numbers are checked against the labels).
		return st, append([]Reply{{Key: KeyUnknownText}}, e.current(st)...), nil
	}
	switch {
	case st.Flow == "":
		st = e.enter(st, e.lib.Flows()[i])
		return st, e.current(st), nil
	case st.Mode == ModeResume && i == 0:
		st.Mode = ""
		st.Token++
		return st, e.current(st), nil
	case st.Mode == ModeResume:
		st = toMenu(st)
		return st, e.current(st), nil
	}
	step := e.lib.Flow(st.Flow).Step(st.Step)
	choices := step.Choices()
	var pre []Reply
	if step.Kind == KindQuestion {
		st, pre = e.answer(st, step, choices[i])
	}
	st, err := e.move(ctx, st, choiceEvent(i, choices[i]))
	if err != nil {
		return st, nil, err
	}
	return st, append(pre, e.current(st)...), nil
}

// answer records the answer to a question in the score and returns its feedback.
func (e *Engine) answer(st State, step *Step, b Button) (State, []Reply) {
	bit := uint32(1) << e.lib.Flow(st.Flow).questions[step.ID]
	st.Asked |= bit
	if b.Right {
		st.Right |= bit
	} else {
		st.Right &^= bit
	}
	return st, []Reply{{Key: b.Feedback, Safety: step.Safety}}
}

// move fires an fsm event of the current step. The FSM is built for this one call from the
// stored state, never cached, so a failed or cancelled transition cannot wedge a chat.
func (e *Engine) move(ctx context.Context, st State, event string) (State, error) {
	machine := fsm.NewFSM(st.Step, e.lib.StepEvents(st.Flow, st.Step), nil)
	err := machine.Event(ctx, event)
	var noTransition fsm.NoTransitionError
	if err != nil && !errors.As(err, &noTransition) {
		return st, fmt.Errorf("error moving %s from step %q by %q: %w", st.Flow, st.Step, event, err)
	}
	to := machine.Current()
	if to == MenuTarget {
		return toMenu(st), nil
	}
	if id, ok := strings.CutPrefix(to, GuidePrefix); ok {
		if f := e.lib.Flow(id); f != nil {
			return e.enter(st, f), nil
		}
		return toMenu(st), nil
	}
	st.Back = append(st.Back, st.Step)
	if len(st.Back) > MaxBackStack {
		st.Back = st.Back[len(st.Back)-MaxBackStack:]
	}
	st.Step = to
	st.Token++
	return st, nil
}

func (e *Engine) text(ctx context.Context, st State, in Input) (State, []Reply, error) {
	text := in.Arg
	if in.Forwarded && e.checker != nil {
		return e.check(ctx, st, in)
	}
	if st.Mode == ModeLang {
		if tag := e.matchLang(text); tag != "" {
			st, replies := e.setLang(st, tag)
			return st, replies, nil
		}
		if _, err := strconv.Atoi(strings.TrimSpace(text)); err == nil {
			// A number answers the picker: one out of range asks again, rather than drop
			// the question (after a first /start it would never be asked again).
			return st, []Reply{{Key: KeyUnknownText}, e.langPicker(KeyLangPick)}, nil
		}
		st.Mode = "" // words go on to the guide: a keyword, a button's label
	}
	if in.Away && st.Mode != ModeResume && e.resumable(st) && !e.awaitsCheck(st) {
		// (A check step asked for exactly this message: it is checked, pause or not.)
		st, replies := e.offerResume(st)
		return st, replies, nil
	}
	if i, ok := e.matchChoice(st, langOf(st, in), text); ok {
		return e.choose(ctx, st, i)
	}
	if e.awaitsCheck(st) && e.checker != nil {
		return e.check(ctx, st, in)
	}
	if st.Flow == "" || st.Mode == ModeResume {
		// The menu, and the resume offer (which includes the menu), answer keywords.
		if f := e.matchKeyword(text); f != nil {
			st = e.enter(st, f)
			return st, e.current(st), nil
		}
		return st, append([]Reply{{Key: KeyMenuHint}}, e.current(st)...), nil
	}
	return st, append([]Reply{{Key: KeyUnknownText}}, e.current(st)...), nil
}

func (e *Engine) media(st State, in Input) (State, []Reply) {
	if in.Away && st.Mode != ModeResume && e.resumable(st) {
		return e.offerResume(st)
	}
	key := KeyUnknownMedia
	switch {
	case in.Arg == "edited":
		key = KeyEdited
	case e.awaitsCheck(st):
		key = KeyCheckMedia
	}
	return st, append([]Reply{{Key: key}}, e.current(st)...)
}

// resumable reports whether the resident is inside a guide, somewhere worth coming back to.
func (e *Engine) resumable(st State) bool {
	if st.Flow == "" || st.Mode == ModeLang {
		return false
	}
	return e.lib.Flow(st.Flow).Step(st.Step).Kind != KindEnd
}

func (e *Engine) offerResume(st State) (State, []Reply) {
	st.Mode = ModeResume
	st.Token++
	return st, e.current(st)
}

func (e *Engine) resumeOffer(st State) Reply {
	f := e.lib.Flow(st.Flow)
	r := Reply{Key: KeyResume, Texts: map[string]string{"Guide": f.Title}}
	if _, n, of, ok := f.Counter(st.Step); ok {
		r.Key = KeyResumeStep
		r.Params = map[string]string{"N": strconv.Itoa(n), "Of": strconv.Itoa(of)}
	}
	r.Buttons = []ReplyButton{
		{Label: KeyBtnContinue, Number: 1, Data: EncodePress(st.Token, 0)},
		{Label: KeyBtnMenu, Number: 2, Data: EncodePress(st.Token, 1)},
	}
	return r
}

// labels returns the message keys of the choices shown now, in order.
func (e *Engine) labels(st State) []string {
	var keys []string
	switch {
	case st.Flow == "":
		for _, f := range e.lib.Flows() {
			keys = append(keys, f.Title)
		}
		return keys
	case st.Mode == ModeResume:
		return []string{KeyBtnContinue, KeyBtnMenu}
	}
	for _, b := range e.lib.Flow(st.Flow).Step(st.Step).Choices() {
		keys = append(keys, b.Label)
	}
	return keys
}

// matchChoice finds the choice a typed text means: its number, or its label's words.
func (e *Engine) matchChoice(st State, lang, text string) (int, bool) {
	keys := e.labels(st)
	if n, err := strconv.Atoi(strings.TrimSpace(text)); err == nil {
		return n - 1, n >= 1 && n <= len(keys)
	}
	typed := Normalize(text)
	if typed == "" {
		return 0, false
	}
	// The chosen language's words first, then the Vietnamese ones: draft labels show both.
	langs := []string{lang, e.texts.Languages()[0]}
	for _, fold := range []func(string) string{Normalize, Fold} {
		want := fold(text)
		for _, l := range langs {
			for i, k := range keys {
				if fold(e.texts.Text(l, k)) == want {
					return i, true
				}
			}
		}
	}
	return 0, false
}

// matchKeyword finds a guide by a keyword typed at the menu: a whole keyword first, then a
// keyword inside a longer text ("định danh điện tử"). Diacritics do not matter.
func (e *Engine) matchKeyword(text string) *Flow {
	typed := Fold(text)
	if typed == "" {
		return nil
	}
	for _, exact := range []bool{true, false} {
		for _, f := range e.lib.Flows() {
			for _, kw := range f.Keywords {
				k := Fold(kw)
				if (exact && k == typed) || (!exact && containsWords(typed, k)) {
					return f
				}
			}
		}
	}
	return nil
}

// langOf is the language the resident reads: the one chosen, else the one the client suggests.
func langOf(st State, in Input) string {
	if st.Lang != "" {
		return st.Lang
	}
	return in.Lang
}

func (e *Engine) matchLang(text string) string {
	langs := e.texts.Languages()
	if n, err := strconv.Atoi(strings.TrimSpace(text)); err == nil && n >= 1 && n <= len(langs) {
		return langs[n-1]
	}
	typed := Fold(text)
	if typed == "" {
		return ""
	}
	for _, tag := range langs {
		if typed == Fold(e.texts.Text(tag, KeyLangName)) || typed == Fold(tag) {
			return tag
		}
	}
	// "dao" for "Iu Mienh (Dao)", "tiếng Tày" for "Tày".
	for _, tag := range langs {
		name := Fold(e.texts.Text(tag, KeyLangName))
		if containsWords(name, typed) || containsWords(typed, name) {
			return tag
		}
	}
	return ""
}

func (e *Engine) setLang(st State, tag string) (State, []Reply) {
	if !contains(e.texts.Languages(), tag) {
		return st, e.current(st)
	}
	st.Lang, st.Mode = tag, ""
	return st, append([]Reply{{Key: KeyLangChanged}}, e.current(st)...)
}

func (e *Engine) langPicker(key string) Reply {
	r := Reply{Key: key}
	for i, tag := range e.texts.Languages() {
		r.Buttons = append(r.Buttons, ReplyButton{Label: KeyLangName, Lang: tag, Number: i + 1, Data: EncodeLang(tag)})
	}
	return r
}

// current renders what the resident should see now: the menu, the resume offer or the step.
func (e *Engine) current(st State) []Reply {
	if st.Flow == "" {
		r := Reply{Key: KeyMenu}
		for i, f := range e.lib.Flows() {
			r.Buttons = append(r.Buttons, ReplyButton{Label: f.Title, Number: i + 1, Data: EncodePress(st.Token, i)})
		}
		return []Reply{r}
	}
	if st.Mode == ModeResume {
		return []Reply{e.resumeOffer(st)}
	}
	return []Reply{e.stepReply(st)}
}

// stepReply renders the current step: counter and score above the text, shared lines below,
// link buttons and numbered choices.
func (e *Engine) stepReply(st State) Reply {
	f := e.lib.Flow(st.Flow)
	s := f.Step(st.Step)
	r := Reply{Key: s.Text, Image: s.Image, Safety: s.Safety}
	if key, n, of, ok := f.Counter(s.ID); ok {
		r.Head = append(r.Head, Part{Key: key, Params: map[string]string{"N": strconv.Itoa(n), "Of": strconv.Itoa(of)}})
	}
	if s.Score {
		r.Head = append(r.Head, e.score(st, f))
	}
	for _, k := range s.Also {
		r.Tail = append(r.Tail, Part{Key: k})
	}
	n := 0
	for _, b := range s.Buttons {
		if b.URL != "" {
			r.Buttons = append(r.Buttons, ReplyButton{Label: b.Label, URL: b.URL})
			continue
		}
		r.Buttons = append(r.Buttons, ReplyButton{Label: b.Label, Number: n + 1, Data: EncodePress(st.Token, n)})
		n++
	}
	return r
}

func (e *Engine) score(st State, f *Flow) Part {
	right := 0
	for v := st.Right; v != 0; v &= v - 1 {
		right++
	}
	return Part{Key: KeyScore, Params: map[string]string{"Right": strconv.Itoa(right), "Total": strconv.Itoa(f.Questions())}}
}

// Current returns what the resident sees at st without changing it: the menu, the resume
// offer or the step (after a notice if the step no longer exists). The runtime uses it to
// show the step again after a volunteer conversation; tests compare rendered messages.
func (e *Engine) Current(st State) []Reply {
	st, notices := e.repair(st)
	return append(notices, e.current(st)...)
}

// Understands reports whether Handle has a meaningful answer to in at st, rather than the
// kind "I did not understand" (a number out of range, free text, a sticker). A resident
// waiting for a volunteer goes on with the guide when typing "2", or pasting the message to
// check; other text waits. It asks Handle itself (pure, and only on that path), so the two
// can never disagree.
func (e *Engine) Understands(ctx context.Context, st State, in Input) bool {
	_, replies, err := e.Handle(ctx, st, in)
	if err != nil || len(replies) == 0 {
		return false
	}
	switch replies[0].Key {
	case KeyUnknownText, KeyUnknownMedia, KeyMenuHint, KeyEdited, KeyCheckMedia:
		return false
	}
	return true
}
