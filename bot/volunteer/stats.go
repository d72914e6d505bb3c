package volunteer

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
	"hocvuso/flows"
)

//go:embed lua/mark.lua
var markSource string

var markScript = redis.NewScript(markSource)

// After implements bot.Addon: it counts the state change and offers "ask a volunteer" on
// every step of a guide.
func (s *Service) After(ctx context.Context, rt *bot.Runtime, ev bot.Event, ch bot.Change, out *bot.Outcome) {
	if err := s.count(ctx, rt, ev, ch); err != nil {
		s.log.WarnContext(ctx, "counting failed", "err", err)
	}
	s.offerShare(rt, out.Lang, ch, out.Messages)
	s.offerHelp(rt, out.Lang, ch.After.Flow, out.Messages)
}

// offerShare adds "share with a neighbour" under a guide's end step: it opens the same card
// and QR code as /share, with the sharer's referral code when they are a volunteer.
func (s *Service) offerShare(rt *bot.Runtime, lang string, ch bot.Change, msgs []bot.Message) {
	f := rt.Engine().Library().Flow(ch.After.Flow)
	if f == nil || f.Step(ch.After.Step) == nil || f.Step(ch.After.Step).Kind != flows.KindEnd || len(msgs) == 0 {
		return
	}
	last := &msgs[len(msgs)-1]
	last.Buttons = append(last.Buttons, btn(rt, lang, "volunteer.btn.share_neighbour", dataShareF+f.ID))
}

// count updates the funnel and referral counters when a resident reached a new step.
//
// Every count is of residents, not of events: the marks in the resident's own key say what was
// already counted for them, so opening a link twice or finishing twice counts once. Only
// counts leave the resident's key; no id, name or text goes into the global counters.
func (s *Service) count(ctx context.Context, rt *bot.Runtime, ev bot.Event, ch bot.Change) error {
	a, b := ch.After, ch.Before
	if a.Flow == "" || (a.Flow == b.Flow && a.Step == b.Step && !isStartOf(ev, a.Flow)) {
		return nil
	}
	f := rt.Engine().Library().Flow(a.Flow)
	if f == nil || f.Step(a.Step) == nil {
		return nil
	}
	referrer := s.referrer(ctx, ev, a.Flow)
	finished := "0"
	if f.Step(a.Step).Kind == flows.KindEnd {
		finished = "1"
	}
	res, err := markScript.Run(ctx, s.rdb, []string{s.k.marks(ev.ChatID)},
		a.Flow, ch.Lang+"|"+a.Step, finished, referrer, s.cfg.MarkTTL.Milliseconds()).Slice()
	if err != nil || len(res) != 5 {
		return fmt.Errorf("error updating counting marks: %v", err)
	}
	started, _ := res[0].(int64)
	prev, _ := res[1].(string)
	done, _ := res[2].(int64)
	credited, _ := res[3].(string)
	finisher, _ := res[4].(string)
	pipe := s.rdb.Pipeline()
	base := a.Flow + "|" + ch.Lang + "|"
	if prev != ch.Lang+"|"+a.Step {
		if pl, ps, ok := strings.Cut(prev, "|"); ok {
			pipe.HIncrBy(ctx, s.k.funnel(), a.Flow+"|"+pl+"|at|"+ps, -1)
		}
		pipe.HIncrBy(ctx, s.k.funnel(), base+"at|"+a.Step, 1)
	}
	if started == 1 {
		pipe.HIncrBy(ctx, s.k.funnel(), base+"start", 1)
	}
	if done == 1 {
		pipe.HIncrBy(ctx, s.k.funnel(), base+"done", 1)
	}
	s.credit(ctx, pipe, credited, a.Flow, "start", "s:")
	s.credit(ctx, pipe, finisher, a.Flow, "done", "f:")
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("error counting: %w", err)
	}
	return nil
}

// credit counts one resident for a volunteer and the volunteer's commune.
func (s *Service) credit(ctx context.Context, pipe redis.Pipeliner, volID, flow, what, field string) {
	id, err := strconv.ParseInt(volID, 10, 64)
	if err != nil {
		return
	}
	pipe.HIncrBy(ctx, s.k.volCounts(id), field+flow, 1)
	if v, err := s.Get(ctx, id); err == nil {
		pipe.HIncrBy(ctx, s.k.communes(), v.Commune+"|"+flow+"|"+what, 1)
	}
}

