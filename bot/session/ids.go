package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// IDs is a list of update ids, stored compactly: every session holds some, and sessions are
// what Redis holds per resident. Telegram's update ids are large (nine or ten digits) and
// close together within one chat, so they are written as one JSON string: the first id in
// base 36, then each one as its difference from the one before, also in base 36, separated by
// dots: [734002101, 734002107, 734002113] is "c507n9.6.6" instead of 31 bytes of array.
type IDs []int64

// MarshalJSON writes the compact string.
func (ids IDs) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+8*len(ids))
	b = append(b, '"')
	var prev int64
	for i, id := range ids {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, id-prev, 36)
		prev = id
	}
	return append(b, '"'), nil
}

// UnmarshalJSON reads the compact string, or a JSON array of numbers (sessions saved before
// the compact form).
func (ids *IDs) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var plain []int64
		if err := json.Unmarshal(data, &plain); err != nil {
			return fmt.Errorf("error reading update ids: %w", err)
		}
		*ids = plain
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("error reading update ids: %w", err)
	}
	*ids = nil
	if s == "" {
		return nil
	}
	var prev int64
	for part := range strings.SplitSeq(s, ".") {
		d, err := strconv.ParseInt(part, 36, 64)
		if err != nil {
			return fmt.Errorf("error reading update ids: %w", err)
		}
		prev += d
		*ids = append(*ids, prev)
	}
	return nil
}
