package limitpatterns

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// show gatherlimit
// gatherLimit runs the downloads in an errgroup limited to limit goroutines
// at once. g.Go waits for a free slot *before* it starts the goroutine, so
// a download has no goroutine until it can run.
func gatherLimit(ctx context.Context, run *timeline.Recorder, delays []time.Duration, limit int) error {
	main := run.Lane("main", "gatherLimit")
	var g errgroup.Group
	g.SetLimit(limit)
	var alive atomic.Int64 // goroutines started and not yet returned
	for i, d := range delays {
		n := i + 1
		download := func() error {
			defer alive.Add(-1)
			dl := run.Lane(fmt.Sprintf("download %d", n), "download")
			dl.Log("download %d: start", n)
			err := dl.Sleep(ctx, d) // stands in for the network
			if err == nil {
				dl.Log("download %d: done", n)
			}
			dl.End(err)
			return err
		}
		if !g.TryGo(download) { // every slot is taken: wait for one
			main.Wait("slot")
			g.Go(download)
			main.Wake()
		}
		main.Log("alive: %d", alive.Add(1))
	}
	main.Wait("errgroup")
	err := g.Wait() // the first error, like gather
	main.Wake()
	main.End(err)
	return err
}

// end
