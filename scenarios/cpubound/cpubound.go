// Package cpubound is lesson 15's scenario: the same CPU-bound work on one
// thread, on a pool of threads and on a pool of processes in CPython, and on
// one goroutine and on many in Go, each timed on the wall clock.
package cpubound

import (
	"context"
	"embed"
	"net/url"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed cpubound.go cpubound.py
var files embed.FS

// Scenario runs compare in Go and cpubound.py in CPython.
var Scenario = scenario.Scenario{
	ID: "cpu-bound",
	Params: []scenario.Param{
		{Name: "jobs", Kind: scenario.Int, Min: 1, Max: 8, Default: "4"},
		{Name: "n", Kind: scenario.Int, Min: 100000, Max: 3000000, Default: "1000000"},
	},
	Files:  files,
	Python: "cpubound.py",
	PythonSet: func(v scenario.Values) map[string]any {
		return map[string]any{"JOBS": v.Int("jobs"), "N": v.Int("n")}
	},
	GoFile: "cpubound.go",
	GoShow: "cpu",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return compare(ctx, run, v.Int("jobs"), v.Int("n"))
	},
	// Every set burns real CPU on the Python side (on the virtual clock
	// too), and packages' tests run side by side, so they stay small; the
	// default's sequential run is still long enough (0.1 s or more) for
	// check to time it.
	Sets: []scenario.Set{
		{Name: "default"},
		{Name: "two-jobs", Query: url.Values{"jobs": {"2"}, "n": {"800000"}}},
		{Name: "one-job", Query: url.Values{"jobs": {"1"}, "n": {"500000"}}},
	},
	Compare: scenario.Compare{
		Differs: "CPython runs Python code on one thread at a time (the GIL), so a pool of " +
			"threads does this CPU work no faster than one thread, and only worker processes " +
			"use more cores; Go runs goroutines on all GOMAXPROCS cores at once. The tests run " +
			"Go under synctest, whose clock does not move while code computes, so there the Go " +
			"work takes no time at all: check holds Go to its lanes and their order, and the " +
			"live run shows the real times.",
		Check: check,
	},
}

// show cpu
// count is the CPU work: a plain loop with nothing to wait for.
func count(n int) int {
	total := 0
	for i := range n {
		total += i
	}
	return total
}

// compare runs the same jobs on one goroutine at a time, then on a
// goroutine each, and logs how long each way took.
func compare(ctx context.Context, run *timeline.Recorder, jobs, n int) error {
	main := run.Lane("main", "compare")
	timed(run, main, "one goroutine", 1, jobs, n)
	if err := ctx.Err(); err != nil {
		main.End(err)
		return err
	}
	timed(run, main, "goroutines", jobs, jobs, n)
	main.Done()
	return nil
}

// timed runs jobs counts, at most workers at once, and logs the wall time.
func timed(run *timeline.Recorder, main *timeline.Lane, label string, workers, jobs, n int) {
	start := time.Now()
	var g errgroup.Group
	g.SetLimit(workers)
	main.Wait("errgroup") // g.Go blocks while workers are busy, g.Wait until all are done
	for range jobs {
		g.Go(func() error {
			lane := run.Lane("goroutine: count", "count")
			lane.DoneWith(strconv.Itoa(count(n)))
			return nil
		})
	}
	g.Wait()
	main.Wake()
	main.Log("%s: %.3f s", label, time.Since(start).Seconds())
}

// end
