package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"hocvuso/bot/session"
	"hocvuso/flows"
	"hocvuso/i18n"
)

// DefaultTimeout bounds the work on one event, Redis calls included: a resident is told "busy"
// rather than left waiting on an unreachable Redis.
const DefaultTimeout = 8 * time.Second

// DefaultTapWindow is how soon a second press of the same button counts as a double tap.
const DefaultTapWindow = 10 * time.Second

// Runtime handles events for all chats.
type Runtime struct {
	engine    *flows.Engine
	cat       *i18n.Catalog
	store     *session.Store
	log       *slog.Logger
	now       func() time.Time
	timeout   time.Duration
	tapWindow time.Duration
	addon     Addon
	// awayAfter is the pause after which a resident "comes back": a text then offers to
	// continue the guide or open the menu.
	awayAfter time.Duration
}

// DefaultAwayAfter is how long a pause makes a resident "come back" (WithAwayAfter).
const DefaultAwayAfter = 3 * time.Hour

// Option configures a Runtime.
type Option func(*Runtime)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(r *Runtime) { r.log = l } }

// WithClock sets the clock, for tests.
func WithClock(now func() time.Time) Option { return func(r *Runtime) { r.now = now } }

// WithTimeout bounds the handling of one event (default DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(r *Runtime) { r.timeout = d } }

// WithAwayAfter sets how long a pause makes a resident "come back" (default DefaultAwayAfter).
func WithAwayAfter(d time.Duration) Option { return func(r *Runtime) { r.awayAfter = d } }

