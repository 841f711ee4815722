package scenarios

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/semaphore"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// testScenario is a shipped scenario (for the files validation wants) with
// another id and Go side.
func testScenario(id string, goSide func(context.Context, *timeline.Recorder, scenario.Values) error) *scenario.Scenario {
	s := semaphore.Scenario
	s.ID = id
	s.Go = goSide
	return &s
}

// sayPid starts the main lane and logs the process id, so a test can look
// for the worker afterwards.
func sayPid(run *timeline.Recorder) *timeline.Lane {
	main := run.Lane("main", "main")
	main.Log("pid %d", os.Getpid())
	return main
}

// The scenarios the worker tests run; only a worker (this test binary,
// started by the tests) has them in its registry.
var (
	panicsInGoroutine = testScenario("test-panic-goroutine", func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		main := sayPid(run)
		main.Log("before the panic")
		var wg sync.WaitGroup
		wg.Go(func() {
			panic("boom in a goroutine\nand a second line")
		})
		wg.Wait()
		main.Done()
		return nil
	})
	neverReturns = testScenario("test-never-returns", func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		sayPid(run)
		for {
			time.Sleep(time.Hour) // deaf to ctx: only a kill ends it
		}
	})
	floods = testScenario("test-floods", func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		main := sayPid(run)
		for i := 0; ; i++ {
			main.Log("event %d", i)
		}
	})
	fails = testScenario("test-fails", func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		sayPid(run)
		return errors.New("the scenario failed\non purpose")
	})
	sleeps = testScenario("test-sleeps", func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return sayPid(run).Sleep(ctx, time.Minute)
	})
)

func workerTestRegistry() *Registry {
	r, err := New(append(all(), panicsInGoroutine, neverReturns, floods, fails, sleeps)...)
	if err != nil {
		panic(err)
	}
	return r
}

// workerRunner runs the Go side in workers that are this test binary.
func workerRunner(t testing.TB) *Runner {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	return &Runner{GoWorker: []string{exe, WorkerCommand}, NoPython: errors.New("not in these tests")}
}

// goSink keeps the Go side's events and end.
type goSink struct {
	mu      sync.Mutex
	events  []timeline.Event
	end     error
	ended   bool
	onEvent func(timeline.Event)
}

func (s *goSink) Event(rt Runtime, e timeline.Event) {
	if rt != Go {
		return
	}
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
	if s.onEvent != nil {
		s.onEvent(e)
	}
}

func (s *goSink) End(rt Runtime, err error) {
	if rt != Go {
		return
	}
	s.mu.Lock()
	s.end, s.ended = err, true
	s.mu.Unlock()
}

// runGoSide runs s with its default parameters (or q) and gives the Go
// side's events and end.
func runGoSide(t *testing.T, ctx context.Context, r *Runner, s *scenario.Scenario, q url.Values, onEvent func(timeline.Event)) ([]timeline.Event, error) {
	t.Helper()
	v, probs := s.Parse(q)
	if len(probs) > 0 {
		t.Fatalf("%s.Parse(%v): %v", s.ID, q, probs)
	}
	sink := &goSink{onEvent: onEvent}
	r.Run(ctx, s, v, sink)
	if !sink.ended {
		t.Fatal("Run returned before the Go side ended")
	}
	return sink.events, sink.end
}

// pidOf finds the worker's process id in its "pid N" log.
func pidOf(t *testing.T, events []timeline.Event) int {
	t.Helper()
	for _, e := range events {
		if p, ok := strings.CutPrefix(e.Label, "pid "); ok && e.Kind == timeline.Log {
			pid, _ := strconv.Atoi(p)
			if pid > 0 && pid != os.Getpid() {
				return pid
			}
		}
	}
	t.Fatalf("no pid logged by the worker in %d events", len(events))
	return 0
}

// checkGone fails unless the worker pid, its process group and any other
// child of this process are gone (reaped, not zombies).
func checkGone(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill(%d, 0) = %v; want ESRCH: the worker outlived its run (or was not reaped)", pid, err)
	}
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill(-%d, 0) = %v; want ESRCH: the worker's process group outlived the run", pid, err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		t.Errorf("/proc/%d still exists after the run", pid)
	}
	if kids := childrenOf(os.Getpid()); len(kids) > 0 {
		t.Errorf("child processes left after the run: %v", kids)
	}
}

