package event

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGolden(t *testing.T) { scenariotest.Golden(t, &Scenario) }

// TestEquivalent: see Scenario.Compare for why main is not compared.
func TestEquivalent(t *testing.T) { scenariotest.Equivalent(t, &Scenario) }

// TestSnippet: event.py runs as it is and shows the default values.
func TestSnippet(t *testing.T) { scenariotest.Snippet(t, &Scenario) }

// TestLateWaitersPassStraightThrough: with ten waiters the last four arrive
// after the event is set (1.05 s onwards) and do not wait at all, on either
// runtime, while the first six all wake at 1 s.
func TestLateWaitersPassStraightThrough(t *testing.T) {
	py := scenariotest.RequirePython(t)
	v := scenariotest.Values(t, &Scenario, Scenario.Sets[2])
	for _, rt := range []struct {
		name   string
		events []timeline.Event
	}{
		{"Python", scenariotest.PythonEvents(t, py, &Scenario, v)},
		{"Go", scenariotest.GoEvents(t, &Scenario, v)},
	} {
		lanes := scenariotest.PerLane(rt.events)
		waited := 0
		for _, name := range scenariotest.LaneNames(lanes) {
			for _, e := range lanes[name] {
				if e.Kind == timeline.Wait && e.Label == "event" {
					waited++
				}
			}
		}
		if waited != 6 {
			t.Errorf("%s: %d waiters waited for the event; want 6 (W1–W6)", rt.name, waited)
		}
	}
}

// TestCancelled: a run abandoned before the event is set (the page closed)
// ends at once, reports context.Canceled, and leaves no goroutine behind.
func TestCancelled(t *testing.T) {
	v := scenariotest.Values(t, &Scenario, Scenario.Sets[0])
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(500*time.Millisecond, cancel)
		start := time.Now()
		err := Scenario.Go(ctx, timeline.NewRecorder(func(timeline.Event) {}, 0), v)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Go(cancelled at 0.5s) = %v; want context.Canceled", err)
		}
		if d := time.Since(start); d != 500*time.Millisecond {
			t.Errorf("Go(cancelled at 0.5s) returned after %v; want 0.5s", d)
		}
	})
}
