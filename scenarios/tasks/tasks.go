// Package tasks is lesson 2's scenario: the two calls of lesson 1 started as
// tasks (goroutines in Go), so they wait at the same time.
package tasks

import (
	"context"
	"embed"
	"net/url"
	"sync"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/coroutines"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed tasks.go tasks.py
var files embed.FS

// Scenario runs helloWorld in Go and tasks.py in CPython. The lesson page
// runs it beside coroutines.Scenario, the sequential version, with the same
// delays.
var Scenario = scenario.Scenario{
	ID: "tasks",
	Params: []scenario.Param{
		// The same parameter as lesson 1's scenario, so one link sets both
		// runs on the page. Exactly two values: see coroutines.Two.
		{Name: "delays", Kind: scenario.Seconds, Min: 0.1, Max: 10, Default: "1, 2", Len: 2},
	},
	Files:  files,
	Python: "tasks.py",
	PythonSet: func(v scenario.Values) map[string]any {
		return map[string]any{"DELAYS": scenario.SecondsList(v.Durations("delays"))}
	},
	GoFile: "tasks.go",
	GoShow: "tasks",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		hello, world, err := coroutines.Two(v.Durations("delays"))
		if err != nil {
			return err
		}
		return helloWorld(ctx, run, hello, world)
	},
	Sets: []scenario.Set{
		{Name: "default"},
		{Name: "hello-longer", Query: url.Values{"delays": {"2,1"}}},
		{Name: "tenths", Query: url.Values{"delays": {"0.3, 0.7"}}},
		{Name: "equal", Query: url.Values{"delays": {"1.5,1.5"}}},
		{Name: "long", Query: url.Values{"delays": {"2.5,3.2"}}},
	},
	Compare: scenario.Compare{
		// Sleeps, lines and ends are compared on every lane; waits and
		// wakes are not, because main waits differently on purpose:
		// tasks.py awaits each task in turn (a wait for "hello", then one
		// for "world" if it is still running), while the Go code waits
		// once for the WaitGroup. When main goes on shows in its "finished
		// in" line and its end, which are compared, and check holds both
		// runtimes to the schedule.
		Kinds: []timeline.Kind{timeline.Sleep, timeline.Log, timeline.Done},
		Check: check,
	},
}

// show tasks
// sayAfter waits delay, then prints what.
func sayAfter(ctx context.Context, lane *timeline.Lane, delay time.Duration, what string) error {
	if err := lane.Sleep(ctx, delay); err != nil { // stands in for I/O
		return err
	}
	lane.Log("%s", what)
	return nil
}

// helloWorld runs each sayAfter call on a goroutine of its own and waits for
// both: the two delays overlap.
func helloWorld(ctx context.Context, run *timeline.Recorder, helloDelay, worldDelay time.Duration) error {
	main := run.Lane("main", "helloWorld")
	start := time.Now()
	var wg sync.WaitGroup
	hello := run.Lane("hello", "sayAfter")
	wg.Go(func() { hello.End(sayAfter(ctx, hello, helloDelay, "hello")) })
	world := run.Lane("world", "sayAfter")
	wg.Go(func() { world.End(sayAfter(ctx, world, worldDelay, "world")) })
	main.Wait("waitgroup")
	wg.Wait() // until both goroutines have returned
	main.Wake()
	if err := ctx.Err(); err != nil {
		main.End(err)
		return err
	}
	main.Log("finished in %.1f s", time.Since(start).Seconds())
	main.Done()
	return nil
}

// end
