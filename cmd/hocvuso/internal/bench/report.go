package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Figures are one bot's measurements.
type Figures struct {
	Updates        int64              `json:"updates"`
	Errors         int64              `json:"errors"` // updates not answered 200 with a reply, incl. parking
	Seconds        float64            `json:"seconds"`
	UpdatesPerSec  float64            `json:"updates_per_sec"`
	P50            float64            `json:"p50_ms"`
	P90            float64            `json:"p90_ms"`
	P99            float64            `json:"p99_ms"`
	CPUMsPerUpdate float64            `json:"cpu_ms_per_update"`
	RedisCmds      float64            `json:"redis_cmds_per_update"`
	RedisTrips     float64            `json:"redis_round_trips_per_update"` // on the update's path
	RedisBgTrips   float64            `json:"redis_background_round_trips_per_update"`
	Syscalls       float64            `json:"syscalls_per_update"`      // reads and writes of the bot process (Linux)
	BytesPerChat   float64            `json:"redis_bytes_per_session"`  // the session key of a parked chat
	BytesResident  float64            `json:"redis_bytes_per_resident"` // every key of a parked chat
	KeysPerChat    float64            `json:"redis_keys_per_resident"`
	SharedBytes    int64              `json:"redis_shared_bytes"`
	RSSMB          float64            `json:"rss_mb"`
	APICalls       map[string]float64 `json:"api_calls_per_update"`
}

// Target is one of the targets, checked on this run.
type Target struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	Max   bool    `json:"max"` // the value must stay at or under the limit (else at or over)
	Note  string  `json:"note,omitempty"`
	OK    bool    `json:"ok"`
}

// Report is the outcome of a run.
type Report struct {
	Chats          int      `json:"chats"`
	Walks          int      `json:"walks"`
	Guide          string   `json:"guide"`
	UpdatesPerWalk int      `json:"updates_per_walk"`
	Store          string   `json:"store"`
	CPUScope       string   `json:"cpu_scope"`
	Pacing         string   `json:"pacing"`
	Hocvuso        Figures  `json:"-"`
	Floor          *Figures `json:"-"`
	Targets        []Target `json:"targets"`
	LostReplies    int64    `json:"lost_replies"` // sends to a chat that was not waiting
}

func newReport(cfg Config, store string, runs map[Kind]*kindRun, api *apiServer) *Report {
	r := &Report{Chats: cfg.Chats, Walks: cfg.Walks, Guide: cfg.Guide, UpdatesPerWalk: cfg.Plan.Updates(),
		Store: store, CPUScope: cfg.CPUScope, Pacing: pacing(cfg.Paced), LostReplies: api.lost.Load()}
	r.Hocvuso = figures(runs[Hocvuso])
	if f := runs[Floor]; f != nil {
		ff := figures(f)
		r.Floor = &ff
	}
	r.Targets = targets(r)
	return r
}

func pacing(paced bool) string {
	if paced {
		return "Telegram's limits (about 1 message/s per chat, 30/s in all), for both bots"
	}
	return "off (the fake Bot API has no limits; -pace telegram keeps to Telegram's)"
}

func figures(r *kindRun) Figures {
	t := &r.tally
	lat := slices.Clone(t.latencies)
	slices.Sort(lat)
	n := float64(max(t.updates, 1))
	f := Figures{
		Updates: t.updates, Errors: t.errors + r.parkErrs, Seconds: r.elapsed.Seconds(),
		P50: pct(lat, 0.50), P90: pct(lat, 0.90), P99: pct(lat, 0.99),
		CPUMsPerUpdate: float64(r.cpuNanos) / 1e6 / n,
		RedisCmds:      float64(r.redisCmds) / n,
		RedisTrips:     float64(r.trips) / n,
		RedisBgTrips:   float64(r.bgTrips) / n,
		Syscalls:       float64(r.syscalls) / n,
		BytesPerChat:   r.mem.perSession,
		BytesResident:  r.mem.perChat,
		SharedBytes:    r.mem.shared,
		RSSMB:          float64(r.final.MaxRSSKB) / 1024,
		APICalls:       map[string]float64{},
	}
	if r.mem.sessions > 0 {
		f.KeysPerChat = float64(r.mem.keys) / float64(r.mem.sessions)
	}
	if r.elapsed > 0 {
		f.UpdatesPerSec = float64(t.updates) / r.elapsed.Seconds()
	}
	for m, c := range r.calls {
		f.APICalls[m] = float64(c) / n
	}
	return f
}

