// Package pipeline is lesson 16's scenario: API calls started at a steady
// rate and capped in flight, each reply handed to a small pool of workers
// for heavy processing.
package pipeline

import (
	"context"
	"embed"
	"fmt"
	"net/url"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed pipeline.go pipeline.py
var files embed.FS

// Scenario runs pipeline in Go and pipeline.py in CPython.
var Scenario = scenario.Scenario{
	ID: "pipeline",
	Params: []scenario.Param{
		{Name: "requests", Kind: scenario.Int, Min: 1, Max: 50, Default: "20"},
		{Name: "limit", Kind: scenario.Int, Min: 1, Max: 20, Default: "5"},
		{Name: "rate", Kind: scenario.Int, Min: 1, Max: 100, Default: "8"},
		{Name: "workers", Kind: scenario.Int, Min: 1, Max: 8, Default: "2"},
		{Name: "work", Kind: scenario.Int, Min: 10, Max: 1000, Default: "300"},
		{Name: "delays", Kind: scenario.Seconds, Min: 0.1, Max: 10, Default: "", Count: "requests", Seed: "seed", RandMin: 0.5, RandMax: 1.5},
		{Name: "seed", Kind: scenario.Int, Min: 0, Max: 999999, Default: "1"},
	},
	Files:  files,
	Python: "pipeline.py",
	PythonSet: func(v scenario.Values) map[string]any {
		return map[string]any{
			"DELAYS":  scenario.SecondsList(v.Durations("delays")),
			"LIMIT":   v.Int("limit"),
			"RATE":    v.Int("rate"),
			"WORKERS": v.Int("workers"),
			"WORK":    work(v).Seconds(),
		}
	},
	GoFile:  "pipeline.go",
	GoShow:  "pipeline",
	HeldCap: "limit",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return pipeline(ctx, run, v.Durations("delays"), v.Int("limit"), v.Int("rate"), v.Int("workers"), work(v))
	},
	// Python's processing runs in real threads, charged real time on the
	// virtual clock, so the sets other than the default keep it short.
	Sets: []scenario.Set{
		{Name: "default"},
		{Name: "list", Query: url.Values{"requests": {"8"}, "limit": {"3"}, "rate": {"10"}, "workers": {"2"}, "work": {"50"},
			"delays": {"0.45,0.8,0.3,0.55,0.2,0.65,0.35,0.25"}}},
		{Name: "rate-bound", Query: url.Values{"requests": {"6"}, "limit": {"5"}, "rate": {"3"}, "workers": {"1"}, "work": {"60"},
			"delays": {"0.5,0.4,0.6,0.3,0.7,0.2"}}},
		{Name: "processing-backlog", Query: url.Values{"requests": {"10"}, "limit": {"4"}, "rate": {"50"}, "workers": {"1"}, "work": {"70"},
			"delays": {"0.2,0.31,0.12,0.26,0.43,0.17,0.38,0.19,0.23,0.14"}}},
		{Name: "one-at-a-time", Query: url.Values{"requests": {"5"}, "limit": {"1"}, "rate": {"20"}, "workers": {"3"}, "work": {"40"}, "seed": {"9"}}},
	},
	Compare: scenario.Compare{
		// The request lanes match from the moment each holds a permit until
		// it gives it back: both runtimes start requests at the same steady
		// rate and serve semaphore waiters first come, first served
		// (asyncio.Semaphore, x/sync/semaphore.Weighted). After that the
		// two differ on purpose: a Python task awaits its own processing
		// (wait "thread", then done), while a Go fetch goroutine puts its
		// reply on the channel and ends. The processing lanes are not
		// compared by name: the tracer gives each piece of executor work a
		// lane "thread: process", "thread: process #2"... in the order the
		// pool starts them, while Go names each "process N" after its
		// request. check holds both runtimes to the same schedule instead:
		// every item processed once, at most workers at a time, each when
		// the first-come-first-served pool would run it.
		//
		// The tolerance is wider than the usual 15 ms: while a reply is
		// being processed on a thread, the tracer's virtual clock cannot
		// jump and runs in real time, so on a busy machine the loop's late
		// wake-ups are charged to the Python timeline and add up along a
		// chain of requests that share a permit.
		Kinds:     []timeline.Kind{timeline.Acquire, timeline.Log, timeline.Sleep, timeline.Release},
		Lanes:     isRequest,
		Tolerance: tolerance,
		Check:     check,
	},
}

// work is the processing time per reply.
func work(v scenario.Values) time.Duration {
	return time.Duration(v.Int("work")) * time.Millisecond
}

// show pipeline
// pipeline runs two stages joined by a channel. The fetch stage starts at
// most perSecond requests a second and keeps at most limit in flight; each
// reply goes on the replies channel, and a processing stage of workers
// goroutines takes them off it.
func pipeline(ctx context.Context, run *timeline.Recorder, delays []time.Duration, limit, perSecond, workers int, work time.Duration) error {
	main := run.Lane("main", "pipeline")
	replies := make(chan int, len(delays)) // room for every reply: fetching never waits for processing

	// Stage 2: a few workers, each processing one reply at a time.
	var processing sync.WaitGroup
	for range workers {
		processing.Go(func() {
			for n := range replies {
				process(ctx, run.Lane(fmt.Sprintf("process %d", n), "process"), n, work)
			}
		})
	}

	// Stage 1: a rate limiter spaces the starts; a semaphore caps how many
	// are in flight.
	limiter := rate.NewLimiter(rate.Limit(perSecond), 1)
	sem := semaphore.NewWeighted(int64(limit))
	var fetching sync.WaitGroup
	for i, d := range delays {
		main.Wait("rate limiter")
		if err := limiter.Wait(ctx); err != nil {
			break
		}
		main.Wake()
		req := run.Lane(fmt.Sprintf("request %d", i+1), "fetch")
		fetching.Go(func() { fetch(ctx, req, i+1, d, sem, replies) })
	}
	main.Wait("waitgroup")
	fetching.Wait()
	close(replies) // no more replies: the workers finish the queue and return
	processing.Wait()
	main.Wake()
	main.End(ctx.Err())
	return ctx.Err()
}

// fetch sends request n while holding a permit, then hands the reply on.
func fetch(ctx context.Context, req *timeline.Lane, n int, d time.Duration, sem *semaphore.Weighted, replies chan<- int) {
	if !sem.TryAcquire(1) { // limit requests are in flight: wait for one to finish
		req.Wait("semaphore")
		if err := sem.Acquire(ctx, 1); err != nil {
			req.End(err)
			return
		}
		req.Wake()
	}
	req.Acquire("semaphore")
	req.Log("request %d: sent", n)
	err := req.Sleep(ctx, d) // stands in for the API call
	if err == nil {
		req.Log("request %d: reply", n)
	}
	req.Release("semaphore")
	sem.Release(1)
	if err == nil {
		replies <- n
	}
	req.End(err)
}

// process is the heavy work on one reply.
func process(ctx context.Context, p *timeline.Lane, n int, work time.Duration) {
	if err := ctx.Err(); err != nil { // the run was stopped: skip the work
		p.End(err)
		return
	}
	time.Sleep(work) // stands in for CPU work, as time.sleep does in the Python
	p.Log("item %d: processed", n)
	p.Done()
}

// end

// isRequest reports whether a lane is one of the request lanes.
func isRequest(lane string) bool {
	var n int
	_, err := fmt.Sscanf(lane, "request %d", &n)
	return err == nil && lane == fmt.Sprintf("request %d", n)
}
