package bot

import (
	"slices"
	"sync"
)

// ChatLocks serialises work per chat while letting different chats run in parallel. When
// several updates of one chat wait, the one with the lowest sequence number (the update id)
// goes first, so updates that arrive together (two webhook requests, a re-delivery) are
// applied in update_id order. An entry lives only while someone holds or waits for it, so
// memory does not grow with the number of chats ever seen.
type ChatLocks struct {
	mu    sync.Mutex
	locks map[int64]*chatLock
}

type chatLock struct {
	cond    *sync.Cond
	held    bool
	waiting []int64
}

// NewChatLocks returns an empty set of locks.
func NewChatLocks() *ChatLocks { return &ChatLocks{locks: map[int64]*chatLock{}} }

// Lock locks the chat for the update with sequence number seq and returns the function that
// unlocks it.
func (c *ChatLocks) Lock(chatID, seq int64) (unlock func()) {
	c.mu.Lock()
	l := c.locks[chatID]
	if l == nil {
		l = &chatLock{cond: sync.NewCond(&c.mu)}
		c.locks[chatID] = l
	}
	l.waiting = append(l.waiting, seq)
	for l.held || slices.Min(l.waiting) != seq {
		l.cond.Wait()
	}
	l.waiting = slices.Delete(l.waiting, slices.Index(l.waiting, seq), slices.Index(l.waiting, seq)+1)
	l.held = true
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		l.held = false
		if len(l.waiting) == 0 {
			delete(c.locks, chatID)
		}
		l.cond.Broadcast()
		c.mu.Unlock()
	}
}

// Waiting returns how many updates of a chat wait for its lock now.
func (c *ChatLocks) Waiting(chatID int64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.locks[chatID]; l != nil {
		return len(l.waiting)
	}
	return 0
}

// Len returns how many chats have a lock entry now.
func (c *ChatLocks) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.locks)
}
