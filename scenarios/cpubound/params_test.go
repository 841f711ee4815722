package cpubound

import (
	"net/url"
	"strings"
	"testing"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
)

func TestParseDefaults(t *testing.T) {
	v, probs := Scenario.Parse(nil)
	if len(probs) > 0 {
		t.Fatalf("Parse(nil) problems = %v; want none", probs)
	}
	if v.Int("jobs") != 4 || v.Int("n") != 1000000 {
		t.Errorf("defaults = %d jobs to %d; want 4 to 1000000", v.Int("jobs"), v.Int("n"))
	}
}

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		q     url.Values
		param string
		code  string
	}{
		{"no jobs", url.Values{"jobs": {"0"}}, "jobs", scenario.ProblemRange},
		{"too many jobs", url.Values{"jobs": {"9"}}, "jobs", scenario.ProblemRange},
		{"n too small", url.Values{"n": {"99999"}}, "n", scenario.ProblemRange},
		{"n too big", url.Values{"n": {"3000001"}}, "n", scenario.ProblemRange},
		{"n with underscores", url.Values{"n": {"2_000_000"}}, "n", scenario.ProblemNumber},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := Scenario.Parse(tc.q)
			if len(probs) != 1 || probs[0].Param != tc.param || probs[0].Code != tc.code {
				t.Errorf("Parse(%v) problems = %v; want one %s problem on %s", tc.q, probs, tc.code, tc.param)
			}
		})
	}
}

func TestRegion(t *testing.T) {
	src := Scenario.GoSource()
	for _, want := range []string{"func count(", "func compare(", "g.SetLimit(workers)"} {
		if !strings.Contains(src.Code, want) {
			t.Errorf("GoSource() does not contain %q:\n%s", want, src.Code)
		}
	}
}
