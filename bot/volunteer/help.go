package volunteer

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
)

var (
	//go:embed lua/take.lua
	takeSource string
	//go:embed lua/move.lua
	moveSource string
	//go:embed lua/delifeq.lua
	delIfEqSource string

	takeScript    = redis.NewScript(takeSource)
	moveScript    = redis.NewScript(moveSource)
	delIfEqScript = redis.NewScript(delIfEqSource)
)

// Request states.
const (
	statePending = "pending" // posted to the volunteers' group, nobody took it yet
	stateActive  = "active"  // a volunteer took it: messages are relayed
	stateClosed  = "closed"  // ended by either side, or cancelled
	stateExpired = "expired" // nobody took it in time
)

// request is a help request as stored: only what the volunteer needs to help, and the
// resident's chat id, which no message ever shows.
type request struct {
	ID      string
	Res     int64
	Flow    string
	Step    string
	Lang    string
	Commune string
	State   string
	Vol     int64
	VolName string
	Card    int64 // message id of the help card in the volunteers' group
}

func (s *Service) loadRequest(ctx context.Context, rid string) (request, error) {
	m, err := s.rdb.HGetAll(ctx, s.k.help(rid)).Result()
	if err != nil {
		return request{}, fmt.Errorf("error loading help request: %w", err)
	}
	if len(m) == 0 {
		return request{}, errNoRequest
	}
	r := request{ID: rid, Flow: m["flow"], Step: m["step"], Lang: m["lang"], Commune: m["commune"], State: m["state"], VolName: m["vname"]}
	r.Res, _ = strconv.ParseInt(m["res"], 10, 64)
	r.Vol, _ = strconv.ParseInt(m["vol"], 10, 64)
	r.Card, _ = strconv.ParseInt(m["card"], 10, 64)
	return r, nil
}

var errNoRequest = errors.New("no such help request")

// newID draws a request id: random, so callback data says nothing about the resident.
func (s *Service) newID() (string, error) { return NewRef(s.rand) }

// ask opens a help request for the resident's current step and posts its card to the group.
func (s *Service) ask(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
	if s.cfg.HelpChatID == 0 {
		return s.backToGuide(ctx, rt, ev, lang, "volunteer.help.unavailable")
	}
	if rid, err := s.rdb.Get(ctx, s.k.resHelp(ev.ChatID)).Result(); err == nil {
		if r, err := s.loadRequest(ctx, rid); err == nil && (r.State == statePending || r.State == stateActive) {
			return s.alreadyAsked(rt, lang, r), nil
		}
	}
	st, _, err := rt.State(ctx, ev.ChatID, ev.LangCode)
	if err != nil {
		return bot.Outcome{}, err
	}
	r := request{Res: ev.ChatID, Flow: st.Flow, Step: st.Step, Lang: lang, State: statePending}
	r.Commune = s.communeOf(ctx, ev.ChatID, st.Flow)
	if r.ID, err = s.newID(); err != nil {
		return bot.Outcome{}, err
	}
	if err := s.saveRequest(ctx, r); err != nil {
		return bot.Outcome{}, err
	}
	s.log.InfoContext(ctx, "help requested", "flow", r.Flow, "step", r.Step, "lang", r.Lang)
	return bot.Outcome{
		Messages: []bot.Message{{
			Text:    text(rt, lang, "volunteer.help.searching", map[string]string{"Minutes": strconv.Itoa(int(s.cfg.HelpTimeout.Minutes()))}),
			Buttons: buttons(btn(rt, lang, "volunteer.help.btn.cancel", dataCancel+r.ID)),
		}},
		Sends: []bot.Delivery{{ChatID: s.cfg.HelpChatID, Message: s.helpCard(rt, r),
			Wanted: s.cardWanted(r.ID), OnSent: s.cardSent(rt, r.ID)}},
	}, nil
}

func (s *Service) saveRequest(ctx context.Context, r request) error {
	deadline := s.now().Add(s.cfg.HelpTimeout)
	ttl := s.cfg.HelpTimeout + s.cfg.RelayIdle
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.k.help(r.ID), "res", r.Res, "flow", r.Flow, "step", r.Step, "lang", r.Lang, "commune", r.Commune, "state", r.State)
		p.PExpire(ctx, s.k.help(r.ID), ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("error saving help request: %w", err)
	}
	if err := s.rdb.Set(ctx, s.k.resHelp(r.Res), r.ID, ttl).Err(); err != nil {
		return fmt.Errorf("error saving help request pointer: %w", err)
	}
	if err := s.rdb.ZAdd(ctx, s.k.due(), redis.Z{Score: float64(deadline.UnixMilli()), Member: r.ID}).Err(); err != nil {
		return fmt.Errorf("error queueing help request: %w", err)
	}
	return nil
}

