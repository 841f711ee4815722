package blocking

import (
	"net/url"
	"strings"
	"testing"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
)

func TestParseDefaults(t *testing.T) {
	for _, s := range []*scenario.Scenario{&Scenario, &ToThread} {
		v, probs := s.Parse(nil)
		if len(probs) > 0 {
			t.Fatalf("%s: Parse(nil) problems = %v; want none", s.ID, probs)
		}
		got := fromValues(nil, v)
		if got.count != 3 || got.ticks != 6 || got.tick.Seconds() != 0.2 || got.block.Seconds() != 1 {
			t.Errorf("%s: defaults = %+v; want 3 tickers, 6 ticks 0.2s apart, a 1s blocking call", s.ID, got)
		}
		if set := pythonSet(v); set["TICK"] != 0.2 || set["BLOCK"] != 1.0 {
			t.Errorf("%s: pythonSet = %v; want TICK 0.2 and BLOCK 1.0 (seconds)", s.ID, set)
		}
	}
}

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		q     url.Values
		param string
		code  string
	}{
		{"no tickers", url.Values{"tickers": {"0"}}, "tickers", scenario.ProblemRange},
		{"too many tickers", url.Values{"tickers": {"6"}}, "tickers", scenario.ProblemRange},
		{"two ticks", url.Values{"ticks": {"2"}}, "ticks", scenario.ProblemRange},
		{"tick too fast", url.Values{"tick": {"49"}}, "tick", scenario.ProblemRange},
		{"tick in seconds", url.Values{"tick": {"0.2"}}, "tick", scenario.ProblemNumber},
		{"block too long", url.Values{"block": {"2001"}}, "block", scenario.ProblemRange},
		{"block text", url.Values{"block": {"long"}}, "block", scenario.ProblemNumber},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := Scenario.Parse(tc.q)
			if len(probs) != 1 || probs[0].Param != tc.param || probs[0].Code != tc.code {
				t.Errorf("Parse(%v) problems = %v; want one %s problem on %s", tc.q, probs, tc.code, tc.param)
			}
		})
	}
}

func TestRegions(t *testing.T) {
	for _, tc := range []struct {
		s    *scenario.Scenario
		want []string
	}{
		{&Scenario, []string{"func (t tickers) all(", "func (t tickers) ticker(", "time.Sleep(t.block)"}},
		{&ToThread, []string{"func (t tickers) blockerInThread(", "case <-ctx.Done():"}},
	} {
		src := tc.s.GoSource()
		for _, w := range tc.want {
			if !strings.Contains(src.Code, w) || strings.Contains(src.Code, "// show") || strings.Contains(src.Code, "// end") {
				t.Errorf("%s: GoSource() lacks %q or shows its markers:\n%s", tc.s.ID, w, src.Code)
			}
		}
	}
}
