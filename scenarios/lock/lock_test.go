package lock

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/scenariotest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var both = []*scenario.Scenario{&Unsafe, &Scenario}

func TestGolden(t *testing.T) {
	for _, s := range both {
		t.Run(s.ID, func(t *testing.T) { scenariotest.Golden(t, s) })
	}
}

// TestEquivalent: every worker lane must match; main is left out (see
// compare).
func TestEquivalent(t *testing.T) {
	for _, s := range both {
		t.Run(s.ID, func(t *testing.T) { scenariotest.Equivalent(t, s) })
	}
}

// TestSnippet: lock.py and unsafe.py run as they are and show the defaults.
func TestSnippet(t *testing.T) {
	for _, s := range both {
		t.Run(s.ID, func(t *testing.T) { scenariotest.Snippet(t, s) })
	}
}
