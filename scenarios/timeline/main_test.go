package timeline

import (
	"testing"

	"go.uber.org/goleak"
)

// A lane's precise sleep watches its context from a goroutine
// (context.AfterFunc), and the tests start lanes of their own: none may
// outlive its test binary.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
