package volunteer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"hocvuso/bot"
	"hocvuso/bot/volunteer/qrcard"
	"hocvuso/flows"
)

// Share is one guide ready to share: its deep link and printable QR card.
type Share struct {
	Flow  string
	Title string // the guide's name in the sharer's language (Telegram HTML stripped)
	Link  string
	QR    []byte // PNG
}

// ShareLink returns the deep link of a guide, with the volunteer's referral code when
// volunteerID is a registered volunteer (0 or anyone else: a plain link).
func (s *Service) ShareLink(ctx context.Context, flow string, volunteerID int64) (string, error) {
	ref := ""
	if volunteerID != 0 {
		v, err := s.Get(ctx, volunteerID)
		switch {
		case err == nil:
			ref = v.Ref
		case !errors.Is(err, ErrNotFound):
			return "", err
		}
	}
	bot := s.BotUsername()
	if bot == "" {
		return "", fmt.Errorf("error making a share link: the bot's username is not known")
	}
	p, err := Payload(flow, ref)
	if err != nil {
		return "", err
	}
	return Link(bot, p), nil
}

// MakeShare returns the link and QR card of a guide for a volunteer (or anyone: 0).
func (s *Service) MakeShare(ctx context.Context, rt *bot.Runtime, f *flows.Flow, lang string, volunteerID int64) (Share, error) {
	link, err := s.ShareLink(ctx, f.ID, volunteerID)
	if err != nil {
		return Share{}, err
	}
	title := plain(rt.Catalog().Text(lang, f.Title))
	png, err := qrcard.PNG(link, title)
	if err != nil {
		return Share{}, err
	}
	return Share{Flow: f.ID, Title: title, Link: link, QR: png}, nil
}

// cmdShare is /share, or /share <guide> to skip the picker.
func (s *Service) cmdShare(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
	if id := strings.ToLower(strings.TrimSpace(ev.Arg)); id != "" {
		if f := rt.Engine().Library().Flow(id); f != nil {
			return s.share(ctx, rt, ev, lang, id)
		}
	}
	return s.sharePicker(ctx, rt, ev, lang)
}

func (s *Service) sharePicker(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
	var bs []bot.Button
	for _, f := range rt.Engine().Library().Flows() {
		bs = append(bs, bot.Button{Text: rt.Catalog().Text(lang, f.Title), Data: dataShareF + f.ID})
	}
	return bot.Outcome{Messages: []bot.Message{{Text: text(rt, lang, "volunteer.share_pick", nil), Buttons: bs}}}, nil
}

// share sends the QR card (a photo), a card to forward with a Start button, and how to use them.
func (s *Service) share(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang, flowID string) (bot.Outcome, error) {
	f := rt.Engine().Library().Flow(flowID)
	if f == nil {
		return s.sharePicker(ctx, rt, ev, lang)
	}
	sh, err := s.MakeShare(ctx, rt, f, lang, ev.Sender())
	if err != nil {
		return bot.Outcome{}, err
	}
	params := map[string]string{"Title": sh.Title, "Link": sh.Link, "Bot": s.BotUsername(), "Keyword": keyword(f)}
	msgs := []bot.Message{
		{Text: text(rt, lang, "volunteer.share_qr", params), Upload: &bot.File{Name: f.ID + "-qr.png", Data: sh.QR}},
		s.card(rt, lang, f, sh.Link),
	}
	hint := "volunteer.share_hint"
	if _, err := s.Get(ctx, ev.Sender()); errors.Is(err, ErrNotFound) {
		hint = "volunteer.share_hint_join"
	}
	msgs = append(msgs, bot.Message{Text: text(rt, lang, hint, params)})
	return bot.Outcome{Messages: msgs}, nil
}

// card is the message a neighbour receives: the guide's name and a Start button.
func (s *Service) card(rt *bot.Runtime, lang string, f *flows.Flow, link string) bot.Message {
	title := rt.Catalog().Text(lang, f.Title)
	return bot.Message{
		Text:    text(rt, lang, "volunteer.card", map[string]string{"Title": plain(title)}),
		Buttons: []bot.Button{{Text: rt.Catalog().Text(lang, "volunteer.btn.start"), URL: link}},
	}
}

// InlineCards returns guide cards for an inline query ("@bot vneid" in any chat): every guide
// whose name or keywords contain the query, or every guide when none does. The Start button
// carries the sender's referral code when they are a volunteer.
func (s *Service) InlineCards(ctx context.Context, rt *bot.Runtime, userID int64, langCode, query string) ([]bot.Card, error) {
	_, lang, err := rt.State(ctx, userID, langCode)
	if err != nil {
		return nil, err
	}
	all := rt.Engine().Library().Flows()
	picked := matchFlows(rt, all, query)
	if len(picked) == 0 {
		picked = all
	}
	cards := make([]bot.Card, 0, len(picked))
	for _, f := range picked {
		link, err := s.ShareLink(ctx, f.ID, userID)
		if err != nil {
			return nil, err
		}
		c := s.card(rt, lang, f, link)
		cards = append(cards, bot.Card{
			ID:          f.ID,
			Title:       plain(rt.Catalog().Text(lang, f.Title)),
			Description: plain(text(rt, lang, "volunteer.inline_desc", nil)),
			Message:     c,
		})
	}
	return cards, nil
}

// matchFlows finds guides whose keywords or name (in any language) contain the query;
// accents and capitals do not matter.
func matchFlows(rt *bot.Runtime, all []*flows.Flow, query string) []*flows.Flow {
	q := flows.Fold(query)
	if q == "" {
		return all
	}
	var out []*flows.Flow
	for _, f := range all {
		words := append([]string{f.ID}, f.Keywords...)
		for _, lang := range rt.Catalog().Languages() {
			words = append(words, rt.Catalog().Text(lang, f.Title))
		}
		for _, w := range words {
			if strings.Contains(flows.Fold(w), q) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

func keyword(f *flows.Flow) string {
	if len(f.Keywords) > 0 {
		return f.Keywords[0]
	}
	return f.ID
}
