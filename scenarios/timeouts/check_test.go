package timeouts

import (
	"net/url"
	"slices"
	"testing"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		q     url.Values
		param string
		code  string
	}{
		{"work too short", url.Values{"work": {"99"}}, "work", scenario.ProblemRange},
		{"work too long", url.Values{"work": {"10001"}}, "work", scenario.ProblemRange},
		{"timeout in seconds", url.Values{"timeout": {"1.5"}}, "timeout", scenario.ProblemNumber},
		{"timeout empty", url.Values{"timeout": {""}}, "timeout", scenario.ProblemNumber},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := Scenario.Parse(tc.q)
			if len(probs) != 1 || probs[0].Param != tc.param || probs[0].Code != tc.code {
				t.Errorf("Parse(%v) problems = %v; want one %s problem on %s", tc.q, probs, tc.code, tc.param)
			}
		})
	}
}

// TestCheckCatches: check finds a timeline that breaks the lesson's promise.
func TestCheckCatches(t *testing.T) {
	v := scenariotest.Values(t, &Scenario, Scenario.Sets[0])
	good := scenariotest.GoEvents(t, &Scenario, v)
	if p := check(good, v); len(p) > 0 {
		t.Fatalf("check(default run) = %v; want no problems", p)
	}
	for _, tc := range []struct {
		name   string
		change func([]timeline.Event) []timeline.Event
	}{
		{"no timeout mark", func(evs []timeline.Event) []timeline.Event {
			return slices.DeleteFunc(evs, func(e timeline.Event) bool { return e.Kind == timeline.Timeout })
		}},
		{"fetch runs to the end", func(evs []timeline.Event) []timeline.Event {
			for i, e := range evs {
				if e.Lane == "fetch" && e.Kind == timeline.Cancelled {
					evs[i].At, evs[i].Kind = millis(v, "work"), timeline.Done
				}
			}
			return evs
		}},
		{"no deadline", func(evs []timeline.Event) []timeline.Event {
			return slices.DeleteFunc(evs, func(e timeline.Event) bool { return e.Kind == timeline.Deadline })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := tc.change(slices.Clone(good))
			if p := check(bad, v); len(p) == 0 {
				t.Errorf("check(%s) found no problem", tc.name)
			}
		})
	}
}
