package pyrun

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

func TestMain(m *testing.M) {
	if os.Getenv(holdRunEnv) == "1" {
		holdRun()
		return
	}
	// Internal errors in the tracer fail the run (exit 70) instead of being
	// reported and survived, so that tests see them.
	os.Setenv("ASYNCPLAY_TRACER_STRICT", "1")
	if err := becomeSubreaper(); err != nil {
		fmt.Fprintln(os.Stderr, "pyrun tests: cannot become a child subreaper:", err)
	}
	goleak.VerifyTestMain(m)
}

var (
	pyOnce sync.Once
	py     Python
	pyErr  error
)

// needPython finds python3 >= 3.11, or skips the test (fails it on CI).
func needPython(t *testing.T) Python {
	t.Helper()
	pyOnce.Do(func() { py, pyErr = Find(context.Background()) })
	if pyErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("needs python3 >= 3.11: %v", pyErr)
		}
		msg := fmt.Sprintf("SKIP: needs python3 >= 3.11 (apt-get install python3): %v", pyErr)
		fmt.Fprintln(os.Stderr, msg)
		t.Skip(msg)
	}
	return py
}

// trace runs prog and returns its events and error, checking the stream's
// invariants whatever the outcome.
func trace(t *testing.T, prog Program, opt Options) ([]timeline.Event, error) {
	t.Helper()
	p := needPython(t)
	var evs []timeline.Event
	err := p.Run(context.Background(), prog, opt, func(e timeline.Event) { evs = append(evs, e) })
	checkStream(t, prog.Name, evs, err == nil)
	return evs, err
}

// traceFile runs testdata/name on the virtual clock; the run must succeed.
func traceFile(t *testing.T, name string, set map[string]any) []timeline.Event {
	t.Helper()
	src := mustRead(t, filepath.Join("testdata", name))
	evs, err := trace(t, Program{Name: name, Source: src, Set: set}, Options{Virtual: true})
	if err != nil {
		t.Fatalf("Run(%s) = %v; want no error", name, err)
	}
	return evs
}

// checkStream checks what holds for every run: times in order, each lane
// spawned once before anything else happens on it and, for a finished run,
// ended exactly once, last.
func checkStream(t *testing.T, name string, evs []timeline.Event, finished bool) {
	t.Helper()
	spawned := map[string]bool{}
	ended := map[string]bool{}
	var last time.Duration
	for i, e := range evs {
		if e.At < last {
			t.Errorf("%s: event %d at %v comes after one at %v: %v", name, i, e.At, last, e)
		}
		last = e.At
		if e.Lane == "(no task)" {
			continue
		}
		if ended[e.Lane] {
			t.Errorf("%s: event after the lane ended: %v", name, e)
		}
		switch {
		case e.Kind == timeline.Spawn:
			if spawned[e.Lane] {
				t.Errorf("%s: lane %q spawned twice", name, e.Lane)
			}
			spawned[e.Lane] = true
		case !spawned[e.Lane]:
			t.Errorf("%s: event on a lane not spawned yet: %v", name, e)
		}
		if e.Kind.Ends() {
			ended[e.Lane] = true
		}
	}
	if finished {
		for lane := range spawned {
			if !ended[lane] {
				t.Errorf("%s: lane %q never ended", name, lane)
			}
		}
	}
}

// on returns the events on one lane.
func on(evs []timeline.Event, lane string) []timeline.Event {
	var out []timeline.Event
	for _, e := range evs {
		if e.Lane == lane {
			out = append(out, e)
		}
	}
	return out
}

// first returns the first event of kind (and label, if not "") on lane.
func first(evs []timeline.Event, lane string, kind timeline.Kind, label string) (timeline.Event, bool) {
	for _, e := range evs {
		if e.Lane == lane && e.Kind == kind && (label == "" || e.Label == label) {
			return e, true
		}
	}
	return timeline.Event{}, false
}

// ends maps each lane to the kind of its last event.
func ends(evs []timeline.Event) map[string]timeline.Kind {
	out := map[string]timeline.Kind{}
	for _, e := range evs {
		if e.Lane != "(no task)" {
			out[e.Lane] = e.Kind
		}
	}
	return out
}

func sec(s float64) time.Duration { return timeline.Seconds(s) }

func near(got, want, tol time.Duration) bool {
	d := got - want
	return d <= tol && d >= -tol
}

// tol is how far an event's time may stray. On the virtual clock the
// real time a run spends working still counts, its start-up (reaching
// asyncio.run) included, and two of these tests share two CPUs with the
// race detector; a slice lost to another process moves every later event.
// The mistakes these tests look for are off by 100 ms or more.
const tol = 25 * time.Millisecond

func dump(evs []timeline.Event) string { return dumpAt(evs, true) }

// untimed is dump without the times, which real work moves on a virtual clock.
func untimed(evs []timeline.Event) string { return dumpAt(evs, false) }

func dumpAt(evs []timeline.Event, timed bool) string {
	var b strings.Builder
	for _, e := range evs {
		if !timed {
			e.At = 0
		}
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestSemaphoreCap(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("LIMIT=%d", limit), func(t *testing.T) {
			t.Parallel()
			evs := traceFile(t, "semaphore.py", map[string]any{"LIMIT": limit})
			holders := map[string]bool{}
			most, waits := 0, 0
			for _, e := range evs {
				if e.Label != "semaphore" {
					continue
				}
				switch e.Kind {
				case timeline.Acquire:
					holders[e.Lane] = true
				case timeline.Release:
					delete(holders, e.Lane)
				case timeline.Wait:
					waits++
				}
				if e.Value > limit {
					t.Errorf("%v: value %d > LIMIT %d", e, e.Value, limit)
				}
				if (e.Kind == timeline.Acquire || e.Kind == timeline.Release) && e.Value != len(holders) {
					t.Errorf("%v: value = %d; want %d holders", e, e.Value, len(holders))
				}
				most = max(most, len(holders))
			}
			if most != limit {
				t.Errorf("most holders at once = %d; want %d\n%s", most, limit, dump(evs))
			}
			if want := 6 - limit; waits != want {
				t.Errorf("semaphore waits = %d; want %d", waits, want)
			}
		})
	}
}

func TestLockFIFO(t *testing.T) {
	t.Parallel()
	evs := traceFile(t, "lock.py", nil)
	var holder string
	var waited, acquiredAfterWait []string
	didWait := map[string]bool{}
	for _, e := range evs {
		if e.Label != "lock" {
			continue
		}
		switch e.Kind {
		case timeline.Wait:
			waited = append(waited, e.Lane)
			didWait[e.Lane] = true
		case timeline.Acquire:
			if holder != "" {
				t.Errorf("%v while %s holds the lock", e, holder)
			}
			holder = e.Lane
			if e.Value != 1 {
				t.Errorf("%v: value = %d; want 1", e, e.Value)
			}
			if didWait[e.Lane] {
				acquiredAfterWait = append(acquiredAfterWait, e.Lane)
			}
		case timeline.Release:
			holder = ""
		}
	}
	want := []string{"writer 1", "writer 2", "writer 3"}
	if fmt.Sprint(waited) != fmt.Sprint(want) {
		t.Errorf("lanes waiting for the lock = %v; want %v", waited, want)
	}
	if fmt.Sprint(acquiredAfterWait) != fmt.Sprint(waited) {
		t.Errorf("waiters got the lock in order %v; want the order they waited, %v", acquiredAfterWait, waited)
	}
}