// pct returns the q-quantile of sorted latencies, in milliseconds.
func pct(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)) + 0.5)
	i = min(max(i-1, 0), len(sorted)-1)
	return float64(sorted[i]) / float64(time.Millisecond)
}

// The targets.
const (
	minThroughputRatio = 0.8
	maxCPURatio        = 1.5
	maxP99Ratio        = 2
	maxRoundTrips      = 2
	maxBytesPerSession = 300
	maxRSSMB           = 80
	targetChats        = 200 // the p99 and memory targets are set at this many chats
)

func targets(r *Report) []Target {
	h := r.Hocvuso
	atU := ""
	if r.Chats != targetChats {
		atU = fmt.Sprintf("set for U=%d, this run has U=%d", targetChats, r.Chats)
	}
	var out []Target
	if f := r.Floor; f != nil {
		out = append(out,
			Target{Name: "updates/s vs floor", Value: ratio(h.UpdatesPerSec, f.UpdatesPerSec), Limit: minThroughputRatio},
			Target{Name: "CPU per update vs floor", Value: ratio(h.CPUMsPerUpdate, f.CPUMsPerUpdate), Limit: maxCPURatio, Max: true},
			Target{Name: "p99 latency vs floor", Value: ratio(h.P99, f.P99), Limit: maxP99Ratio, Max: true, Note: atU},
		)
	}
	out = append(out,
		Target{Name: "Redis round trips per update", Value: h.RedisTrips, Limit: maxRoundTrips, Max: true},
		Target{Name: "Redis bytes per idle session", Value: h.BytesPerChat, Limit: maxBytesPerSession, Max: true},
		Target{Name: "peak RSS (MB)", Value: h.RSSMB, Limit: maxRSSMB, Max: true, Note: atU},
	)
	for i := range out {
		t := &out[i]
		t.OK = (t.Max && t.Value <= t.Limit) || (!t.Max && t.Value >= t.Limit)
	}
	return out
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Met reports whether every target was met and no update failed.
func (r *Report) Met() bool {
	if r.Hocvuso.Errors > 0 || (r.Floor != nil && r.Floor.Errors > 0) {
		return false
	}
	for _, t := range r.Targets {
		if !t.OK {
			return false
		}
	}
	return true
}

// MarshalJSON writes one flat object: hocvuso's figures, the floor's prefixed "floor_",
// their ratios prefixed "ratio_", and the run's description and targets.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	out := map[string]any{}
	if err := merge(out, "", (*plain)(r)); err != nil {
		return nil, err
	}
	if err := merge(out, "", r.Hocvuso); err != nil {
		return nil, err
	}
	if r.Floor != nil {
		if err := merge(out, "floor_", *r.Floor); err != nil {
			return nil, err
		}
		h, f := r.Hocvuso, r.Floor
		out["ratio_updates_per_sec"] = ratio(h.UpdatesPerSec, f.UpdatesPerSec)
		out["ratio_cpu_ms_per_update"] = ratio(h.CPUMsPerUpdate, f.CPUMsPerUpdate)
		out["ratio_p50_ms"] = ratio(h.P50, f.P50)
		out["ratio_p99_ms"] = ratio(h.P99, f.P99)
		out["ratio_rss_mb"] = ratio(h.RSSMB, f.RSSMB)
	}
	out["targets_met"] = r.Met()
	return json.Marshal(out)
}

func merge(out map[string]any, prefix string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for k, x := range m {
		out[prefix+k] = x
	}
	return nil
}

