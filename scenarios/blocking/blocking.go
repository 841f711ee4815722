// Package blocking is lesson 14's scenarios: tickers that print on time
// while another task makes a blocking call, first on the event loop itself
// (Scenario) and then handed to a thread (ToThread).
package blocking

import (
	"context"
	"embed"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed blocking.go blocking.py to_thread.py
var files embed.FS

// params are the parameters both scenarios share.
var params = []scenario.Param{
	{Name: "tickers", Kind: scenario.Int, Min: 1, Max: 5, Default: "3"},
	{Name: "ticks", Kind: scenario.Int, Min: 3, Max: 20, Default: "6"},
	{Name: "tick", Kind: scenario.Int, Min: 50, Max: 1000, Default: "200"},
	{Name: "block", Kind: scenario.Int, Min: 100, Max: 2000, Default: "1000"},
}

// pythonSet gives the Python programs their constants, in seconds.
func pythonSet(v scenario.Values) map[string]any {
	return map[string]any{
		"TICKERS": v.Int("tickers"),
		"TICKS":   v.Int("ticks"),
		"TICK":    float64(v.Int("tick")) / 1000,
		"BLOCK":   float64(v.Int("block")) / 1000,
	}
}

func fromValues(run *timeline.Recorder, v scenario.Values) tickers {
	return tickers{
		run:   run,
		count: v.Int("tickers"),
		ticks: v.Int("ticks"),
		tick:  time.Duration(v.Int("tick")) * time.Millisecond,
		block: time.Duration(v.Int("block")) * time.Millisecond,
	}
}

// sets are the test runs of both scenarios. Every blocking call in them but
// the default's is short: the tracer charges a blocking call its real time,
// even on the virtual clock.
var sets = []scenario.Set{
	{Name: "default"},
	{Name: "short-block", Query: url.Values{"ticks": {"5"}, "tick": {"100"}, "block": {"300"}}},
	{Name: "one-slow-ticker", Query: url.Values{"tickers": {"1"}, "ticks": {"3"}, "tick": {"500"}, "block": {"200"}}},
	{Name: "five-fast-tickers", Query: url.Values{"tickers": {"5"}, "ticks": {"10"}, "tick": {"50"}, "block": {"300"}}},
}

// Scenario calls time.sleep inside a coroutine: in CPython the whole event
// loop stops for it; in Go only the calling goroutine does.
var Scenario = scenario.Scenario{
	ID:        "blocking",
	Params:    params,
	Files:     files,
	Python:    "blocking.py",
	PythonSet: pythonSet,
	GoFile:    "blocking.go",
	GoShow:    "blocking",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		t := fromValues(run, v)
		return t.all(ctx, t.blocker)
	},
	Sets: sets,
	Compare: scenario.Compare{
		Differs: "time.sleep inside a coroutine holds the event loop's only thread, so every " +
			"asyncio task stops until it returns and the tickers fire late, all at once; in Go, " +
			"time.Sleep parks only the goroutine that calls it, and the tickers stay on time.",
		Check: func(events []timeline.Event, v scenario.Values) []string {
			return check(events, v, false)
		},
	},
}

// ToThread hands the blocking call to a thread (asyncio.to_thread) and, in
// Go, to a goroutine of its own: now both runtimes keep the tickers on time.
var ToThread = scenario.Scenario{
	ID:        "to-thread",
	Params:    params,
	Files:     files,
	Python:    "to_thread.py",
	PythonSet: pythonSet,
	GoFile:    "blocking.go",
	GoShow:    "to_thread",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		t := fromValues(run, v)
		return t.all(ctx, t.blockerInThread)
	},
	Sets: sets,
	Compare: scenario.Compare{
		// With the call on a thread the two runtimes agree, which is the
		// lesson's point, so they are compared lane by lane. Two things are
		// left out: main waits on a TaskGroup in Python and a WaitGroup in
		// Go (the labels differ), and only Go marks the thread's lane
		// blocked (the tracer watches the loop, not the threads it hands
		// work to).
		// The tolerance is wide because real time passes on the virtual clock
		// while the thread starts and runs, a busy machine stretches it, and
		// each delay carries over to every later tick; check holds each tick
		// to the one before it instead.
		Kinds:     []timeline.Kind{timeline.Sleep, timeline.Wake, timeline.Log, timeline.Wait, timeline.Done},
		Lanes:     func(name string) bool { return name != "main" },
		Tolerance: 150 * time.Millisecond,
		Check: func(events []timeline.Event, v scenario.Values) []string {
			return check(events, v, true)
		},
	},
}

// tickers is one run: count tickers that print ticks times, one tick apart,
// and a blocker that makes one blocking call of length block.
type tickers struct {
	run   *timeline.Recorder
	count int
	ticks int
	tick  time.Duration
	block time.Duration
}

// show blocking
// all starts the tickers and the blocker, each on a goroutine of its own,
// and waits for them.
func (t tickers) all(ctx context.Context, blocker func(context.Context, *timeline.Lane) error) error {
	main := t.run.Lane("main", "all")
	var wg sync.WaitGroup
	for n := 1; n <= t.count; n++ {
		lane := t.run.Lane(fmt.Sprintf("ticker %d", n), "ticker")
		wg.Go(func() { lane.End(t.ticker(ctx, lane, n)) })
	}
	b := t.run.Lane("blocker", "blocker")
	wg.Go(func() { b.End(blocker(ctx, b)) })
	main.Wait("waitgroup")
	wg.Wait()
	main.Wake()
	main.End(ctx.Err())
	return ctx.Err()
}

// ticker prints a line every tick.
func (t tickers) ticker(ctx context.Context, lane *timeline.Lane, n int) error {
	for i := 1; i <= t.ticks; i++ {
		if err := lane.Sleep(ctx, t.tick); err != nil {
			return err
		}
		lane.Log("ticker %d: tick %d", n, i)
	}
	return nil
}

// blocker lets the tickers tick twice, then makes a blocking call.
// time.Sleep stands in for any call that holds its thread: a syscall, a C
// library, a driver without a context. It parks this goroutine, and only
// this one: the runtime keeps running the tickers meanwhile.
func (t tickers) blocker(ctx context.Context, lane *timeline.Lane) error {
	if err := lane.Sleep(ctx, t.tick*5/2); err != nil {
		return err
	}
	lane.Log("blocker: blocking call starts")
	lane.Blocked(t.block) // marks the call on this lane: from now, for t.block
	time.Sleep(t.block)
	lane.Log("blocker: blocking call returned")
	return nil
}

// end

// show to_thread
// blockerInThread makes the same blocking call on a goroutine of its own and
// waits for it, the shape of asyncio.to_thread. Go does not need this to
// keep the tickers going (see blocker); what it adds is a wait that can give
// up when ctx ends, which a bare time.Sleep cannot.
func (t tickers) blockerInThread(ctx context.Context, lane *timeline.Lane) error {
	if err := lane.Sleep(ctx, t.tick*5/2); err != nil {
		return err
	}
	lane.Log("blocker: blocking call starts")
	done := make(chan struct{})
	th := t.run.Lane("thread: sleep", "sleep")
	go func() {
		defer close(done)
		th.Blocked(t.block) // marks the call on this lane: from now, for t.block
		time.Sleep(t.block)
		th.Done()
	}()
	lane.Wait("thread")
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err() // the call itself runs on until it returns
	}
	lane.Wake()
	lane.Log("blocker: blocking call returned")
	return nil
}

// end