func TestEventWakesWaitersAtSet(t *testing.T) {
	t.Parallel()
	evs := traceFile(t, "event.py", nil)
	set, ok := first(evs, "main", timeline.Set, "event")
	if !ok || !near(set.At, sec(1), tol) {
		t.Fatalf("set event = %v (found %v); want one at 1s\n%s", set, ok, dump(evs))
	}
	for _, lane := range []string{"waiter", "waiter #2", "waiter #3"} {
		w, ok := first(evs, lane, timeline.Wait, "event")
		if !ok || !near(w.At, 0, tol) {
			t.Errorf("%s wait = %v (found %v); want one at 0s", lane, w, ok)
		}
		wake, ok := first(evs, lane, timeline.Wake, "")
		if !ok || !near(wake.At, set.At, tol) {
			t.Errorf("%s wake = %v (found %v); want one at the set, %v", lane, wake, ok, set.At)
		}
		if got := ends(evs)[lane]; got != timeline.Done {
			t.Errorf("%s ends %s; want done", lane, got)
		}
	}
}

func TestQueueBackpressure(t *testing.T) {
	t.Parallel()
	evs := traceFile(t, "backpressure.py", nil)
	depth, puts, most := 0, 0, 0
	firstWait := -1
	for _, e := range evs {
		switch {
		case e.Kind == timeline.Put:
			depth++
			puts++
		case e.Kind == timeline.Get:
			depth--
		case e.Kind == timeline.Wait && e.Label == "queue.put":
			if e.Lane != "producer" {
				t.Errorf("%v: want only the producer to wait on put", e)
			}
			if firstWait < 0 {
				firstWait = puts
			}
			continue
		default:
			continue
		}
		if e.Value != depth {
			t.Errorf("%v: value = %d; want the depth, %d", e, e.Value, depth)
		}
		most = max(most, depth)
	}
	if firstWait != 2 {
		t.Errorf("producer first waited on queue.put after %d puts; want 2 (maxsize)\n%s", firstWait, dump(evs))
	}
	if most != 2 || depth != 0 || puts != 6 {
		t.Errorf("deepest = %d, final depth = %d, puts = %d; want 2, 0, 6", most, depth, puts)
	}
}

func TestCancellationCleanup(t *testing.T) {
	t.Parallel()
	evs := traceFile(t, "cancel.py", nil)
	worker := on(evs, "worker")
	cleanup, ok := first(evs, "worker", timeline.Log, "cleanup")
	if !ok || !near(cleanup.At, sec(0.5), tol) {
		t.Errorf("cleanup log = %v (found %v); want one at the cancel, 0.5s\n%s", cleanup, ok, dump(evs))
	}
	last := worker[len(worker)-1]
	if last.Kind != timeline.Cancelled || !near(last.At, sec(0.5), tol) {
		t.Errorf("worker ends with %v; want cancelled at 0.5s", last)
	}
	if got := ends(evs)["main"]; got != timeline.Done {
		t.Errorf("main ends %s; want done", got)
	}
	if _, ok := first(evs, "main", timeline.Log, "worker cancelled"); !ok {
		t.Errorf("main did not log that the worker was cancelled")
	}
}

func TestTaskGroupFailureCancelsSiblings(t *testing.T) {
	t.Parallel()
	evs := traceFile(t, "taskgroup.py", nil)
	tests := []struct {
		lane  string
		kind  timeline.Kind
		label string
		at    time.Duration
	}{
		{"fails", timeline.Error, "ValueError: boom", sec(1)},
		{"slow", timeline.Cancelled, "", sec(1)},
		{"slow #2", timeline.Cancelled, "", sec(1)},
		{"main", timeline.Done, "", sec(1)},
	}
	for _, tt := range tests {
		lane := on(evs, tt.lane)
		if len(lane) == 0 {
			t.Errorf("no lane %q\n%s", tt.lane, dump(evs))
			continue
		}
		last := lane[len(lane)-1]
		if last.Kind != tt.kind || last.Label != tt.label || !near(last.At, tt.at, tol) {
			t.Errorf("%s ends with %v; want %s %q at %v", tt.lane, last, tt.kind, tt.label, tt.at)
		}
	}
	if w, ok := first(evs, "main", timeline.Wait, "taskgroup"); !ok {
		t.Errorf("main never waited on the taskgroup: %v", w)
	}
}

func TestBlockingCallFreezesLoop(t *testing.T) {
	evs := traceFile(t, "blocking.py", nil)
	b, ok := first(evs, "blocker", timeline.Blocked, "")
	if !ok {
		t.Fatalf("no blocked event on blocker\n%s", dump(evs))
	}
	if !near(b.At, sec(0.05), tol) || !near(b.Dur, sec(0.3), 2*tol) || b.Line != 14 {
		t.Errorf("blocked = %v; want at 0.05s for 0.3s, line 14", b)
	}
	// The ticker's first timer was due at 0.1s but the loop was frozen.
	wake, _ := first(evs, "ticker", timeline.Wake, "")
	if want := b.At + b.Dur; !near(wake.At, want, 2*tol) {
		t.Errorf("ticker first wakes at %v; want when the loop thawed, %v", wake.At, want)
	}
	for _, e := range evs {
		if e.Kind == timeline.Blocked && e.Lane != "blocker" {
			t.Errorf("unexpected %v", e)
		}
	}
}

func TestToThreadKeepsLoopRunning(t *testing.T) {
	evs := traceFile(t, "to_thread.py", nil)
	for _, e := range evs {
		if e.Kind == timeline.Blocked {
			t.Errorf("unexpected %v", e)
		}
	}
	var wakes []time.Duration
	for _, e := range on(evs, "ticker") {
		if e.Kind == timeline.Wake {
			wakes = append(wakes, e.At)
		}
	}
	if len(wakes) != 3 {
		t.Fatalf("ticker wakes %d times; want 3\n%s", len(wakes), dump(evs))
	}
	// On time means within 3*tol here: this runs on the real clock with a
	// traced thread beside the loop (CI saw 12 ms late once), while a loop
	// blocked by the thread's work would be 200 ms late or more.
	for i, at := range wakes {
		if want := sec(0.1 * float64(i+1)); !near(at, want, 3*tol) {
			t.Errorf("ticker wake %d at %v; want on time, %v", i, at, want)
		}
	}
	th := on(evs, "thread: sleep")
	if len(th) != 2 || th[0].Kind != timeline.Spawn || th[1].Kind != timeline.Done {
		t.Fatalf("thread lane = %v; want spawn, done\n%s", th, dump(evs))
	}
	if d := th[1].At - th[0].At; !near(d, sec(0.3), 2*tol) {
		t.Errorf("thread work took %v; want 0.3s", d)
	}
	if _, ok := first(evs, "blocker", timeline.Wait, "thread"); !ok {
		t.Errorf("blocker never waited on the thread")
	}
}

