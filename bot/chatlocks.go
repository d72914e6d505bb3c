package bot

import "sync"

// ChatLocks serialises work per chat while letting different chats run in parallel. An entry
// lives only while someone holds or waits for it, so memory does not grow with the number of
// chats ever seen.
type ChatLocks struct {
	mu    sync.Mutex
	locks map[int64]*chatLock
}

type chatLock struct {
	mu   sync.Mutex
	refs int
}

// NewChatLocks returns an empty set of locks.
func NewChatLocks() *ChatLocks { return &ChatLocks{locks: map[int64]*chatLock{}} }

// Lock locks the chat and returns the function that unlocks it.
func (c *ChatLocks) Lock(chatID int64) (unlock func()) {
	c.mu.Lock()
	l := c.locks[chatID]
	if l == nil {
		l = &chatLock{}
		c.locks[chatID] = l
	}
	l.refs++
	c.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		c.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(c.locks, chatID)
		}
		c.mu.Unlock()
	}
}

// Len returns how many chats have a lock entry now.
func (c *ChatLocks) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.locks)
}
