package flows

import (
	"html"
	"net/url"
	"strings"
)

// Renderer renders a message key in a language with parameters (i18n.Catalog is one).
type Renderer interface {
	Render(lang, key string, params map[string]string) string
}

// Compose renders a reply's text in lang: the head lines, the text, then the tail lines, one
// per line. Every transport and the golden transcripts use it, so they show the same words.
func Compose(r Renderer, lang string, rep Reply) string {
	lines := make([]string, 0, 1+len(rep.Head)+len(rep.Tail))
	for _, p := range rep.Head {
		lines = append(lines, renderPart(r, lang, p))
	}
	lines = append(lines, renderPart(r, lang, Part{Key: rep.Key, Params: rep.Params, Texts: rep.Texts}))
	for _, p := range rep.Tail {
		lines = append(lines, renderPart(r, lang, p))
	}
	return strings.Join(lines, "\n")
}

func renderPart(r Renderer, lang string, p Part) string {
	if len(p.Texts) == 0 {
		return r.Render(lang, p.Key, p.Params)
	}
	params := make(map[string]string, len(p.Params)+len(p.Texts))
	for k, v := range p.Params {
		params[k] = v
	}
	for k, key := range p.Texts {
		params[k] = r.Render(lang, key, nil)
	}
	return r.Render(lang, p.Key, params)
}

// ShareLink is the deep link that opens a guide in the bot: t.me/<bot>?start=<flow>.
func ShareLink(botUsername, flow string) string {
	return "https://t.me/" + botUsername + "?start=" + flow
}

// FillShare completes a share reply (Reply.Share set) for a bot: the deep link goes into
// Params["Link"], and a first button opens Telegram's share sheet with the link and a short
// invitation in lang. Without a bot username (the terminal chat has none), the reply names
// the word a neighbour types at the main menu instead (KeyShareWord). Other replies are
// returned unchanged.
func FillShare(r Renderer, lang, botUsername string, rep Reply) Reply {
	if rep.Share == "" {
		return rep
	}
	if botUsername == "" {
		rep.Key = KeyShareWord
		return rep
	}
	link := ShareLink(botUsername, rep.Share)
	params := map[string]string{"Link": link}
	for k, v := range rep.Params {
		params[k] = v
	}
	rep.Params = params
	// The share sheet takes plain text, not HTML.
	invite := html.UnescapeString(Compose(r, lang, Reply{Key: KeyShareInvite, Texts: rep.Texts}))
	sheet := "https://t.me/share/url?" + url.Values{"url": {link}, "text": {invite}}.Encode()
	rep.Buttons = append([]ReplyButton{{Label: KeyBtnShareSend, URL: sheet}}, rep.Buttons...)
	return rep
}
