package limitpatterns

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// aliveRule says how many tasks a pattern may keep alive at once, given the
// limit and the number of downloads: the answers it may give.
type aliveRule func(limit, downloads int) []int

// limitAlive: never more tasks than the limit (or the downloads, if fewer).
func limitAlive(limit, downloads int) []int { return []int{min(limit, downloads)} }

// allAlive: gather_with_concurrency holds a task for every download from
// the start; Go's errgroup holds only the limit. Which runtime gave which is
// TestGatherHoldsEveryTask's to check.
func allAlive(limit, downloads int) []int { return []int{downloads, min(limit, downloads)} }

// check asserts what the lesson promises of every pattern on either runtime:
// every download ran for its delay, never more than limit at once and at the
// peak exactly min(limit, downloads), the run took as long as the
// first-come-first-served schedule says, and main's "alive: n" lines tell
// the truth (n lanes besides main exist at that instant) and peak where the
// pattern says.
func check(rule aliveRule) func([]timeline.Event, scenario.Values) []string {
	return func(events []timeline.Event, v scenario.Values) []string {
		limit, delays := v.Int("limit"), v.Durations("delays")
		var problems []string
		starts, ends := map[int]time.Duration{}, map[int]time.Duration{}
		for _, e := range events {
			if e.Kind != timeline.Log {
				continue
			}
			var n int
			var what string
			if _, err := fmt.Sscanf(e.Label, "download %d: %s", &n, &what); err != nil {
				continue
			}
			switch what {
			case "start":
				starts[n] = e.At
			case "done":
				ends[n] = e.At
			}
		}
		type edge struct {
			at time.Duration
			d  int
		}
		var edges []edge
		for i, d := range delays {
			n := i + 1
			s, ok1 := starts[n]
			e, ok2 := ends[n]
			if !ok1 || !ok2 {
				problems = append(problems, fmt.Sprintf("download %d did not print both start and done", n))
				continue
			}
			if (e - s - d).Abs() > 20*time.Millisecond {
				problems = append(problems, fmt.Sprintf("download %d took %v; want its delay %v", n, e-s, d))
			}
			edges = append(edges, edge{s, +1}, edge{e, -1})
		}
		slices.SortStableFunc(edges, func(a, b edge) int {
			if a.at != b.at {
				return int(a.at - b.at)
			}
			return a.d - b.d // at one instant, ends before starts
		})
		busy, most := 0, 0
		for _, e := range edges {
			busy += e.d
			most = max(most, busy)
		}
		if want := min(limit, len(delays)); most != want {
			problems = append(problems, fmt.Sprintf("most downloads at once = %d; want %d", most, want))
		}
		var last time.Duration
		for _, e := range ends {
			last = max(last, e)
		}
		if want := fifoTotal(delays, limit); (last - want).Abs() > 50*time.Millisecond {
			problems = append(problems, fmt.Sprintf("last download ended at %v; want %v (first come, first served)", last, want))
		}
		return append(problems, checkAlive(events, rule(limit, len(delays)))...)
	}
}

// checkAlive holds main's "alive: n" lines to the lanes besides main that
// exist at that instant (spawned, not yet ended). Several lines at one
// instant (Go's clock does not move while main starts goroutines) may count
// up to it; the last of them must equal it. The largest must be one of want.
func checkAlive(events []timeline.Event, want []int) []string {
	type span struct{ from, to time.Duration }
	lanes := map[string]*span{}
	type line struct {
		at time.Duration
		n  int
	}
	var lines []line
	for _, e := range events {
		switch {
		case e.Lane == "main":
			if n, ok := strings.CutPrefix(e.Label, "alive: "); ok && e.Kind == timeline.Log {
				k, err := strconv.Atoi(n)
				if err != nil {
					return []string{fmt.Sprintf("main printed %q", e.Label)}
				}
				lines = append(lines, line{e.At, k})
			}
		case e.Kind == timeline.Spawn:
			lanes[e.Lane] = &span{from: e.At, to: 1 << 62}
		case e.Kind.Ends():
			if s := lanes[e.Lane]; s != nil {
				s.to = e.At
			}
		}
	}
	if len(lines) == 0 {
		return []string{"main never printed how many are alive"}
	}
	var problems []string
	most := 0
	for i, l := range lines {
		alive := 0
		for _, s := range lanes {
			if s.from <= l.at && l.at < s.to {
				alive++
			}
		}
		lastAtInstant := i+1 == len(lines) || lines[i+1].at != l.at
		if l.n > alive || lastAtInstant && l.n != alive {
			problems = append(problems, fmt.Sprintf("main printed alive: %d at %v; %d lanes besides main were alive", l.n, l.at, alive))
		}
		most = max(most, l.n)
	}
	if !slices.Contains(want, most) {
		problems = append(problems, fmt.Sprintf("at most alive: %d; want one of %v", most, want))
	}
	return problems
}

// fifoTotal is how long the downloads take when each takes the place that
// frees first, in order.
func fifoTotal(delays []time.Duration, limit int) time.Duration {
	free := make([]time.Duration, min(limit, max(len(delays), 1)))
	var end time.Duration
	for _, d := range delays {
		i := slices.Index(free, slices.Min(free))
		free[i] += d
		end = max(end, free[i])
	}
	return end
}
