package scenarios

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// requirePython finds python3 >= 3.11, or skips loudly; under CI it fails,
// so CI can never pass by skipping.
func requirePython(t *testing.T) pyrun.Python {
	t.Helper()
	py, err := pyrun.Find(context.Background())
	if err == nil {
		return py
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI needs python3 >= 3.11 (apt-get install python3): %v", err)
	}
	t.Skipf("SKIP: needs python3 >= 3.11 (apt-get install python3): %v", err)
	return pyrun.Python{}
}

// runPythonVirtual runs a scenario's Python program under the tracer on its
// virtual clock.
func runPythonVirtual(t *testing.T, py pyrun.Python, s *Scenario, v Values) []timeline.Event {
	t.Helper()
	var (
		mu     sync.Mutex
		events []timeline.Event
	)
	prog := pyrun.Program{Name: s.Python, Source: []byte(s.PythonSource().Code), Set: s.PythonSet(v)}
	err := py.Run(context.Background(), prog, pyrun.Options{Virtual: true}, func(e timeline.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	})
	if err != nil {
		t.Fatalf("Python side of %s: %v", s.ID, err)
	}
	return events
}

// compared are the kinds both runtimes report on a download's own lane.
var compared = map[timeline.Kind]bool{
	timeline.Acquire: true, timeline.Log: true, timeline.Sleep: true,
	timeline.Wake: true, timeline.Release: true, timeline.Done: true,
}

// TestSemaphoreEquivalence runs the semaphore scenario on CPython (virtual
// clock) and on Go (synctest) and checks that the timelines match.
//
// Lane names match as they are ("main", "download N"). On every download
// lane, everything from the moment it holds a permit matches exactly: the
// acquire, the prints, the sleep, the release and the end, each at the same
// time (to 15 ms, the tracer's clock includes the real time Python spends).
// Both runtimes promise first come, first served (asyncio.Semaphore and
// x/sync/semaphore.Weighted), so the schedule is the same.
//
// Where they wait differs by design, and the lesson says so: the Python tasks
// all exist from the start and each waits on its own lane, while the Go loop
// takes a permit before it starts each goroutine, so Go's waiting shows on
// main. The test checks each side's own form of it.
func TestSemaphoreEquivalence(t *testing.T) {
	py := requirePython(t)
	for _, set := range semaphoreSets {
		t.Run(set.name, func(t *testing.T) {
			v, probs := semaphoreScenario.Parse(set.q)
			if len(probs) > 0 {
				t.Fatalf("Parse(%v): %v", set.q, probs)
			}
			goLanes := perLane(runGoVirtual(t, &semaphoreScenario, v))
			pyEvents := runPythonVirtual(t, py, &semaphoreScenario, v)
			checkSemaphoreInvariants(t, pyEvents, v)
			pyLanes := perLane(pyEvents)
			if len(pyLanes) != len(goLanes) {
				t.Errorf("Python has %d lanes, Go %d; want the same", len(pyLanes), len(goLanes))
			}
			const tol = 15 * time.Millisecond
			for name, gl := range goLanes {
				pl, ok := pyLanes[name]
				if !ok {
					t.Errorf("lane %q is in Go but not in Python", name)
					continue
				}
				if name == "main" {
					gEnd, pEnd := gl[len(gl)-1], pl[len(pl)-1]
					if gEnd.Kind != timeline.Done || pEnd.Kind != timeline.Done || absDur(gEnd.At-pEnd.At) > tol {
						t.Errorf("main ends: Go %v, Python %v; want both done at the same time", gEnd, pEnd)
					}
					continue
				}
				g, p := filter(gl), filter(pl)
				if len(g) != len(p) {
					t.Errorf("%s: Go has %d events from its acquire on, Python %d:\nGo:     %v\nPython: %v", name, len(g), len(p), g, p)
					continue
				}
				for i := range g {
					if g[i].Kind != p[i].Kind || g[i].Label != p[i].Label || absDur(g[i].At-p[i].At) > tol || absDur(g[i].Dur-p[i].Dur) > time.Millisecond {
						t.Errorf("%s event %d: Go %v; Python %v", name, i, g[i], p[i])
					}
				}
			}
			// Each side's own way of waiting.
			limit := v.Int("limit")
			for name, pl := range pyLanes {
				if name == "main" || laneNumber(name) <= limit {
					continue
				}
				if pl[1].Kind != timeline.Wait || pl[1].Label != "semaphore" || pl[1].At > tol {
					t.Errorf("Python %s: second event %v; want a wait for the semaphore at the start", name, pl[1])
				}
			}
			waits := 0
			for _, e := range goLanes["main"] {
				if e.Kind == timeline.Wait && e.Label == "semaphore" {
					waits++
				}
			}
			if n := len(v.Durations("delays")); n > limit && waits == 0 {
				t.Errorf("Go main never waited for the semaphore with %d downloads and %d permits", n, limit)
			}
		})
	}
}

func filter(events []timeline.Event) []timeline.Event {
	var out []timeline.Event
	for _, e := range events {
		if compared[e.Kind] {
			out = append(out, e)
		}
	}
	return out
}
