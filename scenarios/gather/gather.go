// Package gather is lesson 3's scenario: jobs that finish in any order, whose
// results are still collected in the order the jobs were given.
package gather

import (
	"context"
	"embed"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed gather.go gather.py
var files embed.FS

// Scenario runs runJobs in Go and gather.py in CPython.
var Scenario = scenario.Scenario{
	ID: "gather",
	Params: []scenario.Param{
		{Name: "workers", Kind: scenario.Int, Min: 1, Max: 50, Default: "5"},
		{Name: "delays", Kind: scenario.Seconds, Min: 0.1, Max: 10, Default: "", Count: "workers", Seed: "seed", RandMin: 0.5, RandMax: 3},
		{Name: "seed", Kind: scenario.Int, Min: 0, Max: 999999, Default: "1"},
	},
	Files:  files,
	Python: "gather.py",
	PythonSet: func(v scenario.Values) map[string]any {
		return map[string]any{"DELAYS": scenario.SecondsList(v.Durations("delays"))}
	},
	GoFile: "gather.go",
	GoShow: "gather",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		_, err := runJobs(ctx, run, v.Durations("delays"))
		return err
	},
	Sets: []scenario.Set{
		// Seed 1 draws 1.3, 1.5, 1.2, 0.5, 1.4 s: no two jobs finish at
		// once, and they finish in the order 4, 3, 1, 5, 2.
		{Name: "default"},
		{Name: "seed2", Query: url.Values{"seed": {"2"}}},
		{Name: "slowest-first", Query: url.Values{"workers": {"4"}, "delays": {"2,1.5,1,0.5"}}},
		{Name: "one", Query: url.Values{"workers": {"1"}, "delays": {"0.4"}}},
		// Twenty jobs drawn from 26 possible delays: some finish together,
		// which changes nothing on any one lane. (Fifty, the most, are
		// left to TestLongestResultsLine: the more Python does before its
		// first sleep, the likelier a loaded machine delays its whole
		// timeline past the tolerance.)
		{Name: "twenty", Query: url.Values{"workers": {"20"}, "seed": {"3"}}},
	},
	Compare: scenario.Compare{
		// Every lane is compared, and every kind but spawn and wait: main
		// waits on gather in Python and on a WaitGroup in Go, and the wait
		// is labelled with what it waits on. When main goes on (its wake),
		// what it prints and when it ends are compared.
		Kinds: []timeline.Kind{timeline.Sleep, timeline.Wake, timeline.Log, timeline.Done},
		Check: check,
	},
}

// show gather
// job stands in for an I/O call that takes d and returns a result.
func job(ctx context.Context, lane *timeline.Lane, n int, d time.Duration) (int, error) {
	if err := lane.Sleep(ctx, d); err != nil {
		return 0, err
	}
	lane.Log("job %d finished", n)
	return n, nil // a real job would return what it fetched
}

// runJobs runs one goroutine per delay and collects the results in input
// order, whatever order the jobs finish in: goroutine i writes only
// results[i], and main reads the slice after wg.Wait.
func runJobs(ctx context.Context, run *timeline.Recorder, delays []time.Duration) ([]int, error) {
	main := run.Lane("main", "runJobs")
	results := make([]int, len(delays))
	var wg sync.WaitGroup
	for i, d := range delays {
		n := i + 1
		lane := run.Lane("job "+strconv.Itoa(n), "job")
		wg.Go(func() {
			r, err := job(ctx, lane, n, d)
			if err != nil {
				lane.End(err)
				return
			}
			results[i] = r
			lane.DoneWith(strconv.Itoa(r))
		})
	}
	main.Wait("waitgroup")
	wg.Wait()
	main.Wake()
	if err := ctx.Err(); err != nil {
		main.End(err)
		return nil, err
	}
	main.Log("results: %s", pyList(results))
	main.Done()
	return results, nil
}

// end

// pyList writes ints the way Python prints a list, "[1, 2, 3]", so that
// both runtimes print the same line.
func pyList(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}
