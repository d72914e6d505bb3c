package flows

import "context"

// Finding is one warning sign a message check noticed: the rule that matched and the words
// of the message that made it match (a link's host is given defanged, "evil[.]com").
type Finding struct {
	Rule     string
	Evidence string
	// Advice is the message key of the resident rule that answers this sign ("rule.1"), or "".
	Advice string
}

// Checker looks at a message a resident wants checked and returns the warning signs it
// noticed. It must be pure: it never opens links and never keeps or logs the text.
type Checker func(text string) []Finding

// KeyCheckRule is the message key that explains a finding: "check.rule.<rule>", with
// {{.Evidence}}.
func KeyCheckRule(rule string) string { return "check.rule." + rule }

// awaitsCheck reports whether the current step checks the next text the resident sends.
func (e *Engine) awaitsCheck(st State) bool {
	if st.Flow == "" || st.Mode != "" {
		return false
	}
	return e.lib.Flow(st.Flow).Step(st.Step).Kind == KindCheck
}

// check answers a message the resident wants checked. On a check step the guide then moves
// on; a forwarded message elsewhere leaves the resident where they were.
func (e *Engine) check(ctx context.Context, st State, in Input) (State, []Reply, error) {
	result := e.checkResult(e.checker(in.Arg))
	if !e.awaitsCheck(st) {
		if in.Away && st.Mode != ModeResume && e.resumable(st) {
			st, replies := e.offerResume(st)
			return st, append([]Reply{result}, replies...), nil
		}
		return st, append([]Reply{result}, e.current(st)...), nil
	}
	st, err := e.move(ctx, st, CheckEvent)
	if err != nil {
		return st, nil, err
	}
	return st, append([]Reply{result}, e.current(st)...), nil
}

// checkResult is one message: what was noticed (or that nothing was, which proves nothing),
// the resident rules that apply, and where to report.
func (e *Engine) checkResult(findings []Finding) Reply {
	if len(findings) == 0 {
		return Reply{Key: KeyCheckNone, Tail: []Part{{Key: KeyReport}}, Safety: true}
	}
	r := Reply{Key: KeyCheckFound, Safety: true} // about scams: Vietnamese first until reviewed
	seen := map[string]bool{}
	for _, f := range findings {
		r.Tail = append(r.Tail, Part{Key: KeyCheckRule(f.Rule), Params: map[string]string{"Evidence": f.Evidence}})
	}
	for _, f := range findings {
		if f.Advice != "" && !seen[f.Advice] {
			seen[f.Advice] = true
			r.Tail = append(r.Tail, Part{Key: f.Advice})
		}
	}
	r.Tail = append(r.Tail, Part{Key: KeyReport})
	return r
}