// childrenOf lists the processes whose parent is ppid, from /proc.
func childrenOf(ppid int) []int {
	all, _ := pyrun.Processes()
	var out []int
	for _, p := range all {
		if p.PPID == ppid {
			out = append(out, p.PID)
		}
	}
	return out
}

func TestWorkerPanicInGoroutine(t *testing.T) {
	events, err := runGoSide(t, context.Background(), workerRunner(t), panicsInGoroutine, nil, nil)
	if !errors.Is(err, ErrPanic) {
		t.Fatalf("Go side ended with %v; want ErrPanic", err)
	}
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Go side ended with %T; want a *PanicError", err)
	}
	if want := "the Go code panicked: boom in a goroutine"; err.Error() != want {
		t.Errorf("error = %q; want %q (the value's first line, no stack)", err.Error(), want)
	}
	if !strings.Contains(pe.Stack, "goroutine ") || !strings.Contains(pe.Stack, "worker_test.go") {
		t.Errorf("Stack = %q; want the runtime's report of the goroutine", pe.Stack)
	}
	if !slices.ContainsFunc(events, func(e timeline.Event) bool { return e.Label == "before the panic" }) {
		t.Errorf("the events before the panic did not arrive: %v", events)
	}
	checkGone(t, pidOf(t, events))
}

func TestWorkerKilledAtDeadline(t *testing.T) {
	r := workerRunner(t)
	r.Deadline = 700 * time.Millisecond
	start := time.Now()
	events, err := runGoSide(t, context.Background(), r, neverReturns, nil, nil)
	if took := time.Since(start); took > r.Deadline+3*time.Second {
		t.Errorf("Run took %v with a deadline of %v", took, r.Deadline)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "took longer than 700ms") {
		t.Errorf("Go side ended with %v; want the deadline, said plainly", err)
	}
	checkGone(t, pidOf(t, events))
}

// TestWorkerDeadlineEndsLanes: at the run's deadline a worker's lanes end
// as they do in process, timed out and cancelled, before the side ends
// with the deadline said plainly.
func TestWorkerDeadlineEndsLanes(t *testing.T) {
	r := workerRunner(t)
	r.Deadline = 600 * time.Millisecond
	q := url.Values{"downloads": {"3"}, "limit": {"1"}, "delays": {"5,5,5"}}
	events, err := runGoSide(t, context.Background(), r, Default().Get("semaphore"), q, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "took longer than 600ms") {
		t.Errorf("Go side ended with %v; want the deadline, said plainly", err)
	}
	checkLanesTimedOut(t, events)
}

// checkLanesTimedOut fails unless some lanes ended timed out and cancelled,
// as they do in process at the deadline.
func checkLanesTimedOut(t *testing.T, events []timeline.Event) {
	t.Helper()
	ended := map[timeline.Kind]int{}
	for _, e := range events {
		if e.Kind == timeline.Timeout || e.Kind == timeline.Cancelled {
			ended[e.Kind]++
		}
	}
	if ended[timeline.Timeout] == 0 || ended[timeline.Cancelled] == 0 {
		t.Errorf("lanes ended at the deadline: %v; want timeouts and cancellations, as in process", ended)
	}
}

// TestWorkerDeadlineAfterWaitingToStart: a worker that waited its turn to
// start keeps what is left of the run's deadline, not the whole of it, so
// its lanes still end timed out and cancelled at the run's deadline. The
// wait (1.6 s) is longer than the grace a worker gets past the deadline.
func TestWorkerDeadlineAfterWaitingToStart(t *testing.T) {
	r := workerRunner(t)
	r.Deadline = 2500 * time.Millisecond
	r.GoStarts = make(chan struct{}, 1)
	r.GoStarts <- struct{}{}
	time.AfterFunc(1600*time.Millisecond, func() { <-r.GoStarts })
	q := url.Values{"downloads": {"3"}, "limit": {"1"}, "delays": {"5,5,5"}}
	events, err := runGoSide(t, context.Background(), r, Default().Get("semaphore"), q, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "took longer than 2.5s") {
		t.Errorf("Go side ended with %v; want the deadline, said plainly", err)
	}
	checkLanesTimedOut(t, events)
}

