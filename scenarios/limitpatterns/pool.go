package limitpatterns

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// show pool
// job is one download for a worker to do.
type job struct {
	n int
	d time.Duration
}

// pool runs the downloads on limit worker goroutines that range over one
// channel of jobs. The channel is unbuffered, so each send waits until a
// worker takes the job. A worker starts with each of the first limit jobs:
// Go does not say which of several idle workers a send goes to. Closing the
// channel ends each worker's loop once it is drained.
func pool(ctx context.Context, run *timeline.Recorder, delays []time.Duration, limit int) error {
	main := run.Lane("main", "pool")
	jobs := make(chan job)
	var wg sync.WaitGroup
	for i, d := range delays {
		n := i + 1
		if n <= limit { // one more worker, up to limit
			w := run.Lane(fmt.Sprintf("worker %d", n), "worker")
			wg.Go(func() { work(ctx, w, jobs) })
			main.Log("alive: %d", n)
		}
		main.Wait("queue.put")
		select {
		case jobs <- job{n, d}: // an idle worker took it
		case <-ctx.Done(): // the workers have given up
		}
		main.Wake()
	}
	close(jobs) // no more jobs: the workers' range loops end
	main.Wait("waitgroup")
	wg.Wait()
	main.Wake()
	main.End(ctx.Err())
	return ctx.Err()
}

// work is one worker: it downloads one job after another until the channel
// is closed and empty.
func work(ctx context.Context, w *timeline.Lane, jobs <-chan job) {
	w.Wait("queue.get")
	for j := range jobs {
		w.Wake()
		w.Log("download %d: start", j.n)
		if err := w.Sleep(ctx, j.d); err != nil { // stands in for the network
			w.End(err)
			return
		}
		w.Log("download %d: done", j.n)
		w.Wait("queue.get")
	}
	w.Wake()
	w.Done()
}

// end
