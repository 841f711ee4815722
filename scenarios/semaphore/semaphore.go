// Package semaphore is lesson 9's scenario: downloads that share a small
// number of connections, capped by a semaphore.
package semaphore

import (
	"context"
	"embed"
	"fmt"
	"net/url"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed semaphore.go semaphore.py
var files embed.FS

// Scenario runs downloadAll in Go and semaphore.py in CPython.
var Scenario = scenario.Scenario{
	ID: "semaphore",
	Params: []scenario.Param{
		{Name: "downloads", Kind: scenario.Int, Min: 1, Max: 100, Default: "9"},
		{Name: "limit", Kind: scenario.Int, Min: 1, Max: 20, Default: "3"},
		{Name: "delays", Kind: scenario.Seconds, Min: 0.1, Max: 10, Default: "", Count: "downloads", Seed: "seed", RandMin: 1, RandMax: 3},
		{Name: "seed", Kind: scenario.Int, Min: 0, Max: 999999, Default: "1"},
	},
	Files:  files,
	Python: "semaphore.py",
	PythonSet: func(v scenario.Values) map[string]any {
		return map[string]any{"DELAYS": scenario.SecondsList(v.Durations("delays")), "LIMIT": v.Int("limit")}
	},
	GoFile:  "semaphore.go",
	GoShow:  "download",
	HeldCap: "limit",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return downloadAll(ctx, run, v.Durations("delays"), v.Int("limit"))
	},
	Sets: []scenario.Set{
		{Name: "default"},
		{Name: "seed7-limit2", Query: url.Values{"seed": {"7"}, "limit": {"2"}}},
		{Name: "list", Query: url.Values{"downloads": {"5"}, "limit": {"2"}, "delays": {"0.5,1.5,0.7,0.2,1"}}},
		{Name: "limit-above-downloads", Query: url.Values{"downloads": {"3"}, "limit": {"5"}, "delays": {"0.3,0.1,0.2"}}},
		{Name: "one-at-a-time", Query: url.Values{"downloads": {"4"}, "limit": {"1"}, "seed": {"42"}}},
	},
	Compare: scenario.Compare{
		// On every download lane, everything from the moment it holds a
		// permit matches: both runtimes serve waiters first come, first
		// served (asyncio.Semaphore, x/sync/semaphore.Weighted), so the
		// schedule is the same. Where they wait differs on purpose and the
		// lesson says so: the Python tasks all exist from the start and
		// each waits on its own lane, while the Go loop takes a permit
		// before it starts each goroutine, so Go's waiting shows on main.
		// Main's lane is not compared; check holds each runtime's total
		// time to the first-come-first-served schedule instead.
		Kinds: []timeline.Kind{timeline.Acquire, timeline.Log, timeline.Sleep, timeline.Wake, timeline.Release, timeline.Done},
		Lanes: func(name string) bool { return name != "main" },
		Check: check,
	},
}

// show download
// downloadAll fetches every download, at most limit at a time. The loop takes
// a permit before it starts each goroutine: downloads start in order, and no
// more than limit goroutines exist at once.
func downloadAll(ctx context.Context, run *timeline.Recorder, delays []time.Duration, limit int) error {
	main := run.Lane("main", "downloadAll")
	sem := semaphore.NewWeighted(int64(limit))
	var wg sync.WaitGroup
	for i, d := range delays {
		n := i + 1
		if !sem.TryAcquire(1) { // every permit is taken: wait for one
			main.Wait("semaphore")
			if err := sem.Acquire(ctx, 1); err != nil {
				main.End(err)
				return err
			}
			main.Wake()
		}
		dl := run.Lane(fmt.Sprintf("download %d", n), "download")
		dl.Acquire("semaphore")
		wg.Go(func() {
			defer sem.Release(1)
			dl.Log("download %d: start", n)
			err := dl.Sleep(ctx, d) // stands in for the network
			if err == nil {
				dl.Log("download %d: done", n)
			}
			dl.Release("semaphore")
			dl.End(err)
		})
	}
	main.Wait("waitgroup")
	wg.Wait()
	main.Wake()
	main.End(ctx.Err())
	return ctx.Err()
}

// end
