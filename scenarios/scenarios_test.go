package scenarios

import (
	"context"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs the tests, checking that none leaves a goroutine behind;
// started as a Go worker (the worker tests start this binary so), it is
// one, with the test scenarios added to the registry.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == WorkerCommand {
		if RunWorker(context.Background(), workerTestRegistry(), os.Args[2:], os.Stdout, os.Stderr) != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

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
