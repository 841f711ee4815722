package blocking

import (
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGolden(t *testing.T) {
	t.Run("blocking", func(t *testing.T) { scenariotest.Golden(t, &Scenario) })
	t.Run("to-thread", func(t *testing.T) { scenariotest.Golden(t, &ToThread) })
}

// TestEquivalent: the blocking scenario's runtimes differ on purpose (see
// its Compare.Differs), so only check holds there; with the call on a
// thread they match lane by lane, and check holds too. Both scenarios spend
// real seconds in their blocking calls, so they run in parallel.
func TestEquivalent(t *testing.T) {
	t.Run("blocking", func(t *testing.T) {
		t.Parallel()
		scenariotest.Equivalent(t, &Scenario)
	})
	t.Run("to-thread", func(t *testing.T) {
		t.Parallel()
		scenariotest.Equivalent(t, &ToThread)
	})
}

// TestSnippet: both programs run as they are and show the default values.
func TestSnippet(t *testing.T) {
	t.Run("blocking", func(t *testing.T) {
		t.Parallel()
		scenariotest.Snippet(t, &Scenario)
	})
	t.Run("to-thread", func(t *testing.T) {
		t.Parallel()
		scenariotest.Snippet(t, &ToThread)
	})
}

// TestChecksTellTheRuntimesApart feeds each check the other behaviour: a
// Python run whose loop froze fails the to-thread check, and a timeline on
// time (Go's) passed off as Python's fails the blocking check, which wants
// the freeze.
func TestChecksTellTheRuntimesApart(t *testing.T) {
	py := scenariotest.RequirePython(t)
	set := Scenario.Sets[1] // short-block
	v := scenariotest.Values(t, &Scenario, set)

	frozen := scenariotest.PythonEvents(t, py, &Scenario, v)
	if probs := ToThread.Compare.Check(frozen, v); !mentions(probs, "blocked") || !mentions(probs, "on its beat") {
		t.Errorf("to-thread check of a frozen Python run = %q; want it to see the blocked loop and the late ticks", probs)
	}

	onTime := scenariotest.GoEvents(t, &Scenario, v)
	for i, e := range onTime {
		if e.Lane == "main" && e.Kind == timeline.Spawn {
			onTime[i].Label = "main" // as the tracer names it
		}
	}
	if probs := Scenario.Compare.Check(onTime, v); !mentions(probs, "late, when the blocking call returned") {
		t.Errorf("blocking check of an on-time timeline passed off as Python's = %q; want the missing freeze", probs)
	}
}

func mentions(problems []string, s string) bool {
	for _, p := range problems {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}
