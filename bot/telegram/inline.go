package telegram

import (
	"context"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// inlineCacheTime is how long Telegram may reuse an inline answer. It is short, and answers
// are personal, because each card carries the asking volunteer's own referral code.
const inlineCacheTime = 30

// answerInline answers "@bot <keyword>" with guide cards at once: Telegram gives an inline
// query only a few seconds. Errors are logged, never retried: the user simply types again.
func (t *Transport) answerInline(ctx context.Context, q *models.InlineQuery) {
	var userID int64
	lang := ""
	if q.From != nil {
		userID, lang = q.From.ID, q.From.LanguageCode
	}
	cards, err := t.rt.InlineCards(ctx, userID, lang, q.Query)
	if err != nil {
		t.log.Warn("inline cards failed", "err", t.redact(err))
	}
	results := make([]models.InlineQueryResult, 0, len(cards))
	for _, c := range cards {
		results = append(results, &models.InlineQueryResultArticle{
			ID:                  c.ID,
			Title:               c.Title,
			Description:         c.Description,
			InputMessageContent: &models.InputTextMessageContent{MessageText: c.Message.Text, ParseMode: models.ParseModeHTML},
			ReplyMarkup:         keyboard(c.Message.Buttons),
		})
	}
	_, err = t.api.AnswerInlineQuery(ctx, &tgbot.AnswerInlineQueryParams{
		InlineQueryID: q.ID, Results: results, CacheTime: inlineCacheTime, IsPersonal: true,
	})
	if err != nil && !isHarmless(err) {
		t.log.Warn("answerInlineQuery failed", "err", t.redact(err))
	}
}
