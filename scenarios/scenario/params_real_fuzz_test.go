package scenario_test

import (
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/web"
)

// shipped returns every scenario of the default registry, sorted by id so
// that a fuzz input picks the same scenario on every run.
func shipped() []*scenario.Scenario {
	all := scenarios.Default().All()
	slices.SortFunc(all, func(a, b *scenario.Scenario) int { return strings.Compare(a.ID, b.ID) })
	return all
}

// FuzzRealParams parses a fuzzed query string with the parameter table of
// every shipped scenario. Parse must never panic. When it reports problems,
// each one names one of the scenario's parameters, at most once, carries
// the arguments its code promises and reads as a sentence in every UI
// language. When it reports none, every value is within what the table
// declares: whole numbers within [Min, Max], typed lists of seconds within
// [Min, Max] with one entry per item (the Count parameter's value, or Len),
// seeded lists within [RandMin, RandMax] in tenths of a second; and the
// canonical query gives the same values again.
func FuzzRealParams(f *testing.F) {
	all := shipped()
	hostile := []string{
		"", " ", "0", "-1", "1", "3", "9", "20", "101", "1e9", "-0", "+5", "0x10", "1_000", "３", "٣",
		"99999999999999999999999", "NaN", "Inf", "-Inf", "1e308", "1e-308", "random", "RANDOM",
		"1,2", "1, 2", " 1 ,2 ", "1,,2", ",", "1,2,3", "0.05,1", "0.1,10", "10.0004,1", "9.9996,0.1",
		"0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9", "1;2", "é", "\x00", "%zz", "\xff<", "1,\xc3",
		// At and past the longest value taken: 2000 characters are read,
		// 2001 are refused, not cut to something else that parses.
		strings.Repeat("0", scenario.MaxText-2) + "50", strings.Repeat("0", scenario.MaxText-1) + "50",
		strings.Repeat("é", scenario.MaxText+1), strings.Repeat("0.5,", scenario.MaxText/4+1),
	}
	for i, sc := range all {
		pick := uint8(i)
		f.Add(pick, "")
		v, _ := sc.Parse(nil)
		f.Add(pick, v.Query().Encode())
		for _, set := range sc.Sets {
			f.Add(pick, set.Query.Encode())
		}
		for _, p := range sc.Params {
			for _, h := range hostile {
				f.Add(pick, url.Values{p.Name: {h}}.Encode())
			}
			// Repeated and unknown keys, and a raw (unescaped) value.
			f.Add(pick, p.Name+"=1&"+p.Name+"=2&unknown=3")
			f.Add(pick, p.Name+"=1,2&"+p.Name)
			f.Add(pick, strings.ToUpper(p.Name)+"=1")
		}
	}
	f.Fuzz(func(t *testing.T, pick uint8, raw string) {
		sc := all[int(pick)%len(all)]
		// A server reads the query as url.ParseQuery does, keeping the
		// pairs it could read when it refuses others.
		q, _ := url.ParseQuery(raw)
		v, probs := sc.Parse(q)
		for _, p := range sc.Params {
			if raw := v.Raw(p.Name); !utf8.ValidString(raw) {
				t.Fatalf("%s: %s = %q, which is not UTF-8, goes back to the page", sc.ID, p.Name, raw)
			}
		}
		if len(probs) > 0 {
			checkProblems(t, sc, v, probs)
			return
		}
		checkValues(t, sc, v)
		again, probs := sc.Parse(v.Query())
		if len(probs) > 0 {
			t.Fatalf("%s: the canonical query %q is refused: %v", sc.ID, v.Query().Encode(), probs)
		}
		for _, p := range sc.Params {
			if again.Int(p.Name) != v.Int(p.Name) || !reflect.DeepEqual(again.Durations(p.Name), v.Durations(p.Name)) {
				t.Fatalf("%s: the canonical query %q gives %s = %d %v; first parse gave %d %v", sc.ID, v.Query().Encode(),
					p.Name, again.Int(p.Name), again.Durations(p.Name), v.Int(p.Name), v.Durations(p.Name))
			}
		}
	})
}

