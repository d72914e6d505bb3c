package session

import (
	"testing"

	"hocvuso/flows"
)

func benchSession() Session {
	return Session{
		Rev: 41,
		State: flows.State{Flow: "vneid", Version: 1, Step: "act_sms", Back: []string{"os", "store_android", "real_app", "wifi", "install", "account"},
			Lang: "vi", Ref: "CLB_Bac_Son", Token: 42},
		Seen: []int64{734002101, 734002107, 734002113, 734002120, 734002131, 734002140, 734002152, 734002161,
			734002170, 734002182, 734002190, 734002201, 734002215, 734002220, 734002231, 734002245},
		Floor: 734002090,
		At:    1767225600,
		Tap:   &Tap{Msg: 2798, Data: "1d.0", At: 1767225600287},
	}
}

// BenchmarkEncode is the session's encoding for the compare-and-set.
func BenchmarkEncode(b *testing.B) {
	s := benchSession()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encode(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode is the decoding of a loaded session.
func BenchmarkDecode(b *testing.B) {
	raw, err := encode(benchSession())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}
