package session

import (
	"reflect"
	"strings"
	"testing"

	"hocvuso/flows"
)

// TestCodec: a session comes back from Redis as it went in, in the compact form and from the
// plain form older sessions have; the compact form is what gets stored.
func TestCodec(t *testing.T) {
	full := Session{Rev: 40,
		State: flows.State{Flow: "vneid", Version: 2, Step: "account", Back: []string{"os", "install"}, Lang: "vi", Token: 39},
		Seen:  []int64{800000107, 800000109, 800000113}, Floor: 800000105, At: 1796327914,
		Tap: &Tap{Msg: 158, Data: "12.0", At: 1796327914552}}
	for name, sess := range map[string]Session{
		"full":            full,
		"empty":           {Rev: 1},
		"floor, no seen":  {Rev: 2, Floor: 77, At: 5},
		"floor above ids": {Rev: 3, Seen: []int64{5, 6}, Floor: 9},
		"tap before at":   {Rev: 4, At: 1796327914, Tap: &Tap{Msg: 1, Data: "x", At: 1000}},
		"tap without at":  {Rev: 5, Tap: &Tap{Msg: 1, Data: "x", At: 1796327914552}},
	} {
		raw, err := encode(sess)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := decode(raw)
		if err != nil || !reflect.DeepEqual(got, sess) {
			t.Errorf("%s: %s decodes to %+v, %v; want %+v", name, raw, got, err, sess)
		}
	}
	raw, _ := encode(full)
	for _, plain := range []string{"800000105", "1796327914552", "[800000107"} {
		if strings.Contains(raw, plain) {
			t.Errorf("%s holds %s in full", raw, plain)
		}
	}
	old := `40|{"st":{"f":"vneid","v":2,"s":"account","b":["os","install"],"l":"vi","t":39},"u":[800000107,800000109,800000113],"uf":800000105,"at":1796327914,"tap":{"m":158,"d":"12.0","t":1796327914552}}`
	if got, err := decode(old); err != nil || !reflect.DeepEqual(got, full) {
		t.Errorf("the plain form decodes to %+v, %v; want %+v", got, err, full)
	}
}