// isStartOf reports whether ev is "/start <flow>[-ref]", which restarts a guide.
func isStartOf(ev bot.Event, flow string) bool {
	if ev.Kind != bot.EventCommand || ev.Command != "start" {
		return false
	}
	f, _, ok := flows.ParsePayload(ev.Arg)
	return ok && f == flow
}

// referrer returns the id of the volunteer whose link this /start came through, if their links
// count; "" otherwise (no link, unknown code, the volunteer's own link, not yet approved).
func (s *Service) referrer(ctx context.Context, ev bot.Event, flow string) string {
	if ev.Kind != bot.EventCommand || ev.Command != "start" {
		return ""
	}
	f, ref, ok := flows.ParsePayload(ev.Arg)
	if !ok || ref == "" || f != flow {
		return ""
	}
	v, err := s.ByRef(ctx, ref)
	if err != nil || v.ID == ev.ChatID || !v.Counts(s.cfg.RequireApproval) {
		return ""
	}
	return strconv.FormatInt(v.ID, 10)
}

// GuideCount is a volunteer's count for one guide.
type GuideCount struct {
	Flow              string
	Started, Finished int64
}

// Counts returns a volunteer's counts for every guide of the library, in menu order.
func (s *Service) Counts(ctx context.Context, lib *flows.Library, volID int64) ([]GuideCount, error) {
	all, err := s.rdb.HGetAll(ctx, s.k.volCounts(volID)).Result()
	if err != nil {
		return nil, fmt.Errorf("error loading volunteer counts: %w", err)
	}
	var out []GuideCount
	for _, f := range lib.Flows() {
		st, _ := strconv.ParseInt(all["s:"+f.ID], 10, 64)
		fi, _ := strconv.ParseInt(all["f:"+f.ID], 10, 64)
		out = append(out, GuideCount{Flow: f.ID, Started: st, Finished: fi})
	}
	return out, nil
}

func (s *Service) cmdMyStats(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
	v, err := s.Get(ctx, ev.Sender())
	if errors.Is(err, ErrNotFound) {
		return bot.Outcome{Messages: []bot.Message{{
			Text:    text(rt, lang, "volunteer.not_registered", nil),
			Buttons: buttons(btn(rt, lang, "volunteer.btn.join", dataJoin)),
		}}}, nil
	}
	if err != nil {
		return bot.Outcome{}, err
	}
	counts, err := s.Counts(ctx, rt.Engine().Library(), v.ID)
	if err != nil {
		return bot.Outcome{}, err
	}
	var b strings.Builder
	b.WriteString(text(rt, lang, "volunteer.mystats", map[string]string{"Name": s.displayName(rt, lang, v)}))
	for _, c := range counts {
		f := rt.Engine().Library().Flow(c.Flow)
		b.WriteString("\n" + text(rt, lang, "volunteer.mystats_line", map[string]string{
			"Title": plain(rt.Catalog().Text(lang, f.Title)), "Started": strconv.FormatInt(c.Started, 10), "Finished": strconv.FormatInt(c.Finished, 10),
		}))
	}
	if !v.Counts(s.cfg.RequireApproval) {
		b.WriteString("\n\n" + text(rt, lang, "volunteer.pending_approval", nil))
	}
	return bot.Outcome{Messages: []bot.Message{{Text: b.String(), Buttons: buttons(btn(rt, lang, "volunteer.btn.share", dataShare))}}}, nil
}

// FunnelRow is what the operator sees for one guide and language.
type FunnelRow struct {
	Flow, Lang   string
	Starts, Done int64
	DropStep     string // the step where most residents who did not finish are (or stopped)
	DropCount    int64
}

// CommuneRow counts the residents volunteers of one commune brought to one guide.
type CommuneRow struct {
	Commune, Flow string
	Starts, Done  int64
}

