package taskgroup

import (
	"fmt"
	"strings"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// check asserts what the lesson promises on either runtime: with no
// failure every task finishes after its own n × step; with one, the failing
// task ends with its error at fail_at, every task still running then is
// cancelled at that same instant, those done before stay done, and main
// goes on at that instant and reports the error.
func check(events []timeline.Event, v scenario.Values) []string {
	const tol = 20 * time.Millisecond
	tasks, fail, at := v.Int("tasks"), v.Int("fail"), failAt(v)
	if fail > tasks {
		fail = 0 // no task has that number: none fails
	}
	ends := map[string]timeline.Event{}
	var mainLogs []timeline.Event
	for _, e := range events {
		if e.Kind.Ends() {
			ends[e.Lane] = e
		}
		if e.Lane == "main" && e.Kind == timeline.Log {
			mainLogs = append(mainLogs, e)
		}
	}
	var problems []string
	expect := func(lane string, kind timeline.Kind, label string, when time.Duration) {
		e, ok := ends[lane]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s never ended; want %s at %v", lane, kind, when))
		case e.Kind != kind || !strings.Contains(e.Label, label) || (e.At-when).Abs() > tol:
			problems = append(problems, fmt.Sprintf("%s ended %s %q at %v; want %s %q at %v", lane, e.Kind, e.Label, e.At, kind, label, when))
		}
	}
	end := time.Duration(0)
	for n := 1; n <= tasks; n++ {
		lane, own := fmt.Sprintf("task %d", n), time.Duration(n)*step
		switch {
		case n == fail:
			expect(lane, timeline.Error, fmt.Sprintf("task %d failed", n), at)
		case fail != 0 && own > at:
			expect(lane, timeline.Cancelled, "", at)
		default:
			expect(lane, timeline.Done, "", own)
			end = max(end, own)
		}
	}
	wantLog := "every task finished"
	if fail != 0 {
		end, wantLog = max(end, at), fmt.Sprintf("group failed: task %d failed", fail)
	}
	if len(mainLogs) != 1 || mainLogs[0].Label != wantLog || (mainLogs[0].At-end).Abs() > tol {
		problems = append(problems, fmt.Sprintf("main printed %v; want %q at %v", mainLogs, wantLog, end))
	}
	return problems
}
