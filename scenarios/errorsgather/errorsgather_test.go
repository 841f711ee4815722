package errorsgather

import (
	"net/url"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGolden(t *testing.T) { scenariotest.Golden(t, &Scenario) }

// TestEquivalent: every lane and every kind but spawn and error must match;
// Scenario.Compare says why error labels differ.
func TestEquivalent(t *testing.T) { scenariotest.Equivalent(t, &Scenario) }

// TestSnippet: errorsgather.py runs as it is and shows the default values.
func TestSnippet(t *testing.T) { scenariotest.Snippet(t, &Scenario) }

// TestCheckCatchesEarlyReturn: a main that went on at the first failure, as
// gather without return_exceptions would, fails the check.
func TestCheckCatchesEarlyReturn(t *testing.T) {
	v := scenariotest.Values(t, &Scenario, Scenario.Sets[0])
	events := scenariotest.GoEvents(t, &Scenario, v)
	for i, e := range events {
		if e.Lane == "main" && e.Kind == timeline.Wake {
			events[i].At = 500 * time.Millisecond
		}
	}
	if probs := check(events, v); len(probs) == 0 {
		t.Error("check(main going on at 0.5 s, the first failure) = no problems; want it refused")
	}
}

func TestParse(t *testing.T) {
	v, probs := Scenario.Parse(nil)
	if len(probs) > 0 || v.Int("workers") != 5 || v.Int("fail_every") != 2 || len(v.Durations("delays")) != 5 {
		t.Fatalf("Parse(nil) = %d workers, fail_every %d, delays %v, problems %v; want 5, 2, 5 delays, none", v.Int("workers"), v.Int("fail_every"), v.Durations("delays"), probs)
	}
	for _, tc := range []struct {
		name  string
		q     url.Values
		param string
	}{
		{"no workers", url.Values{"workers": {"0"}}, "workers"},
		{"fail_every negative", url.Values{"fail_every": {"-1"}}, "fail_every"},
		{"fail_every too high", url.Values{"fail_every": {"51"}}, "fail_every"},
		{"delays wrong count", url.Values{"delays": {"1,2"}}, "delays"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, probs := Scenario.Parse(tc.q); len(probs) != 1 || probs[0].Param != tc.param {
				t.Errorf("Parse(%v) problems = %v; want one on %s", tc.q, probs, tc.param)
			}
		})
	}
}
