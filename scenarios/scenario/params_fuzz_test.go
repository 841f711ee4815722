package scenario

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
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

// TestLongValueRefused: a value past MaxText characters is refused with a
// problem of its own, for whole numbers and lists alike; it is not cut to a
// shorter value that would run (2001 characters of "0…050" are 50, and cut
// to 2000 they would be 5). The form gets back its first MaxText
// characters, never half of one.
func TestLongValueRefused(t *testing.T) {
	fifty := strings.Repeat("0", MaxText-1) + "50"
	v, probs := Parse(fuzzParams, url.Values{"n": {fifty}, "delays": {strings.Repeat("é", MaxText+1)}})
	want := []Problem{{Param: "n", Code: ProblemLong, Args: []any{MaxText}}, {Param: "delays", Code: ProblemLong, Args: []any{MaxText}}}
	if !reflect.DeepEqual(probs, want) {
		t.Fatalf("problems %v; want %v", probs, want)
	}
	if got := v.Raw("n"); got != fifty[:MaxText] {
		t.Errorf("n shown back as %d characters; want the first %d", len(got), MaxText)
	}
	if got := v.Raw("delays"); got != strings.Repeat("é", MaxText) || !utf8.ValidString(got) {
		t.Errorf("delays shown back as %d characters (valid UTF-8: %v); want %d whole ones", utf8.RuneCountInString(got), utf8.ValidString(got), MaxText)
	}
	v, probs = Parse(fuzzParams, url.Values{"n": {fifty[1:]}})
	if len(probs) != 0 || v.Int("n") != 50 {
		t.Errorf("exactly %d characters: n = %d, problems %v; want 50 and none", MaxText, v.Int("n"), probs)
	}
}
