package flows_test

import (
	"context"
	"testing"

	"hocvuso/flows"
)

// BenchmarkEngineStep is one button press on the real VNeID guide: the work the engine does
// for most updates.
func BenchmarkEngineStep(b *testing.B) {
	e, _ := mustRealEngine(b)
	f := e.Library().Flow("vneid")
	st := flows.State{Flow: f.ID, Version: f.Version, Step: f.Start, Token: 7}
	in := flows.Input{Kind: flows.Press, Arg: flows.EncodePress(st.Token, 0), Lang: "vi"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := e.Handle(ctx, st, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEngineStart is /start with a deep link into a guide.
func BenchmarkEngineStart(b *testing.B) {
	e, _ := mustRealEngine(b)
	in := flows.Input{Kind: flows.Start, Arg: "vneid-CLB_Bac_Son", Lang: "vi"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := e.Handle(ctx, flows.State{}, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEngineTyped is a typed answer matched against the buttons' labels.
func BenchmarkEngineTyped(b *testing.B) {
	e, cat := mustRealEngine(b)
	f := e.Library().Flow("vneid")
	st := flows.State{Flow: f.ID, Version: f.Version, Step: f.Start, Token: 7}
	label := cat.Text("vi", f.Step(f.Start).Choices()[1].Label)
	in := flows.Input{Kind: flows.Text, Arg: label, Lang: "vi"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := e.Handle(ctx, st, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCallbackEncode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = flows.EncodePress(123456, 3)
	}
}

func BenchmarkCallbackDecode(b *testing.B) {
	data := flows.EncodePress(123456, 3)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := flows.DecodePress(data); !ok {
			b.Fatal("not decoded")
		}
	}
}
