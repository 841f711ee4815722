package timeouts

import (
	"fmt"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// near is how far apart two times may be and still count as the same
// instant: the tracer's virtual clock also counts the real time Python takes.
const near = 20 * time.Millisecond

// check asserts what the lesson promises on either runtime: main sets the
// deadline at the start; when the call is slower than the deadline, main
// times out at the deadline and the fetch lane is cut there, cancelled;
// otherwise fetch finishes after its work time and main gets the reply then.
// When the two are within a few milliseconds of each other either outcome
// is fine, as long as it comes at that time.
func check(events []timeline.Event, v scenario.Values) []string {
	work, limit := millis(v, "work"), millis(v, "timeout")
	var problems []string
	var deadline, timeout, fetchEnd, mainEnd *timeline.Event
	var mainLogs []string
	for i := range events {
		e := &events[i]
		switch {
		case e.Lane == "main" && e.Kind == timeline.Deadline:
			deadline = e
		case e.Lane == "main" && e.Kind == timeline.Timeout:
			timeout = e
		case e.Lane == "main" && e.Kind == timeline.Log:
			mainLogs = append(mainLogs, e.Label)
		case e.Lane == "main" && e.Kind.Ends():
			mainEnd = e
		case e.Lane == "fetch" && e.Kind.Ends():
			fetchEnd = e
		}
	}
	if deadline == nil || deadline.At > near || (deadline.Dur-limit).Abs() > time.Millisecond {
		problems = append(problems, fmt.Sprintf("main's deadline = %v; want one of %v set at the start", deadline, limit))
	}
	if fetchEnd == nil || mainEnd == nil {
		return append(problems, "fetch or main never ended")
	}
	if mainEnd.Kind != timeline.Done {
		problems = append(problems, fmt.Sprintf("main ended %s; want done (it handles the timeout)", mainEnd.Kind))
	}
	timedOut := timeout != nil
	if (work-limit).Abs() > near && timedOut != (work > limit) {
		problems = append(problems, fmt.Sprintf("work %v, timeout %v: timed out = %v; want %v", work, limit, timedOut, work > limit))
	}
	want, wantLog, wantEnd := work, "main: got the reply", timeline.Done
	if timedOut {
		want, wantLog, wantEnd = limit, "main: timed out", timeline.Cancelled
		if (timeout.At - limit).Abs() > near {
			problems = append(problems, fmt.Sprintf("timeout at %v; want it at the deadline, %v", timeout.At, limit))
		}
	}
	if fetchEnd.Kind != wantEnd || (fetchEnd.At-want).Abs() > near {
		problems = append(problems, fmt.Sprintf("fetch ended %s at %v; want %s at %v", fetchEnd.Kind, fetchEnd.At, wantEnd, want))
	}
	if len(mainLogs) != 1 || mainLogs[0] != wantLog || (mainEnd.At-want).Abs() > near {
		problems = append(problems, fmt.Sprintf("main printed %q and ended at %v; want %q at %v", mainLogs, mainEnd.At, wantLog, want))
	}
	return problems
}
