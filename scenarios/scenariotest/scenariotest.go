// Package scenariotest holds the tests every scenario runs: its Go timeline
// under testing/synctest against golden files, and its Python timeline on
// the tracer's virtual clock against the Go one. A scenario package calls
// Golden and Equivalent from its own tests.
package scenariotest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unicode"

	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

var update = flag.Bool("update", false, "rewrite the golden timelines in testdata/")

// RequirePython finds python3 >= 3.11, or skips loudly; under CI
// (CI=true) it fails, so CI can never pass by skipping.
func RequirePython(t testing.TB) pyrun.Python {
	t.Helper()
	py, err := pyrun.Find(context.Background())
	if err == nil {
		return py
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI needs python3 >= 3.11 (apt-get install python3): %v", err)
	}
	t.Skipf("SKIP: needs python3 >= 3.11 (apt-get install python3): %v", err)
	return pyrun.Python{}
}

// Values parses a test set, failing the test if it is refused.
func Values(t testing.TB, s *scenario.Scenario, set scenario.Set) scenario.Values {
	t.Helper()
	v, probs := s.Parse(set.Query)
	if len(probs) > 0 {
		t.Fatalf("%s set %s refused: %v", s.ID, set.Name, probs)
	}
	return v
}

// GoEvents runs the scenario's Go side in a synctest bubble, where time is
// fake and moves only when every goroutine is blocked: the timeline is exact
// and instant.
func GoEvents(t *testing.T, s *scenario.Scenario, v scenario.Values) []timeline.Event {
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

// PythonEvents runs the scenario's Python program under the tracer on its
// virtual clock.
func PythonEvents(t *testing.T, py pyrun.Python, s *scenario.Scenario, v scenario.Values) []timeline.Event {
	t.Helper()
	var events []timeline.Event
	prog := pyrun.Program{Name: s.Python, Source: []byte(s.PythonSource().Code)}
	if s.PythonSet != nil {
		prog.Set = s.PythonSet(v)
	}
	err := py.Run(context.Background(), prog, pyrun.Options{Virtual: true}, func(e timeline.Event) {
		events = append(events, e)
	})
	if err != nil {
		t.Fatalf("Python side of %s: %v", s.ID, err)
	}
	return events
}

// FromFirst shifts a timeline so that its first event is at 0. The Python
// side's clock starts before the program has imported asyncio and reached
// asyncio.run, which takes a few milliseconds (tens on a loaded machine);
// Go's starts with the scenario's first call.
func FromFirst(events []timeline.Event) []timeline.Event {
	if len(events) == 0 {
		return events
	}
	t0 := events[0].At
	out := make([]timeline.Event, len(events))
	for i, e := range events {
		e.At -= t0
		out[i] = e
	}
	return out
}

// PerLane groups events by lane, keeping each lane's own order, and drops a
// wait that ends in a wake at the same instant (whether a goroutine had to
// wait at a tie is up to Go's scheduler).
func PerLane(events []timeline.Event) map[string][]timeline.Event {
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

// LaneNames returns the lanes' names: "main" first, then in natural order
// ("download 2" before "download 10").
func LaneNames[V any](lanes map[string]V) []string {
	names := make([]string, 0, len(lanes))
	for n := range lanes {
		names = append(names, n)
	}
	slices.SortFunc(names, naturalCmp)
	return names
}

func naturalCmp(a, b string) int {
	if a == b {
		return 0
	}
	if a == "main" {
		return -1
	}
	if b == "main" {
		return 1
	}
	ap, an := splitNumber(a)
	bp, bn := splitNumber(b)
	if ap != bp {
		return strings.Compare(ap, bp)
	}
	if an != bn {
		return an - bn
	}
	return strings.Compare(a, b)
}

// splitNumber splits "download 12" into "download " and 12.
func splitNumber(s string) (string, int) {
	i := strings.LastIndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) }) + 1
	n, err := strconv.Atoi(s[i:])
	if err != nil {
		return s, -1
	}
	return s[:i], n
}

