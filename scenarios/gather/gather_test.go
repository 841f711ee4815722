package gather

import (
	"net/url"
	"reflect"
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

// TestEquivalent: see Scenario.Compare for why main's wait is not compared.
func TestEquivalent(t *testing.T) { scenariotest.Equivalent(t, &Scenario) }

// TestSnippet: gather.py runs as it is and shows the default delays.
func TestSnippet(t *testing.T) { scenariotest.Snippet(t, &Scenario) }

// TestFinishOrder: in the default run the jobs finish out of input order on
// both runtimes, the point of the lesson.
func TestFinishOrder(t *testing.T) {
	py := scenariotest.RequirePython(t)
	v := scenariotest.Values(t, &Scenario, scenario.Set{Name: "default"})
	want := []string{"job 4", "job 3", "job 1", "job 5", "job 2"}
	for name, events := range map[string][]timeline.Event{
		"Go":     scenariotest.GoEvents(t, &Scenario, v),
		"Python": scenariotest.PythonEvents(t, py, &Scenario, v),
	} {
		var order []string
		for _, e := range events {
			if e.Kind == timeline.Done && e.Lane != "main" {
				order = append(order, e.Lane)
			}
		}
		if !slices.Equal(order, want) {
			t.Errorf("%s: jobs finished in the order %v; want %v", name, order, want)
		}
	}
}

func TestParseDefaults(t *testing.T) {
	v, probs := Scenario.Parse(nil)
	if len(probs) > 0 {
		t.Fatalf("Parse(nil) problems = %v; want none", probs)
	}
	want := []time.Duration{1300 * time.Millisecond, 1500 * time.Millisecond, 1200 * time.Millisecond, 500 * time.Millisecond, 1400 * time.Millisecond}
	if got := v.Durations("delays"); !reflect.DeepEqual(got, want) {
		t.Errorf("default delays = %v; want %v (seed 1)", got, want)
	}
}

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		q     url.Values
		param string
		code  string
	}{
		{"workers zero", url.Values{"workers": {"0"}}, "workers", scenario.ProblemRange},
		{"workers 51", url.Values{"workers": {"51"}}, "workers", scenario.ProblemRange},
		{"workers text", url.Values{"workers": {"five"}}, "workers", scenario.ProblemNumber},
		{"delay too long", url.Values{"workers": {"2"}, "delays": {"1,11"}}, "delays", scenario.ProblemList},
		{"delays wrong count", url.Values{"delays": {"1,2"}}, "delays", scenario.ProblemCount},
		{"seed negative", url.Values{"seed": {"-1"}}, "seed", scenario.ProblemRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := Scenario.Parse(tc.q)
			if len(probs) != 1 || probs[0].Param != tc.param || probs[0].Code != tc.code {
				t.Errorf("Parse(%v) problems = %v; want one %s problem on %s", tc.q, probs, tc.code, tc.param)
			}
		})
	}
}

func TestPyList(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string
	}{{nil, "[]"}, {[]int{1}, "[1]"}, {[]int{1, 2, 30}, "[1, 2, 30]"}} {
		if got := pyList(tc.in); got != tc.want {
			t.Errorf("pyList(%v) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestLongestResultsLine: with the most workers, main's line is 200
// characters, the longest label the tracer writes uncut, so both runtimes
// still print the same line. (Results are the job numbers for that reason.)
func TestLongestResultsLine(t *testing.T) {
	p, _ := Scenario.Param("workers")
	xs := make([]int, int(p.Max))
	for i := range xs {
		xs[i] = i + 1
	}
	if line := "results: " + pyList(xs); len(line) > 200 {
		t.Errorf("with %d workers main prints %d characters; the tracer cuts labels past 200", len(xs), len(line))
	}
}

func TestRegion(t *testing.T) {
	src := Scenario.GoSource()
	for _, want := range []string{"results := make([]int, len(delays))", "results[i] = r", "wg.Wait()"} {
		if !strings.Contains(src.Code, want) {
			t.Errorf("GoSource() does not contain %q:\n%s", want, src.Code)
		}
	}
}
