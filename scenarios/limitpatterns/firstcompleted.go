package limitpatterns

import (
	"context"
	"fmt"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// show firstcompleted
// firstCompleted runs at most limit downloads at once. Each goroutine sends
// its number on done as it ends; once limit are running, main receives one
// before it starts the next, the way asyncio.wait(FIRST_COMPLETED) returns
// as soon as any task is done.
func firstCompleted(ctx context.Context, run *timeline.Recorder, delays []time.Duration, limit int) error {
	main := run.Lane("main", "firstCompleted")
	done := make(chan int, limit) // room for every running goroutine: a send never blocks
	running := 0
	for i, d := range delays {
		n := i + 1
		if running == limit { // full: wait until any one of them ends
			main.Wait("done")
			<-done
			main.Wake()
			running--
		}
		dl := run.Lane(fmt.Sprintf("download %d", n), "download")
		go func() {
			dl.Log("download %d: start", n)
			err := dl.Sleep(ctx, d) // stands in for the network
			if err == nil {
				dl.Log("download %d: done", n)
			}
			dl.End(err)
			done <- n
		}()
		running++
		main.Log("alive: %d", running)
	}
	main.Wait("done")
	for ; running > 0; running-- { // the last few
		<-done
	}
	main.Wake()
	main.End(ctx.Err())
	return ctx.Err()
}

// end
