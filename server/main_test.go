package server

import (
	"context"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios"
)

// TestMain checks that no test leaves a goroutine behind.
//
// Started with a worker argument (the Go-worker tests run this binary as
// Config.GoWorker), it is a Go worker instead: with the shipped scenarios,
// or with ones whose goroutines panic (see panickingWorker).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == scenarios.WorkerCommand || os.Args[1] == panickingWorker) {
		reg := scenarios.Default()
		if os.Args[1] == panickingWorker {
			reg = panickingRegistry()
		}
		if scenarios.RunWorker(context.Background(), reg, os.Args[2:], os.Stdout, os.Stderr) != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
