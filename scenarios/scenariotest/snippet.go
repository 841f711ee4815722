package scenariotest

import (
	"context"
	"os/exec"
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
			want := name + " = " + scenario.PyRepr(val)
			if !strings.Contains(src, "\n"+want) {
				t.Errorf("%s does not say %q, the default run's value", s.Python, want)
			}
		}
		// The page shows each test set's run with its own values written
		// in, on the same lines.
		for _, set := range s.Sets {
			v, probs := s.Parse(set.Query)
			if len(probs) > 0 {
				continue
			}
			shown := s.PythonSourceFor(v).Code
			if strings.Count(shown, "\n") != strings.Count(src, "\n") {
				t.Errorf("set %s: the shown program has %d lines; the file has %d", set.Name, strings.Count(shown, "\n"), strings.Count(src, "\n"))
			}
			for name, val := range s.PythonSet(v) {
				if want := "\n" + name + " = " + scenario.PyRepr(val); !strings.Contains(shown, want) {
					t.Errorf("set %s: the shown program does not say %q", set.Name, want[1:])
				}
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
