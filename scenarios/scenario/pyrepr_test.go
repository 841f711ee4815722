package scenario

import (
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
)

func TestPyRepr(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{1.0, "1.0"}, {1.25, "1.25"}, {[]float64{1.6, 2}, "[1.6, 2.0]"}, {3, "3"},
		{true, "True"}, {"a b", `"a b"`}, {[]int{1, 2}, "[1, 2]"},
	} {
		if got := PyRepr(tc.in); got != tc.want {
			t.Errorf("PyRepr(%v) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestPythonSourceFor: a run's values are written into the program's
// constants, on their own lines; other lines, a constant that only starts
// like the default, and a program run at its defaults are left as they are.
func TestPythonSourceFor(t *testing.T) {
	src := "\"\"\"A program.\"\"\"\nLIMIT = 3  # permits\nLIMITS = 30\nDELAYS = [1.0, 2.0]\n\n\ndef f():\n    LIMIT = 3\n"
	s := &Scenario{ID: "t", Files: fstest.MapFS{"p.py": {Data: []byte(src)}}, Python: "p.py",
		Params: []Param{
			{Name: "limit", Kind: Int, Min: 1, Max: 20, Default: "3"},
			{Name: "delays", Kind: Seconds, Min: 0.1, Max: 10, Default: "1,2", Len: 2},
		},
		PythonSet: func(v Values) map[string]any {
			return map[string]any{"LIMIT": v.Int("limit"), "DELAYS": SecondsList(v.Durations("delays"))}
		},
	}
	def, _ := s.Parse(nil)
	if got := s.PythonSourceFor(def).Code; got != src {
		t.Errorf("at the defaults the program changed:\n%s", got)
	}
	v, probs := s.Parse(url.Values{"limit": {"12"}, "delays": {"0.5,1.25"}})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	want := strings.NewReplacer("LIMIT = 3  #", "LIMIT = 12  #", "[1.0, 2.0]", "[0.5, 1.25]").Replace(src)
	if got := s.PythonSourceFor(v).Code; got != want {
		t.Errorf("with limit 12 and delays 0.5,1.25 the program reads\n%s\nwant\n%s", got, want)
	}
}
