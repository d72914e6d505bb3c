// Package volunteer is what volunteers ("Outstanding Digital Citizens") do with the bot:
// register after accepting a code of conduct, share a guide by deep link, QR card or inline
// card with their referral code, see how many neighbours their links helped, and take a
// neighbour's "ask a volunteer" request through a relay that shows neither side's phone
// number or username. It plugs into the runtime as a bot.Addon, so the engine stays pure and
// every transport gets the same features.
package volunteer

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
	"hocvuso/i18n"
)

// Config says how volunteers work in this deployment.
type Config struct {
	// BotUsername is used in deep links (t.me/<bot>?start=…). Telegram's getMe fills it in
	// production (SetBotUsername); the terminal takes it from a flag.
	BotUsername string
	// HelpChatID is the volunteers' group where help cards are posted; 0 turns "ask a
	// volunteer" off (residents are then pointed to the commune one-stop shop).
	HelpChatID int64
	// HelpTimeout is how long a help request waits for a volunteer.
	HelpTimeout time.Duration
	// RelayIdle ends a volunteer conversation nobody wrote in for this long.
	RelayIdle time.Duration
	// RequireApproval makes a new volunteer's links count only once an operator approved them.
	RequireApproval bool
	// Admins may use /stats.
	Admins []int64
	// GroupLang is the language of help cards in the volunteers' group.
	GroupLang string
	// MarkTTL is how long a resident's counting marks live without activity.
	MarkTTL time.Duration
}

// Defaults.
const (
	DefaultHelpTimeout = 10 * time.Minute
	DefaultRelayIdle   = 2 * time.Hour
	DefaultMarkTTL     = 180 * 24 * time.Hour
	modeTTL            = time.Hour
	seenTTL            = 24 * time.Hour
)

// Service implements bot.Addon.
type Service struct {
	rdb  redis.UniversalClient
	k    keys
	cfg  Config
	now  func() time.Time
	rand io.Reader
	log  *slog.Logger

	mu  sync.RWMutex
	bot string

	counting counting
}

// Option configures a Service.
type Option func(*Service)

// WithPrefix sets the key prefix (default "hv"), as session.WithPrefix does for sessions.
func WithPrefix(p string) Option { return func(s *Service) { s.k.p = p } }

// WithClock sets the clock, for tests.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRand sets the source of referral codes and request ids (crypto/rand by default).
func WithRand(r io.Reader) Option { return func(s *Service) { s.rand = r } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns the volunteer service on rdb.
func New(rdb redis.UniversalClient, cfg Config, opts ...Option) *Service {
	if cfg.HelpTimeout <= 0 {
		cfg.HelpTimeout = DefaultHelpTimeout
	}
	if cfg.RelayIdle <= 0 {
		cfg.RelayIdle = DefaultRelayIdle
	}
	if cfg.MarkTTL <= 0 {
		cfg.MarkTTL = DefaultMarkTTL
	}
	if cfg.GroupLang == "" {
		cfg.GroupLang = i18n.Base
	}
	s := &Service{rdb: rdb, k: keys{p: "hv"}, cfg: cfg, now: time.Now, rand: rand.Reader, log: slog.Default(), bot: strings.TrimPrefix(cfg.BotUsername, "@")}
	for _, o := range opts {
		o(s)
	}
	return s
}

var _ bot.Addon = (*Service)(nil)

// SetBotUsername sets the username deep links use, once the transport knows it.
func (s *Service) SetBotUsername(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bot = strings.TrimPrefix(u, "@")
}

// BotUsername returns the username deep links use.
func (s *Service) BotUsername() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.bot
}

// IsAdmin reports whether a Telegram user may see /stats.
func (s *Service) IsAdmin(id int64) bool {
	for _, a := range s.cfg.Admins {
		if a == id && id != 0 {
			return true
		}
	}
	return false
}

