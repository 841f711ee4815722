// Package scenario defines what a runnable scenario is: its parameters, the
// Go code that runs in this process, the Python program that runs under the
// tracer, the parameter sets its tests run, and how its two timelines are
// compared. Each scenario lives in a package of its own under scenarios/.
package scenario

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// Scenario is one runnable example with a Go side and a Python side.
type Scenario struct {
	ID     string
	Params []Param
	// Files holds the scenario's own sources (its package embeds them), so
	// the code on the page is the code that runs.
	Files fs.FS
	// Python is the program's file name in Files. It runs as it is;
	// PythonSet gives the top-level constants the tracer replaces.
	Python    string
	PythonSet func(Values) map[string]any
	// Go runs the Go side, reporting to run. GoFile and GoShow name the
	// region of Files that the page shows: the lines between
	// "// show GoShow" and "// end".
	Go     func(ctx context.Context, run *timeline.Recorder, v Values) error
	GoFile string
	GoShow string
	// Sets are the named parameter sets the golden and equivalence tests run.
	Sets []Set
	// Compare says how the two runtimes' timelines must match.
	Compare Compare
	// HeldCap and QueueCap name the parameters that cap the permits in use
	// and the queue's size ("limit", "maxsize"), for the overlays' cap line.
	HeldCap, QueueCap string
}

// Set is a named parameter set for tests.
type Set struct {
	Name  string
	Query url.Values
}

// Compare says how a scenario's Python timeline (virtual clock) must match
// its Go timeline (synctest).
type Compare struct {
	// Kinds are the event kinds compared, lane by lane, in order, with
	// their labels and times. Empty means every kind but spawn.
	Kinds []timeline.Kind
	// Lanes, when set, are the only lanes compared; otherwise every lane.
	Lanes func(name string) bool
	// Tolerance for times (default 15 ms: the tracer's virtual clock also
	// counts the real time Python spends).
	Tolerance time.Duration
	// Differs, when not empty, says why this scenario's runtimes differ on
	// purpose; the lane-by-lane match is not required, only Check.
	Differs string
	// Check, when set, asserts what the lesson promises on each runtime's
	// timeline (the cap, the total time, who was cancelled when). It
	// returns the problems it found.
	Check func(events []timeline.Event, v Values) []string
}

// Source is code shown on a page.
type Source struct {
	Name      string // file name, for the pane's title
	Code      string
	FirstLine int // the line number of Code's first line in its file
}

// PythonSource is the Python program, whole.
func (s *Scenario) PythonSource() Source {
	b, err := fs.ReadFile(s.Files, s.Python)
	if err != nil {
		panic(fmt.Sprintf("scenario %s: %v", s.ID, err)) // checked by Check
	}
	return Source{Name: s.Python, Code: string(b), FirstLine: 1}
}

// PythonSourceFor is the Python program as a run with v executes it: each
// top-level constant that PythonSet replaces says v's value, so the code on
// the page is the run the visitor asked for. A constant's line in the file
// reads "NAME = <the default's PyRepr>" (scenariotest.Snippet checks it);
// a value is written on that one line, so every other line keeps its
// number and events still point at the right ones. v must be usable (Parse
// gave no problems).
func (s *Scenario) PythonSourceFor(v Values) Source {
	src := s.PythonSource()
	if s.PythonSet == nil {
		return src
	}
	def, _ := s.Parse(nil)
	defaults := s.PythonSet(def)
	for name, val := range s.PythonSet(v) {
		old := "\n" + name + " = " + PyRepr(defaults[name])
		at := strings.Index(src.Code, old)
		if at < 0 {
			continue
		}
		if end := at + len(old); end < len(src.Code) && !strings.ContainsRune(" \t\r\n#", rune(src.Code[end])) {
			continue // a longer value that starts the same: not the default
		}
		src.Code = src.Code[:at] + "\n" + name + " = " + PyRepr(val) + src.Code[at+len(old):]
	}
	return src
}

// GoSource is the shown region of the Go code.
func (s *Scenario) GoSource() Source {
	src, err := Region(s.Files, s.GoFile, s.GoShow)
	if err != nil {
		panic(err) // checked by Check
	}
	return src
}

// Parse reads the scenario's parameters from q (see the func Parse).
func (s *Scenario) Parse(q url.Values) (Values, []Problem) {
	return Parse(s.Params, q)
}

// Param returns the parameter named name.
func (s *Scenario) Param(name string) (Param, bool) {
	for _, p := range s.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Validate checks that the scenario's files and region exist and that its
// defaults and test sets parse.
func (s *Scenario) Validate() error {
	if s.ID == "" || s.Go == nil || s.Files == nil {
		return fmt.Errorf("scenario %q: needs an ID, Files and Go", s.ID)
	}
	if _, err := fs.ReadFile(s.Files, s.Python); err != nil {
		return fmt.Errorf("scenario %s: python program: %w", s.ID, err)
	}
	if _, err := Region(s.Files, s.GoFile, s.GoShow); err != nil {
		return fmt.Errorf("scenario %s: %w", s.ID, err)
	}
	if _, probs := s.Parse(nil); len(probs) > 0 {
		return fmt.Errorf("scenario %s: defaults refused: %v", s.ID, probs)
	}
	for _, set := range s.Sets {
		if _, probs := s.Parse(set.Query); len(probs) > 0 {
			return fmt.Errorf("scenario %s: test set %s refused: %v", s.ID, set.Name, probs)
		}
	}
	return nil
}

// Region cuts the lines between "// show name" and "// end" out of file.
func Region(fsys fs.FS, file, name string) (Source, error) {
	b, err := fs.ReadFile(fsys, file)
	if err != nil {
		return Source{}, fmt.Errorf("go source %s: %w", file, err)
	}
	lines := strings.Split(string(b), "\n")
	begin := -1
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if begin < 0 && t == "// show "+name {
			begin = i + 1
			continue
		}
		if begin >= 0 && t == "// end" {
			shown := lines[begin:i]
			for len(shown) > 0 && strings.TrimSpace(shown[len(shown)-1]) == "" {
				shown = shown[:len(shown)-1]
			}
			return Source{Name: file, Code: strings.Join(shown, "\n") + "\n", FirstLine: begin + 1}, nil
		}
	}
	return Source{}, fmt.Errorf("go source %s: no region %q (a line \"// show %s\" and a later \"// end\")", file, name, name)
}

// SecondsList turns durations into seconds, for a Python constant.
func SecondsList(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}
