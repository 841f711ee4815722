// Package errorsgather is lesson 6's scenario: jobs of which some fail,
// gathered so that every job runs to its end and each error comes back in
// its job's place, beside the other jobs' results.
package errorsgather

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed errorsgather.go errorsgather.py
var files embed.FS

// Scenario runs gatherAll in Go and errorsgather.py in CPython.
var Scenario = scenario.Scenario{
	ID: "errors",
	Params: []scenario.Param{
		// The same jobs as the gather lesson (seed 1: 1.3, 1.5, 1.2, 0.5,
		// 1.4 s); every second one fails.
		{Name: "workers", Kind: scenario.Int, Min: 1, Max: 50, Default: "5"},
		{Name: "fail_every", Kind: scenario.Int, Min: 0, Max: 50, Default: "2"},
		{Name: "delays", Kind: scenario.Seconds, Min: 0.1, Max: 10, Default: "", Count: "workers", Seed: "seed", RandMin: 0.5, RandMax: 3},
		{Name: "seed", Kind: scenario.Int, Min: 0, Max: 999999, Default: "1"},
	},
	Files:  files,
	Python: "errorsgather.py",
	PythonSet: func(v scenario.Values) map[string]any {
		return map[string]any{"DELAYS": scenario.SecondsList(v.Durations("delays")), "FAIL_EVERY": v.Int("fail_every")}
	},
	GoFile: "errorsgather.go",
	GoShow: "gather",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return gatherAll(ctx, run, v.Durations("delays"), v.Int("fail_every"))
	},
	Sets: []scenario.Set{
		{Name: "default"},
		{Name: "none-fail", Query: url.Values{"fail_every": {"0"}}},
		{Name: "all-fail", Query: url.Values{"workers": {"3"}, "fail_every": {"1"}, "delays": {"0.4,0.9,0.2"}}},
		{Name: "last-fails-last", Query: url.Values{"workers": {"3"}, "fail_every": {"3"}, "delays": {"0.5,1,1.5"}}},
		{Name: "seed8-eight", Query: url.Values{"workers": {"8"}, "fail_every": {"3"}, "seed": {"8"}}},
	},
	Compare: scenario.Compare{
		// Every lane and kind but spawn and error. An error's label is the
		// exception's class and message in Python ("ValueError: bad
		// input") and only the message in Go, whose errors have no class;
		// check still holds each failing job to an error at its own time
		// on both runtimes.
		Kinds: []timeline.Kind{timeline.Wait, timeline.Wake, timeline.Sleep, timeline.Log, timeline.Done},
		Check: check,
	},
}

// show gather
// errBadInput is what a failing job returns, as job in the Python raises
// ValueError("bad input").
var errBadInput = errors.New("bad input")

// job takes d and then returns n × 10, or errBadInput when it fails.
func job(ctx context.Context, lane *timeline.Lane, n int, d time.Duration, fails bool) (int, error) {
	if err := lane.Sleep(ctx, d); err != nil { // stands in for I/O
		lane.End(err)
		return 0, err
	}
	if fails {
		lane.Fail(errBadInput)
		return 0, errBadInput
	}
	lane.Log("job %d finished", n)
	lane.DoneWith(strconv.Itoa(n * 10))
	return n * 10, nil
}

// gatherAll runs every job and waits for all of them, failed or not. Job
// n+1 writes only results[n] and errs[n], so each error sits in its job's
// place, beside the other jobs' results.
func gatherAll(ctx context.Context, run *timeline.Recorder, delays []time.Duration, failEvery int) error {
	main := run.Lane("main", "gatherAll")
	results := make([]int, len(delays))
	errs := make([]error, len(delays))
	var wg sync.WaitGroup
	for i, d := range delays {
		n := i + 1
		fails := failEvery > 0 && n%failEvery == 0
		lane := run.Lane(fmt.Sprintf("job %d", n), "job")
		wg.Go(func() { results[i], errs[i] = job(ctx, lane, n, d, fails) })
	}
	main.Wait("gather")
	wg.Wait()
	main.Wake()
	for i, err := range errs {
		if err != nil {
			main.Log("job %d: error: %v", i+1, err)
		} else {
			main.Log("job %d: %d", i+1, results[i])
		}
	}
	// errors.Join wraps every non-nil error in one (nil if there is none):
	// the usual way to hand them all back, and errors.Is looks inside.
	if err := errors.Join(errs...); errors.Is(err, errBadInput) {
		main.Log("some jobs had bad input")
	}
	main.End(ctx.Err())
	return ctx.Err()
}

// end
