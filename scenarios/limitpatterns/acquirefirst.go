package limitpatterns

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// show acquirefirst
// acquireFirst takes a permit from sem before it starts each goroutine, and
// the goroutine gives it back as it ends. Every running download holds one
// permit, so len(sem) is how many goroutines are alive: never more than
// limit, however many downloads there are.
func acquireFirst(ctx context.Context, run *timeline.Recorder, delays []time.Duration, limit int) error {
	main := run.Lane("main", "acquireFirst")
	sem := make(chan struct{}, limit) // a permit is a value in the buffer
	var wg sync.WaitGroup
	for i, d := range delays {
		n := i + 1
		select {
		case sem <- struct{}{}: // a permit was free
		default:
			main.Wait("semaphore") // every permit is taken: wait for one
			sem <- struct{}{}
		}
		main.Acquire("semaphore")
		dl := run.Lane(fmt.Sprintf("download %d", n), "download")
		wg.Go(func() {
			dl.Log("download %d: start", n)
			err := dl.Sleep(ctx, d) // stands in for the network
			if err == nil {
				dl.Log("download %d: done", n)
			}
			dl.Release("semaphore")
			dl.End(err)
			<-sem // the permit main took for this download
		})
		main.Log("alive: %d", len(sem))
	}
	main.Wait("waitgroup")
	wg.Wait()
	main.Wake()
	main.End(ctx.Err())
	return ctx.Err()
}

// end
