package volunteer

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot"
)

// cmdVolunteer starts registration with the code of conduct, or greets a volunteer.
func (s *Service) cmdVolunteer(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
	v, err := s.Get(ctx, ev.Sender())
	if errors.Is(err, ErrNotFound) {
		return bot.Outcome{Messages: []bot.Message{{
			Text: text(rt, lang, "volunteer.coc", nil),
			Buttons: buttons(
				btn(rt, lang, "volunteer.btn.accept", dataAccept),
				btn(rt, lang, "volunteer.btn.decline", dataDecline)),
		}}}, nil
	}
	if err != nil {
		return bot.Outcome{}, err
	}
	msgs := []bot.Message{{
		Text: text(rt, lang, "volunteer.already", map[string]string{"Name": s.displayName(rt, lang, v), "Commune": v.Commune}),
		Buttons: buttons(
			btn(rt, lang, "volunteer.btn.share", dataShare),
			btn(rt, lang, "volunteer.btn.mystats", dataStats),
			btn(rt, lang, "volunteer.btn.change_commune", dataAccept)),
	}}
	if !v.Counts(s.cfg.RequireApproval) {
		msgs = append(msgs, bot.Message{Text: text(rt, lang, "volunteer.pending_approval", nil)})
	}
	return bot.Outcome{Messages: msgs}, nil
}

// accepted records nothing yet: it asks for the commune, which completes registration.
func (s *Service) accepted(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
	sess, err := rt.Store().Load(ctx, ev.ChatID)
	if err != nil {
		return bot.Outcome{}, fmt.Errorf("error loading session to start registration: %w", err)
	}
	if err := s.rdb.Set(ctx, s.k.mode(ev.ChatID), registrationMode(sess.Rev), modeTTL).Err(); err != nil {
		return bot.Outcome{}, fmt.Errorf("error saving registration step: %w", err)
	}
	communes, err := s.Communes(ctx, maxPickList)
	if err != nil {
		return bot.Outcome{}, err
	}
	var bs []bot.Button
	for _, c := range communes {
		if len(dataCommune)+len(c) <= 64 { // Telegram's callback data limit, in bytes
			bs = append(bs, bot.Button{Text: c, Data: dataCommune + c})
		}
	}
	key := "volunteer.ask_commune"
	if len(bs) > 0 {
		key = "volunteer.ask_commune_pick"
	}
	return bot.Outcome{Messages: []bot.Message{{Text: text(rt, lang, key, nil), Buttons: bs}}}, nil
}

func (s *Service) declined(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
	if err := s.rdb.Del(ctx, s.k.mode(ev.ChatID)).Err(); err != nil {
		return bot.Outcome{}, fmt.Errorf("error clearing registration step: %w", err)
	}
	return s.backToGuide(ctx, rt, ev, lang, "volunteer.declined")
}

// pickCommune is a commune button. It counts only after the code of conduct was accepted.
func (s *Service) pickCommune(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang, name string) (bot.Outcome, error) {
	mode, err := s.rdb.Get(ctx, s.k.mode(ev.ChatID)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return bot.Outcome{}, fmt.Errorf("error loading registration step: %w", err)
	}
	if ok, err := s.registering(ctx, rt, ev.ChatID, mode); err != nil || !ok {
		if err != nil {
			return bot.Outcome{}, err
		}
		return s.cmdVolunteer(ctx, rt, ev, lang) // an old button: start from the code of conduct
	}
	return s.finishRegistration(ctx, rt, ev, lang, name)
}

func (s *Service) typedCommune(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang string) (bot.Outcome, error) {
	if ev.Kind != bot.EventText {
		return bot.Outcome{Messages: []bot.Message{{Text: text(rt, lang, "volunteer.commune_invalid", nil)}}}, nil
	}
	return s.finishRegistration(ctx, rt, ev, lang, ev.Arg)
}

func (s *Service) finishRegistration(ctx context.Context, rt *bot.Runtime, ev bot.Event, lang, typed string) (bot.Outcome, error) {
	if looksSecret(typed) {
		// A phone number or a code is never a commune: ask again, kindly, and keep nothing.
		return bot.Outcome{Messages: []bot.Message{{Text: text(rt, lang, "volunteer.commune_has_number", nil)}}}, nil
	}
	commune := CleanCommune(typed)
	if commune == "" {
		return bot.Outcome{Messages: []bot.Message{{Text: text(rt, lang, "volunteer.commune_invalid", nil)}}}, nil
	}
	v, err := s.Register(ctx, Volunteer{ID: ev.Sender(), Name: ev.Name, Commune: commune, Lang: lang})
	if err != nil {
		return bot.Outcome{}, err
	}
	if err := s.rdb.Del(ctx, s.k.mode(ev.ChatID)).Err(); err != nil {
		return bot.Outcome{}, fmt.Errorf("error clearing registration step: %w", err)
	}
	s.log.InfoContext(ctx, "volunteer registered", "approved", v.Approved)
	msgs := []bot.Message{{
		Text: text(rt, lang, "volunteer.welcome", map[string]string{"Name": s.displayName(rt, lang, v), "Commune": v.Commune, "Bot": s.BotUsername()}),
		Buttons: buttons(
			btn(rt, lang, "volunteer.btn.share", dataShare),
			btn(rt, lang, "volunteer.btn.mystats", dataStats)),
	}}
	if !v.Counts(s.cfg.RequireApproval) {
		msgs = append(msgs, bot.Message{Text: text(rt, lang, "volunteer.pending_approval", nil)})
	}
	return bot.Outcome{Messages: msgs}, nil
}

// displayName is the volunteer's first name, or a word for "volunteer" when Telegram gave none.
func (s *Service) displayName(rt *bot.Runtime, lang string, v Volunteer) string {
	if v.Name != "" {
		return v.Name
	}
	return rt.Catalog().Text(lang, "volunteer.anon_name")
}