// Callback data of the package's buttons. They never look like the engine's ("<token>.<n>",
// "l:<tag>"), so the runtime can tell them apart.
const (
	dataAccept  = "v:coc"   // accept the code of conduct
	dataDecline = "v:no"    // not now
	dataJoin    = "v:join"  // become a volunteer
	dataCommune = "v:cm:"   // + commune name
	dataShare   = "v:share" // open the guide picker
	dataShareF  = "v:sh:"   // + flow id
	dataStats   = "v:stats" // my stats
	dataAsk     = "h:ask"   // ask a volunteer
	dataBack    = "h:back"  // back to the guide
	dataTake    = "h:take:" // + request id: I'll help
	dataEnd     = "h:end:"  // + request id: end the conversation
	dataCancel  = "h:cncl:" // + request id: stop waiting
	modeCommune = "commune" // typed text is the commune name
	maxRelayLen = 3500      // a relayed text, leaving room for the frame, under 4096
	maxPickList = 6         // communes offered as buttons
)

// Before implements bot.Addon.
func (s *Service) Before(ctx context.Context, rt *bot.Runtime, ev bot.Event) (bot.Outcome, bool, error) {
	switch ev.Kind {
	case bot.EventCommand:
		return s.command(ctx, rt, ev)
	case bot.EventPress:
		return s.press(ctx, rt, ev)
	case bot.EventText, bot.EventMedia:
		if ev.Group {
			return bot.Outcome{}, false, nil
		}
		return s.typed(ctx, rt, ev)
	}
	return bot.Outcome{}, false, nil
}

type handler func(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error)

// command handles the package's slash commands in private chats.
func (s *Service) command(ctx context.Context, rt *bot.Runtime, ev bot.Event) (bot.Outcome, bool, error) {
	var h handler
	switch ev.Command {
	case "volunteer":
		h = s.cmdVolunteer
	case "share":
		h = s.cmdShare
	case "mystats":
		h = s.cmdMyStats
	case "stats":
		if !s.IsAdmin(ev.Sender()) {
			return bot.Outcome{}, false, nil // to everyone else it is an unknown command
		}
		h = s.cmdStats
	case "volunteer_help", "ask":
		h = s.ask
	}
	if ev.Group || h == nil {
		// The guides' commands (/menu, /start) leave registration too: they save the
		// session, so the registration's revision no longer matches (see registering).
		return bot.Outcome{}, false, nil
	}
	if err := s.leaveRegistration(ctx, ev.ChatID); err != nil {
		return bot.Outcome{}, true, err
	}
	return s.run(ctx, rt, ev, h)
}

// press handles the package's buttons, in private chats and in the volunteers' group.
func (s *Service) press(ctx context.Context, rt *bot.Runtime, ev bot.Event) (bot.Outcome, bool, error) {
	d := ev.Arg
	if !strings.HasPrefix(d, "v:") && !strings.HasPrefix(d, "h:") {
		// A guide's button (or a /forget answer) leaves registration by saving the session
		// (see registering): no round trip of its own on the guides' path.
		return bot.Outcome{}, false, nil
	}
	if !ev.Group && d != dataAccept && !strings.HasPrefix(d, dataCommune) {
		// Another of our buttons ("share", "ask a volunteer") leaves it, as a command does.
		if err := s.leaveRegistration(ctx, ev.ChatID); err != nil {
			return bot.Outcome{}, true, err
		}
	}
	if ev.Group {
		if rid, ok := strings.CutPrefix(d, dataTake); ok {
			return s.run(ctx, rt, ev, func(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
				return s.take(ctx, rt, ev, lang, rid)
			})
		}
		return bot.Outcome{}, true, nil // an old or foreign button in the group: nothing to do
	}
	return s.run(ctx, rt, ev, func(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
		return s.pressPrivate(ctx, rt, ev, lang, d)
	})
}

