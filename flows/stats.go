package flows

// Stats are the numbers `hocvuso check` prints for a flow.
type Stats struct {
	Steps     int // steps of the flow
	Reachable int // steps a resident can reach from the start
	// Longest is the number of messages on the longest way from the start to an end step
	// that never goes round a loop ("Try again" buttons are cut where they close a loop).
	Longest int
}

// Stats computes the flow's numbers.
func (f *Flow) Stats() Stats {
	return Stats{Steps: len(f.Steps), Reachable: len(f.reachable()), Longest: f.longest()}
}

// longest cuts the back edges of a depth-first walk from the start, which leaves a graph
// without loops, and returns its longest path to an end step, counted in steps.
func (f *Flow) longest() int {
	dag := map[string][]string{}
	state := map[string]int{} // 0 new, 1 on the walk's path, 2 done
	var walk func(id string)
	walk = func(id string) {
		state[id] = 1
		for _, e := range f.byID[id].edges() {
			if f.byID[e.to] == nil || state[e.to] == 1 {
				continue // menu, another guide, or a loop back
			}
			dag[id] = append(dag[id], e.to)
			if state[e.to] == 0 {
				walk(e.to)
			}
		}
		state[id] = 2
	}
	walk(f.Start)
	memo := map[string]int{}
	var best func(id string) int // steps from id to an end; 0 when no end is reachable
	best = func(id string) int {
		if v, ok := memo[id]; ok {
			return v
		}
		n := 0
		if f.byID[id].Kind == KindEnd {
			n = 1
		}
		for _, to := range dag[id] {
			if b := best(to); b > 0 && b+1 > n {
				n = b + 1
			}
		}
		memo[id] = n
		return n
	}
	return best(f.Start)
}

// AllKeys returns every message key a resident of this flow may see: the keys of the file,
// those of the buttons the loader adds, and the engine's texts the flow's steps imply (the
// step counter, the score, the message check, the resume offer).
func (f *Flow) AllKeys() []string {
	keys := f.Keys()
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	add := func(ks ...string) {
		for _, k := range ks {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	for _, sec := range f.Sections {
		if sec.Counter == "" {
			add(KeyCounter)
		}
	}
	for _, s := range f.Steps {
		switch {
		case s.Score:
			add(KeyScore)
		case s.Kind == KindCheck:
			add(KeyCheckFound, KeyCheckNone, KeyCheckMedia, KeyReport)
		}
	}
	add(KeyResume, KeyBtnContinue)
	if len(f.Sections) > 0 {
		add(KeyResumeStep)
	}
	return keys
}
