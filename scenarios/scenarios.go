// Package scenarios holds the runnable scenarios: their parameters, the Go
// code that runs in this process, the Python program that runs under the
// tracer, and the runner that starts both at once.
package scenarios

import (
	"context"
	"embed"
	"fmt"
	"path"
	"strings"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// sources holds the Python programs and the Go files whose regions the pages
// show, so the code on the page is the code that runs.
//
//go:embed python/*.py *.go
var sources embed.FS

// Scenario is one runnable example with a Go side and a Python side.
type Scenario struct {
	ID     string
	Params []Param
	// Python is the program's file name under python/. It runs as it is;
	// PythonSet gives the top-level constants the tracer replaces.
	Python    string
	PythonSet func(Values) map[string]any
	// Go runs the Go side, reporting to run. GoFile and GoShow name the
	// region of this package's source that the page shows: the lines between
	// "// show GoShow" and "// end".
	Go     func(ctx context.Context, run *timeline.Recorder, v Values) error
	GoFile string
	GoShow string
}

// Source is code shown on a page.
type Source struct {
	Name      string // file name, for the pane's title
	Code      string
	FirstLine int // the line number of the first line of Code in its file
}

// PythonSource is the Python program, whole.
func (s *Scenario) PythonSource() Source {
	b, err := sources.ReadFile(path.Join("python", s.Python))
	if err != nil {
		panic(err) // checked by New
	}
	return Source{Name: s.Python, Code: string(b), FirstLine: 1}
}

// GoSource is the shown region of the Go code.
func (s *Scenario) GoSource() Source {
	src, err := region(s.GoFile, s.GoShow)
	if err != nil {
		panic(err) // checked by New
	}
	return src
}

// Parse reads the scenario's parameters from q (see the package func Parse).
func (s *Scenario) Parse(q map[string][]string) (Values, []Problem) {
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

// region cuts the lines between "// show name" and "// end" out of file.
func region(file, name string) (Source, error) {
	b, err := sources.ReadFile(file)
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

// Registry is the set of scenarios, by id.
type Registry struct {
	byID map[string]*Scenario
}

// New builds a registry and checks every scenario: its Python program and
// Go region exist, and its parameter defaults parse.
func New(list ...Scenario) (*Registry, error) {
	r := &Registry{byID: map[string]*Scenario{}}
	for i := range list {
		s := &list[i]
		if r.byID[s.ID] != nil {
			return nil, fmt.Errorf("scenario %s: defined twice", s.ID)
		}
		if _, err := sources.ReadFile(path.Join("python", s.Python)); err != nil {
			return nil, fmt.Errorf("scenario %s: python program: %w", s.ID, err)
		}
		if _, err := region(s.GoFile, s.GoShow); err != nil {
			return nil, fmt.Errorf("scenario %s: %w", s.ID, err)
		}
		if _, probs := s.Parse(nil); len(probs) > 0 {
			return nil, fmt.Errorf("scenario %s: defaults refused: %v", s.ID, probs)
		}
		r.byID[s.ID] = s
	}
	return r, nil
}

// Default is the registry of every scenario asyncplay ships.
func Default() *Registry {
	r, err := New(semaphoreScenario)
	if err != nil {
		panic(err) // a bug in this package, caught by its tests
	}
	return r
}

// Get returns the scenario with id, or nil.
func (r *Registry) Get(id string) *Scenario { return r.byID[id] }

// Has reports whether id is registered.
func (r *Registry) Has(id string) bool { return r.byID[id] != nil }

