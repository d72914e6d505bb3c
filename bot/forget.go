package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"hocvuso/flows"
)

// Message keys of the runtime's own replies (catalog group safety_net).
const (
	KeySensitive      = "safety.sensitive"
	KeyDoubleTap      = "notice.double_tap"
	KeyExpired        = "notice.expired"
	KeySorry          = "notice.sorry"
	KeyButtonFallback = "notice.buttons_as_text"
	KeyForgetConfirm  = "forget.confirm"
	KeyForgetYes      = "forget.btn.yes"
	KeyForgetNo       = "forget.btn.no"
	KeyForgetDone     = "forget.done"
	KeyForgetKept     = "forget.kept"
	KeyForgetStale    = "forget.stale"
	KeyStats          = "stats.text"
)

// RuntimeKeys lists the keys above, for catalog checks.
var RuntimeKeys = []string{KeySensitive, KeyDoubleTap, KeyExpired, KeySorry, KeyButtonFallback,
	KeyForgetConfirm, KeyForgetYes, KeyForgetNo, KeyForgetDone, KeyForgetKept, KeyForgetStale, KeyStats}

// forgetPrefix starts the callback data of the /forget confirmation: "fg:y:<token>" deletes,
// "fg:n:<token>" keeps. The prompt token ties the answer to the question just asked.
const forgetPrefix = "fg:"

func (r *Runtime) forgetConfirm(st flows.State) flows.Reply {
	tok := strconv.FormatUint(uint64(st.Token), 36)
	return flows.Reply{Key: KeyForgetConfirm, Buttons: []flows.ReplyButton{
		{Label: KeyForgetYes, Number: 1, Data: forgetPrefix + "y:" + tok},
		{Label: KeyForgetNo, Number: 2, Data: forgetPrefix + "n:" + tok},
	}}
}

// forgetPress answers the /forget confirmation. "Yes" deletes every key of the chat; nothing
// is saved afterwards, so not even the fact that the chat asked is kept.
func (r *Runtime) forgetPress(ctx context.Context, ev Event) (Outcome, error) {
	answer, tok, _ := strings.Cut(strings.TrimPrefix(ev.Arg, forgetPrefix), ":")
	s, err := r.store.Load(ctx, ev.ChatID)
	if err != nil {
		return Outcome{}, err
	}
	lang := r.langOf(s.State, ev)
	current := strconv.FormatUint(uint64(s.State.Token), 36) == tok
	out := Outcome{Lang: lang, Where: where(s.State)}
	switch {
	case answer == "y" && current:
		if err := r.store.Forget(ctx, ev.ChatID); err != nil {
			return Outcome{}, err
		}
		out.Where, out.Chosen = "forgotten", true
		out.Messages = []Message{{Text: r.cat.Text(lang, KeyForgetDone)}}
		return out, nil
	case answer == "n" && current:
		out.Chosen = true
		out.Messages = []Message{{Text: r.cat.Text(lang, KeyForgetKept)}}
	default:
		out.Messages = []Message{{Text: r.cat.Text(lang, KeyForgetStale)}}
	}
	return out, nil
}

// stats answers an admin's /stats: what this process handled since it started, and how many
// sessions are stored. Counts only: nothing about any resident.
func (r *Runtime) stats(ctx context.Context, ev Event) (Outcome, error) {
	n, err := r.countSessions(ctx)
	if err != nil {
		return Outcome{}, err
	}
	c := &r.counts
	params := map[string]string{
		"Sessions":   strconv.Itoa(n),
		"Uptime":     r.now().Sub(r.started).Round(1e9).String(),
		"Handled":    strconv.FormatInt(c.handled.Load(), 10),
		"Duplicates": strconv.FormatInt(c.duplicates.Load(), 10),
		"DoubleTaps": strconv.FormatInt(c.doubleTaps.Load(), 10),
		"Sensitive":  strconv.FormatInt(c.sensitive.Load(), 10),
		"Failed":     strconv.FormatInt(c.failed.Load(), 10),
	}
	lang := r.cat.Match(ev.LangCode)
	return Outcome{Lang: lang, Where: "stats", Messages: []Message{{Text: r.cat.Render(lang, KeyStats, params)}}}, nil
}

// maxCounted bounds the session count: past it /stats says "at least".
const maxCounted = 1_000_000

func (r *Runtime) countSessions(ctx context.Context) (int, error) {
	iter := r.store.Client().Scan(ctx, 0, r.store.Prefix()+":s:*", 1000).Iterator()
	n := 0
	for n < maxCounted && iter.Next(ctx) {
		n++
	}
	if err := iter.Err(); err != nil {
		return 0, fmt.Errorf("error counting sessions: %w", err)
	}
	return n, nil
}