// TestProcessPoolLanes: work sent to a ProcessPoolExecutor goes as it is
// (it must pickle) and gets a lane measured from the parent's side, from the
// hand-over to the result; the worker processes themselves write no events.
func TestProcessPoolLanes(t *testing.T) {
	t.Parallel()
	evs := traceFile(t, "processes.py", nil)
	for lane, want := range map[string]string{"process: square": "9", "process: square #2": "16"} {
		l := on(evs, lane)
		if len(l) != 2 || l[0].Kind != timeline.Spawn || l[0].Label != "square" || l[1].Kind != timeline.Done || l[1].Label != want {
			t.Errorf("lane %q = %v; want spawn square, done %s\n%s", lane, l, want, dump(evs))
		}
	}
	const lambda = "process: main.<locals>.<lambda>"
	if e, ok := first(evs, lambda, timeline.Error, ""); !ok || !strings.Contains(e.Label, "pickle") {
		t.Errorf("lambda lane error = %v (found %v); want a pickling error\n%s", e, ok, dump(evs))
	}
	if w, ok := first(evs, "main", timeline.Wait, "gather"); !ok {
		t.Errorf("main never waited on the gather: %v", w)
	}
	var logs []string
	for _, e := range evs {
		if e.Kind == timeline.Log {
			if e.Lane != "main" {
				t.Errorf("log on another lane than main: %v", e)
			}
			logs = append(logs, e.Label)
		}
	}
	if got := strings.Join(logs, "|"); got != "AttributeError|[9, 16]" && got != "PicklingError|[9, 16]" {
		t.Errorf("logs = %q; want only main's two lines (a worker's print is no event)", got)
	}
	if got := ends(evs)["main"]; got != timeline.Done {
		t.Errorf("main ends %q; want done", got)
	}
}

func TestVirtualClock(t *testing.T) {
	t.Parallel()
	start := time.Now()
	evs := traceFile(t, "long.py", nil)
	wall := time.Since(start)
	if wall >= time.Second {
		t.Errorf("5s of asyncio sleeping took %v of wall time; want well under 1s", wall)
	}
	last := evs[len(evs)-1]
	if last.Kind != timeline.Done || !near(last.At, sec(5), tol) {
		t.Errorf("last event = %v; want main done at 5s", last)
	}
}

func TestRealClock(t *testing.T) {
	src, _ := os.ReadFile("testdata/realclock.py")
	evs, err := trace(t, Program{Name: "realclock.py", Source: src}, Options{})
	if err != nil {
		t.Fatalf("Run = %v; want no error", err)
	}
	for i, label := range []string{"first", "second"} {
		e, ok := first(evs, "main", timeline.Log, label)
		if want := sec(0.2 * float64(i+1)); !ok || !near(e.At, want, 50*time.Millisecond) {
			t.Errorf("log %q = %v (found %v); want at about %v", label, e, ok, want)
		}
	}
}

// TestPromptTimers: the tracer's loop waits with select() on its epoll
// descriptor, waking a long wait early rather than late by the kernel's
// slack, and still reads a socket the moment it is ready, not when the next
// timer is due.
func TestPromptTimers(t *testing.T) {
	t.Parallel()
	evs, err := trace(t, Program{Name: "prompt.py", Source: mustRead(t, "testdata/prompt.py")}, Options{Nice: 10})
	if err != nil {
		t.Fatalf("Run = %v; want no error", err)
	}
	var logs []string
	for _, e := range evs {
		if e.Kind == timeline.Log {
			logs = append(logs, e.Label)
		}
	}
	if len(logs) != 5 || logs[0] != "selector _PromptSelector" || logs[4] != "order read,slept" {
		t.Fatalf("the program said %q; want the prompt selector, two sleeps, a read, then the read before the sleep", logs)
	}
	for _, l := range logs[1:3] {
		var d float64
		var waits string
		if _, err := fmt.Sscanf(l, "slept %g waits %s", &d, &waits); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		// Each wait is its timeout / how long it took.
		ws := strings.Split(waits, ",")
		var timeout, took float64
		if _, err := fmt.Sscanf(ws[0], "%g/%g", &timeout, &took); err != nil || timeout > d*(1-0.01)+1e-9 {
			t.Errorf("%q: want a first wait 1%% short of %g s", l, d)
			continue
		}
		// Then the loop asks again for the rest, unless the first wait
		// came back so late (a loaded machine) that the timer was due.
		if len(ws) < 2 && took < timeout+d*0.005 {
			t.Errorf("%q: the first wait came back on time, but no wait for the rest followed", l)
		}
	}
	var ms float64
	// A loop that missed the socket would read it when the sleep ends,
	// 300 ms after the send; at niceness 10 beside another test, a prompt
	// read can still take some tens of ms.
	if _, err := fmt.Sscanf(logs[3], "read_ms %g", &ms); err != nil || ms > 200 {
		t.Errorf("%q: want the socket read within 200 ms of the send, not when the 0.4 s sleep ends", logs[3])
	}
}

