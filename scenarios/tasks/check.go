package tasks

import (
	"fmt"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/coroutines"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// slack is how far a time may be from the schedule: the tracer's virtual
// clock also counts the real time Python spends.
const slack = 50 * time.Millisecond

// check asserts what the lesson promises on either runtime: both calls start
// sleeping at once, each ends after its own delay, and main ends when the
// longer one does: the run takes the longer delay, not the sum.
func check(events []timeline.Event, v scenario.Values) []string {
	hello, world, err := coroutines.Two(v.Durations("delays"))
	if err != nil {
		return []string{err.Error()}
	}
	want := map[string]time.Duration{"hello": hello, "world": world}
	slept := map[string]timeline.Event{}
	ended := map[string]time.Duration{}
	for _, e := range events {
		switch e.Kind {
		case timeline.Sleep:
			slept[e.Lane] = e
		case timeline.Done:
			ended[e.Lane] = e.At
		}
	}
	var problems []string
	for _, lane := range []string{"hello", "world"} {
		s, ok := slept[lane]
		if !ok {
			problems = append(problems, fmt.Sprintf("lane %s never slept", lane))
			continue
		}
		if s.At > slack || (s.Dur-want[lane]).Abs() > time.Millisecond {
			problems = append(problems, fmt.Sprintf("%s slept at %v for %v; want at the start for %v", lane, s.At, s.Dur, want[lane]))
		}
		if end, ok := ended[lane]; !ok || (end-want[lane]).Abs() > slack {
			problems = append(problems, fmt.Sprintf("%s ended at %v (ended: %v); want %v", lane, end, ok, want[lane]))
		}
	}
	if end, ok := ended["main"]; !ok || (end-max(hello, world)).Abs() > slack {
		problems = append(problems, fmt.Sprintf("main ended at %v (ended: %v); want %v, the longer delay", end, ok, max(hello, world)))
	}
	return problems
}
