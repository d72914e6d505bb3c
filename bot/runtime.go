package bot

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"hocvuso/bot/session"
	"hocvuso/flows"
	"hocvuso/i18n"
)

// Runtime handles events for all chats.
type Runtime struct {
	engine *flows.Engine
	cat    *i18n.Catalog
	store  *session.Store
	log    *slog.Logger
	now    func() time.Time
	addon  Addon
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

// WithAwayAfter sets how long a pause makes a resident "come back" (default DefaultAwayAfter).
func WithAwayAfter(d time.Duration) Option { return func(r *Runtime) { r.awayAfter = d } }

// New returns a runtime.
func New(engine *flows.Engine, cat *i18n.Catalog, store *session.Store, opts ...Option) *Runtime {
	r := &Runtime{engine: engine, cat: cat, store: store, log: slog.Default(), now: time.Now, awayAfter: DefaultAwayAfter}
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
	if r.addon != nil {
		out, handled, err := r.addon.Before(ctx, r, ev)
		if err != nil {
			return Outcome{}, fmt.Errorf("error handling %s event: %w", ev.Kind, err)
		}
		if handled {
			return out, nil
		}
	}
	if ev.Group {
		return Outcome{}, nil // groups have no session: only the addon acts there
	}
	var out Outcome
	var ch Change
	_, err := r.store.Update(ctx, ev.ChatID, func(s *session.Session) (bool, error) {
		out = Outcome{}
		ch.Before = s.State
		if ev.UpdateID != 0 && s.HasSeen(ev.UpdateID) {
			out.Duplicate = true
			return false, nil
		}
		in := r.input(ev)
		in.Away = r.away(s.At)
		chosen := s.State.Lang
		st, replies, err := r.engine.Handle(ctx, s.State, in)
		if err != nil {
			return false, err
		}
		s.State = st
		ch.After = st
		s.MarkSeen(ev.UpdateID)
		s.At = r.now().Unix()
		out.Lang = r.langOf(st, ev)
		out.LangChanged = st.Lang != chosen
		out.Messages, out.Notice = r.render(out.Lang, replies, ev.Name)
		return true, nil
	})
	if err != nil {
		return Outcome{}, fmt.Errorf("error handling %s event: %w", ev.Kind, err)
	}
	if r.addon != nil && !out.Duplicate {
		ch.Lang = out.Lang
		r.addon.After(ctx, r, ev, ch, &out)
	}
	r.log.DebugContext(ctx, "event handled", "kind", ev.Kind.String(), "messages", len(out.Messages), "duplicate", out.Duplicate)
	return out, nil
}

// Busy is the message sent when an event could not be handled: the resident may try again.
func (r *Runtime) Busy(ev Event) Message {
	return Message{Text: r.cat.Text(r.cat.Match(ev.LangCode), "notice.busy")}
}

// Forget deletes everything stored about a chat (the resident blocked the bot, or asked).
func (r *Runtime) Forget(ctx context.Context, chatID int64) error {
	if r.addon != nil {
		if err := r.addon.Forget(ctx, chatID); err != nil {
			return err
		}
	}
	return r.store.Delete(ctx, chatID)
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
	"start": flows.Start,
	"menu":  flows.Menu,
	"back":  flows.Back,
	"help":  flows.Help,
	"lang":  flows.Lang,
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
