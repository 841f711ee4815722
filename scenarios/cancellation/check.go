package cancellation

import (
	"fmt"
	"slices"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// near is how far apart two times may be and still count as the same
// instant: the tracer's virtual clock also counts the real time Python takes.
const near = 20 * time.Millisecond

// check asserts what the lesson promises on either runtime: the poller polls
// every interval until main cancels it; it notices at once ("poll:
// cancelled"), its cleanup comes after that mark and takes its time, and
// only then does its lane end, cancelled, and main go on.
func check(events []timeline.Event, v scenario.Values) []string {
	at := after(v)
	var problems []string
	logs := map[string][]timeline.Event{} // lane -> its log events
	var pollerEnd, mainEnd *timeline.Event
	for i := range events {
		e := &events[i]
		switch {
		case e.Kind == timeline.Log:
			logs[e.Lane] = append(logs[e.Lane], *e)
		case e.Kind.Ends() && e.Lane == "poller":
			pollerEnd = e
		case e.Kind.Ends() && e.Lane == "main":
			mainEnd = e
		}
	}
	if pollerEnd == nil || mainEnd == nil {
		return []string{"the poller or main never ended"}
	}
	// The polls: one at the start and one every interval before the cancel.
	// A cancel within a few milliseconds of a round may land either side.
	polls := 0
	for _, e := range logs["poller"] {
		if len(e.Label) > 5 && e.Label[:5] == "poll " && e.Label[5] >= '0' && e.Label[5] <= '9' {
			polls++
		}
	}
	want := []int{int(at/interval) + 1}
	if r := at % interval; r < near {
		want = append(want, int(at/interval))
	} else if interval-r < near {
		want = append(want, int(at/interval)+2)
	}
	if !slices.Contains(want, polls) {
		problems = append(problems, fmt.Sprintf("the poller polled %d times before the cancel at %v; want %v", polls, at, want))
	}
	// The tail of the poller's lane: the cancel mark, then the cleanup.
	tail := []struct {
		label string
		at    time.Duration
	}{
		{"poll: cancelled", at},
		{"poll: cleaning up", at},
		{"poll: closed", at + cleanup},
	}
	pl := logs["poller"]
	if len(pl) < len(tail) {
		return append(problems, fmt.Sprintf("the poller printed %d lines; want its polls, then %d about the cancel", len(pl), len(tail)))
	}
	for i, w := range tail {
		e := pl[len(pl)-len(tail)+i]
		if e.Label != w.label || (e.At-w.at).Abs() > near {
			problems = append(problems, fmt.Sprintf("poller printed %q at %v; want %q at %v", e.Label, e.At, w.label, w.at))
		}
	}
	if pollerEnd.Kind != timeline.Cancelled || (pollerEnd.At-(at+cleanup)).Abs() > near {
		problems = append(problems, fmt.Sprintf("the poller ended %s at %v; want cancelled at %v, after its cleanup", pollerEnd.Kind, pollerEnd.At, at+cleanup))
	}
	ml := logs["main"]
	if len(ml) != 2 || ml[0].Label != "main: cancelling the poller" || (ml[0].At-at).Abs() > near ||
		ml[1].Label != "main: the poller was cancelled" || (ml[1].At-(at+cleanup)).Abs() > near {
		problems = append(problems, fmt.Sprintf("main printed %v; want the cancel at %v and the poller cancelled at %v", ml, at, at+cleanup))
	}
	if mainEnd.Kind != timeline.Done {
		problems = append(problems, fmt.Sprintf("main ended %s; want done", mainEnd.Kind))
	}
	return problems
}