// cardWanted: a card waits for the group's sending slot (about 20 messages a minute); a
// request cancelled or expired meanwhile needs no card.
func (s *Service) cardWanted(rid string) func(context.Context) bool {
	return func(ctx context.Context) bool {
		state, err := s.rdb.HGet(ctx, s.k.help(rid), "state").Result()
		return err != nil || state == statePending // when unsure, post it
	}
}

// cardSent remembers the card's message id so it can show later who took it, or that it
// expired. A request that ended while the card was on its way gets its card edited now:
// the cancel or the expiry found no card to edit.
func (s *Service) cardSent(rt *bot.Runtime, rid string) func(context.Context, int64) []bot.Delivery {
	return func(ctx context.Context, msgID int64) []bot.Delivery {
		// HSET only if the request still exists: a card sent late must not revive it.
		if n, err := s.rdb.Exists(ctx, s.k.help(rid)).Result(); err != nil || n == 0 {
			return nil
		}
		if err := s.rdb.HSet(ctx, s.k.help(rid), "card", msgID).Err(); err != nil {
			return nil
		}
		r, err := s.loadRequest(ctx, rid)
		if err != nil {
			return nil
		}
		switch r.State {
		case stateClosed:
			return s.editCard(rt, r, "volunteer.help.card_cancelled")
		case stateExpired:
			return s.editCard(rt, r, "volunteer.help.card_expired")
		}
		return nil
	}
}

func (s *Service) alreadyAsked(rt *bot.Runtime, lang string, r request) bot.Outcome {
	if r.State == stateActive {
		return bot.Outcome{Messages: []bot.Message{{
			Text:    text(rt, lang, "volunteer.help.already_connected", map[string]string{"Name": r.VolName}),
			Buttons: buttons(btn(rt, lang, "volunteer.help.btn.end", dataEnd+r.ID)),
		}}}
	}
	return bot.Outcome{Messages: []bot.Message{{
		Text:    text(rt, lang, "volunteer.help.still_waiting", nil),
		Buttons: buttons(btn(rt, lang, "volunteer.help.btn.cancel", dataCancel+r.ID)),
	}}}
}

// communeOf is the commune of the volunteer whose link brought the resident to flow, if any:
// the only commune the bot can know without asking the resident.
func (s *Service) communeOf(ctx context.Context, chat int64, flow string) string {
	if flow == "" {
		return ""
	}
	raw, err := s.rdb.HGet(ctx, s.k.marks(chat), "s:"+flow).Result()
	if err != nil {
		return ""
	}
	id, _ := strconv.ParseInt(raw, 10, 64)
	v, err := s.Get(ctx, id)
	if err != nil {
		return ""
	}
	return v.Commune
}

// describe returns the guide, step and language of a request in lang, for cards and briefings.
func (s *Service) describe(rt *bot.Runtime, lang string, r request) map[string]string {
	p := map[string]string{
		"Guide":   rt.Catalog().Text(lang, "volunteer.help.no_guide"),
		"Step":    "",
		"Lang":    rt.Catalog().Text(r.Lang, "lang.name"),
		"Commune": r.Commune,
	}
	if p["Commune"] == "" {
		p["Commune"] = rt.Catalog().Text(lang, "volunteer.help.commune_unknown")
	}
	if f := rt.Engine().Library().Flow(r.Flow); f != nil {
		p["Guide"] = plain(rt.Catalog().Text(lang, f.Title))
		if st := f.Step(r.Step); st != nil {
			p["Step"] = snippet(rt.Catalog().Text(lang, st.Text), 120) + " (" + r.Step + ")"
		}
	}
	return p
}

// helpCard is the message posted to the volunteers' group, in the group's language.
func (s *Service) helpCard(rt *bot.Runtime, r request) bot.Message {
	lang := s.cfg.GroupLang
	return bot.Message{
		Text:    text(rt, lang, "volunteer.help.card", s.describe(rt, lang, r)),
		Buttons: []bot.Button{btn(rt, lang, "volunteer.help.btn.take", dataTake+r.ID)},
	}
}

