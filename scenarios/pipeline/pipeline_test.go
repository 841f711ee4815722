package pipeline

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGolden(t *testing.T) { scenariotest.Golden(t, &Scenario) }

// TestEquivalent: see Scenario.Compare for what must match and why the
// processing lanes are held to check instead.
func TestEquivalent(t *testing.T) { scenariotest.Equivalent(t, &Scenario) }

// TestSnippet: pipeline.py runs as it is and shows the default values.
func TestSnippet(t *testing.T) { scenariotest.Snippet(t, &Scenario) }

// TestSetsHaveNoTies: in every test set, no two replies arrive at the same
// instant while the workers are busy, where which goes first would be up
// to the scheduler (and the golden file would flicker).
func TestSetsHaveNoTies(t *testing.T) {
	for _, set := range Scenario.Sets {
		v := scenariotest.Values(t, &Scenario, set)
		if got := ties(v.Durations("delays"), v.Int("limit"), v.Int("rate"), v.Int("workers"), work(v)); len(got) > 0 {
			t.Errorf("set %s: %v", set.Name, got)
		}
	}
}

// TestCancel: a run stopped halfway ends cleanly, every goroutine gone.
func TestCancel(t *testing.T) {
	v, _ := Scenario.Parse(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := timeline.NewRecorder(func(e timeline.Event) {
		if e.Kind == timeline.Log && e.Label == "request 3: sent" {
			cancel()
		}
	}, 0)
	if err := Scenario.Go(ctx, rec, v); err != context.Canceled {
		t.Errorf("Go side cancelled halfway = %v; want context.Canceled", err)
	}
}
