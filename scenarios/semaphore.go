package scenarios

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
	"golang.org/x/sync/semaphore"
)

// semaphoreScenario is lesson 9's classic: downloads that share a small
// number of connections.
var semaphoreScenario = Scenario{
	ID: "semaphore",
	Params: []Param{
		{Name: "downloads", Kind: Int, Min: 1, Max: 100, Default: "9"},
		{Name: "limit", Kind: Int, Min: 1, Max: 20, Default: "3"},
		{Name: "delays", Kind: Seconds, Min: 0.1, Max: 10, Default: "", Count: "downloads", Seed: "seed", RandMin: 1, RandMax: 3},
		{Name: "seed", Kind: Int, Min: 0, Max: 999999, Default: "1"},
	},
	Python: "semaphore.py",
	PythonSet: func(v Values) map[string]any {
		return map[string]any{"DELAYS": secondsList(v.Durations("delays")), "LIMIT": v.Int("limit")}
	},
	GoFile: "semaphore.go",
	GoShow: "download",
	Go: func(ctx context.Context, run *timeline.Recorder, v Values) error {
		return downloadAll(ctx, run, v.Durations("delays"), v.Int("limit"))
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

// secondsList turns durations into seconds for the Python side.
func secondsList(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}