// take connects the volunteer who pressed "I'll help" first.
func (s *Service) take(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang, rid string) (bot.Outcome, error) {
	volID := ev.Sender()
	v, err := s.Get(ctx, volID)
	if errors.Is(err, ErrNotFound) {
		return bot.Outcome{Notice: notice(rt, lang, "volunteer.help.take_register", map[string]string{"Bot": s.BotUsername()})}, nil
	}
	if err != nil {
		return bot.Outcome{}, err
	}
	if !v.Counts(s.cfg.RequireApproval) {
		return bot.Outcome{Notice: notice(rt, lang, "volunteer.help.take_pending", nil)}, nil
	}
	if cur, err := s.rdb.Get(ctx, s.k.volHelp(volID)).Result(); err == nil && cur != rid {
		return bot.Outcome{Notice: notice(rt, lang, "volunteer.help.take_busy", nil)}, nil
	}
	name := s.displayName(rt, lang, v)
	res, err := takeScript.Run(ctx, s.rdb, []string{s.k.help(rid)}, volID, name, s.cfg.RelayIdle.Milliseconds()).Text()
	if err != nil {
		return bot.Outcome{}, fmt.Errorf("error taking help request: %w", err)
	}
	switch res {
	case "taken":
		return bot.Outcome{Notice: notice(rt, lang, "volunteer.help.take_taken", nil)}, nil
	case "self":
		return bot.Outcome{Notice: notice(rt, lang, "volunteer.help.take_self", nil)}, nil
	case "ok":
	default:
		return bot.Outcome{Notice: notice(rt, lang, "volunteer.help.take_closed", nil)}, nil
	}
	s.rdb.ZRem(ctx, s.k.due(), rid)
	if err := s.rdb.Set(ctx, s.k.volHelp(volID), rid, s.cfg.RelayIdle).Err(); err != nil {
		return bot.Outcome{}, fmt.Errorf("error saving volunteer conversation: %w", err)
	}
	r, err := s.loadRequest(ctx, rid)
	if err != nil {
		return bot.Outcome{}, err
	}
	s.rdb.Expire(ctx, s.k.resHelp(r.Res), s.cfg.RelayIdle)
	s.log.InfoContext(ctx, "help request taken", "flow", r.Flow)
	return s.connected(ctx, rt, lang, r, name), nil
}

// connected tells the volunteer (in their language) and the resident (in theirs).
func (s *Service) connected(ctx context.Context, rt *bot.Runtime, lang string, r request, name string) bot.Outcome {
	volLang := rt.Lang(ctx, bot.Event{ChatID: r.Vol})
	brief := s.describe(rt, volLang, r)
	groupLang := s.cfg.GroupLang
	card := s.describe(rt, groupLang, r)
	card["Name"] = name
	endVol := buttons(btn(rt, volLang, "volunteer.help.btn.end", dataEnd+r.ID))
	endRes := buttons(btn(rt, r.Lang, "volunteer.help.btn.end", dataEnd+r.ID))
	return bot.Outcome{
		Notice:      notice(rt, lang, "volunteer.help.take_ok", nil),
		EditPressed: &bot.Message{Text: text(rt, groupLang, "volunteer.help.card_taken", card)},
		Sends: []bot.Delivery{
			{ChatID: r.Vol, Message: bot.Message{Text: text(rt, volLang, "volunteer.help.briefing", brief), Buttons: endVol}},
			{ChatID: r.Res, Message: bot.Message{Text: text(rt, r.Lang, "volunteer.help.connected", map[string]string{"Name": name}), Buttons: endRes}},
		},
	}
}

