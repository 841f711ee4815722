package pipeline

import (
	"net/url"
	"strings"
	"testing"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
)

func TestParse(t *testing.T) {
	v, probs := Scenario.Parse(nil)
	if len(probs) > 0 {
		t.Fatalf("Parse(nil) problems = %v; want none", probs)
	}
	if v.Int("requests") != 20 || v.Int("limit") != 5 || v.Int("rate") != 8 || v.Int("workers") != 2 || work(v).Seconds() != 0.3 || len(v.Durations("delays")) != 20 {
		t.Errorf("defaults = %v; want 20 requests, limit 5, rate 8, 2 workers, 300 ms of work", v.Query())
	}
	for _, tc := range []struct {
		q     url.Values
		param string
	}{
		{url.Values{"requests": {"51"}}, "requests"},
		{url.Values{"rate": {"0"}}, "rate"},
		{url.Values{"workers": {"9"}}, "workers"},
		{url.Values{"work": {"5"}}, "work"},
	} {
		if _, probs := Scenario.Parse(tc.q); len(probs) != 1 || probs[0].Param != tc.param || probs[0].Code != scenario.ProblemRange {
			t.Errorf("Parse(%v) problems = %v; want one range problem on %s", tc.q, probs, tc.param)
		}
	}
}

func TestRegion(t *testing.T) {
	src := Scenario.GoSource()
	for _, want := range []string{"func pipeline(", "rate.NewLimiter", "semaphore.NewWeighted", "for n := range replies", "close(replies)"} {
		if !strings.Contains(src.Code, want) {
			t.Errorf("GoSource() does not contain %q", want)
		}
	}
	if strings.Contains(src.Code, "// show") || strings.Contains(src.Code, "// end") {
		t.Errorf("GoSource() shows its markers:\n%s", src.Code)
	}
}

// TestSemaphoreIsNotARateLimit: with quick calls and a high rate, five
// permits let far more than five requests start in a second; the rate,
// not the semaphore, is what bounds the starts per second.
func TestSemaphoreIsNotARateLimit(t *testing.T) {
	const n = 50
	delays := make([]string, n)
	for i := range delays {
		delays[i] = "0.1"
	}
	for _, tc := range []struct {
		rate      string
		maxInASec int
	}{{"100", 50}, {"10", 10}} {
		v, probs := Scenario.Parse(url.Values{"requests": {"50"}, "limit": {"5"}, "rate": {tc.rate}, "workers": {"8"}, "work": {"10"}, "delays": {strings.Join(delays, ",")}})
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		inFirstSecond := 0
		for _, at := range logTimes(scenariotest.GoEvents(t, &Scenario, v), "request %d: sent") {
			if at.Seconds() < 1 {
				inFirstSecond++
			}
		}
		if inFirstSecond != tc.maxInASec {
			t.Errorf("rate %s: %d requests sent in the first second; want %d", tc.rate, inFirstSecond, tc.maxInASec)
		}
	}
}
