package flows

import (
	"sort"

	"github.com/looplab/fsm"
)

// Library is the set of loaded flows, in menu order, each compiled to a looplab/fsm event table.
type Library struct {
	flows  []*Flow
	byID   map[string]*Flow
	events map[string]fsm.Events
}

func newLibrary(flows []*Flow) *Library {
	sort.SliceStable(flows, func(i, j int) bool {
		if flows[i].Order != flows[j].Order {
			return flows[i].Order < flows[j].Order
		}
		return flows[i].ID < flows[j].ID
	})
	l := &Library{flows: flows, byID: map[string]*Flow{}, events: map[string]fsm.Events{}}
	for _, f := range flows {
		l.byID[f.ID] = f
		l.events[f.ID] = compile(f)
	}
	return l
}

// compile turns a flow into an fsm event table: one event per choice of each step, named by
// the choice's label key (unique in its step), plus the "checked" event of check steps.
func compile(f *Flow) fsm.Events {
	var events fsm.Events
	for _, s := range f.Steps {
		for _, e := range s.edges() {
			events = append(events, fsm.EventDesc{Name: e.event, Src: []string{s.ID}, Dst: e.to})
		}
	}
	return events
}

// Flows returns the flows in menu order.
func (l *Library) Flows() []*Flow { return l.flows }

// Flow returns the flow with the given id, or nil.
func (l *Library) Flow(id string) *Flow { return l.byID[id] }

// Events returns the fsm event table of a flow.
func (l *Library) Events(id string) fsm.Events { return l.events[id] }
