package bench

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot/session"
	"hocvuso/bot/telegram"
)

// The floor is the least any webhook bot with its state in Redis does for an update: decode
// it, read the chat's state (one GET), write it back (one SET), send a message with a button,
// and answer the button press. No engine, no texts, no retries. It talks to the Bot API with
// plain JSON over a keep-alive client sized like hocvuso's, so that the comparison is about
// the work per update, not about connection handling.

const floorText = "Bước tiếp theo: mở ứng dụng VNeID, chọn “Đăng nhập”, nhập số định danh cá " +
	"nhân và mật khẩu. Không chia sẻ mã OTP với bất kỳ ai. Bấm nút bên dưới khi xong."

// FloorFactory builds the floor bot.
func FloorFactory(ctx context.Context, env BotEnv) (http.Handler, redis.UniversalClient, func(), error) {
	rdb, err := session.Connect(env.RedisURL)
	if err != nil {
		return nil, nil, nil, err
	}
	f := &floor{rdb: rdb, env: env, http: keepAliveClient()}
	if env.Paced {
		f.pacer = telegram.NewPacer(telegram.TelegramLimits)
	}
	return f, rdb, func() { _ = rdb.Close() }, nil
}

type floor struct {
	rdb   redis.UniversalClient
	env   BotEnv
	http  *http.Client
	pacer *telegram.Pacer // nil: unpaced
}

// floorUpdate is the part of an Update the floor reads.
type floorUpdate struct {
	UpdateID int64 `json:"update_id"`
	Message  *struct {
		Chat struct {
			ID int64 `json:"id"`
		} `json:"chat"`
	} `json:"message"`
	CallbackQuery *struct {
		ID      string `json:"id"`
		Message struct {
			Chat struct {
				ID int64 `json:"id"`
			} `json:"chat"`
		} `json:"message"`
	} `json:"callback_query"`
}

// floorState is what the floor keeps per chat.
type floorState struct {
	N  int64 `json:"n"`
	At int64 `json:"at"`
}

func (f *floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(f.env.Secret)) != 1 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var u floorUpdate
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&u); err != nil {
		http.Error(w, "malformed update", http.StatusBadRequest)
		return
	}
	if err := f.handle(r.Context(), &u); err != nil {
		http.Error(w, "not applied", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (f *floor) handle(ctx context.Context, u *floorUpdate) error {
	var chat int64
	var callbackID string
	switch {
	case u.Message != nil:
		chat = u.Message.Chat.ID
	case u.CallbackQuery != nil:
		chat, callbackID = u.CallbackQuery.Message.Chat.ID, u.CallbackQuery.ID
	default:
		return nil
	}
	key := f.env.Prefix + ":f:{" + strconv.FormatInt(chat, 10) + "}"
	var st floorState
	raw, err := f.rdb.Get(ctx, key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		return err
	default:
		_ = json.Unmarshal(raw, &st)
	}
	st.N++
	st.At = time.Now().Unix()
	val, _ := json.Marshal(st)
	if err := f.rdb.Set(ctx, key, val, session.DefaultTTL).Err(); err != nil {
		return err
	}
	if callbackID != "" {
		if err := f.call(ctx, "answerCallbackQuery", map[string]any{"callback_query_id": callbackID}); err != nil {
			return err
		}
	}
	if f.pacer != nil {
		if err := f.pacer.Wait(ctx, chat); err != nil {
			return err
		}
	}
	return f.call(ctx, "sendMessage", map[string]any{
		"chat_id": chat, "text": floorText, "parse_mode": "HTML",
		"reply_markup": map[string]any{"inline_keyboard": [][]map[string]string{
			{{"text": "1. Tiếp tục ▶️", "callback_data": "n." + strconv.FormatInt(st.N, 36)}},
		}},
	})
}

// call makes one Bot API call and checks Telegram's "ok".
func (f *floor) call(ctx context.Context, method string, params map[string]any) error {
	body, err := json.Marshal(params)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.env.APIURL+"/bot"+f.env.Token+"/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		OK bool `json:"ok"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || !out.OK {
		return fmt.Errorf("%s failed: %d", method, resp.StatusCode)
	}
	return nil
}

// keepAliveClient keeps connections alive, sized for concurrency (as hocvuso's transport).
func keepAliveClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     90 * time.Second,
	}}
}
