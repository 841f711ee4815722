package limitpatterns

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// patterns are the lesson's scenarios, in the order the page shows them.
var patterns = []*scenario.Scenario{&FirstCompleted, &Pool, &Gather, &AcquireFirst}

func TestGolden(t *testing.T) {
	for _, s := range patterns {
		t.Run(s.ID, func(t *testing.T) { scenariotest.Golden(t, s) })
	}
}

// TestEquivalent: see each scenario's Compare for what must match and why.
func TestEquivalent(t *testing.T) {
	for _, s := range patterns {
		t.Run(s.ID, func(t *testing.T) { scenariotest.Equivalent(t, s) })
	}
}

// TestSnippet: every program runs as it is and shows the default values.
func TestSnippet(t *testing.T) {
	for _, s := range patterns {
		t.Run(s.ID, func(t *testing.T) { scenariotest.Snippet(t, s) })
	}
}

func TestValidate(t *testing.T) {
	for _, s := range patterns {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v; want nil", s.ID, err)
		}
		if src := s.GoSource(); strings.Contains(src.Code, "// show") || strings.Contains(src.Code, "// end") {
			t.Errorf("%s: GoSource() shows its markers:\n%s", s.ID, src.Code)
		}
	}
}

// mostAlive is the largest n main printed as "alive: n".
func mostAlive(events []timeline.Event) int {
	most := 0
	for _, e := range events {
		var n int
		if e.Lane == "main" && e.Kind == timeline.Log && strings.HasPrefix(e.Label, "alive: ") {
			if _, err := fmt.Sscan(e.Label[len("alive: "):], &n); err == nil {
				most = max(most, n)
			}
		}
	}
	return most
}

// TestGatherHoldsEveryTask checks the lesson's point about memory on each
// runtime: gather_with_concurrency holds a task for every download from the
// start, and errgroup.SetLimit never more goroutines than the limit.
func TestGatherHoldsEveryTask(t *testing.T) {
	py := scenariotest.RequirePython(t)
	for _, set := range Gather.Sets {
		t.Run(set.Name, func(t *testing.T) {
			v := scenariotest.Values(t, &Gather, set)
			n, limit := v.Int("downloads"), v.Int("limit")
			if got := mostAlive(scenariotest.PythonEvents(t, py, &Gather, v)); got != n {
				t.Errorf("Python: most alive = %d; want every download (%d)", got, n)
			}
			if got, want := mostAlive(scenariotest.GoEvents(t, &Gather, v)), min(n, limit); got != want {
				t.Errorf("Go: most alive = %d; want the limit (%d)", got, want)
			}
		})
	}
}

// TestWhereTheWaitingIs: the patterns that take a permit (or a slot) before
// they start a task do their waiting on main, and no download lane ever
// waits; gather_with_concurrency's Python tasks all exist from the start and
// wait on their own lanes, while its main only awaits gather.
func TestWhereTheWaitingIs(t *testing.T) {
	py := scenariotest.RequirePython(t)
	set := scenario.Set{Name: "default"}
	for _, tc := range []struct {
		s          *scenario.Scenario
		pyLaneWait bool // Python's download lanes wait
		pyMainRoom bool // Python's main waits for room (not only at the end)
	}{
		{&FirstCompleted, false, true},
		{&Gather, true, false},
		{&AcquireFirst, false, true},
	} {
		t.Run(tc.s.ID, func(t *testing.T) {
			v := scenariotest.Values(t, tc.s, set)
			for _, rt := range []struct {
				name           string
				events         []timeline.Event
				laneWait, room bool
			}{
				{"Python", scenariotest.PythonEvents(t, py, tc.s, v), tc.pyLaneWait, tc.pyMainRoom},
				{"Go", scenariotest.GoEvents(t, tc.s, v), false, true},
			} {
				mainWaits, laneWaits := 0, 0
				for name, evs := range scenariotest.PerLane(rt.events) {
					for _, e := range evs {
						switch {
						case e.Kind != timeline.Wait:
						case name == "main":
							mainWaits++
						default:
							laneWaits++
						}
					}
				}
				if (laneWaits > 0) != rt.laneWait {
					t.Errorf("%s: %d waits on download lanes; want some: %v", rt.name, laneWaits, rt.laneWait)
				}
				if (mainWaits > 1) != rt.room {
					t.Errorf("%s: main waited %d times; want it to wait for room as well as for the end: %v", rt.name, mainWaits, rt.room)
				}
			}
		})
	}
}

// TestCancelled: a run abandoned half way (the page closed) ends promptly,
// reports context.Canceled, and leaves no goroutine behind (synctest fails
// the test if one is still blocked at the end).
func TestCancelled(t *testing.T) {
	for _, s := range patterns {
		t.Run(s.ID, func(t *testing.T) {
			v := scenariotest.Values(t, s, scenario.Set{Name: "default"})
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(1500*time.Millisecond, cancel)
				rec := timeline.NewRecorder(func(timeline.Event) {}, 0)
				start := time.Now()
				err := s.Go(ctx, rec, v)
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Go(cancelled at 1.5s) = %v; want context.Canceled", err)
				}
				if d := time.Since(start); d != 1500*time.Millisecond {
					t.Errorf("Go(cancelled at 1.5s) returned after %v; want 1.5s", d)
				}
			})
		})
	}
}
