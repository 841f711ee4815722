package web

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks for leaked goroutines; chroma's regexp engine keeps a
// timeout clock goroutine of its own that ends by itself.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/dlclark/regexp2/v2.runClock"))
}
