package bench

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"hocvuso/bot/bottest/fakeapi"
)

// apiServer is the fake Bot API of a bench run. It answers as bot/bottest does (both use
// fakeapi) but records nothing: it counts calls per bot and method, and hands each reply
// message to the chat waiting for it.
type apiServer struct {
	srv   *http.Server
	url   string
	bot   fakeapi.Bot
	kinds map[string]Kind // token → bot
	chats map[int64]*chatInbox
	mu    sync.Mutex
	calls map[Kind]map[string]int64
	lost  atomic.Int64 // replies no chat was waiting for
	bad   atomic.Int64 // unreadable or refused calls
}

// reply is a message the bot sent to a chat: its id and the callback data of its buttons.
type reply struct {
	msgID int64
	data  []string
	at    time.Time
}

// chatInbox receives the replies to one chat.
type chatInbox struct {
	ch chan reply
}

func newAPIServer(kinds map[string]Kind, chats []int64) (*apiServer, error) {
	s := &apiServer{kinds: kinds, chats: make(map[int64]*chatInbox, len(chats)), calls: map[Kind]map[string]int64{}}
	for _, c := range chats {
		s.chats[c] = &chatInbox{ch: make(chan reply, 16)}
	}
	for _, k := range kinds {
		s.calls[k] = map[string]int64{}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.url = "http://" + l.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *apiServer) close() { _ = s.srv.Close() }

func (s *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, method, ok := fakeapi.Route(r.URL.Path)
	kind, known := s.kinds[token]
	if !ok || !known {
		s.bad.Add(1)
		fakeapi.WriteError(w, fakeapi.Error{Code: http.StatusUnauthorized, Description: "Unauthorized"})
		return
	}
	p, _, err := fakeapi.ReadParams(r)
	if err != nil {
		s.bad.Add(1)
		fakeapi.WriteError(w, fakeapi.Error{Code: http.StatusBadRequest, Description: "Bad Request: " + err.Error()})
		return
	}
	s.count(kind, method)
	result, apiErr := s.bot.Answer(method, p)
	if apiErr != nil {
		s.bad.Add(1)
		fakeapi.WriteError(w, *apiErr)
		return
	}
	if method == "sendMessage" || method == "sendPhoto" {
		s.deliver(result.(fakeapi.Message), p)
	}
	fakeapi.WriteResult(w, result)
}

// count counts one call of a bot.
func (s *apiServer) count(kind Kind, method string) {
	s.mu.Lock()
	s.calls[kind][method]++
	s.mu.Unlock()
}

// deliver hands a sent message to its chat.
func (s *apiServer) deliver(m fakeapi.Message, p map[string]string) {
	in := s.chats[m.Chat.ID]
	if in == nil {
		s.lost.Add(1)
		return
	}
	rep := reply{msgID: m.MessageID, at: time.Now()}
	if raw := p["reply_markup"]; raw != "" {
		var markup struct {
			InlineKeyboard [][]fakeapi.Button `json:"inline_keyboard"`
		}
		if json.Unmarshal([]byte(raw), &markup) == nil {
			for _, row := range markup.InlineKeyboard {
				for _, b := range row {
					if b.CallbackData != "" {
						rep.data = append(rep.data, b.CallbackData)
					}
				}
			}
		}
	}
	select {
	case in.ch <- rep:
	default:
		s.lost.Add(1)
	}
}

// callCounts returns a copy of the counts of kind's calls by method.
func (s *apiServer) callCounts(kind Kind) map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.calls[kind]))
	for m, n := range s.calls[kind] {
		out[m] = n
	}
	return out
}

func tokenFor(k Kind) string {
	return strconv.Itoa(7000000100+int(k)) + ":BENCH-" + k.String()
}
