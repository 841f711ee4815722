// Package event is lesson 12's scenario: waiters that block on one event
// until a setter fires it, and then all go on at the same instant.
package event

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

//go:embed event.go event.py
var files embed.FS

// arrive is how far apart the waiters arrive: waiter n starts waiting at
// n × arrive. It is the 0.15 in event.py.
const arrive = 150 * time.Millisecond

// Scenario runs broadcast in Go and event.py in CPython.
var Scenario = scenario.Scenario{
	ID: "event",
	Params: []scenario.Param{
		{Name: "waiters", Kind: scenario.Int, Min: 1, Max: 10, Default: "3"},
		// One number of seconds. The list kind is the only kind with
		// fractions; a visitor who types more than one gets the first.
		{Name: "when", Kind: scenario.Seconds, Min: 0.1, Max: 5, Default: "1"},
	},
	Files:  files,
	Python: "event.py",
	PythonSet: func(v scenario.Values) map[string]any {
		return map[string]any{"WAITERS": v.Int("waiters"), "SET_AT": when(v).Seconds()}
	},
	GoFile: "event.go",
	GoShow: "broadcast",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return broadcast(ctx, run, v.Int("waiters"), when(v))
	},
	// The setter never fires at the instant a waiter arrives (a multiple of
	// 0.15 s) in these sets: whether that waiter waited for no time at all
	// or found the event set is up to the scheduler. Either way its lane
	// reads the same once a wait and wake at one instant are dropped.
	Sets: []scenario.Set{
		{Name: "default"},
		{Name: "one", Query: url.Values{"waiters": {"1"}}},
		{Name: "ten-some-late", Query: url.Values{"waiters": {"10"}}},
		{Name: "early-set", Query: url.Values{"waiters": {"4"}, "when": {"0.2"}}},
		{Name: "late-set", Query: url.Values{"waiters": {"5"}, "when": {"2.5"}}},
	},
	Compare: scenario.Compare{
		// Every lane but main, and every kind but spawn. Main only waits
		// for the others, on a TaskGroup in Python and on a WaitGroup in
		// Go, and its wait is labelled with what it waits on; check holds
		// its end on both runtimes to the last lane's.
		Lanes: func(name string) bool { return name != "main" },
		Check: check,
	},
}

// when is when the setter fires: the when parameter's value (Parse refuses
// it left empty; the default stands in for Values that were never parsed).
func when(v scenario.Values) time.Duration {
	if at := v.Durations("when"); len(at) > 0 {
		return at[0]
	}
	return time.Second
}

// show broadcast
// broadcast starts waiters goroutines that block until ready is closed, and
// a setter that closes it after setAt. A receive from a closed channel
// returns at once, for every receiver and forever after: closing is Go's
// broadcast, and it can happen only once.
func broadcast(ctx context.Context, run *timeline.Recorder, waiters int, setAt time.Duration) error {
	main := run.Lane("main", "broadcast")
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for n := 1; n <= waiters; n++ {
		w := run.Lane(fmt.Sprintf("W%d", n), "waiter")
		wg.Go(func() {
			if err := w.Sleep(ctx, time.Duration(n)*arrive); err != nil {
				w.End(err)
				return
			}
			w.Log("W%d: waiting", n)
			w.Wait("event")
			select {
			case <-ready: // closed: the event is set
			case <-ctx.Done():
				w.End(ctx.Err())
				return
			}
			w.Wake()
			w.Log("W%d: go", n)
			w.Done()
		})
	}
	setter := run.Lane("setter", "setter")
	wg.Go(func() {
		if err := setter.Sleep(ctx, setAt); err != nil {
			setter.End(err)
			return
		}
		setter.Log("setter: set")
		setter.Set("event")
		close(ready) // wakes every waiter; later ones don't wait at all
		setter.Done()
	})
	main.Wait("waitgroup")
	wg.Wait()
	main.Wake()
	main.End(ctx.Err())
	return ctx.Err()
}

// end