// relayFromResident passes a resident's text to their volunteer. Numbers that look like an
// OTP, an ID or a card number are held back: volunteers never need them.
func (s *Service) relayFromResident(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang, rid string) (bot.Outcome, error) {
	r, err := s.loadRequest(ctx, rid)
	if errors.Is(err, errNoRequest) || (err == nil && r.State != statePending && r.State != stateActive) {
		_ = delIfEqScript.Run(ctx, s.rdb, []string{s.k.resHelp(ev.ChatID)}, rid).Err()
		return bot.Outcome{}, errPass
	}
	if err != nil {
		return bot.Outcome{}, err
	}
	if r.State == statePending {
		// Nobody reads the chat yet: an answer to the guide ("2", a keyword, a forwarded
		// message to check) goes to the guide, so waiting never blocks it.
		if ok, err := rt.Understands(ctx, ev); err != nil || ok {
			return bot.Outcome{}, cmp.Or(err, errPass)
		}
		return s.alreadyAsked(rt, lang, r), nil
	}
	end := buttons(btn(rt, lang, "volunteer.help.btn.end", dataEnd+rid))
	switch {
	case ev.Kind != bot.EventText:
		return bot.Outcome{Messages: []bot.Message{{Text: text(rt, lang, "volunteer.help.text_only", nil), Buttons: end}}}, nil
	case looksSecret(ev.Arg):
		return bot.Outcome{Messages: []bot.Message{{Text: text(rt, lang, "volunteer.help.held_back", nil), Buttons: end}}}, nil
	}
	s.touch(ctx, r)
	volLang := rt.Lang(ctx, bot.Event{ChatID: r.Vol})
	return bot.Outcome{Sends: []bot.Delivery{{ChatID: r.Vol, Message: bot.Message{
		Text:    text(rt, volLang, "volunteer.help.from_resident", map[string]string{"Text": clip(ev.Arg, maxRelayLen)}),
		Buttons: buttons(btn(rt, volLang, "volunteer.help.btn.end", dataEnd+rid)),
	}}}}, nil
}

// relayFromVolunteer passes a volunteer's text to the resident, with the volunteer's first name.
func (s *Service) relayFromVolunteer(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang, rid string) (bot.Outcome, error) {
	r, err := s.loadRequest(ctx, rid)
	if errors.Is(err, errNoRequest) || (err == nil && r.State != stateActive) {
		_ = delIfEqScript.Run(ctx, s.rdb, []string{s.k.volHelp(ev.ChatID)}, rid).Err()
		return bot.Outcome{}, errPass
	}
	if err != nil {
		return bot.Outcome{}, err
	}
	if _, err := s.Get(ctx, ev.Sender()); errors.Is(err, ErrNotFound) {
		return s.endForRemoved(ctx, rt, ev, lang)
	} else if err != nil {
		return bot.Outcome{}, err
	}
	end := buttons(btn(rt, lang, "volunteer.help.btn.end", dataEnd+rid))
	if ev.Kind != bot.EventText {
		return bot.Outcome{Messages: []bot.Message{{Text: text(rt, lang, "volunteer.help.text_only_volunteer", nil), Buttons: end}}}, nil
	}
	s.touch(ctx, r)
	return bot.Outcome{Sends: []bot.Delivery{{ChatID: r.Res, Message: bot.Message{
		Text:    text(rt, r.Lang, "volunteer.help.from_volunteer", map[string]string{"Name": r.VolName, "Text": clip(ev.Arg, maxRelayLen)}),
		Buttons: buttons(btn(rt, r.Lang, "volunteer.help.btn.end", dataEnd+rid)),
	}}}}, nil
}

// endForRemoved ends the conversation of someone no longer a volunteer (an operator removed
// them) instead of relaying their text: they are told it ended, the resident is shown their step.
func (s *Service) endForRemoved(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
	r, ended, err := s.endConversationOf(ctx, ev.Sender())
	if err != nil {
		return bot.Outcome{}, err
	}
	if !ended {
		return bot.Outcome{}, errPass
	}
	resMsgs, err := s.resume(ctx, rt, r, "volunteer.help.ended")
	if err != nil {
		return bot.Outcome{}, err
	}
	return bot.Outcome{
		Messages: []bot.Message{{Text: text(rt, lang, "volunteer.help.ended_volunteer", nil)}},
		Sends:    deliveries(r.Res, resMsgs),
	}, nil
}

