package semaphore

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// check asserts what the lesson promises on either runtime: never more than
// limit permits held, at most and exactly min(limit, downloads) at the peak,
// every download held one for its delay, and the run took as long as the
// first-come-first-served schedule says.
func check(events []timeline.Event, v scenario.Values) []string {
	var tl timeline.Timeline
	for _, e := range events {
		tl.Add(e)
	}
	view := tl.At(tl.Last())
	limit, delays := v.Int("limit"), v.Durations("delays")
	var problems []string
	if want := min(limit, len(delays)); view.MaxHeld != want {
		problems = append(problems, fmt.Sprintf("most permits held at once = %d; want %d", view.MaxHeld, want))
	}
	if len(view.Holds) != len(delays) {
		return append(problems, fmt.Sprintf("%d holds; want one per download (%d)", len(view.Holds), len(delays)))
	}
	for _, h := range view.Holds {
		var n int
		fmt.Sscanf(h.Lane[strings.LastIndex(h.Lane, " ")+1:], "%d", &n)
		if n < 1 || n > len(delays) {
			problems = append(problems, fmt.Sprintf("a hold on lane %q, which is no download", h.Lane))
			continue
		}
		if d := h.End - h.Start; (d - delays[n-1]).Abs() > 20*time.Millisecond {
			problems = append(problems, fmt.Sprintf("%s held its permit %v; want its delay %v", h.Lane, d, delays[n-1]))
		}
	}
	if want := fifoTotal(delays, limit); (tl.Last() - want).Abs() > 50*time.Millisecond {
		problems = append(problems, fmt.Sprintf("run took %v; want %v (first come, first served)", tl.Last(), want))
	}
	return problems
}

// fifoTotal is how long downloads take when each takes the permit that
// frees first, in order.
func fifoTotal(delays []time.Duration, limit int) time.Duration {
	free := make([]time.Duration, limit)
	var end time.Duration
	for _, d := range delays {
		i := slices.Index(free, slices.Min(free))
		free[i] += d
		end = max(end, free[i])
	}
	return end
}
