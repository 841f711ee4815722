package scenarios

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

var update = flag.Bool("update", false, "rewrite the golden timelines in testdata/")

// semaphoreSets are the parameter sets the golden and equivalence tests run.
var semaphoreSets = []struct {
	name string
	q    url.Values
}{
	{"default", nil},
	{"seed7-limit2", url.Values{"seed": {"7"}, "limit": {"2"}}},
	{"list", url.Values{"downloads": {"5"}, "limit": {"2"}, "delays": {"0.5,1.5,0.7,0.2,1"}}},
	{"limit-above-downloads", url.Values{"downloads": {"3"}, "limit": {"5"}, "delays": {"0.3,0.1,0.2"}}},
	{"one-at-a-time", url.Values{"downloads": {"4"}, "limit": {"1"}, "seed": {"42"}}},
}

// runGoVirtual runs a scenario's Go side in a synctest bubble, where time is
// fake and moves only when every goroutine is blocked: the timeline is exact.
func runGoVirtual(t *testing.T, s *Scenario, v Values) []timeline.Event {
	t.Helper()
	var (
		mu     sync.Mutex
		events []timeline.Event
		err    error
	)
	synctest.Test(t, func(t *testing.T) {
		rec := timeline.NewRecorder(func(e timeline.Event) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		}, 0)
		err = s.Go(context.Background(), rec, v)
	})
	if err != nil {
		t.Fatalf("Go side of %s: %v", s.ID, err)
	}
	return events
}

// perLane groups events by lane, keeping each lane's own order, and drops a
// wait that ends in a wake at the same instant (whether a goroutine had to
// wait at a tie is up to Go's scheduler).
func perLane(events []timeline.Event) map[string][]timeline.Event {
	out := map[string][]timeline.Event{}
	for _, e := range events {
		l := out[e.Lane]
		if e.Kind == timeline.Wake && len(l) > 0 && l[len(l)-1].Kind == timeline.Wait && l[len(l)-1].At == e.At {
			out[e.Lane] = l[:len(l)-1]
			continue
		}
		out[e.Lane] = append(l, e)
	}
	return out
}

func goldenText(events []timeline.Event) string {
	lanes := perLane(events)
	names := make([]string, 0, len(lanes))
	for n := range lanes {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if a == "main" || b == "main" {
			return boolCmp(b == "main", a == "main")
		}
		return laneNumber(a) - laneNumber(b)
	})
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s\n", n)
		for _, e := range lanes[n] {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	return b.String()
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}

func laneNumber(name string) int {
	var n int
	fmt.Sscanf(name[strings.LastIndex(name, " ")+1:], "%d", &n)
	return n
}

func TestSemaphoreGoGolden(t *testing.T) {
	for _, set := range semaphoreSets {
		t.Run(set.name, func(t *testing.T) {
			v, probs := semaphoreScenario.Parse(set.q)
			if len(probs) > 0 {
				t.Fatalf("Parse(%v): %v", set.q, probs)
			}
			events := runGoVirtual(t, &semaphoreScenario, v)
			got := goldenText(events)
			path := filepath.Join("testdata", "semaphore-"+set.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./scenarios -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Go timeline differs from %s (run with -update if the change is intended):\ngot:\n%s\nwant:\n%s", path, got, want)
			}
			checkSemaphoreInvariants(t, events, v)
		})
	}
}

// checkSemaphoreInvariants checks what the lesson promises on any runtime:
// never more than limit permits held, every download held one for exactly
// its delay, and the run took as long as the FIFO schedule says.
func checkSemaphoreInvariants(t *testing.T, events []timeline.Event, v Values) {
	t.Helper()
	var tl timeline.Timeline
	for _, e := range events {
		tl.Add(e)
	}
	view := tl.At(tl.Last())
	limit, delays := v.Int("limit"), v.Durations("delays")
	if want := min(limit, len(delays)); view.MaxHeld != want {
		t.Errorf("most permits held at once = %d; want %d", view.MaxHeld, want)
	}
	if len(view.Holds) != len(delays) {
		t.Fatalf("%d holds; want one per download (%d)", len(view.Holds), len(delays))
	}
	for _, h := range view.Holds {
		n := laneNumber(h.Lane)
		if d := h.End - h.Start; absDur(d-delays[n-1]) > 20*time.Millisecond {
			t.Errorf("%s held its permit %v; want its delay %v", h.Lane, d, delays[n-1])
		}
	}
	if want := fifoTotal(delays, limit); absDur(tl.Last()-want) > 50*time.Millisecond {
		t.Errorf("run took %v; want %v (first come, first served)", tl.Last(), want)
	}
}

// fifoTotal is how long downloads take when each waits for the permit
// that frees first, in order.
func fifoTotal(delays []time.Duration, limit int) time.Duration {
	free := make([]time.Duration, limit)
	var end time.Duration
	for _, d := range delays {
		i := slices.Index(free, slices.Min(free))
		free[i] += d
		end = max(end, free[i])
	}
	return end
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
