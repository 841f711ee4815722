// Package limitpatterns is lesson 10's scenarios: the same downloads capped
// at the same number at once, in four ways. The cap is the same every time;
// how many tasks (goroutines) are alive at once is not.
package limitpatterns

import (
	"context"
	"embed"
	"net/url"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed firstcompleted.go pool.go gatherlimit.go acquirefirst.go
//go:embed first_completed.py pool.py gather_with_concurrency.py acquire_first.py
var files embed.FS

// params are the same for every pattern, so that one set of values runs
// the same downloads under each of them.
var params = []scenario.Param{
	{Name: "downloads", Kind: scenario.Int, Min: 1, Max: 30, Default: "8"},
	{Name: "limit", Kind: scenario.Int, Min: 1, Max: 10, Default: "3"},
	{Name: "delays", Kind: scenario.Seconds, Min: 0.1, Max: 10, Default: "", Count: "downloads", Seed: "seed", RandMin: 1, RandMax: 3},
	// Seed 5 draws 1.1, 1.6, 2.4, 1.7, 2.1, 1.8, 2.1, 1.3 s: with three at
	// a time no two downloads finish at the same instant, so which one
	// makes room for the next is never a coin toss; the run takes 5.0 s.
	{Name: "seed", Kind: scenario.Int, Min: 0, Max: 999999, Default: "5"},
}

// sets are the parameter sets every pattern is tested with. All are free of
// ties: no two downloads finish at the same instant.
var sets = []scenario.Set{
	{Name: "default"},
	{Name: "seed7-limit2", Query: url.Values{"seed": {"7"}, "limit": {"2"}}},
	{Name: "list", Query: url.Values{"downloads": {"5"}, "limit": {"2"}, "delays": {"0.5,1.5,0.7,0.2,1"}}},
	{Name: "limit-above-downloads", Query: url.Values{"downloads": {"3"}, "limit": {"5"}, "delays": {"0.3,0.1,0.2"}}},
	{Name: "one-at-a-time", Query: url.Values{"downloads": {"4"}, "limit": {"1"}, "seed": {"42"}}},
	{Name: "twelve-limit4", Query: url.Values{"downloads": {"12"}, "limit": {"4"}, "seed": {"0"}}},
}

// pythonSet gives every pattern's program the same constants.
func pythonSet(v scenario.Values) map[string]any {
	return map[string]any{"DELAYS": scenario.SecondsList(v.Durations("delays")), "LIMIT": v.Int("limit")}
}

// runner adapts a pattern's function to scenario.Scenario.Go.
func runner(f func(context.Context, *timeline.Recorder, []time.Duration, int) error) func(context.Context, *timeline.Recorder, scenario.Values) error {
	return func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return f(ctx, run, v.Durations("delays"), v.Int("limit"))
	}
}

// FirstCompleted keeps a set of running tasks and tops it up whenever
// asyncio.wait(FIRST_COMPLETED) returns; in Go, main receives from a channel
// each goroutine sends on as it ends.
var FirstCompleted = scenario.Scenario{
	ID:        "limit-first-completed",
	Params:    params,
	Files:     files,
	Python:    "first_completed.py",
	PythonSet: pythonSet,
	GoFile:    "firstcompleted.go",
	GoShow:    "firstcompleted",
	HeldCap:   "limit",
	Go:        runner(firstCompleted),
	Sets:      sets,
	Compare: scenario.Compare{
		// Every lane, and every kind but spawn and wait: main waits in
		// asyncio.wait in Python and on a receive from the done channel in
		// Go, and each wait is labelled with what it waits on. When main
		// goes on (its wake) and what it prints, "alive: n" included, are
		// compared.
		Kinds: []timeline.Kind{timeline.Sleep, timeline.Wake, timeline.Log, timeline.Done},
		Check: check(limitAlive),
	},
}

// Pool is a fixed number of workers that take jobs from a queue: in Python
// an asyncio.Queue, q.join() and then cancelling the workers; in Go a
// channel the workers range over until main closes it.
var Pool = scenario.Scenario{
	ID:        "limit-pool",
	Params:    params,
	Files:     files,
	Python:    "pool.py",
	PythonSet: pythonSet,
	GoFile:    "pool.go",
	GoShow:    "pool",
	HeldCap:   "limit",
	Go:        runner(pool),
	Sets:      sets,
	Compare: scenario.Compare{
		// The workers' downloads are compared (what they print and their
		// sleeps: which worker runs which download, and when), not how the
		// workers wait and end, which differ on purpose and the lesson says
		// so: asyncio's Queue cannot be closed in 3.11, so the Python
		// workers wait on an empty queue until main cancels them, while a
		// Go worker's range loop ends as soon as the channel is closed and
		// drained. Main differs for the same reason (it fills a queue and
		// joins it in Python, and hands each job over on an unbuffered
		// channel in Go) and is not compared; check holds both runtimes to
		// the cap, each download's delay, the total time and the number of
		// workers.
		Kinds: []timeline.Kind{timeline.Sleep, timeline.Log},
		Lanes: func(name string) bool { return name != "main" },
		Check: check(limitAlive),
	},
}

// Gather creates every task up front, each holding a semaphore around its
// coroutine (gather_with_concurrency); in Go, errgroup.SetLimit starts a
// goroutine only when one of the limit slots is free.
var Gather = scenario.Scenario{
	ID:        "limit-gather",
	Params:    params,
	Files:     files,
	Python:    "gather_with_concurrency.py",
	PythonSet: pythonSet,
	GoFile:    "gatherlimit.go",
	GoShow:    "gatherlimit",
	HeldCap:   "limit",
	Go:        runner(gatherLimit),
	Sets:      sets,
	Compare: scenario.Compare{
		// On every download lane, what it prints, its sleep and its end are
		// compared: both runtimes start the next download the moment one
		// ends, first come, first served. Where the waiting happens differs
		// on purpose and the lesson says so: every Python task exists from
		// the start and waits for the semaphore on its own lane, while
		// errgroup's Go blocks main until a slot is free, so a Go download
		// has no lane before it starts and main says "alive: 3" where
		// Python's says "alive: 8". Main is not compared; check holds each
		// runtime's "alive" to the lanes really alive, and
		// TestGatherHoldsEveryTask to the numbers above.
		Kinds: []timeline.Kind{timeline.Sleep, timeline.Wake, timeline.Log, timeline.Done},
		Lanes: func(name string) bool { return name != "main" },
		Check: check(allAlive),
	},
}

// AcquireFirst takes a permit before it creates each task (before it starts
// each goroutine), and the task gives it back as it ends.
var AcquireFirst = scenario.Scenario{
	ID:        "limit-acquire-first",
	Params:    params,
	Files:     files,
	Python:    "acquire_first.py",
	PythonSet: pythonSet,
	GoFile:    "acquirefirst.go",
	GoShow:    "acquirefirst",
	HeldCap:   "limit",
	Go:        runner(acquireFirst),
	Sets:      sets,
	Compare: scenario.Compare{
		// Every lane, and every kind but spawn and wait: main's last wait
		// is on the TaskGroup in Python and on a WaitGroup in Go, and each
		// wait is labelled with what it waits on. Main's acquires, what it
		// prints, its wake at the end and each download's release are
		// compared.
		Kinds: []timeline.Kind{timeline.Acquire, timeline.Release, timeline.Sleep, timeline.Wake, timeline.Log, timeline.Done},
		Check: check(limitAlive),
	},
}
