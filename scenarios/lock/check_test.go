package lock

import (
	"net/url"
	"testing"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
)

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		q     url.Values
		param string
		code  string
	}{
		{"one task", url.Values{"tasks": {"1"}}, "tasks", scenario.ProblemRange},
		{"eleven tasks", url.Values{"tasks": {"11"}}, "tasks", scenario.ProblemRange},
		{"too few increments", url.Values{"increments": {"9"}}, "increments", scenario.ProblemRange},
		{"too many increments", url.Values{"increments": {"101"}}, "increments", scenario.ProblemRange},
		{"increments text", url.Values{"increments": {"lots"}}, "increments", scenario.ProblemNumber},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := Scenario.Parse(tc.q)
			if len(probs) != 1 || probs[0].Param != tc.param || probs[0].Code != tc.code {
				t.Errorf("Parse(%v) problems = %v; want one %s problem on %s", tc.q, probs, tc.code, tc.param)
			}
		})
	}
}

// TestCheckTellsThemApart: each scenario's run fails the other's check, so
// the checks say something: the unlocked run is short and shows lost
// updates, the locked one is exact and serial.
func TestCheckTellsThemApart(t *testing.T) {
	for _, set := range sets {
		t.Run(set.Name, func(t *testing.T) {
			v := scenariotest.Values(t, &Scenario, set)
			locked := scenariotest.GoEvents(t, &Scenario, v)
			unsafe := scenariotest.GoEvents(t, &Unsafe, v)
			if p := check(locked, v, true); len(p) > 0 {
				t.Errorf("check(locked run, locked) = %v; want no problems", p)
			}
			if p := check(unsafe, v, false); len(p) > 0 {
				t.Errorf("check(unsafe run, unsafe) = %v; want no problems", p)
			}
			if p := check(unsafe, v, true); len(p) == 0 {
				t.Error("check(unsafe run, locked) found no problem")
			}
			if p := check(locked, v, false); len(p) == 0 {
				t.Error("check(locked run, unsafe) found no problem")
			}
		})
	}
}