// endConversationOf closes the conversation volunteer vol is in, if any; ended reports whether
// this call closed it (so its resident is told once).
func (s *Service) endConversationOf(ctx context.Context, vol int64) (r request, ended bool, err error) {
	rid, err := s.rdb.Get(ctx, s.k.volHelp(vol)).Result()
	if errors.Is(err, redis.Nil) {
		return request{}, false, nil
	}
	if err != nil {
		return request{}, false, fmt.Errorf("error loading volunteer conversation: %w", err)
	}
	r, err = s.loadRequest(ctx, rid)
	if err != nil && !errors.Is(err, errNoRequest) {
		return request{}, false, err
	}
	was := ""
	if err == nil && r.Vol == vol {
		if was, err = moveScript.Run(ctx, s.rdb, []string{s.k.help(rid)}, stateActive, stateClosed).Text(); err != nil {
			return request{}, false, fmt.Errorf("error ending help conversation: %w", err)
		}
	}
	if was == "" {
		_ = delIfEqScript.Run(ctx, s.rdb, []string{s.k.volHelp(vol)}, rid).Err()
		return r, false, nil
	}
	s.release(ctx, r)
	s.log.InfoContext(ctx, "help conversation ended", "volunteer_removed", true)
	return r, true, nil
}

// endedByRemoval tells the residents whose volunteer an operator removed that the
// conversation ended, with their step. Removing a request from the queue is the claim.
func (s *Service) endedByRemoval(ctx context.Context, rt *bot.Runtime) ([]bot.Delivery, error) {
	rids, err := s.rdb.ZRange(ctx, s.k.ended(), 0, 49).Result()
	if err != nil {
		return nil, fmt.Errorf("error reading ended help conversations: %w", err)
	}
	var out []bot.Delivery
	for _, rid := range rids {
		if n, err := s.rdb.ZRem(ctx, s.k.ended(), rid).Result(); err != nil || n == 0 {
			continue
		}
		r, err := s.loadRequest(ctx, rid)
		if err != nil {
			continue
		}
		msgs, err := s.resume(ctx, rt, r, "volunteer.help.ended")
		if err != nil {
			return out, err
		}
		out = append(out, deliveries(r.Res, msgs)...)
	}
	return out, nil
}

// touch keeps a conversation alive while people write in it.
func (s *Service) touch(ctx context.Context, r request) {
	p := s.rdb.Pipeline()
	p.PExpire(ctx, s.k.help(r.ID), s.cfg.RelayIdle)
	p.PExpire(ctx, s.k.resHelp(r.Res), s.cfg.RelayIdle)
	p.PExpire(ctx, s.k.volHelp(r.Vol), s.cfg.RelayIdle)
	_, _ = p.Exec(ctx)
}

// end closes a conversation from either side. The resident is shown the step they were on.
func (s *Service) end(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang, rid string) (bot.Outcome, error) {
	r, err := s.loadRequest(ctx, rid)
	if errors.Is(err, errNoRequest) {
		return s.backToGuide(ctx, rt, ev, lang, "volunteer.help.already_ended")
	}
	if err != nil {
		return bot.Outcome{}, err
	}
	if ev.ChatID != r.Res && ev.ChatID != r.Vol {
		return s.backToGuide(ctx, rt, ev, lang, "")
	}
	was, err := moveScript.Run(ctx, s.rdb, []string{s.k.help(rid)}, statePending+","+stateActive, stateClosed).Text()
	if err != nil {
		return bot.Outcome{}, fmt.Errorf("error ending help conversation: %w", err)
	}
	if was == "" {
		return s.backToGuide(ctx, rt, ev, lang, "volunteer.help.already_ended")
	}
	s.release(ctx, r)
	s.log.InfoContext(ctx, "help conversation ended", "by_volunteer", ev.ChatID == r.Vol)
	resMsgs, err := s.resume(ctx, rt, r, "volunteer.help.ended")
	if err != nil {
		return bot.Outcome{}, err
	}
	if was == statePending {
		return bot.Outcome{Messages: resMsgs}, nil
	}
	volLang := rt.Lang(ctx, bot.Event{ChatID: r.Vol})
	volMsg := bot.Message{Text: text(rt, volLang, "volunteer.help.ended_volunteer", nil)}
	if ev.ChatID == r.Vol {
		return bot.Outcome{Messages: []bot.Message{volMsg}, Sends: deliveries(r.Res, resMsgs)}, nil
	}
	return bot.Outcome{Messages: resMsgs, Sends: []bot.Delivery{{ChatID: r.Vol, Message: volMsg}}}, nil
}

