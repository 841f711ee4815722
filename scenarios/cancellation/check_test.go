package cancellation

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
		name string
		q    url.Values
		code string
	}{
		{"too soon", url.Values{"after": {"99"}}, scenario.ProblemRange},
		{"too late", url.Values{"after": {"10001"}}, scenario.ProblemRange},
		{"in seconds", url.Values{"after": {"1.0"}}, scenario.ProblemNumber},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := Scenario.Parse(tc.q)
			if len(probs) != 1 || probs[0].Param != "after" || probs[0].Code != tc.code {
				t.Errorf("Parse(%v) problems = %v; want one %s problem on after", tc.q, probs, tc.code)
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
		{"no cleanup", func(evs []timeline.Event) []timeline.Event {
			return slices.DeleteFunc(evs, func(e timeline.Event) bool { return e.Label == "poll: cleaning up" })
		}},
		{"swallowed the cancel", func(evs []timeline.Event) []timeline.Event {
			for i, e := range evs {
				if e.Lane == "poller" && e.Kind == timeline.Cancelled {
					evs[i].Kind = timeline.Done
				}
			}
			return evs
		}},
		{"ended at the cancel", func(evs []timeline.Event) []timeline.Event {
			for i, e := range evs {
				if e.Lane == "poller" && e.Kind == timeline.Cancelled {
					evs[i].At = after(v)
				}
			}
			return evs
		}},
		{"one poll too many", func(evs []timeline.Event) []timeline.Event {
			extra := timeline.Event{At: after(v), Lane: "poller", Kind: timeline.Log, Label: "poll 5"}
			i := slices.IndexFunc(evs, func(e timeline.Event) bool { return e.Label == "poll: cancelled" })
			return slices.Insert(evs, i, extra)
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
