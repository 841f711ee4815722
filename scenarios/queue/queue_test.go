package queue

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

// TestSnippet: producer_consumer.py runs as it is and shows the defaults.
func TestSnippet(t *testing.T) { scenariotest.Snippet(t, &Scenario) }

// TestNoTies: in every test set, no two lanes' timers end at the same
// instant, so every put and get happens at an instant of its own (or is
// woken by the one just before it) and no order is left to a scheduler.
func TestNoTies(t *testing.T) {
	for _, set := range Scenario.Sets {
		t.Run(set.Name, func(t *testing.T) {
			v := scenariotest.Values(t, &Scenario, set)
			events := scenariotest.GoEvents(t, &Scenario, v)
			seen := map[time.Duration]string{}
			for name, evs := range scenariotest.PerLane(events) {
				for i, e := range evs {
					if e.Kind != timeline.Wake || i == 0 || evs[i-1].Kind != timeline.Sleep {
						continue
					}
					if other, ok := seen[e.At]; ok {
						t.Errorf("timers of %s and %s both end at %v", other, name, e.At)
					}
					seen[e.At] = name
				}
			}
		})
	}
}

// TestPutsAndGets compares what Compare leaves out: on every lane but main,
// the same puts and gets at the same times on both runtimes (their labels
// and sizes differ, see Scenario.Compare).
func TestPutsAndGets(t *testing.T) {
	py := scenariotest.RequirePython(t)
	for _, set := range Scenario.Sets {
		t.Run(set.Name, func(t *testing.T) {
			v := scenariotest.Values(t, &Scenario, set)
			goLanes := scenariotest.PerLane(scenariotest.GoEvents(t, &Scenario, v))
			pyLanes := scenariotest.PerLane(scenariotest.FromFirst(scenariotest.PythonEvents(t, py, &Scenario, v)))
			for _, name := range scenariotest.LaneNames(goLanes) {
				if name == "main" {
					continue
				}
				g, p := queueOps(goLanes[name]), queueOps(pyLanes[name])
				if len(g) != len(p) {
					t.Errorf("%s: Go has %d puts and gets, Python %d", name, len(g), len(p))
					continue
				}
				for i := range g {
					if g[i].Kind != p[i].Kind || (g[i].At-p[i].At).Abs() > 15*time.Millisecond {
						t.Errorf("%s: Go %v; Python %v", name, g[i], p[i])
					}
				}
			}
		})
	}
}

func queueOps(events []timeline.Event) []timeline.Event {
	var out []timeline.Event
	for _, e := range events {
		if e.Kind == timeline.Put || e.Kind == timeline.Get {
			out = append(out, e)
		}
	}
	return out
}

// TestBackpressure: in the default run the queue fills, and from then on
// the producer waits on put on both runtimes.
func TestBackpressure(t *testing.T) {
	py := scenariotest.RequirePython(t)
	v := scenariotest.Values(t, &Scenario, Scenario.Sets[0])
	for _, rt := range []struct {
		name   string
		events []timeline.Event
	}{
		{"Python", scenariotest.PythonEvents(t, py, &Scenario, v)},
		{"Go", scenariotest.GoEvents(t, &Scenario, v)},
	} {
		waits, full := 0, 0
		for _, e := range scenariotest.PerLane(rt.events)["producer 1"] {
			if e.Kind == timeline.Wait && e.Label == "queue.put" {
				waits++
			}
			if e.Kind == timeline.Put && e.Value == v.Int("maxsize") {
				full++
			}
		}
		if waits < 3 || full < 3 {
			t.Errorf("%s: producer 1 waited to put %d times and filled the queue %d times; want the queue full and the producer waiting, again and again", rt.name, waits, full)
		}
	}
}

// TestCancelled: a run abandoned while the producer waits on a full queue
// (the page closed) ends at once, reports context.Canceled, and leaves no
// goroutine behind.
func TestCancelled(t *testing.T) {
	v := scenariotest.Values(t, &Scenario, Scenario.Sets[0])
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(1200*time.Millisecond, cancel)
		start := time.Now()
		err := Scenario.Go(ctx, timeline.NewRecorder(func(timeline.Event) {}, 0), v)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Go(cancelled at 1.2s) = %v; want context.Canceled", err)
		}
		if d := time.Since(start); d != 1200*time.Millisecond {
			t.Errorf("Go(cancelled at 1.2s) returned after %v; want 1.2s", d)
		}
	})
}
