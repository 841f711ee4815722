package tasks

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios/coroutines"
	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGolden(t *testing.T) { scenariotest.Golden(t, &Scenario) }

// TestEquivalent: see Scenario.Compare for why main's waits are not compared.
func TestEquivalent(t *testing.T) { scenariotest.Equivalent(t, &Scenario) }

// TestSnippet: tasks.py runs as it is and shows the default delays.
func TestSnippet(t *testing.T) { scenariotest.Snippet(t, &Scenario) }

// TestSameParamsAsLessonOne: the page runs this scenario beside lesson 1's
// with one query, so the two must take the same parameters and defaults.
func TestSameParamsAsLessonOne(t *testing.T) {
	if len(Scenario.Params) != len(coroutines.Scenario.Params) {
		t.Fatalf("tasks has %d params, coroutines %d; want the same", len(Scenario.Params), len(coroutines.Scenario.Params))
	}
	for i, p := range Scenario.Params {
		q := coroutines.Scenario.Params[i]
		if p.Name != q.Name || p.Kind != q.Kind || p.Min != q.Min || p.Max != q.Max || p.Default != q.Default {
			t.Errorf("param %d: tasks %+v, coroutines %+v; want the same", i, p, q)
		}
	}
}

// TestSideBySide runs both lessons' Go code with the same delays: the
// sequential run takes the sum, the tasks run the longer delay.
func TestSideBySide(t *testing.T) {
	for _, set := range Scenario.Sets {
		t.Run(set.Name, func(t *testing.T) {
			v := scenariotest.Values(t, &Scenario, set)
			d := v.Durations("delays")
			seq := end(scenariotest.GoEvents(t, &coroutines.Scenario, v))
			par := end(scenariotest.GoEvents(t, &Scenario, v))
			if seq != d[0]+d[1] || par != max(d[0], d[1]) {
				t.Errorf("delays %v: sequential run took %v, tasks %v; want %v and %v", d, seq, par, d[0]+d[1], max(d[0], d[1]))
			}
		})
	}
}

// end is when main's lane ended.
func end(events []timeline.Event) time.Duration {
	for _, e := range events {
		if e.Lane == "main" && e.Kind.Ends() {
			return e.At
		}
	}
	return -1
}

func TestRegion(t *testing.T) {
	src := Scenario.GoSource()
	for _, want := range []string{"wg.Go(", "wg.Wait()"} {
		if !strings.Contains(src.Code, want) {
			t.Errorf("GoSource() does not contain %q:\n%s", want, src.Code)
		}
	}
}
