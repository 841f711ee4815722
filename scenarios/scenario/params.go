package scenario

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ParamKind says how a parameter is written and read.
type ParamKind int

// The kinds of parameter a visitor can set.
const (
	Int     ParamKind = iota // a whole number between Min and Max
	Seconds                  // a comma-separated list of seconds, each between Min and Max; empty means seeded random
)

// Param is one value a visitor can change on the page. Its label and help
// text are UI strings the web package looks up by "param.<Name>".
type Param struct {
	Name     string
	Kind     ParamKind
	Min, Max float64
	Default  string
	// For Seconds: how many values the list must have is the Int parameter
	// named Count, and an empty list draws them from the Int parameter named
	// Seed, uniformly between RandMin and RandMax in tenths of a second.
	Count, Seed      string
	RandMin, RandMax float64
	// Len, when set, is the exact length a Seconds list must have (and
	// the length of a seeded one), for a list with no count parameter.
	Len int
}

// Problem is why one parameter was refused. The web package turns Code and
// Args into a sentence in the visitor's language.
type Problem struct {
	Param string
	Code  string // "number", "range", "list", "count", "long"
	Args  []any
}

// Problem codes.
const (
	ProblemNumber = "number" // not a whole number; Args: the text
	ProblemRange  = "range"  // outside [Min, Max]; Args: min, max
	ProblemList   = "list"   // an entry of a list is not a number in range; Args: position, min, max
	ProblemCount  = "count"  // a list has the wrong length; Args: want, got
	ProblemLong   = "long"   // longer than MaxText characters; Args: MaxText
)

// MaxText is the most characters a parameter's value may have. A longer one
// is refused (ProblemLong) rather than cut, which could leave a different
// value that parses; the form gets back its first MaxText characters.
const MaxText = 2000

func (p Problem) Error() string {
	return fmt.Sprintf("%s: %s %v", p.Param, p.Code, p.Args)
}

// Values are a scenario's parameters after parsing: whole numbers and lists
// of durations, every one within its range.
type Values struct {
	ints  map[string]int
	lists map[string][]time.Duration
	raw   url.Values // what the visitor typed, canonicalised, for links
}

// Int returns the whole-number parameter name.
func (v Values) Int(name string) int { return v.ints[name] }

// Durations returns the list parameter name, with seeded values filled in.
func (v Values) Durations(name string) []time.Duration { return v.lists[name] }

// Query is the canonical query string that reproduces these values.
func (v Values) Query() url.Values { return v.raw }

// Raw returns what the visitor typed for name (or its default), to put back
// in the form.
func (v Values) Raw(name string) string { return v.raw.Get(name) }

// Parse reads params from q, filling defaults for absent ones. It returns
// the problems, one per refused parameter: the whole numbers' first, then
// the lists' (a list's length may depend on a number), each in the order
// params are declared; with any problem, the Values are not usable.
func Parse(params []Param, q url.Values) (Values, []Problem) {
	v := Values{ints: map[string]int{}, lists: map[string][]time.Duration{}, raw: url.Values{}}
	var problems []Problem
	long := map[string]bool{}
	for _, p := range params {
		// Bytes that are not UTF-8 would go back into a UTF-8 page as they
		// came (the form's value, a problem's text): they become U+FFFD.
		text := strings.ToValidUTF8(strings.TrimSpace(q.Get(p.Name)), "\uFFFD")
		if _, given := q[p.Name]; !given {
			text = p.Default
		}
		if clipped, cut := clip(text, MaxText); cut {
			text, long[p.Name] = clipped, true
		}
		v.raw.Set(p.Name, text)
		if p.Kind != Int {
			continue
		}
		if long[p.Name] {
			problems = append(problems, Problem{Param: p.Name, Code: ProblemLong, Args: []any{MaxText}})
			continue
		}
		n, err := strconv.Atoi(text)
		if err != nil {
			problems = append(problems, Problem{Param: p.Name, Code: ProblemNumber, Args: []any{text}})
			continue
		}
		if float64(n) < p.Min || float64(n) > p.Max {
			problems = append(problems, Problem{Param: p.Name, Code: ProblemRange, Args: []any{p.Min, p.Max}})
			continue
		}
		v.ints[p.Name] = n
	}
	for _, p := range params {
		if p.Kind != Seconds {
			continue
		}
		if long[p.Name] {
			problems = append(problems, Problem{Param: p.Name, Code: ProblemLong, Args: []any{MaxText}})
			continue
		}
		list, prob := parseSeconds(p, v)
		if prob != nil {
			problems = append(problems, *prob)
			continue
		}
		v.lists[p.Name] = list
	}
	return v, problems
}

// clip gives text's first n characters (runes, so a character is never cut
// in two) and whether that left anything out.
func clip(text string, n int) (string, bool) {
	if len(text) <= n {
		return text, false // n bytes are at most n characters
	}
	i := 0
	for at := range text {
		if i == n {
			return text[:at], true
		}
		i++
	}
	return text, false
}

func parseSeconds(p Param, v Values) ([]time.Duration, *Problem) {
	count, countOK := v.ints[p.Count]
	if p.Len > 0 {
		count, countOK = p.Len, true
	}
	text := v.raw.Get(p.Name)
	single := p.Count == "" && p.Len == 0 && p.Seed == ""
	if single && (text == "" || strings.Contains(text, ",")) {
		// One value, left empty or given as a list: a clear problem, as for
		// a whole number, rather than a run with no value (0 s), a guessed
		// one, or the first of several while the form shows them all.
		return nil, &Problem{Param: p.Name, Code: ProblemRange, Args: []any{p.Min, p.Max}}
	}
	if text == "" || strings.EqualFold(text, "random") {
		if p.Seed == "" {
			// No seed to draw from: the list must be typed out.
			if text != "" {
				return nil, &Problem{Param: p.Name, Code: ProblemList, Args: []any{1, p.Min, p.Max}}
			}
			if !countOK {
				return nil, nil // the count has its own problem
			}
			return nil, &Problem{Param: p.Name, Code: ProblemCount, Args: []any{count, 0}}
		}
		seed, ok := v.ints[p.Seed]
		if !ok || !countOK {
			return nil, nil // the count or seed has its own problem
		}
		return seeded(uint64(seed), count, p.RandMin, p.RandMax), nil
	}
	fields := strings.Split(text, ",")
	out := make([]time.Duration, 0, len(fields))
	for i, f := range fields {
		s, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || math.IsNaN(s) || s < p.Min || s > p.Max {
			return nil, &Problem{Param: p.Name, Code: ProblemList, Args: []any{i + 1, p.Min, p.Max}}
		}
		out = append(out, time.Duration(math.Round(s*1000))*time.Millisecond)
	}
	if countOK && len(out) != count {
		return nil, &Problem{Param: p.Name, Code: ProblemCount, Args: []any{count, len(out)}}
	}
	return out, nil
}

// seeded draws n durations between lo and hi seconds in tenths of a second.
// The generator (PCG, seeded with seed) gives the same list for the same seed
// on every machine and Go version, so a link reproduces its run.
func seeded(seed uint64, n int, lo, hi float64) []time.Duration {
	r := rand.New(rand.NewPCG(seed, 0x61737963706c6179))
	tenths := int((hi-lo)*10) + 1
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(lo*10+float64(r.IntN(tenths))) * 100 * time.Millisecond
	}
	return out
}