func TestOrdinaryPrograms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		ends  map[string]timeline.Kind
		check func(t *testing.T, evs []timeline.Event)
	}{
		{"modlevel.py", map[string]timeline.Kind{
			"main": timeline.Done, "job": timeline.Done, "job #2": timeline.Done, "job #3": timeline.Done,
		}, func(t *testing.T, evs []timeline.Event) {
			for _, label := range []string{"semaphore", "lock"} {
				if _, ok := first(evs, "job", timeline.Acquire, label); !ok {
					t.Errorf("no acquire of the module-level %s", label)
				}
			}
			if _, ok := first(evs, "job #2", timeline.Wait, "semaphore"); !ok {
				t.Errorf("job #2 never waited on the module-level semaphore")
			}
			if _, ok := first(evs, "main", timeline.Wait, "event"); !ok {
				t.Errorf("main never waited on the module-level event")
			}
		}},
		{"helper.py", map[string]timeline.Kind{
			"main": timeline.Done, "worker": timeline.Done, "worker #2": timeline.Done, "worker #3": timeline.Done,
		}, func(t *testing.T, evs []timeline.Event) {
			for lane, want := range map[string]string{"worker": "1", "worker #2": "4", "worker #3": "9"} {
				if e, _ := first(evs, lane, timeline.Done, ""); e.Label != want {
					t.Errorf("%s done label = %q; want %q", lane, e.Label, want)
				}
			}
		}},
		{"workers.py", map[string]timeline.Kind{
			"main": timeline.Done, "worker": timeline.Cancelled, "worker #2": timeline.Cancelled, "worker #3": timeline.Cancelled,
		}, func(t *testing.T, evs []timeline.Event) {
			w, ok := first(evs, "main", timeline.Wait, "queue.join")
			if !ok || !near(w.At, 0, tol) {
				t.Errorf("main queue.join wait = %v (found %v); want at 0s", w, ok)
			}
		}},
		{"presem.py", map[string]timeline.Kind{
			"main": timeline.Done, "job": timeline.Done, "job #2": timeline.Done, "job #3": timeline.Done,
			"job #4": timeline.Done, "job #5": timeline.Done,
		}, func(t *testing.T, evs []timeline.Event) {
			acquires := 0
			for _, e := range evs {
				if e.Label == "semaphore" && e.Value > 2 {
					t.Errorf("%v: more than LIMIT=2 held", e)
				}
				if e.Kind == timeline.Acquire {
					acquires++
					if e.Lane != "main" {
						t.Errorf("%v: want main to acquire for the jobs", e)
					}
				}
			}
			if acquires != 5 {
				t.Errorf("acquires = %d; want 5", acquires)
			}
		}},
		{"first.py", map[string]timeline.Kind{
			"main": timeline.Done, "fetch": timeline.Done, "fetch #2": timeline.Cancelled,
		}, func(t *testing.T, evs []timeline.Event) {
			if e, _ := first(evs, "fetch", timeline.Done, ""); e.Label != "'mirror'" {
				t.Errorf("fetch done label = %q; want 'mirror'", e.Label)
			}
			if _, ok := first(evs, "main", timeline.Wait, "wait"); !ok {
				t.Errorf("main never waited in asyncio.wait")
			}
			if w, ok := first(evs, "main", timeline.Wake, ""); !ok || !near(w.At, sec(0.2), tol) {
				t.Errorf("main wake = %v (found %v); want at the first completion, 0.2s", w, ok)
			}
		}},
		{"nested.py", map[string]timeline.Kind{
			"main": timeline.Done, "branch": timeline.Done, "branch #2": timeline.Done,
			"leaf": timeline.Done, "leaf #2": timeline.Done, "leaf #3": timeline.Done,
			"leaf #4": timeline.Done, "leaf #5": timeline.Done,
		}, func(t *testing.T, evs []timeline.Event) {
			d, ok := first(evs, "main", timeline.Deadline, "")
			if !ok || d.Dur != sec(0.5) || d.Line != 19 {
				t.Errorf("wait_for deadline = %v (found %v); want dur 0.5s on line 19", d, ok)
			}
			to, ok := first(evs, "main", timeline.Timeout, "")
			if !ok || !near(to.At, d.At+sec(0.5), tol) {
				t.Errorf("timeout = %v (found %v); want 0.5s after the deadline was set", to, ok)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			evs := traceFile(t, tt.file, nil)
			got := ends(evs)
			for lane, want := range tt.ends {
				if got[lane] != want {
					t.Errorf("lane %q ends %q; want %q\n%s", lane, got[lane], want, dump(evs))
				}
			}
			for lane := range got {
				if _, ok := tt.ends[lane]; !ok && !(tt.file == "nested.py" && lane == "sleep") {
					// 3.11's wait_for runs its coroutine in a task of its own.
					t.Errorf("unexpected lane %q", lane)
				}
			}
			tt.check(t, evs)
		})
	}
}

func TestDownloadsExample(t *testing.T) {
	t.Parallel()
	// Every time in it is a multiple of half a second: tenths leave room for
	// the real time a loaded machine adds to the virtual clock.
	evs := traceFile(t, "downloads.py", nil)
	want := `0.0 main spawn "main" 0 L14
0.0 download 1 spawn "download" 0 L13
0.0 download 2 spawn "download" 0 L13
0.0 download 3 spawn "download" 0 L13
0.0 download 4 spawn "download" 0 L13
0.0 main wait "taskgroup" 0 L11
0.0 download 1 acquire "semaphore" 1 L5
0.0 download 1 log "download 1: start" 0 L6
0.0 download 1 sleep "" 0 L7 1.0s
0.0 download 2 acquire "semaphore" 2 L5
0.0 download 2 log "download 2: start" 0 L6
0.0 download 2 sleep "" 0 L7 2.0s
0.0 download 3 wait "semaphore" 0 L5
0.0 download 4 wait "semaphore" 0 L5
1.0 download 1 wake "" 0 L7
1.0 download 1 log "download 1: done" 0 L8
1.0 download 1 release "semaphore" 1 L5
1.0 download 1 done "" 0 L0
1.0 download 3 acquire "semaphore" 2 L5
1.0 download 3 log "download 3: start" 0 L6
1.0 download 3 sleep "" 0 L7 1.5s
2.0 download 2 wake "" 0 L7
2.0 download 2 log "download 2: done" 0 L8
2.0 download 2 release "semaphore" 1 L5
2.0 download 2 done "" 0 L0
2.0 download 4 acquire "semaphore" 2 L5
2.0 download 4 log "download 4: start" 0 L6
2.0 download 4 sleep "" 0 L7 1.0s
2.5 download 3 wake "" 0 L7
2.5 download 3 log "download 3: done" 0 L8
2.5 download 3 release "semaphore" 1 L5
2.5 download 3 done "" 0 L0
3.0 download 4 wake "" 0 L7
3.0 download 4 log "download 4: done" 0 L8
3.0 download 4 release "semaphore" 0 L5
3.0 download 4 done "" 0 L0
3.0 main wake "" 0 L11
3.0 main done "" 0 L0
`
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%.1f %s %s %q %d L%d", e.At.Seconds(), e.Lane, e.Kind, e.Label, e.Value, e.Line)
		if e.Dur != 0 {
			fmt.Fprintf(&b, " %.1fs", e.Dur.Seconds())
		}
		b.WriteByte('\n')
	}
	if got := b.String(); got != want {
		t.Errorf("events of downloads.py =\n%s\nwant\n%s", got, want)
	}
}

