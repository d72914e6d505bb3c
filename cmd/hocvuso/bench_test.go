package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestBenchChildProcess runs the bot as a child process, as hocvuso bench does by default:
// the figures are then the bot process's own.
func TestBenchChildProcess(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"bench", "-json", "-chats", "2", "-walks", "1", "-redis", os.Getenv("TEST_REDIS_URL")}
	if err := run(context.Background(), args, nil, &out, &errOut); err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut.String())
	}
	var r struct {
		Updates    float64  `json:"updates"`
		PerWalk    float64  `json:"updates_per_walk"`
		Errors     float64  `json:"errors"`
		CPUScope   string   `json:"cpu_scope"`
		CPU        float64  `json:"cpu_ms_per_update"`
		RSS        float64  `json:"rss_mb"`
		FloorSpeed *float64 `json:"floor_updates_per_sec"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if r.Updates != 2*r.PerWalk+2 || r.Errors != 0 { // + each chat's language
		t.Errorf("updates %v (want 2 × %v + 2), errors %v", r.Updates, r.PerWalk, r.Errors)
	}
	if !strings.HasPrefix(r.CPUScope, "bot process") || r.CPU <= 0 || r.RSS <= 0 {
		t.Errorf("CPU scope %q, CPU %v ms/update, RSS %v MB: want the child's own figures", r.CPUScope, r.CPU, r.RSS)
	}
	if r.FloorSpeed != nil {
		t.Errorf("floor figures without -floor")
	}
}

// TestBenchInProcess runs hocvuso bench with a few chats, bots in this process, and checks
// that the report adds up. It checks counts and arithmetic, never timings.
func TestBenchInProcess(t *testing.T) {
	const chats, walks = 3, 2
	var out, errOut bytes.Buffer
	args := []string{"bench", "-inprocess", "-floor", "-json", "-chats", strconv.Itoa(chats), "-walks", strconv.Itoa(walks),
		"-redis", os.Getenv("TEST_REDIS_URL")}
	if err := run(context.Background(), args, nil, &out, &errOut); err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut.String())
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out.String())
	}
	num := func(key string) float64 {
		t.Helper()
		v, ok := r[key].(float64)
		if !ok {
			t.Fatalf("field %s missing or not a number in %s", key, out.String())
		}
		return v
	}
	perWalk := num("updates_per_walk")
	if perWalk < 2 {
		t.Fatalf("updates_per_walk = %v: a walk is /start and at least one press", perWalk)
	}
	for _, p := range []string{"", "floor_"} {
		// hocvuso asks each new resident's language once, on the first /start: one more
		// update (a press) per chat.
		extra := 0.0
		if p == "" {
			extra = chats
		}
		if got, want := num(p+"updates"), chats*walks*perWalk+extra; got != want {
			t.Errorf("%supdates = %v, want %v chats × %v walks × %v + %v", p, got, chats, walks, perWalk, extra)
		}
		presses := (chats*walks*(perWalk-1) + extra) / num(p+"updates") // share of updates that are presses
		if n := num(p + "errors"); n != 0 {
			t.Errorf("%serrors = %v", p, n)
		}
		for _, k := range []string{"updates_per_sec", "p50_ms", "p99_ms", "cpu_ms_per_update", "rss_mb", "redis_bytes_per_session"} {
			if num(p+k) <= 0 {
				t.Errorf("%s%s = %v, want > 0", p, k, num(p+k))
			}
		}
		if num(p+"p50_ms") > num(p+"p90_ms") || num(p+"p90_ms") > num(p+"p99_ms") {
			t.Errorf("%spercentiles out of order: %v %v %v", p, num(p+"p50_ms"), num(p+"p90_ms"), num(p+"p99_ms"))
		}
		if num(p+"redis_keys_per_resident") < 1 || num(p+"redis_bytes_per_resident") < num(p+"redis_bytes_per_session") {
			t.Errorf("%s%v keys and %v bytes per resident, %v bytes per session: every parked chat has its session",
				p, num(p+"redis_keys_per_resident"), num(p+"redis_bytes_per_resident"), num(p+"redis_bytes_per_session"))
		}
		calls, _ := r[p+"api_calls_per_update"].(map[string]any)
		if got := calls["sendMessage"]; got == nil || got.(float64) < 1 {
			t.Errorf("%ssendMessage per update = %v, want at least 1 (every update gets a reply)", p, got)
		}
		// A press is answered by a call, or in the webhook's answer (hocvuso).
		answered := 0.0
		for _, m := range []string{"answerCallbackQuery", "answerCallbackQuery (in webhook answer)"} {
			if n, ok := calls[m].(float64); ok {
				answered += n
			}
		}
		if !near(answered, presses) {
			t.Errorf("%spresses answered per update = %v, want %v (one per press): %v", p, answered, presses, calls)
		}
	}
	// The floor does exactly one GET and one SET per update.
	if got := num("floor_redis_cmds_per_update"); got != 2 || num("floor_redis_round_trips_per_update") != 2 {
		t.Errorf("floor Redis commands per update = %v, round trips %v; want 2 and 2", got, num("floor_redis_round_trips_per_update"))
	}
	if num("redis_cmds_per_update") < num("redis_round_trips_per_update") || num("redis_round_trips_per_update") < 1 {
		t.Errorf("hocvuso Redis commands %v, round trips %v", num("redis_cmds_per_update"), num("redis_round_trips_per_update"))
	}
	for _, k := range []string{"updates_per_sec", "cpu_ms_per_update", "p99_ms"} {
		if got, want := num("ratio_"+k), num(k)/num("floor_"+k); !near(got, want) {
			t.Errorf("ratio_%s = %v, want %v", k, got, want)
		}
	}
	targets, _ := r["targets"].([]any)
	if len(targets) != 6 {
		t.Errorf("%d targets, want 6", len(targets))
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
