// Package cancellation is lesson 8's scenario: a long-running poller is
// cancelled after a while, and its cleanup still runs, after the cancel.
package cancellation

import (
	"context"
	"embed"
	"errors"
	"net/url"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed cancellation.go cancellation.py
var files embed.FS

// Scenario runs stopPoller in Go and cancellation.py in CPython.
var Scenario = scenario.Scenario{
	ID: "cancellation",
	Params: []scenario.Param{
		{Name: "after", Kind: scenario.Int, Min: 100, Max: 10000, Default: "1000"},
	},
	Files:  files,
	Python: "cancellation.py",
	PythonSet: func(v scenario.Values) map[string]any {
		return map[string]any{"AFTER": after(v).Seconds()}
	},
	GoFile: "cancellation.go",
	GoShow: "cancel",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return stopPoller(ctx, run, after(v))
	},
	Sets: []scenario.Set{
		{Name: "default"},
		{Name: "during-first-round", Query: url.Values{"after": {"100"}}},
		{Name: "after-2.5s", Query: url.Values{"after": {"2500"}}},
		{Name: "after-5s", Query: url.Values{"after": {"5000"}}},
	},
	Compare: scenario.Compare{
		// Every lane and every kind but spawn and wake. When main cancels,
		// the tracer reports the poller's task waking up (to receive
		// CancelledError) before it prints "poll: cancelled"; Lane.Sleep in
		// Go reports no wake when its context cuts it short, since the
		// goroutine simply returns from the select. The log that follows
		// on the same lane pins the same instant in both runtimes, and
		// every other event is compared in full.
		Kinds: []timeline.Kind{
			timeline.Wait, timeline.Sleep, timeline.Log, timeline.Deadline,
			timeline.Timeout, timeline.Done, timeline.Error, timeline.Cancelled,
		},
		Check: check,
	},
}

// after reads when main cancels the poller.
func after(v scenario.Values) time.Duration {
	return time.Duration(v.Int("after")) * time.Millisecond
}

// How often the poller polls, and how long its cleanup takes.
const (
	interval = 300 * time.Millisecond
	cleanup  = 200 * time.Millisecond
)

// show cancel
// stopPoller starts a poller that would run forever, cancels it after a
// while and waits until it has cleaned up.
func stopPoller(ctx context.Context, run *timeline.Recorder, after time.Duration) error {
	main := run.Lane("main", "stopPoller")
	pollCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	lane := run.Lane("poller", "poll")
	done := make(chan error, 1)
	go func() { done <- poll(pollCtx, lane) }()

	main.Sleep(ctx, after)
	main.Log("main: cancelling the poller")
	cancel() // only a request: poll notices at its next check
	main.Wait("task: poller")
	err := <-done // poll returns once it has cleaned up
	main.Wake()
	if errors.Is(err, context.Canceled) {
		main.Log("main: the poller was cancelled")
	}
	main.End(ctx.Err())
	return ctx.Err()
}

// poll polls until ctx is cancelled, then cleans up and returns ctx.Err().
func poll(ctx context.Context, lane *timeline.Lane) (err error) {
	defer func() { // runs however poll returns, like Python's finally
		lane.Log("poll: cleaning up")
		// ctx is cancelled by now: give the cleanup a context that is not.
		lane.Sleep(context.WithoutCancel(ctx), cleanup) // close the connection, say
		lane.Log("poll: closed")
		lane.End(err) // context.Canceled: the lane ends cancelled
	}()
	for n := 1; ctx.Err() == nil; n++ {
		lane.Log("poll %d", n)
		lane.Sleep(ctx, interval) // wait for the next round; cut short by cancel
	}
	lane.Log("poll: cancelled")
	return ctx.Err() // hand it back up, as Python re-raises CancelledError
}

// end