// cancel stops waiting for a volunteer; the card in the group says so.
func (s *Service) cancel(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang, rid string) (bot.Outcome, error) {
	r, err := s.loadRequest(ctx, rid)
	if err != nil || r.Res != ev.ChatID {
		return s.backToGuide(ctx, rt, ev, lang, "")
	}
	was, err := moveScript.Run(ctx, s.rdb, []string{s.k.help(rid)}, statePending, stateClosed).Text()
	if err != nil {
		return bot.Outcome{}, fmt.Errorf("error cancelling help request: %w", err)
	}
	if was == "" {
		if r.State == stateActive {
			return s.alreadyAsked(rt, lang, r), nil
		}
		return s.backToGuide(ctx, rt, ev, lang, "")
	}
	s.release(ctx, r)
	msgs, err := s.resume(ctx, rt, r, "volunteer.help.cancelled")
	if err != nil {
		return bot.Outcome{}, err
	}
	return bot.Outcome{Messages: msgs, Sends: s.editCard(rt, r, "volunteer.help.card_cancelled")}, nil
}

// release removes the pointers of a finished request and its place in the queue.
func (s *Service) release(ctx context.Context, r request) {
	_ = delIfEqScript.Run(ctx, s.rdb, []string{s.k.resHelp(r.Res)}, r.ID).Err()
	if r.Vol != 0 {
		_ = delIfEqScript.Run(ctx, s.rdb, []string{s.k.volHelp(r.Vol)}, r.ID).Err()
	}
	s.rdb.ZRem(ctx, s.k.due(), r.ID)
	s.rdb.PExpire(ctx, s.k.help(r.ID), s.cfg.HelpTimeout) // kept briefly so late presses get a clear answer
}

// resume is a notice and the resident's step, in the resident's language.
func (s *Service) resume(ctx context.Context, rt *bot.Runtime, r request, key string) ([]bot.Message, error) {
	return s.current(ctx, rt, r.Res, key)
}

func (s *Service) editCard(rt *bot.Runtime, r request, key string) []bot.Delivery {
	if r.Card == 0 {
		return nil
	}
	lang := s.cfg.GroupLang
	return []bot.Delivery{{ChatID: s.cfg.HelpChatID, EditID: r.Card, Message: bot.Message{Text: text(rt, lang, key, s.describe(rt, lang, r))}}}
}

func deliveries(chat int64, msgs []bot.Message) []bot.Delivery {
	out := make([]bot.Delivery, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, bot.Delivery{ChatID: chat, Message: m})
	}
	return out
}

// Due implements bot.Addon: requests nobody took in time are closed, the resident is told and
// offered to try later or to go to the commune's one-stop shop. Several replicas may call it:
// removing a request from the queue (ZREM) is the claim, so each resident is told once.
func (s *Service) Due(ctx context.Context, rt *bot.Runtime) ([]bot.Delivery, error) {
	now := strconv.FormatInt(s.now().UnixMilli(), 10)
	rids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: s.k.due(), Start: "-inf", Stop: now, ByScore: true, Count: 50}).Result()
	if err != nil {
		return nil, fmt.Errorf("error reading due help requests: %w", err)
	}
	var out []bot.Delivery
	for _, rid := range rids {
		if n, err := s.rdb.ZRem(ctx, s.k.due(), rid).Result(); err != nil || n == 0 {
			continue
		}
		was, err := moveScript.Run(ctx, s.rdb, []string{s.k.help(rid)}, statePending, stateExpired).Text()
		if err != nil || was == "" {
			continue
		}
		r, err := s.loadRequest(ctx, rid)
		if err != nil {
			continue
		}
		s.release(ctx, r)
		s.log.InfoContext(ctx, "help request expired", "flow", r.Flow)
		lang := rt.Lang(ctx, bot.Event{ChatID: r.Res, LangCode: r.Lang})
		out = append(out, bot.Delivery{ChatID: r.Res, Message: bot.Message{
			Text: text(rt, lang, "volunteer.help.timeout", nil),
			Buttons: buttons(
				btn(rt, lang, "volunteer.help.btn.retry", dataAsk),
				btn(rt, lang, "volunteer.help.btn.back", dataBack)),
		}})
		out = append(out, s.editCard(rt, r, "volunteer.help.card_expired")...)
	}
	ended, err := s.endedByRemoval(ctx, rt)
	return append(out, ended...), err
}

// errPass lets a handler give the event back to the engine (a conversation that just ended).
var errPass = errors.New("not handled here")
