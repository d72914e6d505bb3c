package bot

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestChatLocksSerialises: work of one chat never overlaps, and no entry is left behind.
func TestChatLocksSerialises(t *testing.T) {
	const n = 50
	locks := NewChatLocks()
	var inside atomic.Int32
	counter := 0 // guarded by the chat's lock only: the race detector checks that too
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			unlock := locks.Lock(rtChat, 0)
			defer unlock()
			if inside.Add(1) != 1 {
				t.Error("two holders of one chat's lock")
			}
			v := counter
			runtime.Gosched()
			counter = v + 1
			inside.Add(-1)
		})
	}
	wg.Wait()
	if counter != n {
		t.Fatalf("counter %d after %d increments", counter, n)
	}
	if got := locks.Len(); got != 0 {
		t.Fatalf("Len() = %d after every holder left, want 0", got)
	}
}

// TestChatLocksOtherChats: while one chat is held, another chat's work goes ahead, and a
// second holder of the first chat waits for the first.
func TestChatLocksOtherChats(t *testing.T) {
	locks := NewChatLocks()
	unlock := locks.Lock(1, 1)

	other := make(chan struct{})
	go func() {
		locks.Lock(2, 1)()
		close(other)
	}()
	waitFor(t, other, "chat 2 while chat 1 is held")
	if got := locks.Len(); got != 1 {
		t.Fatalf("Len() = %d with only chat 1 held, want 1", got)
	}

	acquired, done := make(chan struct{}), make(chan struct{})
	go func() {
		u := locks.Lock(1, 1)
		close(acquired)
		u()
		close(done)
	}()
	select {
	case <-acquired:
		t.Fatal("a second holder got chat 1 while it was held")
	default:
	}
	unlock()
	waitFor(t, done, "the second holder of chat 1")
	if got := locks.Len(); got != 0 {
		t.Fatalf("Len() = %d after all unlocked, want 0", got)
	}
}

// TestChatLocksReclaim: memory does not grow with the number of chats ever seen.
func TestChatLocksReclaim(t *testing.T) {
	locks := NewChatLocks()
	for chat := range int64(1000) {
		locks.Lock(-chat, 0)()
	}
	if got := locks.Len(); got != 0 {
		t.Fatalf("Len() = %d after 1000 chats came and went, want 0", got)
	}
}

// waitFor fails the test when ch is not closed in good time (a bound, not a pause).
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
