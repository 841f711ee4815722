package coroutines

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGolden(t *testing.T) { scenariotest.Golden(t, &Scenario) }

// TestEquivalent compares every lane and every kind but spawn: awaiting a
// coroutine and calling a function are the same schedule.
func TestEquivalent(t *testing.T) { scenariotest.Equivalent(t, &Scenario) }

// TestSnippet: coroutines.py runs as it is and shows the default delays.
func TestSnippet(t *testing.T) { scenariotest.Snippet(t, &Scenario) }

func TestDefaults(t *testing.T) {
	v, probs := Scenario.Parse(nil)
	if len(probs) > 0 {
		t.Fatalf("Parse(nil) problems = %v; want none", probs)
	}
	if got, want := v.Durations("delays"), []time.Duration{time.Second, 2 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("default delays = %v; want %v", got, want)
	}
}

func TestTwo(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []time.Duration
		ok   bool
	}{
		{"two", []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond}, true},
		{"one", []time.Duration{time.Second}, false},
		{"three", []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}, false},
		{"none", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := Two(tc.in); (err == nil) != tc.ok {
				t.Errorf("Two(%v) error = %v; want ok = %v", tc.in, err, tc.ok)
			}
		})
	}
	// The page refuses a list that is not two long before anything runs.
	for _, q := range []string{"1", "1,2,3"} {
		if _, probs := Scenario.Parse(url.Values{"delays": {q}}); len(probs) != 1 || probs[0].Code != scenario.ProblemCount {
			t.Errorf("Parse(delays=%s) = %v; want a count problem", q, probs)
		}
	}
}

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    url.Values
	}{
		{"too long", url.Values{"delays": {"1,11"}}},
		{"too short", url.Values{"delays": {"0.05,1"}}},
		{"not a number", url.Values{"delays": {"1,x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := Scenario.Parse(tc.q)
			if len(probs) != 1 || probs[0].Param != "delays" || probs[0].Code != scenario.ProblemList {
				t.Errorf("Parse(%v) problems = %v; want one list problem on delays", tc.q, probs)
			}
		})
	}
}

func TestRegion(t *testing.T) {
	src := Scenario.GoSource()
	for _, want := range []string{"func sayAfter(", "func helloWorld("} {
		if !strings.Contains(src.Code, want) {
			t.Errorf("GoSource() does not contain %q:\n%s", want, src.Code)
		}
	}
	if strings.Contains(src.Code, "func Two(") {
		t.Errorf("GoSource() shows the parameter plumbing:\n%s", src.Code)
	}
}