// GoldenText is the form golden files keep: each lane and its events.
func GoldenText(events []timeline.Event) string {
	lanes := PerLane(events)
	var b strings.Builder
	for _, n := range LaneNames(lanes) {
		fmt.Fprintf(&b, "%s\n", n)
		for _, e := range lanes[n] {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	return b.String()
}

// Golden runs the Go side for every test set of s, compares it with
// testdata/<id>-<set>.golden (go test -update rewrites them) and runs the
// scenario's Check on it.
func Golden(t *testing.T, s *scenario.Scenario) {
	if len(s.Sets) == 0 {
		t.Fatalf("scenario %s has no test sets", s.ID)
	}
	for _, set := range s.Sets {
		t.Run(set.Name, func(t *testing.T) {
			v := Values(t, s, set)
			events := GoEvents(t, s, v)
			got := GoldenText(events)
			path := filepath.Join("testdata", s.ID+"-"+set.Name+".golden")
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
				t.Fatalf("%v (go test -update creates it)", err)
			}
			if got != string(want) {
				t.Errorf("Go timeline differs from %s (go test -update if the change is meant):\ngot:\n%s\nwant:\n%s", path, got, want)
			}
			if s.Compare.Check != nil {
				for _, p := range s.Compare.Check(events, v) {
					t.Errorf("Go: %s", p)
				}
			}
		})
	}
}

// Equivalent runs every test set of s on CPython (virtual clock) and on Go
// (synctest), runs the scenario's Check on both, and unless the scenario
// declares that its runtimes differ on purpose, compares them lane by lane:
// the same lanes, and on each the same events of the compared kinds, in
// order, with the same labels, at the same times (within the tolerance).
func Equivalent(t *testing.T, s *scenario.Scenario) {
	py := RequirePython(t)
	for _, set := range s.Sets {
		t.Run(set.Name, func(t *testing.T) {
			v := Values(t, s, set)
			goEvents := GoEvents(t, s, v)
			pyEvents := PythonEvents(t, py, s, v)
			if s.Compare.Check != nil {
				for _, p := range s.Compare.Check(pyEvents, v) {
					t.Errorf("Python: %s", p)
				}
			}
			if s.Compare.Differs != "" {
				t.Logf("the runtimes differ on purpose, so only the checks above apply: %s", s.Compare.Differs)
				return
			}
			for _, p := range Diff(s.Compare, PerLane(goEvents), PerLane(FromFirst(pyEvents))) {
				t.Error(p)
			}
		})
	}
}

// Diff compares two runtimes' lanes as Compare says and returns the
// differences, one sentence each.
func Diff(c scenario.Compare, goLanes, pyLanes map[string][]timeline.Event) []string {
	tol := c.Tolerance
	if tol == 0 {
		tol = 15 * time.Millisecond
	}
	kinds := map[timeline.Kind]bool{}
	for _, k := range c.Kinds {
		kinds[k] = true
	}
	keep := func(e timeline.Event) bool {
		if len(kinds) == 0 {
			return e.Kind != timeline.Spawn
		}
		return kinds[e.Kind]
	}
	compared := func(name string) bool { return c.Lanes == nil || c.Lanes(name) }
	var out []string
	for _, name := range LaneNames(pyLanes) {
		if _, ok := goLanes[name]; !ok && compared(name) {
			out = append(out, fmt.Sprintf("lane %q is in Python but not in Go", name))
		}
	}
	for _, name := range LaneNames(goLanes) {
		if !compared(name) {
			continue
		}
		pl, ok := pyLanes[name]
		if !ok {
			out = append(out, fmt.Sprintf("lane %q is in Go but not in Python", name))
			continue
		}
		g, p := filter(goLanes[name], keep), filter(pl, keep)
		if len(g) != len(p) {
			out = append(out, fmt.Sprintf("%s: Go has %d compared events, Python %d:\nGo:\n%s\nPython:\n%s", name, len(g), len(p), list(g), list(p)))
			continue
		}
		for i := range g {
			if g[i].Kind != p[i].Kind || g[i].Label != p[i].Label || (g[i].At-p[i].At).Abs() > tol || (g[i].Dur-p[i].Dur).Abs() > time.Millisecond {
				out = append(out, fmt.Sprintf("%s event %d: Go %v; Python %v", name, i, g[i], p[i]))
			}
		}
	}
	return out
}

func filter(events []timeline.Event, keep func(timeline.Event) bool) []timeline.Event {
	var out []timeline.Event
	for _, e := range events {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

func list(events []timeline.Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	return b.String()
}
