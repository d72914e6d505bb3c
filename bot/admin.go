package bot

import (
	"fmt"
	"strconv"
	"strings"
)

// Admins are the Telegram user ids allowed to use operator commands (/stats).
type Admins map[int64]bool

// ParseAdmins reads a comma- or space-separated list of user ids (ADMIN_IDS).
func ParseAdmins(list string) (Admins, error) {
	a := Admins{}
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("error reading ADMIN_IDS: %q is not a Telegram user id", f)
		}
		a[id] = true
	}
	return a, nil
}

// IsAdmin reports whether the user may use operator commands. Unknown users (id 0) never may.
func (a Admins) IsAdmin(userID int64) bool { return userID != 0 && a[userID] }