// TestDeadlineToTheMillisecond: a run's deadline that is not whole seconds
// is kept as given, in a worker and in process: the Go side ends at it
// (not at the whole second before, as when the time left was cut to whole
// seconds), and ends saying it, even when the scenario took the deadline
// for its own timeout and returned nothing.
func TestDeadlineToTheMillisecond(t *testing.T) {
	q := url.Values{"work": {"10000"}, "timeout": {"10000"}}
	for _, worker := range []bool{true, false} {
		r := &Runner{NoPython: errors.New("not in these tests")}
		if worker {
			r = workerRunner(t)
		}
		r.Deadline = 1500 * time.Millisecond
		events, err := runGoSide(t, context.Background(), r, Default().Get("timeouts"), q, nil)
		var de *DeadlineError
		if !errors.As(err, &de) || !errors.Is(err, context.DeadlineExceeded) || err.Error() != "the Go run took longer than 1.5s and was stopped" {
			t.Errorf("worker %t: Go side ended with %v; want the 1.5s deadline, said plainly", worker, err)
		}
		var last time.Duration
		for _, e := range events {
			last = max(last, e.At)
		}
		if last < 1400*time.Millisecond {
			t.Errorf("worker %t: the last event is at %v; want the lanes to run to the deadline, 1.5s", worker, last)
		}
	}
}

// TestPythonDeadlineSaid: the Python side of a run that waited its turn to
// start stops at the run's deadline and names the deadline the run was
// given, not what was left of it when the interpreter started.
func TestPythonDeadlineSaid(t *testing.T) {
	py := requirePython(t)
	r := &Runner{Python: &py, Deadline: 1500 * time.Millisecond, PythonStarts: make(chan struct{}, 1)}
	r.PythonStarts <- struct{}{}
	time.AfterFunc(300*time.Millisecond, func() { <-r.PythonStarts })
	s := Default().Get("timeouts")
	v, probs := s.Parse(url.Values{"work": {"10000"}, "timeout": {"10000"}})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	sink := &endSink{}
	start := time.Now()
	r.Run(context.Background(), s, v, sink)
	took := time.Since(start)
	if err := sink.ends[Python]; !errors.Is(err, pyrun.ErrDeadline) || err.Error() != "the Python run took longer than 1.5s and was stopped" {
		t.Errorf("Python side ended with %v; want the 1.5s deadline, said plainly", err)
	}
	if took < 1400*time.Millisecond || took > 3*time.Second {
		t.Errorf("the run took %v; want it stopped at its 1.5s deadline", took)
	}
}

func TestWorkerCancelledMidRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled atomic.Int64
	events, err := runGoSide(t, ctx, workerRunner(t), neverReturns, nil, func(e timeline.Event) {
		if strings.HasPrefix(e.Label, "pid ") {
			cancelled.Store(time.Now().UnixNano())
			cancel()
		}
	})
	if cancelled.Load() == 0 {
		t.Fatalf("Go side ended with %v before the worker logged its pid", err)
	}
	if took := time.Since(time.Unix(0, cancelled.Load())); took > 2*time.Second {
		t.Errorf("Run returned %v after the cancel; want promptly", took)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Go side ended with %v; want errors.Is(err, context.Canceled)", err)
	}
	checkGone(t, pidOf(t, events))
}