func (s *Service) pressPrivate(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang, d string) (bot.Outcome, error) {
	switch {
	case d == dataAccept:
		return s.accepted(ctx, rt, ev, lang)
	case d == dataDecline:
		return s.declined(ctx, rt, ev, lang)
	case d == dataJoin:
		return s.cmdVolunteer(ctx, rt, ev, lang)
	case strings.HasPrefix(d, dataCommune):
		return s.pickCommune(ctx, rt, ev, lang, strings.TrimPrefix(d, dataCommune))
	case d == dataShare:
		return s.sharePicker(ctx, rt, ev, lang)
	case strings.HasPrefix(d, dataShareF):
		return s.share(ctx, rt, ev, lang, strings.TrimPrefix(d, dataShareF))
	case d == dataStats:
		return s.cmdMyStats(ctx, rt, ev, lang)
	case d == dataAsk:
		return s.ask(ctx, rt, ev, lang)
	case d == dataBack:
		return s.backToGuide(ctx, rt, ev, lang, "")
	case strings.HasPrefix(d, dataEnd):
		return s.end(ctx, rt, ev, lang, strings.TrimPrefix(d, dataEnd))
	case strings.HasPrefix(d, dataCancel):
		return s.cancel(ctx, rt, ev, lang, strings.TrimPrefix(d, dataCancel))
	}
	return s.backToGuide(ctx, rt, ev, lang, "")
}

// typed handles text and media when the chat is in a volunteer conversation or registering.
func (s *Service) typed(ctx context.Context, rt *bot.Runtime, ev bot.Event) (bot.Outcome, bool, error) {
	vals, err := s.rdb.MGet(ctx, s.k.volHelp(ev.ChatID), s.k.resHelp(ev.ChatID), s.k.mode(ev.ChatID)).Result()
	if err != nil {
		return bot.Outcome{}, false, err
	}
	str := func(v any) string { x, _ := v.(string); return x }
	volRID, resRID, mode := str(vals[0]), str(vals[1]), str(vals[2])
	var h handler
	switch {
	case volRID != "":
		h = func(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
			return s.relayFromVolunteer(ctx, rt, ev, lang, volRID)
		}
	case resRID != "":
		h = func(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
			return s.relayFromResident(ctx, rt, ev, lang, resRID)
		}
	case mode != "":
		h = func(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
			if ok, err := s.registering(ctx, rt, ev.ChatID, mode); err != nil || !ok {
				return bot.Outcome{}, cmp.Or(err, errPass)
			}
			return s.typedCommune(ctx, rt, ev, lang)
		}
	default:
		return bot.Outcome{}, false, nil
	}
	return s.run(ctx, rt, ev, h)
}

// registrationMode is the value of a chat's mode key while it is asked for its commune: the
// session's revision at that moment. Anything the guides do saves the session, so a
// different revision means the chat went back to the guides (a button, /menu, /start) and
// what it types now is for them, never a commune (it could be a name or a phone number).
func registrationMode(rev uint64) string { return modeCommune + ":" + strconv.FormatUint(rev, 10) }

// registering reports whether mode (the chat's mode key) still holds: the session is where
// registration left it. A stale mode is deleted.
func (s *Service) registering(ctx context.Context, rt *bot.Runtime, chat int64, mode string) (bool, error) {
	sess, err := rt.Store().Load(ctx, chat)
	if err != nil {
		return false, fmt.Errorf("error loading session to check registration: %w", err)
	}
	if mode == registrationMode(sess.Rev) {
		return true, nil
	}
	return false, s.leaveRegistration(ctx, chat)
}

// leaveRegistration ends the "type your commune" step of a chat, if it is in it.
func (s *Service) leaveRegistration(ctx context.Context, chat int64) error {
	if err := s.rdb.Del(ctx, s.k.mode(chat)).Err(); err != nil {
		return fmt.Errorf("error clearing registration step: %w", err)
	}
	return nil
}

// run applies h once per update: a re-delivered update (webhook retry) is answered as a
// duplicate instead of relaying a message twice.
func (s *Service) run(ctx context.Context, rt *bot.Runtime, ev bot.Event, h handler) (bot.Outcome, bool, error) {
	seen := s.k.seen(ev.ChatID, ev.UpdateID)
	if ev.UpdateID != 0 {
		fresh, err := s.rdb.SetNX(ctx, seen, 1, seenTTL).Result()
		if err != nil {
			return bot.Outcome{}, true, err
		}
		if !fresh {
			return bot.Outcome{Duplicate: true}, true, nil
		}
	}
	lang := rt.Lang(ctx, bot.Event{ChatID: ev.Sender(), LangCode: ev.LangCode})
	if s.doubleTap(ctx, ev) {
		return bot.Outcome{DoubleTap: true, Notice: notice(rt, lang, bot.KeyDoubleTap, nil), Lang: lang}, true, nil
	}
	out, err := h(ctx, rt, ev, lang)
	if err != nil && ev.UpdateID != 0 {
		// Not applied (or given back to the engine): release the claim, so Telegram's
		// retry of this update is applied instead of being dropped as a duplicate. The
		// request's context may be what failed, so the release does not depend on it.
		if derr := s.rdb.Del(context.WithoutCancel(ctx), seen).Err(); derr != nil && !errors.Is(err, errPass) {
			err = errors.Join(err, fmt.Errorf("error releasing update claim: %w", derr))
		}
	}
	if errors.Is(err, errPass) {
		return bot.Outcome{}, false, nil
	}
	if out.Lang == "" {
		out.Lang = lang
	}
	return out, true, err
}

