package fakeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
)

// maxBody bounds a request body; Telegram's own limit for uploads is 50 MB.
const maxBody = 50 << 20

// ReadParams decodes a request the way the Bot API accepts it: query string, then a
// multipart form (what go-telegram/bot sends), a JSON object (our getUpdates) or a URL-encoded
// form. An empty body is no parameters (go-telegram/bot sends getMe that way). Uploaded files
// (a photo the bot drew) are returned by form field.
func ReadParams(r *http.Request) (map[string]string, map[string][]byte, error) {
	p := map[string]string{}
	files := map[string][]byte{}
	for k, v := range r.URL.Query() {
		p[k] = v[0]
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return nil, nil, fmt.Errorf("error reading body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return p, files, nil
	}
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		err = readMultipart(body, ctParams["boundary"], p, files)
	case "application/json":
		err = readJSON(body, p)
	case "application/x-www-form-urlencoded":
		var vals url.Values
		if vals, err = url.ParseQuery(string(body)); err == nil {
			for k, v := range vals {
				p[k] = v[0]
			}
		}
	default:
		err = fmt.Errorf("unsupported content type %q", ct)
	}
	return p, files, err
}

func readMultipart(body []byte, boundary string, p map[string]string, files map[string][]byte) error {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("error reading multipart form: %w", err)
		}
		v, err := io.ReadAll(part)
		if err != nil {
			return fmt.Errorf("error reading form field %s: %w", part.FormName(), err)
		}
		if part.FileName() != "" {
			p[part.FormName()] = "file:" + part.FileName()
			files[part.FormName()] = v
			continue
		}
		p[part.FormName()] = string(v)
	}
}

func readJSON(body []byte, p map[string]string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		return fmt.Errorf("error decoding JSON body: %w", err)
	}
	for k, v := range fields {
		if s, ok := v.(string); ok {
			p[k] = s
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("error re-encoding %s: %w", k, err)
		}
		p[k] = string(raw)
	}
	return nil
}

// Error is an error answer of the Bot API.
type Error struct {
	Code            int
	Description     string
	RetryAfter      int
	MigrateToChatID int64
}

type response struct {
	OK          bool        `json:"ok"`
	Result      any         `json:"result,omitempty"`
	ErrorCode   int         `json:"error_code,omitempty"`
	Description string      `json:"description,omitempty"`
	Parameters  *parameters `json:"parameters,omitempty"`
}

type parameters struct {
	RetryAfter      int   `json:"retry_after,omitempty"`
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
}

// WriteResult writes a successful answer.
func WriteResult(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, response{OK: true, Result: result})
}

// WriteError writes an error answer, as Telegram gives them (with retry_after on a 429).
func WriteError(w http.ResponseWriter, e Error) {
	resp := response{ErrorCode: e.Code, Description: e.Description}
	if e.RetryAfter > 0 || e.MigrateToChatID != 0 {
		resp.Parameters = &parameters{RetryAfter: e.RetryAfter, MigrateToChatID: e.MigrateToChatID}
	}
	writeJSON(w, e.Code, resp)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// The parts of Bot API objects the server returns.
type (
	// User is a Bot API User.
	User struct {
		ID        int64  `json:"id"`
		IsBot     bool   `json:"is_bot"`
		FirstName string `json:"first_name"`
		Username  string `json:"username,omitempty"`
	}
	// Chat is a Bot API Chat.
	Chat struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
	}
	// PhotoSize is a Bot API PhotoSize.
	PhotoSize struct {
		FileID       string `json:"file_id"`
		FileUniqueID string `json:"file_unique_id"`
		Width        int    `json:"width"`
		Height       int    `json:"height"`
	}
	// Message is a Bot API Message.
	Message struct {
		MessageID   int64           `json:"message_id"`
		From        *User           `json:"from,omitempty"`
		Date        int64           `json:"date"`
		Chat        Chat            `json:"chat"`
		Text        string          `json:"text,omitempty"`
		Caption     string          `json:"caption,omitempty"`
		Photo       []PhotoSize     `json:"photo,omitempty"`
		ReplyMarkup json.RawMessage `json:"reply_markup,omitempty"`
	}
)

// Call is one Bot API request as a server received it. Params holds every field of the
// body (multipart form, JSON or URL-encoded) and of the query string, as text: numbers as
// their digits, objects and arrays as their JSON, an uploaded file as "file:<name>".
type Call struct {
	Method string
	Params map[string]string
	Header http.Header       // the request's headers (to tell two clients apart)
	Failed bool              // the call got an error answer (injected by a test)
	Files  map[string][]byte // uploaded files by field ("photo"), e.g. a QR card to decode
}

// Button is an inline keyboard button as a call's reply_markup carries it.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

// Keyboard returns the rows of the call's inline keyboard; nil when it has none.
func (c Call) Keyboard() ([][]Button, error) {
	raw := c.Params["reply_markup"]
	if raw == "" {
		return nil, nil
	}
	var markup struct {
		InlineKeyboard [][]Button `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &markup); err != nil {
		return nil, fmt.Errorf("error decoding reply_markup of %s: %w", c.Method, err)
	}
	return markup.InlineKeyboard, nil
}
