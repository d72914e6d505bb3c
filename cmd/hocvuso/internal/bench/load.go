package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hocvuso/bot/bottest/fakeapi"
)

// Plan is one walk through a guide: /start with a deep-link payload, then at each step the
// choice to press (an index among the callback buttons of the reply, as the bot sent them).
type Plan struct {
	Start   string
	Choices []int
}

// Updates returns how many updates one walk posts.
func (p Plan) Updates() int { return 1 + len(p.Choices) }

// replyTimeout bounds the wait for a reply: a bot that takes longer has failed the update.
const replyTimeout = 10 * time.Second

// loader plays residents: each chat posts an update to the bot's webhook, waits for the
// reply, and presses the next button with the callback data the bot sent (closed loop).
type loader struct {
	api    *apiServer
	client *http.Client
	secret string
	nextID atomic.Int64
	kinds  map[string]Kind // bot URL → bot, for the calls made in webhook answers
}

func newLoader(api *apiServer, secret string, chats int) *loader {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        chats + 16,
		MaxIdleConnsPerHost: chats + 16,
		IdleConnTimeout:     90 * time.Second,
	}
	l := &loader{api: api, client: &http.Client{Transport: tr, Timeout: 60 * time.Second}, secret: secret, kinds: map[string]Kind{}}
	l.nextID.Store(800_000_000)
	return l
}

// tally collects what the chats of one phase measured.
type tally struct {
	mu        sync.Mutex
	latencies []time.Duration
	updates   int64
	errors    int64
	firstErr  error
}

func (t *tally) ok(d time.Duration) {
	t.mu.Lock()
	t.latencies = append(t.latencies, d)
	t.updates++
	t.mu.Unlock()
}

func (t *tally) fail(err error) {
	t.mu.Lock()
	t.errors++
	if t.firstErr == nil {
		t.firstErr = err
	}
	t.mu.Unlock()
}

