package volunteer

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
	"hocvuso/bot/session"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

const (
	group    = -1001000000001 // the volunteers' group
	volLan   = 2001
	volMinh  = 2002
	resident = 1001
)

// harness is the real runtime (guides, catalogs, sessions) with the volunteer addon, on the
// Redis of TEST_REDIS_URL when set (CI) or an embedded one, under a key prefix of its own.
type harness struct {
	t     *testing.T
	rt    *bot.Runtime
	svc   *Service
	rdb   redis.UniversalClient
	cat   *i18n.Catalog
	lib   *flows.Library
	pfx   string
	mu    sync.Mutex
	clock time.Time
	upd   int64
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	cat, err := i18n.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := flows.LoadDir(library.FS, ".", cat)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, cat: cat, lib: lib, clock: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	h.rdb, h.pfx = testRedis(t)
	if cfg.BotUsername == "" {
		cfg.BotUsername = "hocvuso_bot"
	}
	log := slog.New(slog.DiscardHandler)
	h.svc = New(h.rdb, cfg, WithPrefix(h.pfx), WithClock(h.now), WithLogger(log))
	store := session.New(h.rdb, session.WithPrefix(h.pfx))
	h.rt = bot.New(flows.NewEngine(lib, cat), cat, store, bot.WithAddon(h.svc), bot.WithLogger(log), bot.WithClock(h.now))
	return h
}

func testRedis(t *testing.T) (redis.UniversalClient, string) {
	t.Helper()
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		emb, err := session.StartEmbedded()
		if err != nil {
			t.Fatal(err)
		}
		rdb := emb.Client()
		t.Cleanup(func() { _ = rdb.Close(); emb.Close() })
		return rdb, "hvtest"
	}
	rdb, err := session.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "hvtest-vol-" + strings.ToLower(rand.Text()[:12])
	t.Cleanup(func() {
		ctx := context.Background()
		keys, err := rdb.Keys(ctx, prefix+":*").Result()
		if err == nil && len(keys) > 0 {
			err = rdb.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("error removing the test's keys: %v", err)
		}
		_ = rdb.Close()
	})
	return rdb, prefix
}

func (h *harness) now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clock
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clock = h.clock.Add(d)
}

func (h *harness) handle(ev bot.Event) bot.Outcome {
	h.t.Helper()
	h.mu.Lock()
	h.upd++
	ev.UpdateID = h.upd
	h.mu.Unlock()
	out, err := h.rt.Handle(context.Background(), ev)
	if err != nil {
		h.t.Fatalf("Handle(%+v): %v", ev, err)
	}
	return out
}

func (h *harness) command(chat int64, name, cmd, arg string) bot.Outcome {
	h.t.Helper()
	if cmd == "start" {
		h.choseLanguage(chat)
	}
	return h.handle(bot.Event{ChatID: chat, UserID: chat, Name: name, Kind: bot.EventCommand, Command: cmd, Arg: arg})
}

// choseLanguage saves Vietnamese for a chat that has chosen no language: the residents of
// these tests chose it in the picker on an earlier visit (a first visit's picker is tested in
// flows and bot).
func (h *harness) choseLanguage(chat int64) {
	h.t.Helper()
	store := session.New(h.rdb, session.WithPrefix(h.pfx))
	_, err := store.Update(context.Background(), chat, func(s *session.Session) (bool, error) {
		if s.State.Lang != "" {
			return false, nil
		}
		s.State.Lang = "vi"
		return true, nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) press(chat int64, data string) bot.Outcome {
	h.t.Helper()
	return h.handle(bot.Event{ChatID: chat, UserID: chat, Kind: bot.EventPress, Arg: data})
}

func (h *harness) text(chat int64, s string) bot.Outcome {
	h.t.Helper()
	return h.handle(bot.Event{ChatID: chat, UserID: chat, Kind: bot.EventText, Arg: s})
}

func (h *harness) groupPress(user int64, name, data string) bot.Outcome {
	h.t.Helper()
	return h.handle(bot.Event{ChatID: group, UserID: user, Name: name, Kind: bot.EventPress, Arg: data, Group: true})
}

// register walks a volunteer through /volunteer, the code of conduct and the commune.
func (h *harness) register(id int64, name, commune string) Volunteer {
	h.t.Helper()
	h.command(id, name, "volunteer", "")
	h.press(id, dataAccept)
	h.handle(bot.Event{ChatID: id, UserID: id, Name: name, Kind: bot.EventText, Arg: commune})
	v, err := h.svc.Get(context.Background(), id)
	if err != nil {
		h.t.Fatalf("volunteer %d not registered: %v", id, err)
	}
	return v
}

func (h *harness) vi(key string) string { return h.cat.Text("vi", key) }

// stepText is how a step of the VNeID guide is shown in Vietnamese (its counter above).
func (h *harness) stepText(step string) string {
	f := h.lib.Flow("vneid")
	return flows.Compose(h.cat, "vi", h.rt.Engine().Current(flows.State{Flow: f.ID, Version: f.Version, Step: step})[0])
}

func (h *harness) render(key string, params map[string]string) string {
	return h.cat.Render("vi", key, params)
}

// state returns a chat's saved place in the guides.
func (h *harness) state(chat int64) flows.State {
	h.t.Helper()
	st, _, err := h.rt.State(context.Background(), chat, "")
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

// pathToEnd returns the choice numbers (1-based, as a resident types them) that lead from a
// guide's start to its end step: the shortest such path, found in the guide itself so the
// test follows the guide as it is written.
func pathToEnd(t *testing.T, f *flows.Flow) []string {
	t.Helper()
	type node struct {
		step string
		path []string
	}
	seen := map[string]bool{f.Start: true}
	queue := []node{{step: f.Start}}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		s := f.Step(n.step)
		if s.Kind == flows.KindEnd {
			return n.path
		}
		for i, b := range s.Choices() {
			if b.Goto == flows.MenuTarget || seen[b.Goto] {
				continue
			}
			seen[b.Goto] = true
			queue = append(queue, node{step: b.Goto, path: append(append([]string{}, n.path...), strconv.Itoa(i+1))})
		}
	}
	t.Fatalf("guide %s has no path to an end step", f.ID)
	return nil
}

// counts returns a volunteer's started/finished for a guide.
func (h *harness) counts(vol int64, flow string) (int64, int64) {
	h.t.Helper()
	cs, err := h.svc.Counts(context.Background(), h.lib, vol)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, c := range cs {
		if c.Flow == flow {
			return c.Started, c.Finished
		}
	}
	h.t.Fatalf("no counts for guide %s", flow)
	return 0, 0
}

// sendsTo returns the deliveries of an outcome for one chat.
func sendsTo(out bot.Outcome, chat int64) []bot.Delivery {
	var ds []bot.Delivery
	for _, d := range out.Sends {
		if d.ChatID == chat {
			ds = append(ds, d)
		}
	}
	return ds
}

// hasButton reports whether a message has a button with data starting with prefix.
func buttonData(m bot.Message, prefix string) string {
	for _, b := range m.Buttons {
		if strings.HasPrefix(b.Data, prefix) {
			return b.Data
		}
	}
	return ""
}