// New returns a runtime.
func New(engine *flows.Engine, cat *i18n.Catalog, store *session.Store, opts ...Option) *Runtime {
	r := &Runtime{engine: engine, cat: cat, store: store, log: slog.Default(), now: time.Now,
		timeout: DefaultTimeout, tapWindow: DefaultTapWindow, awayAfter: DefaultAwayAfter}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Catalog returns the runtime's catalogs.
func (r *Runtime) Catalog() *i18n.Catalog { return r.cat }

// Store returns the runtime's session store.
func (r *Runtime) Store() *session.Store { return r.store }

// Handle applies one event to its chat's session and returns what to send. An error means the
// event was not applied (for example, Redis is unreachable); the session is unchanged.
func (r *Runtime) Handle(ctx context.Context, ev Event) (Outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	out, err := r.handle(ctx, ev)
	if err != nil {
		return Outcome{}, fmt.Errorf("error handling %s event: %w", ev.Kind, err)
	}
	r.log.DebugContext(ctx, "event handled", "kind", ev.Kind.String(), "where", out.Where,
		"messages", len(out.Messages), "duplicate", out.Duplicate, "double_tap", out.DoubleTap)
	return out, nil
}

func (r *Runtime) handle(ctx context.Context, ev Event) (Outcome, error) {
	if r.addon != nil {
		// The addon goes first: during a conversation with a volunteer it relays texts, and
		// holds back any that carry a number like these (with its own, broader check).
		out, handled, err := r.addon.Before(ctx, r, ev)
		if err != nil || handled {
			return out, err
		}
	}
	switch {
	case ev.Group:
		return Outcome{}, nil // groups have no session: only the addon acts there
	case ev.Kind == EventPress && strings.HasPrefix(ev.Arg, forgetPrefix):
		return r.forgetPress(ctx, ev)
	}
	return r.apply(ctx, ev)
}

// apply runs the event through the session and the engine, saving the result atomically.
func (r *Runtime) apply(ctx context.Context, ev Event) (Outcome, error) {
	var out Outcome
	var ch Change
	_, err := r.store.Update(ctx, ev.ChatID, func(s *session.Session) (bool, error) {
		now := r.now()
		out = Outcome{Lang: r.langOf(s.State, ev)}
		ch = Change{Before: s.State}
		if s.HasSeen(ev.UpdateID, now) {
			out.Duplicate = true
			return false, nil
		}
		chosen := s.State.Lang
		replies, err := r.step(ctx, s, ev, now, &out)
		if err != nil {
			return false, err
		}
		ch.After = s.State
		s.MarkSeen(ev.UpdateID)
		s.At = now.Unix()
		out.Lang = r.langOf(s.State, ev)
		out.LangChanged = s.State.Lang != chosen
		out.Where = where(s.State)
		out.Messages, out.Notice = r.render(out.Lang, replies, ev.Name)
		return true, nil
	})
	if err != nil {
		return Outcome{}, err
	}
	if r.addon != nil && !out.Quiet() {
		ch.Lang = out.Lang
		r.addon.After(ctx, r, ev, ch, &out)
	}
	return out, nil
}

// step changes the session for one event and returns the replies, as keys.
func (r *Runtime) step(ctx context.Context, s *session.Session, ev Event, now time.Time, out *Outcome) ([]flows.Reply, error) {
	if r.isDoubleTap(s, ev, now) {
		out.DoubleTap = true
		return []flows.Reply{{Key: KeyDoubleTap, Toast: true}}, nil
	}
	s.Tap = nil
	if ev.Kind == EventPress {
		s.Tap = &session.Tap{Msg: ev.MsgID, Data: ev.Arg, At: now.UnixMilli()}
	}
	if ev.Kind == EventCommand && ev.Command == "forget" {
		return []flows.Reply{r.forgetConfirm(s.State)}, nil
	}
	notices, stop := r.sensitive(s, ev)
	if stop {
		return notices, nil
	}
	in := r.input(ev)
	in.Away = r.away(s.At)
	if expired(s) && ev.Kind == EventPress && isStepPress(ev.Arg) {
		// A button of a session that has expired (or was never saved): say so, then the menu.
		notices = append(notices, flows.Reply{Key: KeyExpired})
		in = flows.Input{Kind: flows.Menu, Lang: in.Lang}
	}
	if expired(s) {
		// A new session's prompt tokens start from the clock, not from 0, so that a button
		// left from before /forget or an expired session cannot match a new step.
		s.State.Token = seedToken(now)
	}
	st, replies, err := r.engine.Handle(ctx, s.State, in)
	if err != nil {
		return nil, err
	}
	s.State = st
	out.Chosen = ev.Kind == EventPress && len(notices) == 0 && !hasKey(replies, flows.KeyStale)
	return append(notices, replies...), nil
}

// sensitive answers a text holding what looks like an ID, OTP or card number with the safety
// warning. stop is true when the text must go no further: the number is neither passed to
// the engine, nor kept, nor logged. A message the resident wants checked for scam signs
// (forwarded, or sent on a check step) is checked all the same, a code in it being a sign in
// itself: the warning then comes first.
func (r *Runtime) sensitive(s *session.Session, ev Event) (notices []flows.Reply, stop bool) {
	if ev.Kind != EventText && ev.Kind != EventEdited {
		return nil, false
	}
	if _, ok := SensitiveNumber(ev.Arg); !ok {
		return nil, false
	}
	warning := []flows.Reply{{Key: KeySensitive, Safety: true}} // Vietnamese first until reviewed
	if ev.Kind == EventEdited || !r.checksText(s.State, ev) {
		s.Tap = nil
		return warning, true
	}
	return warning, false
}

// checksText reports whether a text is checked for scam signs: forwarded, or sent on a check
// step.
func (r *Runtime) checksText(st flows.State, ev Event) bool {
	if ev.Forwarded {
		return true
	}
	if st.Flow == "" || st.Mode != "" {
		return false
	}
	f := r.engine.Library().Flow(st.Flow)
	return f != nil && f.Step(st.Step) != nil && f.Step(st.Step).Kind == flows.KindCheck
}

// isDoubleTap: the same button of the same message pressed again within the tap window.
func (r *Runtime) isDoubleTap(s *session.Session, ev Event, now time.Time) bool {
	t := s.Tap
	if ev.Kind != EventPress || t == nil || ev.MsgID == 0 {
		return false
	}
	age := now.UnixMilli() - t.At
	return t.Msg == ev.MsgID && t.Data == ev.Arg && age >= 0 && age <= r.tapWindow.Milliseconds()
}

// expired reports a session with nothing in it: never saved, expired, or unreadable.
func expired(s *session.Session) bool {
	st := s.State
	return s.At == 0 && st.Flow == "" && st.Step == "" && st.Token == 0 && st.Lang == ""
}

// seedToken is the first prompt token of a new session: 24 bits of the clock keep callback
// data short while making a collision with an old session's small tokens unlikely.
func seedToken(now time.Time) uint32 { return uint32(now.UnixMilli()>>4) & 0xffffff }

func isStepPress(data string) bool {
	_, _, ok := flows.DecodePress(data)
	return ok
}

func hasKey(replies []flows.Reply, key string) bool {
	for _, rep := range replies {
		if rep.Key == key {
			return true
		}
	}
	return false
}

func where(st flows.State) string {
	if st.Flow == "" {
		return "menu"
	}
	return st.Flow + "." + st.Step
}

// Busy is the message sent when an event could not be handled: the resident may try again.
func (r *Runtime) Busy(ev Event) Message {
	return Message{Text: r.cat.Text(r.cat.Match(ev.LangCode), "notice.busy")}
}

// Sorry is the message sent when handling an event failed unexpectedly (a bug): kind words
// and the way back to the menu.
func (r *Runtime) Sorry(ev Event) Message {
	lang := r.cat.Match(ev.LangCode)
	return Message{Text: r.cat.Text(lang, KeySorry)}
}

// Forget deletes everything stored about a chat (the resident blocked the bot, or asked).
func (r *Runtime) Forget(ctx context.Context, chatID int64) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.forget(ctx, chatID)
}

