// Package coroutines is lesson 1's scenario: two calls awaited one after the
// other, so their waits add up on a single lane.
package coroutines

import (
	"context"
	"embed"
	"fmt"
	"net/url"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed coroutines.go coroutines.py
var files embed.FS

// Scenario runs helloWorld in Go and coroutines.py in CPython. Lesson 2 runs
// it beside its own scenario, with the same delays, to show the difference.
var Scenario = scenario.Scenario{
	ID: "coroutines",
	Params: []scenario.Param{
		// Exactly two values: the delay before "hello" and the one before
		// "world". Parse cannot demand a length without a count parameter,
		// so Two refuses any other length on the Go side, and the Python
		// program's unpacking does on the Python side.
		{Name: "delays", Kind: scenario.Seconds, Min: 0.1, Max: 10, Default: "1, 2", Len: 2},
	},
	Files:  files,
	Python: "coroutines.py",
	PythonSet: func(v scenario.Values) map[string]any {
		return map[string]any{"DELAYS": scenario.SecondsList(v.Durations("delays"))}
	},
	GoFile: "coroutines.go",
	GoShow: "coroutines",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		hello, world, err := Two(v.Durations("delays"))
		if err != nil {
			return err
		}
		return helloWorld(ctx, run, hello, world)
	},
	Sets: []scenario.Set{
		{Name: "default"},
		{Name: "world-first-shorter", Query: url.Values{"delays": {"2,1"}}},
		{Name: "tenths", Query: url.Values{"delays": {"0.3, 0.7"}}},
		{Name: "long", Query: url.Values{"delays": {"2.5,3.2"}}},
	},
	Compare: scenario.Compare{
		// Everything is compared: one lane, the same sleeps, the same lines.
		Check: check,
	},
}

// Two splits the delays parameter into the delay before "hello" and the one
// before "world", refusing any other number of values.
func Two(delays []time.Duration) (hello, world time.Duration, err error) {
	if len(delays) != 2 {
		return 0, 0, fmt.Errorf("delays: give exactly two values (before hello, before world); got %d", len(delays))
	}
	return delays[0], delays[1], nil
}

// show coroutines
// sayAfter waits delay, then prints what. It is a plain function: calling it
// blocks the caller until it returns.
func sayAfter(ctx context.Context, lane *timeline.Lane, delay time.Duration, what string) error {
	if err := lane.Sleep(ctx, delay); err != nil { // stands in for I/O
		return err
	}
	lane.Log("%s", what)
	return nil
}

// helloWorld calls sayAfter twice, one call after the other, on main's
// goroutine: the second call starts only when the first has returned.
func helloWorld(ctx context.Context, run *timeline.Recorder, helloDelay, worldDelay time.Duration) error {
	main := run.Lane("main", "helloWorld")
	start := time.Now()
	err := sayAfter(ctx, main, helloDelay, "hello")
	if err == nil {
		err = sayAfter(ctx, main, worldDelay, "world")
	}
	if err == nil {
		main.Log("finished in %.1f s", time.Since(start).Seconds())
	}
	main.End(err)
	return err
}

// end
