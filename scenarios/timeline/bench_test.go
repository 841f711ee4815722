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
// prints the median ratio. Targets: at most 3x the bare time, at least
// 1M events/s, and goroutines back to where they were.
func BenchmarkEngineOverhead(b *testing.B) {
	const tasks, limit, rounds = 10000, 100, 5
	bare := func() time.Duration {
		start := time.Now()
		var g errgroup.Group
		g.SetLimit(limit)
		var n atomic.Int64
		for range tasks {
			g.Go(func() error { n.Add(1); return nil })
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
		ctx := context.Background()
		for i := range tasks {
			l := rec.Lane("task "+strconv.Itoa(i), "work")
			g.Go(func() error {
				l.Acquire("semaphore")
				_ = l.Sleep(ctx, 0)
				l.Release("semaphore")
				l.Done()
				return nil
			})
		}
		g.Wait()
		return time.Since(start)
	}
	before := runtime.NumGoroutine()
	var ratios, rates []float64
	for range b.N {
		for range rounds {
			events.Store(0)
			tb, tr := bare(), recorded()
			ratios = append(ratios, float64(tr)/float64(tb))
			rates = append(rates, float64(events.Load())/tr.Seconds())
		}
	}
	slices.Sort(ratios)
	slices.Sort(rates)
	ratio, rate := ratios[len(ratios)/2], rates[len(rates)/2]
	time.Sleep(50 * time.Millisecond)
	after := runtime.NumGoroutine()
	b.ReportMetric(ratio, "x-bare")
	b.ReportMetric(rate, "events/s")
	b.Logf("10,000 tasks at concurrency 100: recorded/bare median %.2fx (target <= 3x), %.2fM events/s (target >= 1M), goroutines %d before, %d after",
		ratio, rate/1e6, before, after)
	if after > before+2 {
		b.Errorf("goroutines %d after, %d before: not back to baseline", after, before)
	}
}
