// Package bot is the conversation runtime, the same for every transport (Telegram, the terminal
// chat): an inbound event is turned into an engine input, the chat's session is loaded, the
// engine computes the next state and replies, the replies are rendered in the chat's language,
// and the session is saved by compare-and-set. The transport then delivers the messages.
package bot

import "context"

// EventKind says what arrived from a chat.
type EventKind uint8

// Event kinds.
const (
	EventCommand EventKind = iota + 1 // "/start payload": Command "start", Arg "payload"
	EventText                         // typed text in Arg (never logged nor stored)
	EventPress                        // a button press, callback data in Arg
	EventMedia                        // a sticker, photo, voice note…: Arg names the kind
	EventEdited                       // an edited message: Arg is its text, only checked for sensitive numbers
)

// Event is one thing a resident did, in channel-neutral form.
type Event struct {
	ChatID   int64
	UpdateID int64 // transport's id for de-duplication; 0 when the transport has none
	MsgID    int64 // for a press: the message whose button was pressed; 0 when unknown
	Kind     EventKind
	Command  string
	Arg      string
	LangCode string // the client's language (Telegram's language_code), may be empty
	Name     string // the sender's first name, for greetings; stored only for volunteers
	UserID   int64  // who did it; in a private chat the same as ChatID (0 means ChatID)
	Group    bool   // a button pressed in a group (the volunteers' group): no session there
	// Forwarded marks a text forwarded from another chat: the resident wants it checked.
	Forwarded bool
}

// Sender returns who did it: UserID, or ChatID in a private chat.
func (ev Event) Sender() int64 {
	if ev.UserID != 0 {
		return ev.UserID
	}
	return ev.ChatID
}

// Message is one rendered message for a transport to deliver.
type Message struct {
	Text    string // Telegram HTML
	Image   string // https URL of a picture, or ""
	Upload  *File  // a picture made by the bot (a QR card), sent with Text as its caption
	Buttons []Button
}

// File is a picture made by the bot.
type File struct {
	Name string // file name, e.g. "vneid-qr.png"
	Data []byte // PNG
}

// Delivery is a message for another chat than the event's (a help card for the volunteers'
// group, a relayed message), or an edit of a message sent before.
type Delivery struct {
	ChatID  int64
	EditID  int64 // when set, replace the text and buttons of this message instead of sending
	Message Message
	// Wanted, when set, is asked just before sending: false drops the message (a help card
	// whose request was cancelled while the card waited for the group's sending slot).
	Wanted func(ctx context.Context) bool
	// OnSent, when set, receives the id of the message once it is sent, so that it can be
	// edited later (the help card shows who took it), and returns what to send right after
	// it (an edit, when its request ended while the card was on its way).
	OnSent func(ctx context.Context, messageID int64) []Delivery
}

// Button is a rendered button: a choice (Data) or a link (URL).
type Button struct {
	Text   string
	Number int // the number a resident may type instead; 0 for links
	Data   string
	URL    string
}

// Outcome is what the runtime decided for one event.
type Outcome struct {
	Messages  []Message
	Notice    string // a short notice a transport may show as the answer to a button press
	Duplicate bool   // the event was already applied: deliver nothing
	DoubleTap bool   // the same button was pressed again: answer Notice quietly, deliver nothing
	Chosen    bool   // a press was taken as the resident's choice (not stale, not a double tap)
	Lang      string // the chat's language after the event
	Where     string // "flow.step" after the event, for logs (never what the resident typed)
	Sends     []Delivery
	// EditPressed replaces the message whose button was pressed (a help card once taken).
	EditPressed *Message
	// LangChanged is set when the resident chose a language (a transport may then set the
	// chat's command menu in it).
	LangChanged bool
}

// Quiet reports whether nothing but the callback answer should be sent.
func (o Outcome) Quiet() bool { return o.Duplicate || o.DoubleTap }
