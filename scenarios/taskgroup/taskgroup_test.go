package taskgroup

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

// TestSnippet: taskgroup.py runs as it is and shows the default values.
func TestSnippet(t *testing.T) { scenariotest.Snippet(t, &Scenario) }

// TestCheckCatchesNoCancel: a sibling that ran to its end after the failure
// fails the check.
func TestCheckCatchesNoCancel(t *testing.T) {
	v := scenariotest.Values(t, &Scenario, Scenario.Sets[0])
	events := scenariotest.GoEvents(t, &Scenario, v)
	for i, e := range events {
		if e.Lane == "task 5" && e.Kind == timeline.Cancelled {
			events[i].Kind, events[i].At = timeline.Done, 3*time.Second
		}
	}
	if probs := check(events, v); len(probs) == 0 {
		t.Error("check(task 5 done at 3 s after task 3 failed) = no problems; want it refused")
	}
}

func TestParse(t *testing.T) {
	v, probs := Scenario.Parse(nil)
	if len(probs) > 0 || v.Int("tasks") != 5 || v.Int("fail") != 3 || failAt(v) != 1500*time.Millisecond {
		t.Fatalf("Parse(nil) = %d tasks, fail %d at %v, problems %v; want 5, 3, 1.5s, none", v.Int("tasks"), v.Int("fail"), failAt(v), probs)
	}
	for _, tc := range []struct {
		name  string
		q     url.Values
		param string
	}{
		{"two tasks", url.Values{"tasks": {"2"}}, "tasks"},
		{"eleven tasks", url.Values{"tasks": {"11"}}, "tasks"},
		{"fail negative", url.Values{"fail": {"-1"}}, "fail"},
		{"fail too high", url.Values{"fail": {"11"}}, "fail"},
		{"fail_at zero", url.Values{"fail_at": {"0"}}, "fail_at"},
		{"fail_at text", url.Values{"fail_at": {"soon"}}, "fail_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, probs := Scenario.Parse(tc.q); len(probs) != 1 || probs[0].Param != tc.param {
				t.Errorf("Parse(%v) problems = %v; want one on %s", tc.q, probs, tc.param)
			}
		})
	}
}
