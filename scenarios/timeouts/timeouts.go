// Package timeouts is lesson 7's scenario: a slow call with a deadline. When
// the deadline passes first, the call is cut short and the caller is told it
// timed out.
package timeouts

import (
	"context"
	"embed"
	"net/url"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed timeouts.go timeouts.py
var files embed.FS

// Scenario runs fetchWithTimeout in Go and timeouts.py in CPython.
var Scenario = scenario.Scenario{
	ID: "timeouts",
	Params: []scenario.Param{
		{Name: "work", Kind: scenario.Int, Min: 100, Max: 10000, Default: "3000"},
		{Name: "timeout", Kind: scenario.Int, Min: 100, Max: 10000, Default: "1500"},
	},
	Files:  files,
	Python: "timeouts.py",
	PythonSet: func(v scenario.Values) map[string]any {
		return map[string]any{"WORK": millis(v, "work").Seconds(), "TIMEOUT": millis(v, "timeout").Seconds()}
	},
	GoFile: "timeouts.go",
	GoShow: "timeout",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return fetchWithTimeout(ctx, run, millis(v, "work"), millis(v, "timeout"))
	},
	Sets: []scenario.Set{
		{Name: "default"},
		{Name: "in-time", Query: url.Values{"work": {"800"}, "timeout": {"1500"}}},
		{Name: "just-late", Query: url.Values{"work": {"1600"}, "timeout": {"1500"}}},
		{Name: "short-deadline", Query: url.Values{"work": {"10000"}, "timeout": {"100"}}},
	},
	// Every lane and every kind but spawn is compared: both runtimes set
	// the deadline on main, cut fetch short when it passes, and report the
	// timeout on main; the Go code names main's wait the way the tracer
	// names an awaited task ("task: fetch").
	Compare: scenario.Compare{Check: check},
}

// millis reads a parameter given in milliseconds.
func millis(v scenario.Values, name string) time.Duration {
	return time.Duration(v.Int(name)) * time.Millisecond
}

// show timeout
// fetchWithTimeout starts a slow fetch and waits for it until limit has
// passed. If the deadline comes first, fetch sees ctx.Done() and stops.
func fetchWithTimeout(ctx context.Context, run *timeline.Recorder, work, limit time.Duration) error {
	main := run.Lane("main", "fetchWithTimeout")
	ctx, cancel := context.WithTimeout(ctx, limit) // the deadline: now + limit
	defer cancel()
	main.Deadline(limit)

	lane := run.Lane("fetch", "fetch")
	done := make(chan error, 1) // room for the answer, so fetch never blocks on it
	go func() {
		err := fetch(ctx, lane, work)
		if err != nil {
			lane.Cancelled() // stopped by the deadline
		} else {
			lane.Done()
		}
		done <- err
	}()

	main.Wait("task: fetch")
	select {
	case <-done:
		main.Wake()
		main.Log("main: got the reply")
	case <-ctx.Done(): // the deadline passed first
		main.Timeout()
		<-done // fetch sees ctx.Done() too; wait until it has stopped
		main.Wake()
		main.Log("main: timed out")
	}
	main.Done()
	return nil
}

// fetch stands in for a call to a slow server. Like any call that takes a
// context, it gives up as soon as ctx is done.
func fetch(ctx context.Context, lane *timeline.Lane, work time.Duration) error {
	lane.Log("fetch: start")
	if err := lane.Sleep(ctx, work); err != nil { // a timer racing ctx.Done()
		return err // context.DeadlineExceeded
	}
	lane.Log("fetch: done")
	return nil
}

// end