// Totals returns the operator's figures: the funnel per guide and language, and the residents
// brought by volunteers, per commune and guide.
func (s *Service) Totals(ctx context.Context, lib *flows.Library) ([]FunnelRow, []CommuneRow, error) {
	funnel, err := s.rdb.HGetAll(ctx, s.k.funnel()).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("error loading funnel counts: %w", err)
	}
	communes, err := s.rdb.HGetAll(ctx, s.k.communes()).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("error loading commune counts: %w", err)
	}
	return funnelRows(lib, funnel), communeRows(communes), nil
}

func funnelRows(lib *flows.Library, raw map[string]string) []FunnelRow {
	rows := map[[2]string]*FunnelRow{}
	get := func(flow, lang string) *FunnelRow {
		k := [2]string{flow, lang}
		if rows[k] == nil {
			rows[k] = &FunnelRow{Flow: flow, Lang: lang}
		}
		return rows[k]
	}
	for field, val := range raw {
		n, _ := strconv.ParseInt(val, 10, 64)
		parts := strings.SplitN(field, "|", 4)
		if len(parts) < 3 {
			continue
		}
		r := get(parts[0], parts[1])
		switch {
		case parts[2] == "start":
			r.Starts = n
		case parts[2] == "done":
			r.Done = n
		case parts[2] == "at" && len(parts) == 4:
			if isEnd(lib, parts[0], parts[3]) {
				continue
			}
			if n > r.DropCount || (n == r.DropCount && n > 0 && parts[3] < r.DropStep) {
				r.DropStep, r.DropCount = parts[3], n
			}
		}
	}
	out := make([]FunnelRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Flow != out[j].Flow {
			return out[i].Flow < out[j].Flow
		}
		return out[i].Lang < out[j].Lang
	})
	return out
}

func isEnd(lib *flows.Library, flow, step string) bool {
	f := lib.Flow(flow)
	if f == nil || f.Step(step) == nil {
		return false
	}
	return f.Step(step).Kind == flows.KindEnd
}

func communeRows(raw map[string]string) []CommuneRow {
	rows := map[[2]string]*CommuneRow{}
	for field, val := range raw {
		n, _ := strconv.ParseInt(val, 10, 64)
		parts := strings.Split(field, "|")
		if len(parts) != 3 {
			continue
		}
		k := [2]string{parts[0], parts[1]}
		if rows[k] == nil {
			rows[k] = &CommuneRow{Commune: parts[0], Flow: parts[1]}
		}
		if parts[2] == "start" {
			rows[k].Starts = n
		} else {
			rows[k].Done = n
		}
	}
	out := make([]CommuneRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Commune != out[j].Commune {
			return out[i].Commune < out[j].Commune
		}
		return out[i].Flow < out[j].Flow
	})
	return out
}

// cmdStats is /stats for admins: the funnel and the commune totals.
func (s *Service) cmdStats(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
	lib := rt.Engine().Library()
	funnel, communes, err := s.Totals(ctx, lib)
	if err != nil {
		return bot.Outcome{}, err
	}
	var b strings.Builder
	b.WriteString(text(rt, lang, "volunteer.stats.title", nil))
	if len(funnel) == 0 {
		b.WriteString("\n" + text(rt, lang, "volunteer.stats.empty", nil))
	}
	for _, r := range funnel {
		drop := text(rt, lang, "volunteer.stats.no_dropoff", nil)
		if r.DropCount > 0 {
			drop = text(rt, lang, "volunteer.stats.dropoff", map[string]string{"Step": r.DropStep, "Count": strconv.FormatInt(r.DropCount, 10)})
		}
		b.WriteString("\n" + text(rt, lang, "volunteer.stats.funnel_line", map[string]string{
			"Guide": r.Flow, "Lang": r.Lang, "Starts": strconv.FormatInt(r.Starts, 10), "Done": strconv.FormatInt(r.Done, 10), "Drop": plain(drop),
		}))
	}
	if len(communes) > 0 {
		b.WriteString("\n\n" + text(rt, lang, "volunteer.stats.communes", nil))
		for _, r := range communes {
			b.WriteString("\n" + text(rt, lang, "volunteer.stats.commune_line", map[string]string{
				"Commune": r.Commune, "Guide": r.Flow, "Starts": strconv.FormatInt(r.Starts, 10), "Done": strconv.FormatInt(r.Done, 10),
			}))
		}
	}
	return bot.Outcome{Messages: []bot.Message{{Text: clip(b.String(), 4000)}}}, nil
}
