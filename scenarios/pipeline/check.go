package pipeline

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// How far a time on either runtime may be from the schedule: a request's
// times come from timers, but see Scenario.Compare on why Python's run late
// on a busy machine; Python's processing runs in real threads, whose small
// delays add up along a backlog.
const (
	tolerance    = 50 * time.Millisecond
	processSlack = 80 * time.Millisecond
)

// check asserts what the lesson promises on either runtime: requests start
// at most rate a second, never more than limit are in flight, and every
// reply is processed exactly once, at most workers at a time, when a
// first-come-first-served pool of workers would process it.
func check(events []timeline.Event, v scenario.Values) []string {
	var tl timeline.Timeline
	for _, e := range events {
		tl.Add(e)
	}
	view := tl.At(tl.Last())
	want := simulate(v.Durations("delays"), v.Int("limit"), v.Int("rate"), v.Int("workers"), work(v))
	var problems []string
	if view.MaxHeld > v.Int("limit") {
		problems = append(problems, fmt.Sprintf("%d requests in flight at once; want at most %d", view.MaxHeld, v.Int("limit")))
	}
	sent, replied, processed := logTimes(events, "request %d: sent"), logTimes(events, "request %d: reply"), logTimes(events, "item %d: processed")
	for n, s := range want.sent {
		if got, ok := sent[n]; !ok || (got-s).Abs() > tolerance {
			problems = append(problems, fmt.Sprintf("request %d sent at %v (logged: %v); want %v", n, got, ok, s))
		}
		if got, ok := replied[n]; !ok || (got-want.replied[n]).Abs() > tolerance {
			problems = append(problems, fmt.Sprintf("request %d replied at %v (logged: %v); want %v", n, got, ok, want.replied[n]))
		}
		if got, ok := processed[n]; !ok || (got-want.processed[n]).Abs() > processSlack {
			problems = append(problems, fmt.Sprintf("item %d processed at %v (logged: %v); want %v", n, got, ok, want.processed[n]))
		}
	}
	if len(sent) != len(want.sent) || len(processed) != len(want.processed) {
		problems = append(problems, fmt.Sprintf("%d requests sent and %d items processed; want %d of each", len(sent), len(processed), len(want.sent)))
	}
	if busy := mostAtOnce(processLanes(view)); busy > v.Int("workers") {
		problems = append(problems, fmt.Sprintf("%d items processed at once; want at most %d workers", busy, v.Int("workers")))
	}
	if n := len(processLanes(view)); n != len(want.sent) {
		problems = append(problems, fmt.Sprintf("%d processing lanes; want one per reply (%d)", n, len(want.sent)))
	}
	return problems
}

// logTimes finds the log lines that match format (with one %d, the
// request's number) and returns when each number's line was logged.
func logTimes(events []timeline.Event, format string) map[int]time.Duration {
	out := map[int]time.Duration{}
	for _, e := range events {
		var n int
		if e.Kind != timeline.Log {
			continue
		}
		if _, err := fmt.Sscanf(e.Label, format, &n); err == nil && e.Label == fmt.Sprintf(format, n) {
			if _, dup := out[n]; dup {
				out[-n] = e.At // a number logged twice: make the count wrong
				continue
			}
			out[n] = e.At
		}
	}
	return out
}

// processLanes returns the lanes that ran process (Go's "process N",
// Python's "thread: process...").
func processLanes(v timeline.View) []timeline.LaneView {
	var out []timeline.LaneView
	for _, l := range v.Lanes {
		if l.Func == "process" && l.End == timeline.Done {
			out = append(out, l)
		}
	}
	return out
}

// mostAtOnce is the most lanes alive at one instant; a lane that ends when
// another starts does not overlap it.
func mostAtOnce(lanes []timeline.LaneView) int {
	type edge struct {
		at    time.Duration
		delta int
	}
	var edges []edge
	for _, l := range lanes {
		end := l.Start
		if len(l.Segments) > 0 {
			end = l.Segments[len(l.Segments)-1].End
		}
		edges = append(edges, edge{l.Start, 1}, edge{end, -1})
	}
	slices.SortFunc(edges, func(a, b edge) int {
		return cmp.Or(cmp.Compare(a.at, b.at), a.delta-b.delta) // at the same instant, ends first
	})
	most, now := 0, 0
	for _, e := range edges {
		now += e.delta
		most = max(most, now)
	}
	return most
}

// schedule is when each request (numbered from 1) is sent, replied to and
// processed in a run without ties.
type schedule struct {
	sent, replied, processed map[int]time.Duration
}

// simulate works out the schedule: starts every 1/perSecond s, each taking
// the permit that frees first (first come, first served), replies
// processed in the order they arrive by whichever worker frees first.
func simulate(delays []time.Duration, limit, perSecond, workers int, work time.Duration) schedule {
	s := schedule{map[int]time.Duration{}, map[int]time.Duration{}, map[int]time.Duration{}}
	permits := make([]time.Duration, limit)
	gap := time.Second / time.Duration(perSecond)
	for i, d := range delays {
		n := i + 1
		p := slices.Index(permits, slices.Min(permits))
		s.sent[n] = max(time.Duration(i)*gap, permits[p])
		s.replied[n] = s.sent[n] + d
		permits[p] = s.replied[n]
	}
	order := make([]int, 0, len(delays))
	for n := range s.replied {
		order = append(order, n)
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Or(cmp.Compare(s.replied[a], s.replied[b]), a-b) })
	free := make([]time.Duration, workers)
	for _, n := range order {
		w := slices.Index(free, slices.Min(free))
		free[w] = max(free[w], s.replied[n]) + work
		s.processed[n] = free[w]
	}
	return s
}

// ties lists the replies that arrive at the same instant as another while
// every worker is busy, where the order they are processed in is up to the
// scheduler. Test sets and defaults must have none.
func ties(delays []time.Duration, limit, perSecond, workers int, work time.Duration) []string {
	s := simulate(delays, limit, perSecond, workers, work)
	var out []string
	for a := range s.replied {
		for b := range s.replied {
			if a < b && (s.replied[a]-s.replied[b]).Abs() < time.Millisecond &&
				(s.processed[a]-work > s.replied[a] || s.processed[b]-work > s.replied[b]) {
				out = append(out, fmt.Sprintf("requests %d and %d reply at %v", a, b, s.replied[a]))
			}
		}
	}
	slices.Sort(out)
	return out
}
