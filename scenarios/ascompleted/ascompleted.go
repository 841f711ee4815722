// Package ascompleted is lesson 4's scenario: jobs with random delays whose
// results are handled in the order they finish, as asyncio.as_completed
// hands them out.
package ascompleted

import (
	"context"
	"embed"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed ascompleted.go ascompleted.py
var files embed.FS

// Scenario runs handleAsCompleted in Go and ascompleted.py in CPython.
var Scenario = scenario.Scenario{
	ID: "as-completed",
	Params: []scenario.Param{
		// The same jobs as the gather lesson: seed 1 draws 1.3, 1.5, 1.2,
		// 0.5, 1.4 s, no two alike, so no two jobs finish at the same
		// instant and the handling order is never a coin toss.
		{Name: "workers", Kind: scenario.Int, Min: 1, Max: 50, Default: "5"},
		{Name: "delays", Kind: scenario.Seconds, Min: 0.1, Max: 10, Default: "", Count: "workers", Seed: "seed", RandMin: 0.5, RandMax: 3},
		{Name: "seed", Kind: scenario.Int, Min: 0, Max: 999999, Default: "1"},
	},
	Files:  files,
	Python: "ascompleted.py",
	PythonSet: func(v scenario.Values) map[string]any {
		return map[string]any{"DELAYS": scenario.SecondsList(v.Durations("delays"))}
	},
	GoFile: "ascompleted.go",
	GoShow: "ascompleted",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return handleAsCompleted(ctx, run, v.Durations("delays"))
	},
	Sets: []scenario.Set{
		{Name: "default"},
		// Tie-free sets only: when two jobs finish at the same instant, which
		// one main handles first is up to each runtime's scheduler.
		{Name: "seed8-eight", Query: url.Values{"workers": {"8"}, "seed": {"8"}}},
		{Name: "list", Query: url.Values{"workers": {"4"}, "delays": {"0.9,0.3,1.2,0.5"}}},
		{Name: "in-order", Query: url.Values{"workers": {"3"}, "delays": {"0.5,1,1.5"}}},
		{Name: "one", Query: url.Values{"workers": {"1"}, "delays": {"0.7"}}},
	},
	// Every lane and every kind but spawn must match: asyncio.as_completed
	// and the channel both hand over each result the moment its job ends,
	// so main's handling order is the finishing order on both runtimes.
	Compare: scenario.Compare{Check: check},
}

// show ascompleted
// handleAsCompleted starts one goroutine per job and handles each result as
// it arrives: a goroutine sends its job's number on results when it is done,
// so ranging over the channel yields them in the order they finish.
func handleAsCompleted(ctx context.Context, run *timeline.Recorder, delays []time.Duration) error {
	main := run.Lane("main", "handleAsCompleted")
	results := make(chan int)
	var wg sync.WaitGroup
	for i, d := range delays {
		n := i + 1
		job := run.Lane(fmt.Sprintf("job %d", n), "job")
		wg.Go(func() {
			if err := job.Sleep(ctx, d); err != nil { // stands in for I/O
				job.End(err)
				return
			}
			job.Log("job %d finished", n)
			results <- n // the result says which job it belongs to
			job.DoneWith(strconv.Itoa(n))
		})
	}
	go func() {
		wg.Wait()
		close(results) // no more results: the range below ends
	}()

	main.Wait("as_completed")
	for n := range results {
		main.Wake()
		main.Log("handled job %d", n)
		main.Wait("as_completed")
	}
	main.Wake()
	main.End(ctx.Err())
	return ctx.Err()
}

// end