// doubleTap recognises the second press of the same button of the same message within
// bot.DefaultTapWindow (two callback updates from one unsteady tap): it is answered with the
// runtime's quiet toast instead of sending a second QR card or a second set of stats. A
// failed check lets the press through: a repeat is better than a lost press.
func (s *Service) doubleTap(ctx context.Context, ev bot.Event) bool {
	if ev.Kind != bot.EventPress || ev.MsgID == 0 {
		return false
	}
	fresh, err := s.rdb.SetNX(ctx, s.k.tap(ev.Sender(), ev.MsgID, ev.Arg), 1, bot.DefaultTapWindow).Result()
	return err == nil && !fresh
}

// safetyTexts are the package's texts about OTP codes, passwords and scams: until reviewed,
// their translations show after the Vietnamese text, like safety steps of the guides.
var safetyTexts = map[string]bool{
	"volunteer.coc": true, "volunteer.help.connected": true, "volunteer.help.held_back": true,
	"volunteer.help.text_only": true, "volunteer.help.briefing": true,
}

// IsSafetyText reports whether key is one of the package's texts about OTP codes, passwords
// and scams (for the translation sheet: reviewers check those first).
func IsSafetyText(key string) bool { return safetyTexts[key] }

// text renders a key in lang the way the guides' texts are rendered: an unreviewed
// translation shows with the Vietnamese text.
func text(rt *bot.Runtime, lang, key string, params map[string]string) string {
	return rt.Catalog().Message(lang, key, params, safetyTexts[key])
}

// btn is a button of the package: a label key and callback data.
func btn(rt *bot.Runtime, lang, key, data string) bot.Button {
	return bot.Button{Text: rt.Catalog().Label(lang, key), Data: data}
}

// buttons lists the package's buttons. They carry no number: typed text goes to the guides
// (or the relay), so "1." on a volunteer button would promise what typing "1" does not do.
func buttons(bs ...bot.Button) []bot.Button { return bs }

// backToGuide shows a notice (if any) and the step the chat is on.
func (s *Service) backToGuide(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang, key string) (bot.Outcome, error) {
	msgs, err := s.current(ctx, rt, ev.ChatID, key)
	return bot.Outcome{Messages: msgs}, err
}

// current is a notice (if key is set) and the chat's step, in the chat's language, with the
// "ask a volunteer" button the step has everywhere else.
func (s *Service) current(ctx context.Context, rt *bot.Runtime, chat int64, key string) ([]bot.Message, error) {
	st, lang, err := rt.State(ctx, chat, "")
	if err != nil {
		return nil, err
	}
	msgs, _, err := rt.Current(ctx, chat, "")
	if err != nil {
		return nil, err
	}
	s.offerHelp(rt, lang, st.Flow, msgs)
	if key != "" {
		msgs = append([]bot.Message{{Text: text(rt, lang, key, nil)}}, msgs...)
	}
	return msgs, nil
}

// offerHelp adds "ask a volunteer" under the last message of a guide's step.
func (s *Service) offerHelp(rt *bot.Runtime, lang, flow string, msgs []bot.Message) {
	if s.cfg.HelpChatID == 0 || flow == "" || len(msgs) == 0 {
		return
	}
	last := &msgs[len(msgs)-1]
	last.Buttons = append(last.Buttons, btn(rt, lang, "volunteer.help.btn.ask", dataAsk))
}