// forget deletes what the addon keeps about the chat (its registry entry, referral code…),
// then every key of the chat.
func (r *Runtime) forget(ctx context.Context, chatID int64) error {
	if r.addon != nil {
		if err := r.addon.Forget(ctx, chatID); err != nil {
			return err
		}
	}
	return r.store.Forget(ctx, chatID)
}

// Move moves what is stored about a chat to its new id (a group became a supergroup).
func (r *Runtime) Move(ctx context.Context, from, to int64) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.store.Move(ctx, from, to)
}

func (r *Runtime) langOf(st flows.State, ev Event) string {
	if st.Lang != "" && r.cat.Supports(st.Lang) {
		return st.Lang
	}
	return r.cat.Match(ev.LangCode)
}

// away reports whether a session last touched at (Unix seconds) was left long enough ago
// that the resident is "coming back".
func (r *Runtime) away(at int64) bool {
	return at > 0 && r.now().Sub(time.Unix(at, 0)) >= r.awayAfter
}

// commands maps slash commands to engine inputs.
var commands = map[string]flows.InputKind{
	"start":  flows.Start,
	"menu":   flows.Menu,
	"cancel": flows.Menu, // always back to a clean state
	"back":   flows.Back,
	"help":   flows.Help,
	"lang":   flows.Lang,
}

func (r *Runtime) input(ev Event) flows.Input {
	in := flows.Input{Lang: r.cat.Match(ev.LangCode), Arg: ev.Arg}
	switch ev.Kind {
	case EventCommand:
		if kind, ok := commands[ev.Command]; ok {
			in.Kind = kind
			return in
		}
		in.Kind, in.Arg = flows.Text, "/"+ev.Command
	case EventText:
		in.Kind, in.Forwarded = flows.Text, ev.Forwarded
	case EventPress:
		in.Kind = flows.Press
	case EventEdited:
		in.Kind, in.Arg = flows.Media, "edited"
	default:
		in.Kind = flows.Media
	}
	return in
}

// render turns engine replies into messages in lang. A toast reply becomes the notice.
// Unreviewed translations show together with the Vietnamese text (see i18n.Catalog.Message).
// Every text may use {{.Name}} (the resident's first name, escaped when rendered, never stored)
// and {{.Lang}} (the chosen language's own name).
func (r *Runtime) render(lang string, replies []flows.Reply, name string) ([]Message, string) {
	var msgs []Message
	var notice string
	for _, rep := range replies {
		if rep.Toast && notice == "" {
			notice = r.cat.Plain(lang, rep.Key)
			continue
		}
		m := Message{Text: r.text(lang, rep, name), Image: rep.Image}
		for _, b := range rep.Buttons {
			label := r.cat.Label(lang, b.Label)
			if b.Lang != "" {
				// The language picker: each language's own name, as that language writes it.
				label = r.cat.Text(b.Lang, b.Label)
			}
			m.Buttons = append(m.Buttons, Button{Text: label, Number: b.Number, Data: b.Data, URL: b.URL})
		}
		msgs = append(msgs, m)
	}
	return msgs, notice
}

// text composes a reply (head lines, text, tail lines) as a resident reading lang sees it:
// with the Vietnamese text too while any part of it is unreviewed.
func (r *Runtime) text(lang string, rep flows.Reply, name string) string {
	rr := withParams{cat: r.cat, extra: map[string]string{"Name": r.cat.Greeting(lang, name), "Lang": r.cat.Text(lang, flows.KeyLangName)}}
	return r.cat.Bilingual(lang, rep.Keys(), rep.Safety, func(l string) string { return flows.Compose(rr, l, rep) })
}

// withParams renders with parameters every text may use ({{.Name}}, {{.Lang}}) under the
// reply's own.
type withParams struct {
	cat   *i18n.Catalog
	extra map[string]string
}

func (w withParams) Render(lang, key string, params map[string]string) string {
	merged := make(map[string]string, len(w.extra)+len(params))
	for k, v := range w.extra {
		merged[k] = v
	}
	for k, v := range params {
		merged[k] = v
	}
	return w.cat.Render(lang, key, merged)
}

func (k EventKind) String() string {
	switch k {
	case EventCommand:
		return "command"
	case EventText:
		return "text"
	case EventPress:
		return "press"
	case EventMedia:
		return "media"
	case EventEdited:
		return "edited"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}
