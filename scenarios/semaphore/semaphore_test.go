package semaphore

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGolden(t *testing.T) { scenariotest.Golden(t, &Scenario) }

// TestEquivalent: see Scenario.Compare for what must match and why the
// waiting differs.
func TestEquivalent(t *testing.T) { scenariotest.Equivalent(t, &Scenario) }

// TestWaitsDifferAsTheLessonSays checks each side's own form of waiting:
// the Python tasks past the limit wait on their own lanes from the start,
// and the Go loop waits on main.
func TestWaitsDifferAsTheLessonSays(t *testing.T) {
	py := scenariotest.RequirePython(t)
	for _, set := range Scenario.Sets {
		t.Run(set.Name, func(t *testing.T) {
			v := scenariotest.Values(t, &Scenario, set)
			limit, n := v.Int("limit"), v.Int("downloads")
			pyLanes := scenariotest.PerLane(scenariotest.PythonEvents(t, py, &Scenario, v))
			waiting := 0
			for name, evs := range pyLanes {
				if name != "main" && len(evs) > 1 && evs[1].Kind == "wait" && evs[1].Label == "semaphore" {
					waiting++
				}
			}
			if want := max(n-limit, 0); waiting != want {
				t.Errorf("Python: %d download lanes wait for the semaphore at the start; want %d", waiting, want)
			}
			goWaits := 0
			for _, e := range scenariotest.PerLane(scenariotest.GoEvents(t, &Scenario, v))["main"] {
				if e.Kind == "wait" && e.Label == "semaphore" {
					goWaits++
				}
			}
			if n > limit && goWaits == 0 {
				t.Errorf("Go: main never waited for the semaphore with %d downloads and %d permits", n, limit)
			}
		})
	}
}

// TestSnippet: semaphore.py runs as it is and shows the default values.
func TestSnippet(t *testing.T) { scenariotest.Snippet(t, &Scenario) }
