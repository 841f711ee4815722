package timeline

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// BenchmarkEngineOverhead runs 10,000 tasks at concurrency 100 with zero
// delay, once as a bare errgroup.SetLimit loop and once reporting every
// step to a Recorder (spawn, acquire, sleep, wake, release, done: six
// events a task), alternately for several rounds on the same machine, and
// prints the median ratio. Both sides run the same task body; the recorded
// side adds only naming the lane and its reports. Targets: at most 3x the bare
// time, at least 1M events/s, and goroutines back to where they were.
func BenchmarkEngineOverhead(b *testing.B) {
	const tasks, limit, rounds, perTask = 10000, 100, 7, 6
	ctx := context.Background()
	var n atomic.Int64
	// work is the bare task: what the recorded task does (Sleep(ctx, 0)
	// checks the context; a count so that the task is not empty) without
	// reporting it.
	work := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n.Add(1)
		return nil
	}
	bare := func() time.Duration {
		start := time.Now()
		var g errgroup.Group
		g.SetLimit(limit)
		for range tasks {
			g.Go(work)
		}
		g.Wait()
		return time.Since(start)
	}
	var events atomic.Int64
	recorded := func() time.Duration {
		start := time.Now()
		rec := NewRecorder(func(Event) { events.Add(1) }, 0)
		var g errgroup.Group
		g.SetLimit(limit)
		for i := range tasks {
			l := rec.Lane("task "+strconv.Itoa(i), "work")
			g.Go(func() error {
				l.Acquire("semaphore")
				err := l.Sleep(ctx, 0)
				if err == nil {
					n.Add(1)
				}
				l.Release("semaphore")
				l.End(err)
				return err
			})
		}
		g.Wait()
		return time.Since(start)
	}
	before := runtime.NumGoroutine()
	var ratios, rates []float64
	var bareTimes, recTimes []time.Duration
	for range b.N {
		for range rounds {
			events.Store(0)
			runtime.GC() // neither side pays for the other's garbage
			tb := bare()
			runtime.GC()
			tr := recorded()
			if got := events.Load(); got != tasks*perTask {
				b.Fatalf("recorded %d events; want %d", got, tasks*perTask)
			}
			bareTimes, recTimes = append(bareTimes, tb), append(recTimes, tr)
			ratios = append(ratios, float64(tr)/float64(tb))
			rates = append(rates, float64(tasks*perTask)/tr.Seconds())
		}
	}
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
		time.Sleep(time.Millisecond)
	}
	ratio, rate := median(ratios), median(rates)
	b.ReportMetric(ratio, "x-bare")
	b.ReportMetric(rate, "events/s")
	b.Logf("engine: %.2fx bare (target <= 3x), %.2fM events/s (target >= 1M); medians of %d alternating rounds of 10,000 tasks at concurrency 100: bare %v, recorded %v; goroutines %d before, %d after (target: back to baseline)",
		ratio, rate/1e6, len(ratios), median(bareTimes).Round(time.Microsecond), median(recTimes).Round(time.Microsecond), before, after)
	if after > before {
		b.Errorf("goroutines %d after, %d before: not back to baseline", after, before)
	}
}

// median is the middle value of xs (the upper one of the two for an even count).
func median[T int64 | float64 | time.Duration](xs []T) T {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return xs[len(xs)/2]
}