func TestSet(t *testing.T) {
	t.Parallel()
	src, _ := os.ReadFile("testdata/constants.py")
	tests := []struct {
		name    string
		set     map[string]any
		wantLog string
		wantErr string
	}{
		{"none", nil, "2 ['a'] int", ""},
		{"annotated", map[string]any{"LIMIT": 5}, "5 ['a'] int", ""},
		{"list", map[string]any{"NAMES": []string{"x", "y"}, "LIMIT": 1.5}, "1.5 ['x', 'y'] float", ""},
		{"missing", map[string]any{"NOPE": 1}, "", "no top-level NOPE = ... in lesson.py to set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			evs, err := trace(t, Program{Name: "lesson.py", Source: src, Set: tt.set}, Options{Virtual: true})
			if tt.wantErr != "" {
				var pe *ProgramError
				if !errors.As(err, &pe) || pe.ExitCode != 2 || !strings.Contains(pe.Stderr, tt.wantErr) {
					t.Fatalf("Run(Set=%v) = %v; want a ProgramError, exit status 2, saying %q", tt.set, err, tt.wantErr)
				}
				if !errors.Is(err, ErrProgramFailed) {
					t.Errorf("errors.Is(%v, ErrProgramFailed) = false; want true", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run(Set=%v) = %v; want no error", tt.set, err)
			}
			if len(evs) != 1 || evs[0].Label != tt.wantLog || evs[0].Lane != "(no task)" || evs[0].Line != 4 {
				t.Errorf("Run(Set=%v) events = %v; want one log %q on (no task), line 4", tt.set, evs, tt.wantLog)
			}
		})
	}
}

func TestStdinProgramName(t *testing.T) {
	t.Parallel()
	src := `import asyncio
async def main():
    print("about to fail")
    await asyncio.sleep(0.1)
    raise ValueError("boom")
asyncio.run(main())
`
	evs, err := trace(t, Program{Name: "lesson.py", Source: []byte(src)}, Options{Virtual: true})
	var pe *ProgramError
	if !errors.As(err, &pe) || pe.ExitCode != 1 {
		t.Fatalf("Run = %v; want a ProgramError with exit status 1", err)
	}
	for _, want := range []string{
		`File "lesson.py", line 6, in <module>`,
		`File "lesson.py", line 5, in main`,
		`raise ValueError("boom")`,
		"ValueError: boom",
	} {
		if !strings.Contains(pe.Stderr, want) {
			t.Errorf("traceback =\n%s\nwant it to contain %q", pe.Stderr, want)
		}
	}
	if strings.Contains(pe.Stderr, "<string>") {
		t.Errorf("traceback shows the tracer's frames:\n%s", pe.Stderr)
	}
	log, _ := first(evs, "main", timeline.Log, "about to fail")
	end := on(evs, "main")[len(on(evs, "main"))-1]
	if log.Line != 3 || end.Kind != timeline.Error || end.Label != "ValueError: boom" || end.Line != 5 {
		t.Errorf("log = %v, end = %v; want the log on line 3 and error ValueError: boom on line 5", log, end)
	}
}

// TestNice: Options.Nice lowers the interpreter's priority; without it the
// interpreter runs at this process's.
func TestNice(t *testing.T) {
	t.Parallel()
	src := `import asyncio, os
async def main():
    await asyncio.sleep(0.2)  # well after the runner has lowered it
    print("nice", os.nice(0))
asyncio.run(main())
`
	// What an interpreter started plainly from here reports.
	out, err := exec.Command(needPython(t).Path, "-c", "import os; print(os.nice(0))").Output()
	if err != nil {
		t.Fatal(err)
	}
	own := strings.TrimSpace(string(out))
	for nice, want := range map[int]string{0: own, 7: "7"} {
		evs, err := trace(t, Program{Name: "nice.py", Source: []byte(src)}, Options{Nice: nice})
		if err != nil {
			t.Fatalf("Nice %d: %v", nice, err)
		}
		if _, ok := first(evs, "main", timeline.Log, "nice "+want); !ok {
			t.Errorf("Nice %d: the program said %v; want nice %s", nice, on(evs, "main"), want)
		}
	}
}

// TestEscapedProcessesDie: processes a program starts outside its process
// group (a new session, or setsid after a double fork) end with the run,
// whether it finishes or is cancelled: the interpreter is the init of a
// PID namespace of its own.
func TestEscapedProcessesDie(t *testing.T) {
	p := needPython(t)
	requireIsolation(t)
	for _, cancelIt := range []bool{false, true} {
		token := fmt.Sprintf("asyncplay-escape-%d-%t", os.Getpid(), cancelIt)
		src := fmt.Sprintf(`import asyncio, os, subprocess, sys

TOKEN = %q
SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)", TOKEN]

def escaped():
    n = 0
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                n += TOKEN.encode() in f.read()
        except OSError:
            pass
    return n

async def main():
    subprocess.Popen(SLEEPER, start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, SLEEPER)
        os._exit(0)
    for _ in range(200):  # until both have started, 10 s at most
        if escaped() >= 2:
            break
        await asyncio.sleep(0.05)
    print("started")
    await asyncio.sleep(%d)

asyncio.run(main())
`, token, map[bool]int{false: 0, true: 30}[cancelIt])
		ctx, cancel := context.WithCancel(context.Background())
		var seen int
		err := p.Run(ctx, Program{Name: "escape.py", Source: []byte(src)}, Options{}, func(e timeline.Event) {
			if e.Kind == timeline.Log && e.Label == "started" {
				seen = len(withToken(token))
				if cancelIt {
					cancel()
				}
			}
		})
		cancel()
		if cancelIt != errors.Is(err, context.Canceled) {
			t.Errorf("cancel %t: Run = %v", cancelIt, err)
		}
		if seen != 2 {
			t.Fatalf("cancel %t: %d escaped processes running mid-run; want the 2 the program started (Isolated %t)", cancelIt, seen, Isolated())
		}
		deadline := time.Now().Add(2 * time.Second)
		for len(withToken(token)) > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if left := withToken(token); len(left) > 0 {
			for _, pid := range left {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Errorf("cancel %t: processes %v outlived the run (Isolated %t)", cancelIt, left, Isolated())
		}
	}
}

// TestProgramIsNotInit: in its PID namespace the program does not run as
// process 1, so a signal it sends itself does what it would anywhere (init
// would ignore it), and its death by that signal is reported as such.
func TestProgramIsNotInit(t *testing.T) {
	requireIsolation(t)
	src := "import asyncio, os, signal\n\nasync def main():\n    print('pid', os.getpid())\n    await asyncio.sleep(0.05)\n    os.kill(os.getpid(), signal.SIGTERM)\n    await asyncio.sleep(5)\n    print('still here')\n\nasyncio.run(main())\n"
	start := time.Now()
	evs, err := trace(t, Program{Name: "selfkill.py", Source: []byte(src)}, Options{})
	var pe *ProgramError
	if !errors.As(err, &pe) || pe.Signal != syscall.SIGTERM.String() || pe.ExitCode != -1 {
		t.Fatalf("Run = %#v; want a ProgramError for SIGTERM", err)
	}
	if strings.Contains(pe.Stderr, initSignalMark) {
		t.Errorf("Stderr = %q; want the init's line taken out", pe.Stderr)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Run took %v; want the program killed by its own signal at once", took)
	}
	for _, e := range evs {
		if e.Kind == timeline.Log && (e.Label == "pid 1" || e.Label == "still here") {
			t.Errorf("the program said %q", e.Label)
		}
	}
}

// requireIsolation skips a test of what PID namespaces do when this kernel
// will not make them for an interpreter (a container's seccomp policy, a
// sysctl), saying so; under CI, whose Debian makes them, it fails instead.
func requireIsolation(t *testing.T) {
	t.Helper()
	needPython(t)
	if runtime.GOOS == "linux" && !Isolated() {
		// Isolated turns false only once a run was refused: start one.
		trace(t, Program{Name: "probe.py", Source: []byte("import asyncio\nasyncio.run(asyncio.sleep(0))\n")}, Options{Virtual: true})
	}
	if Isolated() && runtime.GOOS == "linux" {
		return
	}
	msg := "SKIP: this machine will not start an interpreter in a PID namespace, so what a program starts in a new session can outlive its run"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	fmt.Fprintln(os.Stderr, msg)
	t.Skip(msg)
}

// TestInitTakesNoSIGINT: a program that sends SIGINT to its own process
// group (which init shares) gets its KeyboardInterrupt and cleans up; the
// namespace's init does not end, which would kill the program with it.
func TestInitTakesNoSIGINT(t *testing.T) {
	requireIsolation(t)
	src := "import asyncio, os, signal, time\n\ntry:\n    os.kill(0, signal.SIGINT)\n    time.sleep(2)\nexcept KeyboardInterrupt:\n    time.sleep(0.2)\n    print('cleaned up')\n\nasyncio.run(asyncio.sleep(0))\n"
	evs, err := trace(t, Program{Name: "sigint.py", Source: []byte(src)}, Options{})
	if err != nil {
		t.Fatalf("Run = %v; want the program to clean up and end well", err)
	}
	if _, ok := first(evs, "(no task)", timeline.Log, "cleaned up"); !ok {
		t.Errorf("the program did not say it cleaned up: %v", evs)
	}
}

// TestContextDeadlineIsTheRunsDeadline: with DeadlineSaid set, ctx's
// deadline passing before Deadline ends the run as its deadline does,
// naming DeadlineSaid and keeping the events so far.
func TestContextDeadlineIsTheRunsDeadline(t *testing.T) {
	p := needPython(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	src := []byte("import asyncio\n\nasync def main():\n    print('before')\n    await asyncio.sleep(30)\n\nasyncio.run(main())\n")
	var evs []timeline.Event
	err := p.Run(ctx, Program{Name: "late.py", Source: src}, Options{Deadline: 10 * time.Second, DeadlineSaid: 2 * time.Second}, func(e timeline.Event) { evs = append(evs, e) })
	if !errors.Is(err, ErrDeadline) || err.Error() != "the Python run took longer than 2s and was stopped" {
		t.Fatalf("Run = %v; want the deadline, named as DeadlineSaid", err)
	}
	if _, ok := first(evs, "main", timeline.Log, "before"); !ok {
		t.Errorf("the events before the deadline were dropped: %v", evs)
	}
}

func TestInitSignal(t *testing.T) {
	for _, tc := range []struct {
		in, rest string
		sig      syscall.Signal
		ok       bool
	}{
		{initSignalMark + "15\n", "", syscall.SIGTERM, true},
		{"Traceback...\n" + initSignalMark + "11\n", "Traceback...", syscall.SIGSEGV, true},
		{"print " + initSignalMark + "11\n", "print " + initSignalMark + "11\n", 0, false},
		{initSignalMark + "x\n", initSignalMark + "x\n", 0, false},
		{"nothing\n", "nothing\n", 0, false},
	} {
		rest, sig, ok := initSignal(tc.in)
		if rest != tc.rest || sig != tc.sig || ok != tc.ok {
			t.Errorf("initSignal(%q) = %q, %v, %t; want %q, %v, %t", tc.in, rest, sig, ok, tc.rest, tc.sig, tc.ok)
		}
	}
}

// withToken lists the live processes (not zombies) whose command line
// holds token.
func withToken(token string) []int {
	all, _ := Processes()
	var out []int
	for _, p := range all {
		if p.State == 'Z' || p.State == 'X' {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/cmdline")
		if err == nil && bytes.Contains(cmdline, []byte(token)) {
			out = append(out, p.PID)
		}
	}
	return out
}

func TestCancelKillsProcessGroup(t *testing.T) {
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip("needs sleep(1)")
	}
	p := needPython(t)
	src, _ := os.ReadFile("testdata/spawner.py")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pgid, child int
	var cancelled time.Time
	err := p.Run(ctx, Program{Name: "spawner.py", Source: src}, Options{}, func(e timeline.Event) {
		if e.Kind == timeline.Log && strings.HasPrefix(e.Label, "pids ") {
			f := strings.Fields(e.Label)
			pgid, _ = strconv.Atoi(f[1])
			child, _ = strconv.Atoi(f[2])
			cancelled = time.Now()
			cancel()
		}
	})
	if pgid == 0 {
		t.Fatalf("Run = %v before the program said its pids", err)
	}
	if took := time.Since(cancelled); took > time.Second {
		t.Errorf("Run returned %v after the cancel; want promptly", took)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v; want errors.Is(err, context.Canceled)", err)
	}
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill(-%d, 0) = %v; want ESRCH: the process group outlived the run", pgid, err)
	}
	if err := syscall.Kill(child, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill(%d, 0) = %v; want ESRCH: the child process outlived the run", child, err)
	}
}

// TestEventsAreNotOutput: the output limit counts what the program prints
// and writes to stderr, not the tracer's event lines, so a run with many
// events and no prints reaches the event cap, not "1 MiB of output" (it
// stopped at about 14,800 events when every event line counted).
func TestEventsAreNotOutput(t *testing.T) {
	src := `import asyncio

async def job(i):
    await asyncio.sleep(0.001 * (i % 7))

async def main():
    await asyncio.gather(*(job(i) for i in range(4500)))

asyncio.run(main())
`
	evs, err := trace(t, Program{Name: "many.py", Source: []byte(src)}, Options{Virtual: true, MaxEvents: DefaultMaxEvents})
	if err != nil {
		t.Fatalf("Run = %v; want no limit: the program printed nothing", err)
	}
	if len(evs) < 16000 {
		t.Fatalf("%d events; want over 16,000, past where event lines used to fill 1 MiB", len(evs))
	}
	// Prints still count: the same kind of program printing a line per
	// job stops at the output limit, with the message saying so.
	loud := strings.Replace(src, "await asyncio.sleep(0.001 * (i % 7))", "await asyncio.sleep(0.001 * (i % 7))\n    print('x' * 190)", 1)
	_, err = trace(t, Program{Name: "loud.py", Source: []byte(loud)}, Options{Virtual: true, MaxEvents: DefaultMaxEvents, MaxOutput: 256 << 10})
	if !errors.Is(err, ErrTooMuchOutput) {
		t.Fatalf("Run = %v; want the output limit", err)
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		opt     Options
		reason  error
		message string
	}{
		{"deadline", "import asyncio\nasyncio.run(asyncio.sleep(60))\n",
			Options{Deadline: 300 * time.Millisecond}, ErrDeadline,
			"the Python run took longer than 300ms and was stopped"},
		{"deadline virtual", "import time\ntime.sleep(60)\n",
			Options{Virtual: true, Deadline: 300 * time.Millisecond}, ErrDeadline,
			"the Python run took longer than 300ms and was stopped"},
		{"events", "for i in range(100000):\n    print(i)\n",
			Options{Virtual: true, MaxEvents: 50}, ErrTooManyEvents,
			"the Python run produced more than 50 events and was stopped"},
		{"output", "for i in range(100000):\n    print('x' * 150)\n",
			Options{Virtual: true, MaxOutput: 4 << 10}, ErrTooMuchOutput,
			"the Python run wrote more than 4 KiB of output and was stopped"},
		{"stderr", "import sys\nfor i in range(100000):\n    sys.stderr.write('y' * 1000)\n",
			Options{Virtual: true, MaxOutput: 1 << 20}, ErrTooMuchOutput,
			"the Python run wrote more than 1 MiB of output and was stopped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := trace(t, Program{Name: "limits.py", Source: []byte(tt.src)}, tt.opt)
			var le *LimitError
			if !errors.Is(err, tt.reason) || !errors.As(err, &le) || err.Error() != tt.message {
				t.Fatalf("Run = %v; want %q (errors.Is %v)", err, tt.message, tt.reason)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Run took %v; want it stopped promptly", took)
			}
		})
	}
}

// TestFakeTracer runs a shell script in the interpreter's place, to see how
// Run takes output no real tracer should write.
func TestFakeTracer(t *testing.T) {
	t.Parallel()
	const good = `{"t": 0, "lane": "main", "kind": "spawn"}`
	tests := []struct {
		name    string
		script  string
		wantBad string // the bad line Run should report; "" for no error
	}{
		{"bad line", "echo '" + good + "'\necho 'not an event'\nsleep 5\n", "not an event"},
		{"cut-off last line", "echo '" + good + "'\nprintf '{\"t\": 0, \"la'\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := filepath.Join(t.TempDir(), "python3")
			if err := os.WriteFile(fake, []byte("#!/bin/sh\ncat >/dev/null\n"+tt.script), 0o755); err != nil {
				t.Fatal(err)
			}
			var evs []timeline.Event
			start := time.Now()
			err := Python{Path: fake}.Run(context.Background(), Program{Source: []byte("pass")}, Options{}, func(e timeline.Event) {
				evs = append(evs, e)
			})
			if len(evs) != 1 || evs[0].Kind != timeline.Spawn {
				t.Errorf("events = %v; want the one good event", evs)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("Run took %v; want the fake stopped at once", took)
			}
			if tt.wantBad == "" {
				if err != nil {
					t.Errorf("Run = %v; want no error", err)
				}
				return
			}
			var be *BadOutputError
			if !errors.Is(err, ErrBadOutput) || !errors.As(err, &be) || be.Line != tt.wantBad {
				t.Errorf("Run = %v; want a BadOutputError for the line %q", err, tt.wantBad)
			}
		})
	}
}

