package scenario

import (
	"net/url"
	"testing"
	"time"
)

var fuzzParams = []Param{
	{Name: "n", Kind: Int, Min: 1, Max: 100, Default: "9"},
	{Name: "limit", Kind: Int, Min: 1, Max: 20, Default: "3"},
	{Name: "delays", Kind: Seconds, Min: 0.1, Max: 10, Count: "n", Seed: "seed", RandMin: 1, RandMax: 3},
	{Name: "seed", Kind: Int, Min: 0, Max: 999999, Default: "1"},
}

// FuzzParse feeds any text to every parameter: Parse never panics, and
// whatever it accepts is within its ranges, with one delay per item.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "0", "9", "101", "-1", "1e9", "abc", "３", "1,2,3", "NaN", "0x10", " 7 ", "1,,2", "random"} {
		f.Add(s, s, s, s)
	}
	f.Fuzz(func(t *testing.T, n, limit, delays, seed string) {
		q := url.Values{"n": {n}, "limit": {limit}, "delays": {delays}, "seed": {seed}}
		v, probs := Parse(fuzzParams, q)
		for _, p := range probs {
			if p.Param == "" || p.Code == "" {
				t.Fatalf("problem without a parameter or code: %+v", p)
			}
		}
		if len(probs) > 0 {
			return
		}
		if v.Int("n") < 1 || v.Int("n") > 100 || v.Int("limit") < 1 || v.Int("limit") > 20 {
			t.Fatalf("accepted out of range: n=%d limit=%d", v.Int("n"), v.Int("limit"))
		}
		d := v.Durations("delays")
		if len(d) != v.Int("n") {
			t.Fatalf("%d delays for n=%d", len(d), v.Int("n"))
		}
		for _, x := range d {
			if x < 100*time.Millisecond || x > 10*time.Second {
				t.Fatalf("accepted delay %v", x)
			}
		}
		if _, probs := Parse(fuzzParams, v.Query()); len(probs) > 0 {
			t.Fatalf("the canonical query %q does not parse again: %v", v.Query().Encode(), probs)
		}
	})
}

func TestFixedLengthList(t *testing.T) {
	params := []Param{{Name: "delays", Kind: Seconds, Min: 0.1, Max: 10, Default: "1,2", Len: 2}}
	if _, probs := Parse(params, nil); len(probs) != 0 {
		t.Errorf("default refused: %v", probs)
	}
	_, probs := Parse(params, url.Values{"delays": {"1,2,3"}})
	if len(probs) != 1 || probs[0].Code != ProblemCount || probs[0].Args[0] != 2 || probs[0].Args[1] != 3 {
		t.Errorf("three values for a list of two: %v; want a count problem (2, 3)", probs)
	}
}
