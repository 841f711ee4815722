package errorsgather

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// check asserts what the lesson promises on either runtime: every job runs
// to its own end (a failure cancels nobody), each failing job ends with its
// error and every other one with n × 10, main goes on only when the last job
// ends, and then it prints each job's result or error in input order.
func check(events []timeline.Event, v scenario.Values) []string {
	const tol = 20 * time.Millisecond
	delays, every := v.Durations("delays"), v.Int("fail_every")
	ends := map[string]timeline.Event{}
	var logs []string
	var mainWake time.Duration = -1
	for _, e := range events {
		if e.Kind.Ends() {
			ends[e.Lane] = e
		}
		if e.Lane == "main" && e.Kind == timeline.Log {
			logs = append(logs, e.Label)
		}
		if e.Lane == "main" && e.Kind == timeline.Wake {
			mainWake = e.At
		}
	}
	var problems []string
	var want []string
	failed := false
	for i, d := range delays {
		n := i + 1
		lane := fmt.Sprintf("job %d", n)
		fails := every > 0 && n%every == 0
		kind, label, line := timeline.Done, fmt.Sprint(n*10), fmt.Sprintf("job %d: %d", n, n*10)
		if fails {
			kind, label, line = timeline.Error, "bad input", fmt.Sprintf("job %d: error: bad input", n)
			failed = true
		}
		want = append(want, line)
		e, ok := ends[lane]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s never ended", lane))
		case e.Kind != kind || !strings.HasSuffix(e.Label, label) || (e.At-d).Abs() > tol:
			problems = append(problems, fmt.Sprintf("%s ended %s %q at %v; want %s %q at its delay %v", lane, e.Kind, e.Label, e.At, kind, label, d))
		}
	}
	if failed {
		want = append(want, "some jobs had bad input")
	}
	if last := slices.Max(delays); (mainWake - last).Abs() > tol {
		problems = append(problems, fmt.Sprintf("main went on at %v; want when the last job ends, %v", mainWake, last))
	}
	if !slices.Equal(logs, want) {
		problems = append(problems, fmt.Sprintf("main printed %q; want %q", logs, want))
	}
	return problems
}