// TestCompiledTracer: Find has the interpreter compile the tracer once, and
// a run loads that code rather than compiling the tracer again; a run whose
// interpreter no longer has the hexversion it was compiled by, or a Python
// that Find did not make, compiles the source and traces the same events.
func TestCompiledTracer(t *testing.T) {
	t.Parallel()
	p := needPython(t)
	if p.tracer == "" || p.hexversion == "" {
		t.Fatalf("Find() = %s %s with no compiled tracer", p.Path, p.Version)
	}
	// A stand-in for the compiled tracer that says it ran and fails.
	cmd := exec.Command(p.Path, "-I", "-c", `import marshal, sys
sys.stdout.buffer.write(marshal.dumps(compile("import sys\nsys.exit('stand-in ran')", "<string>", "exec")))`)
	standIn, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	prog := Program{Name: "semaphore.py", Source: mustRead(t, "testdata/semaphore.py")}
	run := func(p Python) ([]timeline.Event, error) {
		var evs []timeline.Event
		err := p.Run(context.Background(), prog, Options{Virtual: true}, func(e timeline.Event) { evs = append(evs, e) })
		return evs, err
	}

	loaded := p
	loaded.tracer = string(standIn)
	var pe *ProgramError
	if _, err := run(loaded); !errors.As(err, &pe) || !strings.Contains(pe.Stderr, "stand-in ran") {
		t.Fatalf("a run with a stand-in for the compiled tracer = %v; want it to run the stand-in", err)
	}

	want, err := run(p)
	if err != nil || len(want) == 0 {
		t.Fatalf("compiled: %v, %d events", err, len(want))
	}
	changed := loaded
	changed.hexversion = "1" // not this interpreter's: the stand-in is passed over
	fromSource := p
	fromSource.tracer, fromSource.hexversion = "", ""
	for name, q := range map[string]Python{"another hexversion": changed, "no compiled tracer": fromSource} {
		got, err := run(q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if untimed(got) != untimed(want) {
			t.Errorf("%s: events\n%s\nwant, as from the compiled tracer,\n%s", name, dump(got), dump(want))
		}
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "python3.8")
	if err := os.WriteFile(old, []byte("#!/bin/sh\necho 3.8.10\necho /usr/bin/python3.8\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env  string
		want []string
	}{
		{filepath.Join(dir, "missing"), []string{"ASYNCPLAY_PYTHON=", "cannot be run", "install python3 3.11 or later"}},
		{old, []string{"is Python 3.8.10", "needs 3.11 or later", "install python3 3.11 or later"}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.env), func(t *testing.T) {
			t.Setenv("ASYNCPLAY_PYTHON", tt.env)
			_, err := Find(context.Background())
			if !errors.Is(err, ErrNoPython) {
				t.Fatalf("Find() with ASYNCPLAY_PYTHON=%s = %v; want ErrNoPython", tt.env, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Find() = %q; want it to say %q", err, w)
				}
			}
		})
	}
	t.Run("found", func(t *testing.T) {
		p := needPython(t)
		if p.Path == "" || !strings.HasPrefix(p.Version, "3.") {
			t.Errorf("Find() = %+v; want a path and a 3.x version", p)
		}
	})
}

// TestRunningCountsInterpreters: Running counts an interpreter from its
// start until it has been reaped, whether its run ends cleanly or is
// cancelled; the server's asyncplay_python_processes reads it.
func TestRunningCountsInterpreters(t *testing.T) {
	p := needPython(t)
	if n := Running(); n != 0 {
		t.Fatalf("Running before any run = %d; want 0", n)
	}
	src := []byte("import asyncio\nprint('up')\nasyncio.run(asyncio.sleep(30))\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var during int64 = -1
	err := p.Run(ctx, Program{Name: "up.py", Source: src}, Options{}, func(e timeline.Event) {
		if e.Kind == timeline.Log && e.Label == "up" && during < 0 {
			during = Running()
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v; want it cancelled after the program said it was up", err)
	}
	if during != 1 {
		t.Errorf("Running while the program ran = %d; want 1", during)
	}
	if n := Running(); n != 0 {
		t.Errorf("Running after Run returned = %d; want 0", n)
	}
	if err := p.Run(context.Background(), Program{Name: "quick.py", Source: []byte("print('done')\n")}, Options{}, func(timeline.Event) {}); err != nil {
		t.Fatalf("a quick run: %v", err)
	}
	if n := Running(); n != 0 {
		t.Errorf("Running after a run that ended by itself = %d; want 0", n)
	}
}

// holdRunEnv makes this test binary a stand-in server (see holdRun).
const holdRunEnv = "ASYNCPLAY_PYRUN_HOLD"

// holdRun is the stand-in server of TestInterpreterDiesWithServer: it runs a
// program that sleeps for a minute, prints "pid P Q" once the program is up
// (P the program's pid and Q its parent's, as this machine's /proc numbers
// them), and waits to be killed.
func holdRun() {
	p, err := Find(context.Background())
	if err != nil {
		fmt.Println("no python:", err)
		os.Exit(1)
	}
	src := []byte("import asyncio, os\n" +
		"stat = open('/proc/self/stat').read()\n" +
		"print('pid', os.readlink('/proc/self'), stat[stat.rindex(')') + 2:].split()[1])\n" +
		"asyncio.run(asyncio.sleep(60))\n")
	p.Run(context.Background(), Program{Name: "hold.py", Source: src}, Options{Deadline: 60 * time.Second}, func(e timeline.Event) {
		if e.Kind == timeline.Log && strings.HasPrefix(e.Label, "pid ") {
			fmt.Println(e.Label)
		}
	})
	os.Exit(0)
}

// TestInterpreterDiesWithServer: a server killed outright (SIGKILL, an OOM
// kill) cannot kill its runs' interpreters itself; the kernel does, as
// ProcAttr asks, instead of leaving them running as orphans.
//
// The interpreter the server started is the program's own process, or, in
// a PID namespace, the namespace's init and the program's parent. Either
// way it is killed with its server and becomes an orphan, ours to reap
// (TestMain made this process a subreaper). A program under an init dies
// with the namespace, and init reaps it, not us.
func TestInterpreterDiesWithServer(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SKIP: only Linux kills a process when its parent dies (Pdeathsig)")
	}
	needPython(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	server := exec.Command(exe, "-test.run=^$")
	server.Env = append(os.Environ(), holdRunEnv+"=1")
	out, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
		io.Copy(io.Discard, out)
	}()
	var program, parent int
	select {
	case l := <-line:
		if _, err := fmt.Sscanf(l, "pid %d %d", &program, &parent); err != nil {
			server.Process.Kill()
			server.Wait()
			t.Fatalf("the stand-in server said %q; want its program's pid and its parent's", l)
		}
	case <-time.After(30 * time.Second):
		server.Process.Kill()
		server.Wait()
		t.Fatal("the stand-in server's program did not say its pid within 30 s")
	}
	interpreter := program
	if parent != server.Process.Pid {
		interpreter = parent // the namespace's init
		t.Logf("the program (pid %d) runs under its namespace's init (pid %d)", program, interpreter)
	}
	server.Process.Kill()
	server.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", interpreter))
		if err != nil {
			t.Fatalf("the interpreter (pid %d) is gone without being reaped by us, its subreaper: %v", interpreter, err)
		}
		if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) > 0 && f[0] == "Z" {
			var ws syscall.WaitStatus
			if _, err := syscall.Wait4(interpreter, &ws, 0, nil); err != nil {
				t.Fatalf("reaping the orphaned interpreter (pid %d): %v", interpreter, err)
			}
			if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Errorf("the orphaned interpreter ended with %v; want killed by SIGKILL", ws)
			}
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(interpreter, syscall.SIGKILL)
			t.Fatalf("the interpreter (pid %d) was still running 10 s after its server was killed", interpreter)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if program != interpreter {
		// A namespace's init ends only once everything in it has been
		// reaped, so the program is gone by now.
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", program)); err == nil {
			syscall.Kill(program, syscall.SIGKILL)
			t.Errorf("the program (pid %d) outlived its interpreter, the namespace's init", program)
		}
	}
}

// TestBlockedCountsTheProgramNotTheMachine: on a CPU shared with busy
// processes, a step of 3 ms of work can take 60 ms while it waits for the
// CPU; that is the machine, not the program holding the loop, so it is
// not reported as blocked (before, every such step was). The program's own
// time.sleep still is.
func TestBlockedCountsTheProgramNotTheMachine(t *testing.T) {
	if _, err := os.Stat("/proc/thread-self/schedstat"); err != nil {
		t.Skipf("SKIP: no /proc/thread-self/schedstat (Linux's), so the tracer cannot tell waiting for a CPU apart: %v", err)
	}
	p := needPython(t)
	out, err := exec.Command(p.Path, "-c", "import os; print(min(os.sched_getaffinity(0)))").Output()
	cpu, convErr := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || convErr != nil {
		t.Fatalf("which CPU may this test use? %v %v %q", err, convErr, out)
	}
	// Two processes spinning on that CPU, where the program pins itself.
	for range 2 {
		hog := exec.Command(p.Path, "-c", fmt.Sprintf("import os\nos.sched_setaffinity(0, {%d})\nwhile True: pass", cpu))
		if err := hog.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { hog.Process.Kill(); hog.Wait() })
	}
	// At niceness 12 against two spinning processes the program gets a few
	// percent of the CPU: each 4 ms step takes 100 ms or so.
	evs, err := trace(t, Program{Name: "crowded.py", Source: mustRead(t, "testdata/crowded.py"), Set: map[string]any{"CPU": cpu}}, Options{Nice: 12})
	if err != nil {
		t.Fatalf("%v\n%s", err, dump(evs))
	}
	var waited int
	for _, e := range on(evs, "main") {
		if n, ok := strings.CutPrefix(e.Label, "waited "); ok && e.Kind == timeline.Log {
			waited, _ = strconv.Atoi(n)
		}
	}
	if waited == 0 {
		t.Fatalf("no step of the program waited past 60 ms for the CPU, so this proves nothing\n%s", dump(evs))
	}
	var blocked []timeline.Event
	for _, e := range evs {
		if e.Kind == timeline.Blocked {
			blocked = append(blocked, e)
		}
	}
	if len(blocked) != 1 || blocked[0].Line != 23 || blocked[0].Dur < sec(0.12) {
		t.Errorf("blocked events %v; want only the time.sleep(0.12) on line 23 (%d steps waited for the CPU)", blocked, waited)
	}
}

// TestProcessesFindsAChild: Processes, which killGroup and the tests'
// leak checks read, sees a child of this process with its parent, group
// and state, and stops seeing it once it is reaped.
func TestProcessesFindsAChild(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skipf("SKIP: no /proc here (%v); Processes lists nothing", err)
	}
	child := exec.Command("sleep", "30")
	child.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	find := func() (Process, bool) {
		all, err := Processes()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range all {
			if p.PID == child.Process.Pid {
				return p, true
			}
		}
		return Process{}, false
	}
	p, ok := find()
	if !ok || p.PPID != os.Getpid() || p.PGID != child.Process.Pid || p.State == 'Z' || p.State == 'X' {
		t.Errorf("Processes gave %+v (found %t); want pid %d, parent %d, its own group, alive", p, ok, child.Process.Pid, os.Getpid())
	}
	child.Process.Kill()
	child.Wait()
	if p, ok := find(); ok {
		t.Errorf("Processes still lists the reaped child: %+v", p)
	}
}
