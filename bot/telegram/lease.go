package telegram

import (
	"context"
	"time"
)

// keepLease holds the polling lease while ctx lives, renewing it at a third of its TTL, and
// releases it when stopped so another replica can take over at once. Without a lease (one
// replica) every call to leading is true.
func (t *Transport) keepLease(ctx context.Context) (stop func()) {
	if t.lease == nil {
		t.leader.Store(true)
		return func() {}
	}
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			t.renewLease(lctx)
			if !t.sleep(lctx, t.lease.TTL()/3) {
				return
			}
		}
	}()
	return func() {
		cancel()
		<-done
		rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer rcancel()
		if t.leader.Load() {
			if err := t.lease.Release(rctx); err != nil {
				t.log.Warn("error releasing the polling lease: another replica takes over when it lapses", "err", err)
			}
		}
		t.leader.Store(false)
	}
}

// renewLease takes or renews the lease. While Redis is unreachable the last answer stands: a
// leader keeps polling (and tells residents the bot is busy) rather than going silent.
func (t *Transport) renewLease(ctx context.Context) {
	ok, err := t.lease.Acquire(ctx)
	if err != nil {
		if ctx.Err() == nil {
			t.log.Warn("error renewing the polling lease", "err", err, "leading", t.leader.Load())
		}
		return
	}
	if ok != t.leader.Load() {
		t.log.Info("polling lease changed hands", "leading", ok)
	}
	t.leader.Store(ok)
	t.leaderSeen.Store(true)
}

// leading reports whether this replica may poll now; when it may not, it waits a little first.
func (t *Transport) leading(ctx context.Context) bool {
	if t.leader.Load() {
		return true
	}
	wait := 100 * time.Millisecond
	if t.lease != nil && t.leaderSeen.Load() {
		wait = t.lease.TTL() / 6
	}
	t.sleep(ctx, wait)
	return false
}