// TestWorkerSleepsPrecisely: a worker's lanes sleep on a timerfd (see
// timeline.Recorder.SleepPrecisely); the Go runtime itself keeps none.
func TestWorkerSleepsPrecisely(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SKIP: timerfd is Linux's; elsewhere a worker sleeps on the runtime's timers")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var found atomic.Bool
	events, _ := runGoSide(t, ctx, workerRunner(t), sleeps, nil, func(e timeline.Event) {
		p, ok := strings.CutPrefix(e.Label, "pid ")
		if !ok {
			return
		}
		defer cancel()
		dir := "/proc/" + p + "/fd"
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !found.Load(); time.Sleep(5 * time.Millisecond) {
			ents, _ := os.ReadDir(dir)
			for _, ent := range ents {
				if target, _ := os.Readlink(dir + "/" + ent.Name()); target == "anon_inode:[timerfd]" {
					found.Store(true)
				}
			}
		}
	})
	if !found.Load() {
		t.Error("the worker sleeping in a lane had no timerfd open")
	}
	checkGone(t, pidOf(t, events))
}

func TestWorkerEventCap(t *testing.T) {
	r := workerRunner(t)
	r.MaxEvents = 50
	start := time.Now()
	events, err := runGoSide(t, context.Background(), r, floods, nil, nil)
	if !errors.Is(err, timeline.ErrTooManyEvents) {
		t.Errorf("Go side ended with %v; want ErrTooManyEvents", err)
	}
	if len(events) != 50 {
		t.Errorf("%d events reached the sink; want the cap, 50", len(events))
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Run took %v; want the worker stopped at the cap", took)
	}
	checkGone(t, pidOf(t, events))
}

func TestWorkerScenarioError(t *testing.T) {
	events, err := runGoSide(t, context.Background(), workerRunner(t), fails, nil, nil)
	if err == nil || err.Error() != "the scenario failed\non purpose" {
		t.Errorf("Go side ended with %v; want the scenario's own error", err)
	}
	checkGone(t, pidOf(t, events))
}

// TestWorkerRunsShippedScenario runs a real scenario through a worker: it
// reports the same events as in this process, the live-worker count goes
// up while it runs and back to zero, and the worker is reaped.
func TestWorkerRunsShippedScenario(t *testing.T) {
	s := Default().Get("semaphore")
	q := url.Values{"downloads": {"3"}, "limit": {"2"}, "delays": {"0.1,0.2,0.1"}}
	r := workerRunner(t)
	var live atomic.Int64
	r.LiveWorkers = &live
	var most atomic.Int64
	viaWorker, err := runGoSide(t, context.Background(), r, s, q, func(timeline.Event) {
		most.Store(max(most.Load(), live.Load()))
	})
	if err != nil {
		t.Fatalf("Go side through a worker = %v; want a clean finish", err)
	}
	if most.Load() != 1 || live.Load() != 0 {
		t.Errorf("live workers: %d during the run, %d after; want 1 and 0", most.Load(), live.Load())
	}
	here, err := runGoSide(t, context.Background(), &Runner{NoPython: errors.New("no")}, s, q, nil)
	if err != nil {
		t.Fatalf("Go side in this process = %v", err)
	}
	key := func(events []timeline.Event) []string {
		var out []string
		for _, e := range events {
			out = append(out, fmt.Sprintf("%s %s %q %d %d %v", e.Lane, e.Kind, e.Label, e.Line, e.Value, e.Dur))
		}
		slices.Sort(out)
		return out
	}
	if a, b := key(viaWorker), key(here); !slices.Equal(a, b) {
		t.Errorf("events through a worker differ from those in this process:\nworker:\n%s\nhere:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	last := viaWorker[len(viaWorker)-1]
	if last.At < 200*time.Millisecond || last.At > 2*time.Second {
		t.Errorf("last event at %v; want about 0.3 s after the worker started", last.At)
	}
	if kids := childrenOf(os.Getpid()); len(kids) > 0 {
		t.Errorf("child processes left after the run: %v", kids)
	}
}

// TestRunWorker calls the worker's body in this process: it writes one
// JSON event per line, and refuses bad arguments with one line on stderr.
func TestRunWorker(t *testing.T) {
	var out, errOut bytes.Buffer
	err := RunWorker(context.Background(), Default(), []string{"-max-events", "100", "semaphore", "downloads=1&limit=1&delays=0.1"}, &out, &errOut)
	if err != nil || errOut.Len() > 0 {
		t.Fatalf("RunWorker = %v, stderr %q; want a clean run", err, errOut.String())
	}
	sc := bufio.NewScanner(&out)
	var kinds []timeline.Kind
	for sc.Scan() {
		var e timeline.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		kinds = append(kinds, e.Kind)
	}
	if len(kinds) < 4 || kinds[0] != timeline.Spawn || !slices.Contains(kinds, timeline.Acquire) || kinds[len(kinds)-1] != timeline.Done {
		t.Errorf("kinds = %v; want a spawn first, an acquire, a done last", kinds)
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no args", nil, "want a scenario id"},
		{"unknown scenario", []string{"nope", ""}, `no scenario "nope"`},
		{"bad parameter", []string{"semaphore", "limit=999"}, "limit"},
		{"bad flag", []string{"-frobnicate", "semaphore", ""}, "frobnicate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := RunWorker(context.Background(), Default(), tt.args, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("RunWorker(%q) = %v; want an error about %q", tt.args, err, tt.want)
			}
			line := strings.TrimSuffix(errOut.String(), "\n")
			if !strings.HasPrefix(line, workerErrPrefix) || strings.Contains(line, "\n") || out.Len() > 0 {
				t.Errorf("RunWorker(%q) wrote stdout %q, stderr %q; want one %q line on stderr only", tt.args, out.String(), errOut.String(), workerErrPrefix)
			}
		})
	}
}