// run makes every chat walk the plan walks times, all chats at once, and returns the tally
// and the wall time it took. With presses < len(plan.Choices) each walk stops there.
func (l *loader) run(ctx context.Context, botURL string, chats []int64, walks int, plan Plan, presses int, t *tally) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	for _, chat := range chats {
		wg.Go(func() {
			for range walks {
				if ctx.Err() != nil {
					return
				}
				if err := l.walk(ctx, botURL, chat, plan, presses, t); err != nil {
					t.fail(err)
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// walk posts /start and then presses presses buttons of plan.
func (l *loader) walk(ctx context.Context, botURL string, chat int64, plan Plan, presses int, t *tally) error {
	last, err := l.step(ctx, botURL, chat, l.command(chat, "/start "+plan.Start), t)
	if err != nil {
		return err
	}
	if lang := languageButton(last.data); lang != "" {
		// A resident's very first /start asks for the language; the guide follows the answer.
		if last, err = l.step(ctx, botURL, chat, l.press(chat, last.msgID, lang), t); err != nil {
			return err
		}
	}
	for i := range presses {
		if len(last.data) == 0 {
			return fmt.Errorf("chat %d: step %d of the walk has no button to press", chat, i+1)
		}
		data := last.data[min(plan.Choices[i], len(last.data)-1)]
		if last, err = l.step(ctx, botURL, chat, l.press(chat, last.msgID, data), t); err != nil {
			return err
		}
	}
	return nil
}

// languageButton returns the first button of a language picker ("l:<tag>" callback data), or
// "" when the buttons are not one.
func languageButton(data []string) string {
	if len(data) > 1 && strings.HasPrefix(data[0], "l:") {
		return data[0]
	}
	return ""
}

// step posts one update and waits for the reply: the last message with buttons the bot sent
// to the chat while handling it. Latency runs from the post to that message's arrival.
func (l *loader) step(ctx context.Context, botURL string, chat int64, update []byte, t *tally) (reply, error) {
	inbox := l.api.chats[chat]
	for len(inbox.ch) > 0 { // anything left from an update that failed
		<-inbox.ch
	}
	start := time.Now()
	if err := l.post(ctx, botURL, update); err != nil {
		return reply{}, fmt.Errorf("chat %d: %w", chat, err)
	}
	var got reply
	found := false
	timeout := time.NewTimer(replyTimeout)
	defer timeout.Stop()
	for !found {
		select {
		case r := <-inbox.ch:
			got, found = r, len(r.data) > 0
		case <-timeout.C:
			return reply{}, fmt.Errorf("chat %d: no reply with buttons within %s", chat, replyTimeout)
		case <-ctx.Done():
			return reply{}, ctx.Err()
		}
	}
	for len(inbox.ch) > 0 { // a later message with buttons is the reply
		if r := <-inbox.ch; len(r.data) > 0 {
			got = r
		}
	}
	t.ok(got.at.Sub(start))
	return got, nil
}

func (l *loader) post(ctx context.Context, botURL string, update []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, botURL+webhookPath, bytes.NewReader(update))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", l.secret)
	resp, err := l.client.Do(req)
	if err != nil {
		return fmt.Errorf("error posting an update: %w", err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	// A webhook answer may carry one Bot API call, which Telegram makes: count it.
	var call struct {
		Method string `json:"method"`
	}
	if len(body) > 0 && json.Unmarshal(body, &call) == nil && call.Method != "" {
		l.api.count(l.kinds[botURL], call.Method+" (in webhook answer)")
	}
	return nil
}

// command is a private message "/cmd arg" from chat, as Telegram sends it.
func (l *loader) command(chat int64, text string) []byte {
	id := l.nextID.Add(1)
	cmdLen := len(text)
	if i := bytes.IndexByte([]byte(text), ' '); i >= 0 {
		cmdLen = i
	}
	b := make([]byte, 0, 512)
	b = append(b, `{"update_id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"message":{"message_id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = appendFrom(b, chat)
	b = append(b, `,"chat":{"id":`...)
	b = strconv.AppendInt(b, chat, 10)
	b = append(b, `,"first_name":"Lục","type":"private"},"date":1764720000,"text":`...)
	b, _ = appendJSON(b, text)
	b = append(b, `,"entities":[{"offset":0,"length":`...)
	b = strconv.AppendInt(b, int64(cmdLen), 10)
	b = append(b, `,"type":"bot_command"}]}}`...)
	return b
}

// press is a callback query for the button with data under message msgID.
func (l *loader) press(chat, msgID int64, data string) []byte {
	id := l.nextID.Add(1)
	b := make([]byte, 0, 640)
	b = append(b, `{"update_id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"callback_query":{"id":"`...)
	b = strconv.AppendInt(b, 4471020399000000000+id, 10)
	b = append(b, '"')
	b = appendFrom(b, chat)
	b = append(b, `,"message":{"message_id":`...)
	b = strconv.AppendInt(b, msgID, 10)
	b = append(b, `,"from":{"id":`...)
	b = strconv.AppendInt(b, fakeapi.BotID, 10)
	b = append(b, `,"is_bot":true,"first_name":"Học vụ số","username":"hocvuso_bot"},"chat":{"id":`...)
	b = strconv.AppendInt(b, chat, 10)
	b = append(b, `,"first_name":"Lục","type":"private"},"date":1764720000,"text":"…"},"chat_instance":"-3372016847219984021","data":`...)
	b, _ = appendJSON(b, data)
	b = append(b, `}}`...)
	return b
}

func appendFrom(b []byte, chat int64) []byte {
	b = append(b, `,"from":{"id":`...)
	b = strconv.AppendInt(b, chat, 10)
	return append(b, `,"is_bot":false,"first_name":"Lục","language_code":"vi"}`...)
}

func appendJSON(b []byte, s string) ([]byte, error) {
	q, err := json.Marshal(s)
	return append(b, q...), err
}
