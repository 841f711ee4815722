package httpclient

import (
	"net/url"
	"strings"
	"testing"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
)

func TestParse(t *testing.T) {
	v, probs := Scenario.Parse(nil)
	if len(probs) > 0 {
		t.Fatalf("Parse(nil) problems = %v; want none", probs)
	}
	if v.Int("requests") != 10 || v.Int("connections") != 3 || latency(v).Seconds() != 0.3 {
		t.Errorf("defaults = %d requests, %d connections, %v; want 10, 3, 300ms", v.Int("requests"), v.Int("connections"), latency(v))
	}
	for _, tc := range []struct {
		q     url.Values
		param string
	}{
		{url.Values{"requests": {"51"}}, "requests"},
		{url.Values{"connections": {"0"}}, "connections"},
		{url.Values{"latency": {"5"}}, "latency"},
	} {
		if _, probs := Scenario.Parse(tc.q); len(probs) != 1 || probs[0].Param != tc.param || probs[0].Code != scenario.ProblemRange {
			t.Errorf("Parse(%v) problems = %v; want one range problem on %s", tc.q, probs, tc.param)
		}
	}
}

func TestRegion(t *testing.T) {
	src := Scenario.GoSource()
	for _, want := range []string{"func fetchAll(", "MaxConnsPerHost", "MaxIdleConnsPerHost", "httptrace.ClientTrace", "io.ReadAll"} {
		if !strings.Contains(src.Code, want) {
			t.Errorf("GoSource() does not contain %q", want)
		}
	}
	if strings.Contains(src.Code, "// show") || strings.Contains(src.Code, "// end") {
		t.Errorf("GoSource() shows its markers:\n%s", src.Code)
	}
}
