package blocking

import (
	"fmt"
	"strings"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// tolerance is how far a Python time may stray from what the lesson says:
// the tracer's virtual clock also counts the real time that the blocking
// call, the thread's start and each step take, and a busy machine stretches
// them (a shared machine may stall a process for tens of milliseconds). It
// is still well under what the lesson shows: a tick frozen out is late by
// most of the call, 250 ms or more in every test set.
const tolerance = 100 * time.Millisecond

// isPython tells the runtimes apart by main's spawn: the tracer names the
// lane's function after the coroutine, main; the Go side's function is all.
func isPython(events []timeline.Event) bool {
	for _, e := range events {
		if e.Lane == "main" && e.Kind == timeline.Spawn {
			return e.Label == "main"
		}
	}
	return false
}

// check asserts what the lesson promises on each runtime. The blocker makes
// its call at 2.5 ticks; it lasts block or, on a busy machine, a little
// longer, so the times below follow the call as it really ran.
//
// On the Python side of Scenario the call freezes the loop: one blocked
// event on the blocker's lane, at least block long, and every ticker whose
// timer falls due meanwhile wakes only when the call returns, late by the
// rest of it. Everywhere else (Go, and Python with the call on a thread)
// no task is blocked for long and every tick comes one tick after the last. With
// offload the call runs on the lane "thread: sleep" and the blocker waits
// for it.
func check(events []timeline.Event, v scenario.Values, offload bool) []string {
	py := isPython(events)
	frozen := py && !offload
	t := fromValues(nil, v)
	start := t.tick * 5 / 2
	lanes := map[string][]timeline.Event{}
	var blocked []timeline.Event // as long as half the call or longer: a stalled machine makes short ones
	for _, e := range events {
		lanes[e.Lane] = append(lanes[e.Lane], e)
		if e.Kind == timeline.Blocked && e.Dur >= t.block/2 {
			blocked = append(blocked, e)
		}
	}
	var problems []string
	near := func(got, want time.Duration) bool { return (got - want).Abs() <= tolerance }

	// The blocking call: where it ran, when, and when it returned (end).
	callLane := "blocker"
	if offload {
		callLane = "thread: sleep"
	}
	from, end := start, start+t.block // as planned, until the events say otherwise
	switch {
	case py && offload:
		if len(blocked) > 0 {
			problems = append(problems, fmt.Sprintf("the loop was blocked (%v); want no blocked event with the call on a thread", blocked))
		}
		th := lanes[callLane]
		if len(th) < 2 || th[0].Kind != timeline.Spawn || !th[len(th)-1].Kind.Ends() {
			problems = append(problems, fmt.Sprintf("lane %q = %v; want the blocking call on a thread", callLane, th))
			break
		}
		end = th[len(th)-1].At
		if !near(th[0].At, start) || end-th[0].At < t.block-5*time.Millisecond {
			problems = append(problems, fmt.Sprintf("thread lane from %v to %v; want it from %v, for at least %v", th[0].At, end, start, t.block))
		}
	case len(blocked) != 1 || blocked[0].Lane != callLane:
		problems = append(problems, fmt.Sprintf("blocked events %v; want exactly one, on %q", blocked, callLane))
	default:
		b := blocked[0]
		from, end = b.At, b.At+b.Dur
		if !near(b.At, start) || b.Dur < t.block-5*time.Millisecond {
			problems = append(problems, fmt.Sprintf("blocked at %v for %v; want at %v for at least %v", b.At, b.Dur, start, t.block))
		}
	}
	if th, ok := lanes["thread: sleep"]; ok && !offload {
		problems = append(problems, fmt.Sprintf("a thread lane %v; want none, the call runs on the blocker", th))
	}
	if offload {
		var waited bool
		for _, e := range lanes["blocker"] {
			waited = waited || (e.Kind == timeline.Wait && e.Label == "thread" && near(e.At, start))
		}
		if !waited {
			problems = append(problems, fmt.Sprintf("the blocker never waited for the thread at %v", start))
		}
	}
	if b := lanes["blocker"]; len(b) == 0 || b[len(b)-1].Kind != timeline.Done || !near(b[len(b)-1].At, end) {
		problems = append(problems, fmt.Sprintf("blocker lane %v; want it done when the call returned, at %v", b, end))
	}

	// The tickers: each tick one tick after the last, except that with
	// frozen a tick that falls due while the call holds the loop comes
	// when the call returns.
	for n := 1; n <= t.count; n++ {
		name := fmt.Sprintf("ticker %d", n)
		var wakes []time.Duration
		for _, e := range lanes[name] {
			if e.Kind == timeline.Wake {
				wakes = append(wakes, e.At)
			}
		}
		if len(wakes) != t.ticks {
			problems = append(problems, fmt.Sprintf("%s woke %d times; want %d", name, len(wakes), t.ticks))
			continue
		}
		var last time.Duration
		for i, at := range wakes {
			due := last + t.tick
			want, why := due, "on its beat"
			if frozen && due > from && due < end {
				want, why = end, fmt.Sprintf("late, when the blocking call returned (due at %v)", due)
			}
			// A tick due as the call starts may go either side of it.
			tie := frozen && (due-from).Abs() <= tolerance && (near(at, due) || near(at, end))
			if !near(at, want) && !tie {
				problems = append(problems, fmt.Sprintf("%s tick %d at %v; want %v, %s", name, i+1, at, want, why))
			}
			last = at
		}
	}
	for name := range lanes {
		if name != "main" && name != "blocker" && name != "thread: sleep" && !strings.HasPrefix(name, "ticker ") {
			problems = append(problems, fmt.Sprintf("an unexpected lane %q", name))
		}
	}
	return problems
}
