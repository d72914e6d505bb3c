package volunteer

import (
	"context"
	"errors"
	"fmt"
)

// Forget implements bot.Addon and is what /forget (and a resident blocking the bot) calls: it
// deletes everything this package keeps about a chat: its counting marks, registration step,
// open help request or conversation and, for a volunteer, their registration, referral code
// and counters. Anonymous totals (per guide, per commune) stay: they hold no one's id.
func (s *Service) Forget(ctx context.Context, chatID int64) error {
	for _, key := range []string{s.k.resHelp(chatID), s.k.volHelp(chatID)} {
		rid, err := s.rdb.Get(ctx, key).Result()
		if err != nil {
			continue
		}
		if r, err := s.loadRequest(ctx, rid); err == nil {
			_ = moveScript.Run(ctx, s.rdb, []string{s.k.help(rid)}, statePending+","+stateActive, stateClosed).Err()
			s.release(ctx, r)
		}
	}
	// One chat's keys share its hash tag, so one DEL covers them on a cluster too.
	err := s.rdb.Del(ctx, s.k.marks(chatID), s.k.mode(chatID), s.k.resHelp(chatID), s.k.volHelp(chatID), s.k.volCounts(chatID)).Err()
	if err != nil {
		return fmt.Errorf("error forgetting volunteer data: %w", err)
	}
	if err := s.Remove(ctx, chatID); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}
