package bot

import (
	"context"
	"strconv"
	"strings"

	"hocvuso/bot/session"
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

func (r *Runtime) forgetConfirm(st flows.State) flows.Reply {
	tok := strconv.FormatUint(uint64(st.Token), 36)
	return flows.Reply{Key: KeyForgetConfirm, Buttons: []flows.ReplyButton{
		{Label: KeyForgetYes, Number: 1, Data: forgetPrefix + "y:" + tok},
		{Label: KeyForgetNo, Number: 2, Data: forgetPrefix + "n:" + tok},
	}}
}

// forgetPress answers the /forget confirmation. "Yes" deletes every key of the chat; nothing
// is saved afterwards, so not even the fact that the chat asked is kept. Any other answer is
// saved like every event the runtime applies: its update id is remembered (a re-delivered
// press is answered once) and the session's revision moves on (bot/volunteer relies on that
// to tell that the chat went back to the guides).
func (r *Runtime) forgetPress(ctx context.Context, ev Event) (Outcome, error) {
	answer, tok, _ := strings.Cut(strings.TrimPrefix(ev.Arg, forgetPrefix), ":")
	var out Outcome
	forget := false
	_, err := r.store.Update(ctx, ev.ChatID, func(s *session.Session) (bool, error) {
		now := r.now()
		lang := r.langOf(s.State, ev)
		out = Outcome{Lang: lang, Where: where(s.State)}
		if s.HasSeen(ev.UpdateID, now) {
			out.Duplicate = true
			return false, nil
		}
		current := strconv.FormatUint(uint64(s.State.Token), 36) == tok
		switch {
		case answer == "y" && current:
			forget = true
			out.Where, out.Chosen = "forgotten", true
			out.Messages = []Message{{Text: r.cat.Message(lang, KeyForgetDone, nil, false)}}
			return false, nil
		case answer == "n" && current:
			out.Chosen = true
			out.Messages = []Message{{Text: r.cat.Message(lang, KeyForgetKept, nil, false)}}
		default:
			out.Messages = []Message{{Text: r.cat.Message(lang, KeyForgetStale, nil, false)}}
		}
		s.MarkSeen(ev.UpdateID)
		s.At = now.Unix()
		return true, nil
	})
	if err != nil {
		return Outcome{}, err
	}
	if forget {
		if err := r.forget(ctx, ev.ChatID); err != nil {
			return Outcome{}, err
		}
	}
	return out, nil
}
