package lock

import (
	"fmt"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// check asserts what the lesson promises on either runtime. Both: every
// worker reads and writes increments times, each write one more than its
// read, and main prints the final count. With the lock (locked): no two
// workers ever hold it at once, each holds it once per increment, the count
// is exact, and the run takes one pause per increment, one after another.
// Without it: the count is short, some value is written by more than one
// worker (a lost update, there to see), and the run takes one pause per
// increment of a single worker, since they all wait at once.
func check(events []timeline.Event, v scenario.Values, locked bool) []string {
	tasks, increments := v.Int("tasks"), v.Int("increments")
	var problems []string
	var tl timeline.Timeline
	logs := map[string][]string{}
	for _, e := range events {
		tl.Add(e)
		if e.Kind == timeline.Log {
			logs[e.Lane] = append(logs[e.Lane], e.Label)
		}
	}
	// The count main prints.
	var count, expected int
	if m := logs["main"]; len(m) != 1 {
		problems = append(problems, fmt.Sprintf("main printed %q; want one line with the count", m))
	} else if _, err := fmt.Sscanf(m[0], "counter = %d (expected %d)", &count, &expected); err != nil || expected != tasks*increments {
		problems = append(problems, fmt.Sprintf("main printed %q; want \"counter = N (expected %d)\"", m[0], tasks*increments))
	}
	if locked && count != tasks*increments {
		problems = append(problems, fmt.Sprintf("with the lock the count is %d; want exactly %d", count, tasks*increments))
	}
	if !locked && count >= tasks*increments {
		problems = append(problems, fmt.Sprintf("without the lock the count is %d; want it short of %d", count, tasks*increments))
	}
	// Each worker's reads and writes.
	writers := map[int]map[string]bool{} // value written -> the workers who wrote it
	for n := 1; n <= tasks; n++ {
		name := fmt.Sprintf("worker %d", n)
		l := logs[name]
		if len(l) != 2*increments {
			problems = append(problems, fmt.Sprintf("%s printed %d lines; want a read and a write for each of %d increments", name, len(l), increments))
			continue
		}
		for i := 0; i < len(l); i += 2 {
			var r, w int
			_, err1 := fmt.Sscanf(l[i], "read %d", &r)
			_, err2 := fmt.Sscanf(l[i+1], "wrote %d", &w)
			if err1 != nil || err2 != nil || w != r+1 {
				problems = append(problems, fmt.Sprintf("%s printed %q then %q; want a read, then that value plus one written", name, l[i], l[i+1]))
				break
			}
			if writers[w] == nil {
				writers[w] = map[string]bool{}
			}
			writers[w][name] = true
		}
	}
	shared := 0
	for _, who := range writers {
		if len(who) > 1 {
			shared++
		}
	}
	if locked && shared > 0 {
		problems = append(problems, fmt.Sprintf("with the lock, %d values were written by more than one worker; want none", shared))
	}
	if !locked && shared == 0 {
		problems = append(problems, "without the lock, no value was written by two workers; want the lost updates to show")
	}
	// Holds of the lock, and the run's length.
	view := tl.At(tl.Last())
	if locked {
		if view.MaxHeld != 1 {
			problems = append(problems, fmt.Sprintf("most workers holding the lock at once = %d; want 1", view.MaxHeld))
		}
		perLane := map[string]int{}
		for _, h := range view.Holds {
			perLane[h.Lane]++
			if d := h.End - h.Start; (d - pause).Abs() > 10*time.Millisecond {
				problems = append(problems, fmt.Sprintf("%s held the lock for %v; want one pause, %v", h.Lane, d, pause))
				break
			}
		}
		for n := 1; n <= tasks; n++ {
			if name := fmt.Sprintf("worker %d", n); perLane[name] != increments {
				problems = append(problems, fmt.Sprintf("%s held the lock %d times; want %d", name, perLane[name], increments))
			}
		}
	} else if len(view.Holds) > 0 {
		problems = append(problems, fmt.Sprintf("%d holds of a lock in the run without one", len(view.Holds)))
	}
	want := time.Duration(increments) * pause
	if locked {
		want *= time.Duration(tasks)
	}
	if tol := 20*time.Millisecond + want/20; (tl.Last() - want).Abs() > tol {
		problems = append(problems, fmt.Sprintf("the run took %v; want %v", tl.Last(), want))
	}
	return problems
}
