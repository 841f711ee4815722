package lock

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// Unsafe runs countUnsafe in Go and unsafe.py in CPython.
var Unsafe = scenario.Scenario{
	ID:        "lock-unsafe",
	Params:    params,
	Files:     files,
	Python:    "unsafe.py",
	PythonSet: pythonSet,
	GoFile:    "unsafe.go",
	GoShow:    "unsafe",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return countUnsafe(ctx, run, v.Int("tasks"), v.Int("increments"))
	},
	Sets:    sets,
	Compare: compare(false),
}

// show unsafe
// countUnsafe starts tasks goroutines that each add 1 to a shared counter
// increments times, with a wait between the read and the write and no lock.
// Each Load and Store is atomic, so the race detector stays quiet, but the
// pair is not: the goroutines read the same value and store the same sum.
func countUnsafe(ctx context.Context, run *timeline.Recorder, tasks, increments int) error {
	main := run.Lane("main", "countUnsafe")
	var counter atomic.Int64
	var wg sync.WaitGroup
	for n := 1; n <= tasks; n++ {
		w := run.Lane(fmt.Sprintf("worker %d", n), "add")
		wg.Go(func() {
			for range increments {
				v := counter.Load() // read
				w.Log("read %d", v)
				w.Sleep(ctx, pause)  // the others read the same value meanwhile
				counter.Store(v + 1) // write: overwrites what they stored
				w.Log("wrote %d", v+1)
			}
			w.Done()
		})
	}
	main.Wait("waitgroup")
	wg.Wait()
	main.Wake()
	main.Log("counter = %d (expected %d)", counter.Load(), tasks*increments)
	main.Done()
	return nil
}

// end
