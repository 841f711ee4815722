package scenariotest

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
)

// Snippet checks the scenario's Python program as a visitor would use it:
// it runs as it is under python3 and exits 0, and its top-level constants
// say the defaults the page starts with, so the code a visitor reads is the
// run they get.
func Snippet(t *testing.T, s *scenario.Scenario) {
	py := RequirePython(t)
	src := s.PythonSource().Code
	if s.PythonSet != nil {
		v, _ := s.Parse(nil)
		for name, val := range s.PythonSet(v) {
			want := name + " = " + PyRepr(val)
			if !strings.Contains(src, "\n"+want) {
				t.Errorf("%s does not say %q, the default run's value", s.Python, want)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py.Path, "-I", "-")
	cmd.Stdin = strings.NewReader(src)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("python3 %s: %v\n%s", s.Python, err, out)
	}
}

// PyRepr writes a constant as Python source would: 1.0 for a whole float,
// [1.5, 2.0] for a list, True for a bool, "x" for a string.
func PyRepr(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', 1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return strconv.Quote(x)
	case []float64:
		parts := make([]string, len(x))
		for i, f := range x {
			parts[i] = PyRepr(f)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []int:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = strconv.Itoa(n)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		return fmt.Sprintf("%v", x)
	}
}
