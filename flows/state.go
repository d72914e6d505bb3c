package flows

// State is everything the engine needs to know about one chat. It is small on purpose: it is
// stored in Redis for every chat (short JSON names keep it a few hundred bytes).
type State struct {
	Flow    string   `json:"f,omitempty"` // "" means the main menu
	Version int      `json:"v,omitempty"` // version of Flow when Step was entered
	Step    string   `json:"s,omitempty"`
	Back    []string `json:"b,omitempty"`  // steps /back returns to, most recent last, at most MaxBackStack
	Lang    string   `json:"l,omitempty"`  // language the resident chose; "" means not chosen yet
	Ref     string   `json:"r,omitempty"`  // referral code from the deep link that brought the resident
	Token   uint32   `json:"t,omitempty"`  // prompt token: changes whenever a new step is shown
	Mode    string   `json:"m,omitempty"`  // what the next input answers besides the step (ModeLang, ModeResume)
	Asked   uint32   `json:"qa,omitempty"` // quiz of Flow: bit i set when question i was answered
	Right   uint32   `json:"qr,omitempty"` // quiz of Flow: bit i set when question i was answered right
}

// Modes: what the resident is answering when it is not the step itself.
const (
	ModeLang   = "lang"   // the language picker is open
	ModeResume = "resume" // "Continue the guide, or main menu?" after coming back
)

// InputKind says what the resident did.
type InputKind uint8

// Input kinds. The numbers are not stored anywhere.
const (
	Start InputKind = iota + 1 // /start, Arg is the deep-link payload (may be empty)
	Press                      // a button press, Arg is its callback data
	Text                       // typed text, Arg is the text
	Menu                       // /menu
	Back                       // /back
	Help                       // /help
	Lang                       // /lang: open the language picker
	Media                      // a sticker, photo, voice note… Arg names the kind
)

// Input is one thing the resident did.
type Input struct {
	Kind InputKind
	Arg  string
	// Lang is the language to use while the resident has chosen none (State.Lang is empty),
	// for example from the client's settings.
	Lang string
	// Away is set by the caller when the resident comes back after a long pause: a text or
	// media then offers "Continue <guide>" or "Main menu" instead of acting on the step. The
	// caller decides what "long" is, so the engine needs no clock.
	Away bool
	// Forwarded marks a text the resident forwarded from another chat: it is checked for scam
	// signs wherever the resident is.
	Forwarded bool
}

// Part is one piece of a message: a message key and its parameters.
type Part struct {
	Key    string
	Params map[string]string
	// Texts are parameters whose values are message keys, rendered in the same language
	// first (a guide's title inside a sentence).
	Texts map[string]string
}

// Reply is one message to send, as message keys: rendering into a language happens later
// (see Compose).
type Reply struct {
	Key     string
	Params  map[string]string
	Texts   map[string]string // as in Part
	Head    []Part            // lines above the text: the step counter, the quiz score
	Tail    []Part            // lines below the text: shared rules, findings of a check
	Image   string
	Buttons []ReplyButton
	// Toast marks a short notice that a transport may show as a callback answer.
	Toast bool
	// Safety marks a safety-critical step (OTP, passwords, money, scams): an unreviewed
	// translation must not be the first thing a resident reads.
	Safety bool
}

// ReplyButton is a button under a reply.
type ReplyButton struct {
	Label  string // message key
	Lang   string // render the label in this language instead of the chat's (language picker)
	Number int    // the number a resident may type instead of pressing; 0 for links
	Data   string // callback data
	URL    string
}