// WriteText prints the report as a table.
func (r *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "hocvuso bench: %d chats × %d walks of %q (%d updates each), webhook on loopback\n",
		r.Chats, r.Walks, r.Guide, r.UpdatesPerWalk)
	fmt.Fprintf(w, "store: %s; pacing: %s; CPU: %s\n\n", r.Store, r.Pacing, r.CPUScope)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	h, f := r.Hocvuso, r.Floor
	fmt.Fprint(tw, "\thocvuso\t")
	if f != nil {
		fmt.Fprint(tw, "floor\tratio\t")
	}
	fmt.Fprintln(tw)
	row := func(name, format string, hv float64, fv func(Figures) float64) {
		fmt.Fprintf(tw, "%s\t"+format+"\t", name, hv)
		if f != nil {
			v := fv(*f)
			fmt.Fprintf(tw, format+"\t%.2f×\t", v, ratio(hv, v))
		}
		fmt.Fprintln(tw)
	}
	row("updates/s", "%.0f", h.UpdatesPerSec, func(f Figures) float64 { return f.UpdatesPerSec })
	row("latency p50 ms", "%.2f", h.P50, func(f Figures) float64 { return f.P50 })
	row("latency p90 ms", "%.2f", h.P90, func(f Figures) float64 { return f.P90 })
	row("latency p99 ms", "%.2f", h.P99, func(f Figures) float64 { return f.P99 })
	row("bot CPU ms/update", "%.3f", h.CPUMsPerUpdate, func(f Figures) float64 { return f.CPUMsPerUpdate })
	row("Redis commands/update", "%.2f", h.RedisCmds, func(f Figures) float64 { return f.RedisCmds })
	row("Redis round trips/update", "%.2f", h.RedisTrips, func(f Figures) float64 { return f.RedisTrips })
	row("  + in background/update", "%.4f", h.RedisBgTrips, func(f Figures) float64 { return f.RedisBgTrips })
	row("read+write syscalls/update", "%.1f", h.Syscalls, func(f Figures) float64 { return f.Syscalls })
	row("Redis bytes/idle session", "%.0f", h.BytesPerChat, func(f Figures) float64 { return f.BytesPerChat })
	row("  all keys of the resident", "%.0f", h.BytesResident, func(f Figures) float64 { return f.BytesResident })
	row("peak RSS MB", "%.1f", h.RSSMB, func(f Figures) float64 { return f.RSSMB })
	row("updates", "%.0f", float64(h.Updates), func(f Figures) float64 { return float64(f.Updates) })
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nBot API calls per update: hocvuso %s", callList(h.APICalls))
	if f != nil {
		fmt.Fprintf(w, "; floor %s", callList(f.APICalls))
	}
	fmt.Fprintln(w)
	if h.Errors > 0 || (f != nil && f.Errors > 0) || r.LostReplies > 0 {
		fe := int64(0)
		if f != nil {
			fe = f.Errors
		}
		fmt.Fprintf(w, "ERRORS: hocvuso %d, floor %d, replies to no waiting chat %d\n", h.Errors, fe, r.LostReplies)
	}
	if strings.HasPrefix(r.Store, "embedded") {
		fmt.Fprintln(w, "\nnote: the targets are for a real Redis (REDIS_URL): the embedded server runs each Lua call in a new\ninterpreter, and on a small machine that CPU is taken from the bots.")
	}
	fmt.Fprintln(w, "\ntargets:")
	for _, t := range r.Targets {
		verdict := "ok"
		if !t.OK {
			verdict = "MISSED"
		}
		cmp := "≥"
		if t.Max {
			cmp = "≤"
		}
		note := ""
		if t.Note != "" {
			note = " (" + t.Note + ")"
		}
		fmt.Fprintf(w, "  %-30s %8.2f %s %-6g %s%s\n", t.Name, t.Value, cmp, t.Limit, verdict, note)
	}
	return nil
}

func callList(calls map[string]float64) string {
	var parts []string
	for _, m := range slices.Sorted(maps.Keys(calls)) {
		parts = append(parts, fmt.Sprintf("%s %.2f", m, calls[m]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// WriteBenchfmt prints the figures in Go's benchmark format, one line per bot, so that
// benchstat can compare runs (of two builds, say) like any `go test -bench` output.
func (r *Report) WriteBenchfmt(w io.Writer) error {
	line := func(name string, f Figures) {
		fmt.Fprintf(w, "BenchmarkBench/%s/U=%d-%d\t%d\t%.4f cpu-ms/update\t%.1f updates/s\t%.3f p50-ms\t%.3f p99-ms\t%.2f redis-trips/update\t%.1f syscalls/update\t%.0f redis-B/session\t%.1f rss-MB\n",
			name, r.Chats, runtime.GOMAXPROCS(0), f.Updates, f.CPUMsPerUpdate, f.UpdatesPerSec, f.P50, f.P99, f.RedisTrips, f.Syscalls, f.BytesPerChat, f.RSSMB)
	}
	line("hocvuso", r.Hocvuso)
	if r.Floor != nil {
		line("floor", *r.Floor)
		fmt.Fprintf(w, "BenchmarkBench/ratio/U=%d-%d\t1\t%.3f cpu-x\t%.3f updates/s-x\t%.3f p99-x\n", r.Chats, runtime.GOMAXPROCS(0),
			ratio(r.Hocvuso.CPUMsPerUpdate, r.Floor.CPUMsPerUpdate), ratio(r.Hocvuso.UpdatesPerSec, r.Floor.UpdatesPerSec), ratio(r.Hocvuso.P99, r.Floor.P99))
	}
	return nil
}
