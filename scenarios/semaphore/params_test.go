package semaphore

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
)

func TestParseDefaults(t *testing.T) {
	v, probs := Scenario.Parse(nil)
	if len(probs) > 0 {
		t.Fatalf("Parse(nil) problems = %v; want none", probs)
	}
	if v.Int("downloads") != 9 || v.Int("limit") != 3 {
		t.Errorf("defaults = %d downloads, limit %d; want 9, 3", v.Int("downloads"), v.Int("limit"))
	}
	d := v.Durations("delays")
	if len(d) != 9 {
		t.Fatalf("default delays = %v; want 9 of them", d)
	}
	for _, x := range d {
		if x < time.Second || x > 3*time.Second || x%(100*time.Millisecond) != 0 {
			t.Errorf("seeded delay %v; want 1–3 s in tenths", x)
		}
	}
	again, _ := Scenario.Parse(nil)
	if !reflect.DeepEqual(again.Durations("delays"), d) {
		t.Errorf("the same seed gave %v then %v; want the same list", d, again.Durations("delays"))
	}
	other, _ := Scenario.Parse(url.Values{"seed": {"2"}})
	if reflect.DeepEqual(other.Durations("delays"), d) {
		t.Errorf("seed 2 gave the same delays as seed 1: %v", d)
	}
}

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		q     url.Values
		param string
		code  string
	}{
		{"downloads zero", url.Values{"downloads": {"0"}}, "downloads", scenario.ProblemRange},
		{"downloads too many", url.Values{"downloads": {"101"}}, "downloads", scenario.ProblemRange},
		{"downloads huge", url.Values{"downloads": {"99999999999999999999999"}}, "downloads", scenario.ProblemNumber},
		{"limit text", url.Values{"limit": {"three"}}, "limit", scenario.ProblemNumber},
		{"limit empty", url.Values{"limit": {""}}, "limit", scenario.ProblemNumber},
		{"limit unicode digits", url.Values{"limit": {"３"}}, "limit", scenario.ProblemNumber},
		{"limit 21", url.Values{"limit": {"21"}}, "limit", scenario.ProblemRange},
		{"limit fraction", url.Values{"limit": {"2.5"}}, "limit", scenario.ProblemNumber},
		{"delay too long", url.Values{"downloads": {"2"}, "delays": {"1,11"}}, "delays", scenario.ProblemList},
		{"delay not a number", url.Values{"downloads": {"2"}, "delays": {"1,x"}}, "delays", scenario.ProblemList},
		{"delay NaN", url.Values{"downloads": {"1"}, "delays": {"NaN"}}, "delays", scenario.ProblemList},
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

func TestParseList(t *testing.T) {
	v, probs := Scenario.Parse(url.Values{"downloads": {"3"}, "delays": {" 1.5, 0.25 ,2"}, "limit": {"2"}})
	if len(probs) > 0 {
		t.Fatalf("problems = %v; want none", probs)
	}
	want := []time.Duration{1500 * time.Millisecond, 250 * time.Millisecond, 2 * time.Second}
	if got := v.Durations("delays"); !reflect.DeepEqual(got, want) {
		t.Errorf("delays = %v; want %v", got, want)
	}
	if got := v.Query().Encode(); got != "delays=1.5%2C+0.25+%2C2&downloads=3&limit=2&seed=1" {
		t.Errorf("Query() = %q; want the canonical query", got)
	}
}

func TestRegion(t *testing.T) {
	src := Scenario.GoSource()
	if src.FirstLine < 2 || len(src.Code) < 100 {
		t.Fatalf("GoSource() = %+v; want the downloadAll region", src)
	}
	if want := "func downloadAll("; !contains(src.Code, want) {
		t.Errorf("GoSource() does not contain %q:\n%s", want, src.Code)
	}
	if contains(src.Code, "// show") || contains(src.Code, "// end") {
		t.Errorf("GoSource() shows its markers:\n%s", src.Code)
	}
	if _, err := scenario.Region(files, "semaphore.go", "nope"); err == nil {
		t.Error(`scenario.Region(files, "semaphore.go", "nope") = nil error; want one naming the missing region`)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