// checkProblems holds each problem to what its code promises.
func checkProblems(t *testing.T, sc *scenario.Scenario, v scenario.Values, probs []scenario.Problem) {
	t.Helper()
	seen := map[string]bool{}
	for _, pr := range probs {
		p, ok := sc.Param(pr.Param)
		if !ok {
			t.Fatalf("%s: problem %+v names no parameter of the scenario", sc.ID, pr)
		}
		if seen[pr.Param] {
			t.Fatalf("%s: two problems for %s: %v", sc.ID, pr.Param, probs)
		}
		seen[pr.Param] = true
		text := v.Raw(p.Name)
		switch pr.Code {
		case scenario.ProblemNumber:
			// The text shown back is what Parse read.
			if p.Kind != scenario.Int || len(pr.Args) != 1 || pr.Args[0] != text {
				t.Fatalf("%s: number problem %+v; want one argument, the text %q", sc.ID, pr, text)
			}
			if _, err := strconv.Atoi(text); err == nil {
				t.Fatalf("%s: number problem for %s, but %q is a whole number", sc.ID, p.Name, text)
			}
		case scenario.ProblemRange:
			if !reflect.DeepEqual(pr.Args, []any{p.Min, p.Max}) {
				t.Fatalf("%s: range problem %+v; want the arguments %v, %v", sc.ID, pr, p.Min, p.Max)
			}
			if p.Kind == scenario.Seconds {
				// A single value of seconds left empty or given as a list.
				if (text != "" && !strings.Contains(text, ",")) || p.Count != "" || p.Len != 0 || p.Seed != "" {
					t.Fatalf("%s: range problem for %s = %q, which is not a single value left empty or listed", sc.ID, p.Name, text)
				}
				continue
			}
			if n, err := strconv.Atoi(text); err != nil || (float64(n) >= p.Min && float64(n) <= p.Max) {
				t.Fatalf("%s: range problem for %s = %q, which is a whole number in range or none at all", sc.ID, p.Name, text)
			}
		case scenario.ProblemList:
			fields := strings.Split(text, ",")
			if p.Kind != scenario.Seconds || len(pr.Args) != 3 || pr.Args[1] != p.Min || pr.Args[2] != p.Max {
				t.Fatalf("%s: list problem %+v; want a position, %v and %v", sc.ID, pr, p.Min, p.Max)
			}
			pos, ok := pr.Args[0].(int)
			if !ok || pos < 1 || pos > len(fields) {
				t.Fatalf("%s: list problem %+v points outside the %d entries of %q", sc.ID, pr, len(fields), text)
			}
			for i, field := range fields[:pos] {
				if inRange := secondsOK(p, field); inRange != (i < pos-1) {
					t.Fatalf("%s: list problem at entry %d of %q, but entry %d is in range = %v", sc.ID, pos, text, i+1, inRange)
				}
			}
		case scenario.ProblemCount:
			if p.Kind != scenario.Seconds || len(pr.Args) != 2 {
				t.Fatalf("%s: count problem %+v; want the wanted and the given lengths", sc.ID, pr)
			}
			given := len(strings.Split(text, ","))
			if text == "" {
				given = 0 // an empty list, which only a seed could fill
			}
			want, got := pr.Args[0], pr.Args[1]
			if want == got || got != given {
				t.Fatalf("%s: count problem %+v for %q", sc.ID, pr, text)
			}
			if p.Len > 0 && want != p.Len || p.Len == 0 && want != v.Int(p.Count) {
				t.Fatalf("%s: count problem %+v; want %d values (Len %d, %s = %d)", sc.ID, pr, want, p.Len, p.Count, v.Int(p.Count))
			}
		case scenario.ProblemLong:
			// The form gets back the first MaxText characters, whole.
			if !reflect.DeepEqual(pr.Args, []any{scenario.MaxText}) || utf8.RuneCountInString(text) != scenario.MaxText {
				t.Fatalf("%s: long problem %+v with %d characters shown back; want the argument and %d characters", sc.ID, pr, utf8.RuneCountInString(text), scenario.MaxText)
			}
		default:
			t.Fatalf("%s: problem %+v has an unknown code", sc.ID, pr)
		}
		// What the visitor reads: a whole sentence in each language, with
		// no missing key ("[problem.x]") and no misformatted argument.
		for _, loc := range web.Locales {
			msg := web.ProblemText(loc.Code, pr)
			if strings.TrimSpace(msg) == "" || strings.HasPrefix(msg, "[") || strings.Contains(msg, "%!") {
				t.Fatalf("%s: problem %+v reads %q in %s", sc.ID, pr, msg, loc.Code)
			}
		}
	}
}

