package event

import (
	"fmt"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// slack is how far apart two instants may be and still count as one: the
// tracer's virtual clock also counts the real time Python spends.
const slack = 20 * time.Millisecond

// check asserts what the lesson promises on either runtime: the setter sets
// the event at when; every waiter that arrived before that goes on at that
// very instant; one that arrives later does not wait at all; main ends with
// the last of them.
func check(events []timeline.Event, v scenario.Values) []string {
	at := when(v)
	lanes := map[string][]timeline.Event{}
	for _, e := range events {
		lanes[e.Lane] = append(lanes[e.Lane], e)
	}
	var problems []string
	sets := 0
	for _, e := range lanes["setter"] {
		if e.Kind == timeline.Set {
			sets++
			if (e.At - at).Abs() > slack {
				problems = append(problems, fmt.Sprintf("the setter set the event at %v; want %v", e.At, at))
			}
		}
	}
	if sets != 1 {
		problems = append(problems, fmt.Sprintf("the setter set the event %d times; want once", sets))
	}
	var last time.Duration
	for n := 1; n <= v.Int("waiters"); n++ {
		name := fmt.Sprintf("W%d", n)
		arrives := time.Duration(n) * arrive
		var waited, done bool
		var wokeAt, goAt time.Duration = -1, -1
		for _, e := range lanes[name] {
			switch {
			case e.Kind == timeline.Wait && e.Label == "event":
				waited = true
			case e.Kind == timeline.Wake && waited && wokeAt < 0:
				wokeAt = e.At
			case e.Kind == timeline.Log && e.Label == name+": go":
				goAt = e.At
			case e.Kind == timeline.Done:
				done = true
				last = max(last, e.At)
			}
		}
		if arrives < at {
			if !waited || (wokeAt-at).Abs() > slack {
				problems = append(problems, fmt.Sprintf("%s arrived at %v and woke at %v; want it to wait until the event is set at %v", name, arrives, wokeAt, at))
			}
		} else if (goAt - arrives).Abs() > slack {
			// Go reports a wait and a wake at one instant here; the tracer
			// reports no wait at all. Either way: no time passes.
			problems = append(problems, fmt.Sprintf("%s arrived at %v, after the event was set, and went on at %v; want at once", name, arrives, goAt))
		}
		if !done {
			problems = append(problems, fmt.Sprintf("%s never finished", name))
		}
	}
	var mainEnd time.Duration
	for _, e := range lanes["main"] {
		if e.Kind.Ends() {
			mainEnd = e.At
		}
	}
	if want := max(last, at); (mainEnd - want).Abs() > slack {
		problems = append(problems, fmt.Sprintf("main ended at %v; want %v, with the last of the others", mainEnd, want))
	}
	return problems
}
