package ascompleted

import (
	"fmt"
	"net/url"
	"testing"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGolden(t *testing.T) { scenariotest.Golden(t, &Scenario) }

// TestEquivalent: every lane and kind but spawn must match (see
// Scenario.Compare).
func TestEquivalent(t *testing.T) { scenariotest.Equivalent(t, &Scenario) }

// TestSnippet: ascompleted.py runs as it is and shows the default values.
func TestSnippet(t *testing.T) { scenariotest.Snippet(t, &Scenario) }

// TestCheckCatchesInputOrder: a main that handled the jobs in the order they
// were started, as gather's results come, fails the check.
func TestCheckCatchesInputOrder(t *testing.T) {
	v := scenariotest.Values(t, &Scenario, Scenario.Sets[0])
	events := scenariotest.GoEvents(t, &Scenario, v)
	n := 0
	for i, e := range events {
		if e.Lane == "main" && e.Kind == "log" {
			n++
			events[i].Label = fmt.Sprintf("handled job %d", n)
		}
	}
	if probs := check(events, v); len(probs) == 0 {
		t.Error("check(main handling jobs in input order) = no problems; want the order refused")
	}
}

func TestParse(t *testing.T) {
	v, probs := Scenario.Parse(nil)
	if len(probs) > 0 || v.Int("workers") != 5 || len(v.Durations("delays")) != 5 {
		t.Fatalf("Parse(nil) = %d workers, delays %v, problems %v; want 5 workers, 5 delays, none", v.Int("workers"), v.Durations("delays"), probs)
	}
	for _, tc := range []struct {
		name  string
		q     url.Values
		param string
	}{
		{"no workers", url.Values{"workers": {"0"}}, "workers"},
		{"too many workers", url.Values{"workers": {"51"}}, "workers"},
		{"delays wrong count", url.Values{"delays": {"1,2"}}, "delays"},
		{"seed negative", url.Values{"seed": {"-1"}}, "seed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, probs := Scenario.Parse(tc.q); len(probs) != 1 || probs[0].Param != tc.param {
				t.Errorf("Parse(%v) problems = %v; want one on %s", tc.q, probs, tc.param)
			}
		})
	}
}
