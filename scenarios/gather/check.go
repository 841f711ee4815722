package gather

import (
	"fmt"
	"strconv"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// slack is how far a time may be from the schedule: the tracer's virtual
// clock also counts the real time Python spends.
const slack = 50 * time.Millisecond

// check asserts what the lesson promises on either runtime: every job starts
// at once and ends after its own delay with its own result, and main prints
// the results in input order once the slowest job is done.
func check(events []timeline.Event, v scenario.Values) []string {
	delays := v.Durations("delays")
	type lane struct {
		sleep, done *timeline.Event
	}
	lanes := map[string]*lane{}
	var results *timeline.Event
	for _, e := range events {
		l := lanes[e.Lane]
		if l == nil {
			l = &lane{}
			lanes[e.Lane] = l
		}
		switch {
		case e.Kind == timeline.Sleep && l.sleep == nil:
			l.sleep = &e
		case e.Kind == timeline.Done:
			l.done = &e
		case e.Kind == timeline.Log && e.Lane == "main":
			results = &e
		}
	}
	var problems []string
	var slowest time.Duration
	for i, d := range delays {
		n := i + 1
		name := "job " + strconv.Itoa(n)
		l := lanes[name]
		if l == nil || l.sleep == nil || l.done == nil {
			problems = append(problems, fmt.Sprintf("lane %s did not sleep and end", name))
			continue
		}
		if l.sleep.At > slack || (l.sleep.Dur-d).Abs() > time.Millisecond {
			problems = append(problems, fmt.Sprintf("%s slept at %v for %v; want at the start for %v", name, l.sleep.At, l.sleep.Dur, d))
		}
		if want := strconv.Itoa(n); (l.done.At-d).Abs() > slack || l.done.Label != want {
			problems = append(problems, fmt.Sprintf("%s ended at %v with %q; want %v with %q", name, l.done.At, l.done.Label, d, want))
		}
		slowest = max(slowest, d)
	}
	if len(lanes) != len(delays)+1 {
		problems = append(problems, fmt.Sprintf("%d lanes; want main and %d jobs", len(lanes), len(delays)))
	}
	want := make([]int, len(delays))
	for i := range want {
		want[i] = i + 1
	}
	wantLine := "results: " + pyList(want)
	switch {
	case results == nil:
		problems = append(problems, "main printed no results")
	case results.Label != wantLine || (results.At-slowest).Abs() > slack:
		problems = append(problems, fmt.Sprintf("main printed %q at %v; want %q at %v, when the slowest job ends", results.Label, results.At, wantLine, slowest))
	}
	return problems
}
