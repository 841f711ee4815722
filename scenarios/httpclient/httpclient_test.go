package httpclient

import (
	"context"
	"net/url"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestGolden runs the Go side on in-memory pipes under synctest (see piped).
func TestGolden(t *testing.T) { scenariotest.Golden(t, &piped) }

// TestEquivalent: see Compare in newScenario for what must match and why.
func TestEquivalent(t *testing.T) { scenariotest.Equivalent(t, &piped) }

// TestSnippet: httpclient.py runs as it is and shows the default values.
func TestSnippet(t *testing.T) { scenariotest.Snippet(t, &Scenario) }

// TestLoopback runs the Go side as visitors get it, over real loopback TCP
// on the real clock, and holds it to the same checks.
func TestLoopback(t *testing.T) {
	for _, q := range []url.Values{
		{"requests": {"7"}, "connections": {"3"}, "latency": {"150"}},
		{"requests": {"3"}, "connections": {"5"}, "latency": {"60"}},
	} {
		t.Run(q.Encode(), func(t *testing.T) {
			v, probs := Scenario.Parse(q)
			if len(probs) > 0 {
				t.Fatal(probs)
			}
			var (
				mu     sync.Mutex
				events []timeline.Event
			)
			rec := timeline.NewRecorder(func(e timeline.Event) {
				mu.Lock()
				events = append(events, e)
				mu.Unlock()
			}, 0)
			if err := Scenario.Go(context.Background(), rec, v); err != nil {
				t.Fatalf("Go side over TCP: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, p := range check(events, v) {
				t.Errorf("TCP: %s", p)
			}
		})
	}
}

// TestCancel: a run stopped halfway ends cleanly, every goroutine gone.
func TestCancel(t *testing.T) {
	v, _ := Scenario.Parse(url.Values{"requests": {"6"}, "connections": {"2"}, "latency": {"2000"}})
	ctx, cancel := context.WithCancel(context.Background())
	rec := timeline.NewRecorder(func(e timeline.Event) {
		if e.Kind == timeline.Log && e.Label == "GET /item/2" {
			cancel()
		}
	}, 0)
	if err := Scenario.Go(ctx, rec, v); err != context.Canceled {
		t.Errorf("Go side cancelled halfway = %v; want context.Canceled", err)
	}
}
