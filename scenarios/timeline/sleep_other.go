//go:build !linux

package timeline

import (
	"context"
	"time"
)

// preciseSleep has no high-resolution timer to use here: the caller sleeps
// on the runtime's timers.
func preciseSleep(ctx context.Context, d time.Duration) (ok bool, err error) { return false, nil }