// TestWorkerFailures starts workers that misbehave in other ways: each
// ends the Go side with an error that says what happened.
func TestWorkerFailures(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("SKIP: needs /bin/sh")
	}
	for _, tt := range []struct {
		name, script string
		check        func(error) bool
		want         string
	}{
		{"exit status", "echo 'something broke' >&2; exit 3",
			func(err error) bool { var we *WorkerError; return errors.As(err, &we) && we.ExitCode == 3 },
			"the Go worker failed (exit status 3): something broke"},
		{"fatal error", "printf 'fatal error: all goroutines are asleep - deadlock!\\n\\ngoroutine 1 [chan receive]:\\n' >&2; exit 2",
			func(err error) bool { return !errors.Is(err, ErrPanic) },
			"the Go worker failed (exit status 2): fatal error: all goroutines are asleep - deadlock!"},
		{"signal", "kill -9 $$",
			func(err error) bool { var we *WorkerError; return errors.As(err, &we) && we.Signal == "killed" },
			"the Go worker was killed by a signal (killed)"},
		{"not an event", "echo 'hello there'",
			func(err error) bool { return err != nil },
			`the Go worker wrote a line that is not an event`},
		{"panic", "printf 'panic: runtime error: index out of range [3] with length 3\\n\\ngoroutine 7 [running]:\\nmain.f()\\n' >&2; exit 2",
			func(err error) bool { return errors.Is(err, ErrPanic) },
			"the Go code panicked: runtime error: index out of range [3] with length 3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// sh -c SCRIPT sh ARGS...: the runner's arguments land in $@.
			r := &Runner{GoWorker: []string{"/bin/sh", "-c", tt.script, "sh"}, NoPython: errors.New("no")}
			_, err := runGoSide(t, context.Background(), r, Default().Get("semaphore"), nil, nil)
			if err == nil || !tt.check(err) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Go side ended with %#v (%v); want %q", err, err, tt.want)
			}
			if kids := childrenOf(os.Getpid()); len(kids) > 0 {
				t.Errorf("child processes left after the run: %v", kids)
			}
		})
	}
}

// TestInProcessPanic: without a worker, a panic on the scenario's own
// goroutine is still recovered, with the same error.
func TestInProcessPanic(t *testing.T) {
	s := testScenario("test-panic-here", func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		panic(fmt.Errorf("boom here\nmore"))
	})
	_, err := runGoSide(t, context.Background(), &Runner{NoPython: errors.New("no")}, s, nil, nil)
	var pe *PanicError
	if !errors.As(err, &pe) || err.Error() != "the Go code panicked: boom here" || !strings.Contains(pe.Stack, "worker_test.go") {
		t.Errorf("Go side ended with %v; want a PanicError naming the value, the stack apart", err)
	}
}
