package cpubound

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGolden(t *testing.T) { scenariotest.Golden(t, &Scenario) }

// TestEquivalent: the runtimes differ on purpose (see Scenario.Compare.Differs),
// so only check holds on each: the lanes, their order and, on CPython, the
// wall times.
func TestEquivalent(t *testing.T) { scenariotest.Equivalent(t, &Scenario) }

// TestSnippet: cpubound.py runs as it is and shows the default values.
func TestSnippet(t *testing.T) { scenariotest.Snippet(t, &Scenario) }

// pyRun builds a CPython-like timeline of two jobs summing to 3 (n = 3):
// phase by phase, each job as [start, end] in milliseconds.
func pyRun(sum string, phases ...[][2]int) []timeline.Event {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	evs := []timeline.Event{{Lane: "main", Kind: timeline.Spawn, Label: "main"}}
	labels := []string{"one thread", "threads", "processes"}
	lanes := []string{"thread: count", "thread: count #2", "thread: count #3", "thread: count #4", "process: count", "process: count #2"}
	next := 0
	for p, jobs := range phases {
		var end int
		var these []timeline.Event
		for _, j := range jobs {
			these = append(these,
				timeline.Event{At: ms(j[0]), Lane: lanes[next], Kind: timeline.Spawn, Label: "count"},
				timeline.Event{At: ms(j[1]), Lane: lanes[next], Kind: timeline.Done, Label: sum})
			end = max(end, j[1])
			next++
		}
		slices.SortStableFunc(these, func(a, b timeline.Event) int { return cmp.Compare(a.At, b.At) })
		start := jobs[0][0]
		evs = append(evs, these...)
		evs = append(evs, timeline.Event{At: ms(end), Lane: "main", Kind: timeline.Log,
			Label: fmt.Sprintf("%s: %.3f s", labels[p], ms(end-start).Seconds())})
	}
	return append(evs, timeline.Event{At: ms(1000), Lane: "main", Kind: timeline.Done})
}

// TestCheckHasTeeth: check passes a run that keeps the lesson's promises
// and names each one broken.
func TestCheckHasTeeth(t *testing.T) {
	// n = 3 is below the page's range; check does not mind.
	small := []scenario.Param{{Name: "jobs", Kind: scenario.Int, Min: 1, Max: 8}, {Name: "n", Kind: scenario.Int, Min: 1, Max: 10}}
	v, _ := scenario.Parse(small, url.Values{"jobs": {"2"}, "n": {"3"}})
	seq := [][2]int{{0, 100}, {100, 200}}
	gil := [][2]int{{200, 390}, {205, 400}}
	procs := [][2]int{{400, 500}, {401, 505}}
	for _, tc := range []struct {
		name string
		run  []timeline.Event
		want string // a word of the problem; "" for none
	}{
		{"as promised", pyRun("3", seq, gil, procs), ""},
		{"threads in parallel", pyRun("3", seq, [][2]int{{200, 260}, {201, 262}}, procs), "under the GIL"},
		{"one thread overlapping", pyRun("3", [][2]int{{0, 100}, {50, 200}}, gil, procs), "one job at a time"},
		{"processes one by one", pyRun("3", seq, gil, [][2]int{{400, 450}, {450, 500}}), "together"},
		{"wrong sum", pyRun("4", seq, gil, procs), "want done 3"},
		{"no processes", pyRun("3", seq, gil), "want one per way"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := check(tc.run, v)
			if tc.want == "" && len(got) > 0 {
				t.Errorf("check = %q; want no problems", got)
			}
			if tc.want != "" && !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("check = %q; want a problem saying %q", got, tc.want)
			}
		})
	}
}
