package bot

import (
	"context"
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
)

// RuntimeKeys lists the keys the runtime itself renders, for catalog checks.
var RuntimeKeys = []string{"notice.busy", KeySensitive, KeyDoubleTap, KeyExpired, KeySorry, KeyButtonFallback,
	KeyForgetConfirm, KeyForgetYes, KeyForgetNo, KeyForgetDone, KeyForgetKept, KeyForgetStale}

// forgetPrefix starts the callback data of the /forget confirmation: "fg:y:<token>" deletes,
// "fg:n:<token>" keeps. The prompt token ties the answer to the question just asked.
const forgetPrefix = "fg:"

// IsForgetPress reports whether callback data answers the /forget question. Those presses do
// not change the session (an addon that ties a step of its own to the session's revision
// must end that step itself).
func IsForgetPress(data string) bool { return strings.HasPrefix(data, forgetPrefix) }

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
		if err := r.forget(ctx, ev.ChatID); err != nil {
			return Outcome{}, err
		}
		out.Where, out.Chosen = "forgotten", true
		out.Messages = []Message{{Text: r.cat.Message(lang, KeyForgetDone, nil, false)}}
		return out, nil
	case answer == "n" && current:
		out.Chosen = true
		out.Messages = []Message{{Text: r.cat.Message(lang, KeyForgetKept, nil, false)}}
	default:
		out.Messages = []Message{{Text: r.cat.Message(lang, KeyForgetStale, nil, false)}}
	}
	return out, nil
}
