// Package taskgroup is lesson 5's scenario: a group of tasks in which one
// fails, so that the group cancels the others and ends with its error.
package taskgroup

import (
	"context"
	"embed"
	"fmt"
	"net/url"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed taskgroup.go taskgroup.py
var files embed.FS

// step is how long task n works when nothing stops it: n × step. It is
// STEP in taskgroup.py.
const step = 600 * time.Millisecond

// Scenario runs runGroup in Go and taskgroup.py in CPython.
var Scenario = scenario.Scenario{
	ID: "taskgroup",
	Params: []scenario.Param{
		{Name: "tasks", Kind: scenario.Int, Min: 3, Max: 10, Default: "5"},
		{Name: "fail", Kind: scenario.Int, Min: 0, Max: 10, Default: "3"},
		// One number of seconds. The list kind is the only kind with
		// fractions; a visitor who types more than one gets the first.
		{Name: "fail_at", Kind: scenario.Seconds, Min: 0.1, Max: 10, Default: "1.5"},
	},
	Files:  files,
	Python: "taskgroup.py",
	PythonSet: func(v scenario.Values) map[string]any {
		return map[string]any{"TASKS": v.Int("tasks"), "FAIL": v.Int("fail"), "FAIL_AT": failAt(v).Seconds()}
	},
	GoFile: "taskgroup.go",
	GoShow: "taskgroup",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return runGroup(ctx, run, v.Int("tasks"), v.Int("fail"), failAt(v))
	},
	// The failure time never equals a task's own n × 0.6 s in these sets:
	// a tie would leave it to the scheduler whether that task finished or
	// was cancelled.
	Sets: []scenario.Set{
		{Name: "default"},
		{Name: "none", Query: url.Values{"fail": {"0"}}},
		{Name: "first-fails-early", Query: url.Values{"fail": {"1"}, "fail_at": {"0.3"}}},
		{Name: "last-fails-last", Query: url.Values{"tasks": {"4"}, "fail": {"4"}, "fail_at": {"2.9"}}},
		{Name: "ten", Query: url.Values{"tasks": {"10"}, "fail": {"7"}, "fail_at": {"3.3"}}},
		{Name: "fail-beyond-tasks", Query: url.Values{"tasks": {"3"}, "fail": {"8"}}},
	},
	Compare: scenario.Compare{
		// Every lane and kind but spawn and error. An error's label is the
		// exception's class and message in Python ("ValueError: task 3
		// failed") and only the message in Go, whose errors have no class;
		// check still holds the failing task to an error at fail_at on
		// both runtimes.
		Kinds: []timeline.Kind{timeline.Wait, timeline.Wake, timeline.Sleep, timeline.Log, timeline.Done, timeline.Cancelled},
		Check: check,
	},
}

// failAt is when the failing task fails: the first value of fail_at.
func failAt(v scenario.Values) time.Duration {
	if at := v.Durations("fail_at"); len(at) > 0 {
		return at[0]
	}
	return 0
}

// show taskgroup
// runGroup starts tasks goroutines in an errgroup. The first one to return
// an error cancels the group's context; the others notice ctx.Done() and
// stop, and Wait returns that first error once every goroutine has returned.
func runGroup(ctx context.Context, run *timeline.Recorder, tasks, fail int, failAt time.Duration) error {
	main := run.Lane("main", "runGroup")
	g, gctx := errgroup.WithContext(ctx)
	for i := range tasks {
		n := i + 1
		task := run.Lane(fmt.Sprintf("task %d", n), "work")
		g.Go(func() error { return work(gctx, task, n, fail, failAt) })
	}
	main.Wait("taskgroup")
	err := g.Wait()
	main.Wake()
	if err != nil {
		main.Log("group failed: %v", err)
	} else {
		main.Log("every task finished")
	}
	main.End(ctx.Err())
	return ctx.Err()
}

// work is task n: it needs n × step, unless it is the one that fails at
// failAt. Nothing can stop a goroutine from outside: Sleep, standing in
// for the network, returns ctx.Err() as soon as ctx.Done() is closed, and
// the task gives up there.
func work(ctx context.Context, task *timeline.Lane, n, fail int, failAt time.Duration) error {
	d := time.Duration(n) * step
	if n == fail {
		d = failAt
	}
	if err := task.Sleep(ctx, d); err != nil { // a sibling failed
		task.Cancelled()
		return err
	}
	if n == fail {
		err := fmt.Errorf("task %d failed", n)
		task.Fail(err)
		return err
	}
	task.Done()
	return nil
}

// end
