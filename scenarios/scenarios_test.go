package scenarios

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDefaultRegistry builds the registry, which validates every scenario:
// its Python program and Go region exist, its defaults and test sets parse.
func TestDefaultRegistry(t *testing.T) {
	r, err := New(all()...)
	if err != nil {
		t.Fatalf("New(all()...) = %v", err)
	}
	for _, s := range r.All() {
		if len(s.Sets) == 0 {
			t.Errorf("scenario %s has no test sets", s.ID)
		}
		if s.PythonSource().Code == "" || s.GoSource().Code == "" {
			t.Errorf("scenario %s shows no code", s.ID)
		}
	}
	if _, err := New(all()[0], all()[0]); err == nil {
		t.Error("a registry with a scenario twice = nil error")
	}
}
