// Package lock is lesson 11's scenario: tasks add to a shared counter with a
// wait between the read and the write. Without a lock they overwrite each
// other's updates (Unsafe); holding a lock from the read to the write, none
// is lost (Scenario).
package lock

import (
	"context"
	"embed"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed lock.go lock.py unsafe.go unsafe.py
var files embed.FS

// params are the same for both scenarios, so they run side by side.
var params = []scenario.Param{
	{Name: "tasks", Kind: scenario.Int, Min: 2, Max: 10, Default: "3"},
	{Name: "increments", Kind: scenario.Int, Min: 10, Max: 100, Default: "20"},
}

var sets = []scenario.Set{
	{Name: "default"},
	{Name: "two-tasks", Query: url.Values{"tasks": {"2"}, "increments": {"10"}}},
	{Name: "ten-tasks", Query: url.Values{"tasks": {"10"}, "increments": {"10"}}},
}

func pythonSet(v scenario.Values) map[string]any {
	return map[string]any{"TASKS": v.Int("tasks"), "INCREMENTS": v.Int("increments")}
}

// compare is how both scenarios' runtimes must match: every worker lane in
// full. Main is left out: it waits for the workers on a TaskGroup in Python
// and a WaitGroup in Go, the same join under two names; check holds the
// count main prints on each runtime.
//
// The tolerance is wider than the default 15 ms. The tracer's virtual clock
// also counts the real time Python spends, a fraction of a millisecond at
// each of the many back-to-back steps here, and with the lock they add up
// along one chain: about 10–35 ms by the end of a hundred holds, more on a
// busy machine. The labels pin the order exactly (every read and written
// value is compared), so the times need only agree roughly.
func compare(locked bool) scenario.Compare {
	return scenario.Compare{
		Lanes:     func(name string) bool { return name != "main" },
		Tolerance: 80 * time.Millisecond,
		Check:     func(events []timeline.Event, v scenario.Values) []string { return check(events, v, locked) },
	}
}

// Scenario runs countLocked in Go and lock.py in CPython.
var Scenario = scenario.Scenario{
	ID:        "lock",
	Params:    params,
	Files:     files,
	Python:    "lock.py",
	PythonSet: pythonSet,
	GoFile:    "lock.go",
	GoShow:    "locked",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return countLocked(ctx, run, v.Int("tasks"), v.Int("increments"))
	},
	Sets:    sets,
	Compare: compare(true),
}

// pause is the wait between each read and its write: a round trip to
// wherever the counter lives, say.
const pause = 30 * time.Millisecond

// show locked
// countLocked starts tasks goroutines that each add 1 to a shared counter
// increments times, holding a lock from the read to the write. The lock is a
// channel with one slot: whoever fills the slot holds it, and the others
// wait in line to send.
func countLocked(ctx context.Context, run *timeline.Recorder, tasks, increments int) error {
	main := run.Lane("main", "countLocked")
	lock := make(chan struct{}, 1)
	counter := 0 // guarded by lock
	var wg sync.WaitGroup
	for n := 1; n <= tasks; n++ {
		w := run.Lane(fmt.Sprintf("worker %d", n), "add")
		wg.Go(func() {
			// Goroutines started together run in no promised order. A
			// microsecond apart, they line up in the order they started,
			// as asyncio's tasks do.
			time.Sleep(time.Duration(n) * time.Microsecond)
			for range increments {
				select {
				case lock <- struct{}{}: // free: take it
				default: // held: wait in line
					w.Wait("lock")
					lock <- struct{}{}
				}
				w.Acquire("lock")
				v := counter // read
				w.Log("read %d", v)
				w.Sleep(ctx, pause) // the others wait for the lock meanwhile
				counter = v + 1     // write
				w.Log("wrote %d", v+1)
				w.Release("lock")
				<-lock // unlock: the first goroutine in line takes the slot
			}
			w.Done()
		})
	}
	main.Wait("waitgroup")
	wg.Wait()
	main.Wake()
	main.Log("counter = %d (expected %d)", counter, tasks*increments)
	main.Done()
	return nil
}

// end
