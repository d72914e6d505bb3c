package session_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"hocvuso/bot/session"
)

func TestIDsCompact(t *testing.T) {
	for _, ids := range []session.IDs{nil, {7}, {734002101, 734002107, 734002113}, {900, 850, 1_000_000_000_000}} {
		raw, err := json.Marshal(ids)
		if err != nil {
			t.Fatal(err)
		}
		var back session.IDs
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if len(ids) == 0 && len(back) == 0 {
			continue
		}
		if !reflect.DeepEqual(back, ids) {
			t.Errorf("%v → %s → %v", ids, raw, back)
		}
	}
	raw, _ := json.Marshal(session.IDs{734002101, 734002107, 734002113})
	if string(raw) != `"c507n9.6.6"` {
		t.Errorf("compact form %s, want \"c507n9.6.6\"", raw)
	}
	// Sessions saved before the compact form have an array.
	var old session.IDs
	if err := json.Unmarshal([]byte(`[734002101,734002107]`), &old); err != nil || !reflect.DeepEqual(old, session.IDs{734002101, 734002107}) {
		t.Errorf("old array form read as %v, %v", old, err)
	}
	if err := json.Unmarshal([]byte(`"c507n9.!"`), &old); err == nil {
		t.Error("a broken compact form is read without an error")
	}
}
