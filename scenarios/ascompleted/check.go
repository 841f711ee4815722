package ascompleted

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// check asserts what the lesson promises on either runtime: every job ends
// after its own delay, main handles each job at the instant it ends, and so
// main's log lists the jobs in the order they finish, not the order they
// were started.
func check(events []timeline.Event, v scenario.Values) []string {
	const tol = 20 * time.Millisecond
	delays := v.Durations("delays")
	var problems []string
	ended := map[int]time.Duration{}
	type handled struct {
		n  int
		at time.Duration
	}
	var order []handled
	for _, e := range events {
		switch {
		case e.Lane != "main" && e.Kind.Ends():
			var n int
			if _, err := fmt.Sscanf(e.Lane, "job %d", &n); err != nil || n < 1 || n > len(delays) {
				problems = append(problems, fmt.Sprintf("%s ended on lane %q, which is no job", e.Kind, e.Lane))
				continue
			}
			if e.Kind != timeline.Done || e.Label != fmt.Sprint(n) {
				problems = append(problems, fmt.Sprintf("%s ended %s %q; want done %q", e.Lane, e.Kind, e.Label, fmt.Sprint(n)))
			}
			ended[n] = e.At
		case e.Lane == "main" && e.Kind == timeline.Log:
			var n int
			if _, err := fmt.Sscanf(e.Label, "handled job %d", &n); err == nil {
				order = append(order, handled{n, e.At})
			}
		}
	}
	for n := 1; n <= len(delays); n++ {
		at, ok := ended[n]
		if !ok {
			problems = append(problems, fmt.Sprintf("job %d never ended", n))
			continue
		}
		if (at - delays[n-1]).Abs() > tol {
			problems = append(problems, fmt.Sprintf("job %d ended at %v; want its delay %v", n, at, delays[n-1]))
		}
	}
	want := make([]int, len(delays))
	for i := range want {
		want[i] = i + 1
	}
	slices.SortStableFunc(want, func(a, b int) int { return int(delays[a-1] - delays[b-1]) })
	got := make([]int, len(order))
	for i, h := range order {
		got[i] = h.n
		if at, ok := ended[h.n]; ok && (h.at-at).Abs() > tol {
			problems = append(problems, fmt.Sprintf("main handled job %d at %v; want the moment it ended, %v", h.n, h.at, at))
		}
	}
	if !slices.Equal(got, want) {
		problems = append(problems, fmt.Sprintf("main handled jobs %s; want the finishing order %s", join(got), join(want)))
	}
	return problems
}

func join(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
