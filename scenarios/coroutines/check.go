package coroutines

import (
	"fmt"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// slack is how far a time may be from the schedule: the tracer's virtual
// clock also counts the real time Python spends.
const slack = 50 * time.Millisecond

// check asserts what the lesson promises on either runtime: one lane, whose
// second sleep starts only when the first has ended, so the run takes the
// sum of the two delays.
func check(events []timeline.Event, v scenario.Values) []string {
	hello, world, err := Two(v.Durations("delays"))
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	var sleeps []timeline.Event
	var end time.Duration
	for _, e := range events {
		if e.Lane != "main" {
			problems = append(problems, fmt.Sprintf("an event on lane %q; want everything on main (nothing runs concurrently)", e.Lane))
			continue
		}
		switch e.Kind {
		case timeline.Sleep:
			sleeps = append(sleeps, e)
		case timeline.Done:
			end = e.At
		}
	}
	if len(sleeps) != 2 {
		return append(problems, fmt.Sprintf("main slept %d times; want 2", len(sleeps)))
	}
	for i, want := range []struct{ at, dur time.Duration }{{0, hello}, {hello, world}} {
		if s := sleeps[i]; (s.At-want.at).Abs() > slack || (s.Dur-want.dur).Abs() > time.Millisecond {
			problems = append(problems, fmt.Sprintf("sleep %d at %v for %v; want at %v for %v", i+1, s.At, s.Dur, want.at, want.dur))
		}
	}
	if want := hello + world; (end - want).Abs() > slack {
		problems = append(problems, fmt.Sprintf("main ended at %v; want %v, the sum of the delays", end, want))
	}
	return problems
}
