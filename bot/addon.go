package bot

import (
	"context"
	"fmt"

	"hocvuso/flows"
)

// Addon extends the runtime with what lives beside the guides: volunteers, sharing, stats and
// the help relay (bot/volunteer). The engine stays pure; the addon sees every event first and
// every state change after.
type Addon interface {
	// Before may handle an event instead of the engine (a volunteer command, a relayed
	// message). handled is false to let the engine have it.
	Before(ctx context.Context, rt *Runtime, ev Event) (out Outcome, handled bool, err error)
	// After sees the state change an event made, once it is saved, and may add to what is
	// sent. It must not fail the event: counting is best effort.
	After(ctx context.Context, rt *Runtime, ev Event, ch Change, out *Outcome)
	// Due returns what is due now without any event (help requests nobody took in time).
	Due(ctx context.Context, rt *Runtime) ([]Delivery, error)
	// Forget deletes what the addon keeps about a chat.
	Forget(ctx context.Context, chatID int64) error
}

// Change is a chat's state before and after an event, and the language it was answered in.
type Change struct {
	Before, After flows.State
	Lang          string
}

// WithAddon adds volunteer features (or any other Addon) to the runtime.
func WithAddon(a Addon) Option { return func(r *Runtime) { r.addon = a } }

type backgroundKey struct{}

// Background marks ctx as work no update waits for (the batched counting), so that what
// measures an update's path (hocvuso bench) can tell it apart.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx was marked by Background.
func IsBackground(ctx context.Context) bool { return ctx.Value(backgroundKey{}) != nil }

// Flush writes what the addon holds back (bot/volunteer batches its counting): serve calls it
// on shutdown, so that a deploy loses no count.
func (r *Runtime) Flush(ctx context.Context) error {
	if f, ok := r.addon.(interface{ Flush(context.Context) error }); ok {
		return f.Flush(ctx)
	}
	return nil
}

// Engine returns the runtime's engine.
func (r *Runtime) Engine() *flows.Engine { return r.engine }

// Due returns the addon's deliveries that are due now; nil without an addon.
func (r *Runtime) Due(ctx context.Context) ([]Delivery, error) {
	if r.addon == nil {
		return nil, nil
	}
	return r.addon.Due(ctx, r)
}

// Current loads a chat and renders where it is (its step, or the menu) without changing it:
// a resident coming back from a volunteer conversation sees the step they left.
func (r *Runtime) Current(ctx context.Context, chatID int64, langCode string) ([]Message, string, error) {
	s, err := r.store.Load(ctx, chatID)
	if err != nil {
		return nil, "", fmt.Errorf("error loading chat to show its step: %w", err)
	}
	lang := r.langOf(s.State, Event{LangCode: langCode})
	msgs, _ := r.render(lang, r.engine.Current(s.State), "")
	return msgs, lang, nil
}

// State loads a chat's state and the language it reads.
func (r *Runtime) State(ctx context.Context, chatID int64, langCode string) (flows.State, string, error) {
	s, err := r.store.Load(ctx, chatID)
	if err != nil {
		return flows.State{}, "", fmt.Errorf("error loading chat state: %w", err)
	}
	return s.State, r.langOf(s.State, Event{LangCode: langCode}), nil
}

// Lang returns the language to answer an event in, from the chat's saved choice or the client.
func (r *Runtime) Lang(ctx context.Context, ev Event) string {
	s, err := r.store.Load(ctx, ev.ChatID)
	if err != nil {
		return r.cat.Match(ev.LangCode)
	}
	return r.langOf(s.State, ev)
}

// Card is a guide card for inline mode: a volunteer picks it in any chat and it arrives as
// Message (text and a Start link).
type Card struct {
	ID          string
	Title       string
	Description string
	Message     Message
}

// Inliner is an Addon that answers inline queries.
type Inliner interface {
	InlineCards(ctx context.Context, rt *Runtime, userID int64, langCode, query string) ([]Card, error)
}

// InlineCards answers an inline query through the addon; nil when it has no cards.
func (r *Runtime) InlineCards(ctx context.Context, userID int64, langCode, query string) ([]Card, error) {
	in, ok := r.addon.(Inliner)
	if !ok {
		return nil, nil
	}
	return in.InlineCards(ctx, r, userID, langCode, query)
}

// Understands reports whether the engine has a meaningful answer to ev at the chat's state
// (see flows.Engine.Understands); an addon holding a chat's text uses it to let guide answers
// through.
func (r *Runtime) Understands(ctx context.Context, ev Event) (bool, error) {
	s, err := r.store.Load(ctx, ev.ChatID)
	if err != nil {
		return false, fmt.Errorf("error loading chat state: %w", err)
	}
	return r.engine.Understands(ctx, s.State, r.input(ev)), nil
}