// secondsOK reports whether one entry of a list is a number of seconds
// within the parameter's range, as Parse reads it.
func secondsOK(p scenario.Param, field string) bool {
	s, err := strconv.ParseFloat(strings.TrimSpace(field), 64)
	return err == nil && !math.IsNaN(s) && s >= p.Min && s <= p.Max
}

// checkValues holds accepted values to the parameter table.
func checkValues(t *testing.T, sc *scenario.Scenario, v scenario.Values) {
	t.Helper()
	for k, vs := range v.Query() {
		if _, ok := sc.Param(k); !ok || len(vs) != 1 {
			t.Fatalf("%s: the canonical query has %s = %q, which is no single parameter value", sc.ID, k, vs)
		}
	}
	ms := func(sec float64) time.Duration { return time.Duration(math.Round(sec*1000)) * time.Millisecond }
	for _, p := range sc.Params {
		text := v.Raw(p.Name)
		switch p.Kind {
		case scenario.Int:
			n := v.Int(p.Name)
			if float64(n) < p.Min || float64(n) > p.Max {
				t.Fatalf("%s: accepted %s = %d, outside [%v, %v]", sc.ID, p.Name, n, p.Min, p.Max)
			}
			if typed, err := strconv.Atoi(text); err != nil || typed != n {
				t.Fatalf("%s: accepted %s = %d from the text %q", sc.ID, p.Name, n, text)
			}
		case scenario.Seconds:
			d := v.Durations(p.Name)
			want := -1 // any length
			if p.Len > 0 {
				want = p.Len
			} else if p.Count != "" {
				want = v.Int(p.Count)
			}
			if want < 0 && p.Seed == "" && len(d) != 1 {
				t.Fatalf("%s: accepted %s = %q as %d values; it takes one", sc.ID, p.Name, text, len(d))
			}
			if text == "" || strings.EqualFold(text, "random") {
				if p.Seed == "" {
					if want >= 0 && len(d) != want {
						t.Fatalf("%s: accepted %s = %q as %d values; the list must have %d", sc.ID, p.Name, text, len(d), want)
					}
					continue
				}
				lo, hi := ms(p.RandMin), ms(p.RandMax)
				if len(d) != want {
					t.Fatalf("%s: seeded %s has %d values; want %d", sc.ID, p.Name, len(d), want)
				}
				for _, x := range d {
					if x < lo || x > hi || x%(100*time.Millisecond) != 0 {
						t.Fatalf("%s: seeded %s has %v; want %v to %v in tenths of a second", sc.ID, p.Name, x, lo, hi)
					}
				}
				continue
			}
			fields := strings.Split(text, ",")
			if len(d) != len(fields) || (want >= 0 && len(d) != want) {
				t.Fatalf("%s: accepted %s = %q as %d values (want %d)", sc.ID, p.Name, text, len(d), want)
			}
			for i, x := range d {
				if x < ms(p.Min) || x > ms(p.Max) {
					t.Fatalf("%s: accepted %s entry %d = %v, outside [%v, %v] s", sc.ID, p.Name, i+1, x, p.Min, p.Max)
				}
				s, _ := strconv.ParseFloat(strings.TrimSpace(fields[i]), 64)
				if x != ms(s) {
					t.Fatalf("%s: accepted %s entry %d = %v from %q", sc.ID, p.Name, i+1, x, fields[i])
				}
			}
		}
	}
}
