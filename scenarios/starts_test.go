package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// TestGoStartsTakeTurns: with room for one Go worker starting at a time,
// three runs arriving together start their workers one after another, each
// once the one before has written its first event. The stand-in worker
// takes 300 ms to write it, then runs on for 1.5 s: without the limit all
// three would write theirs at about the same moment, and with a place held
// to the worker's end they would come 1.8 s apart.
func TestGoStartsTakeTurns(t *testing.T) {
	r := shWorker(t, "sleep 0.3; echo EVENT; sleep 1.5")
	r.GoStarts = make(chan struct{}, 1)
	firsts := firstEvents(t, r, 3)
	for i := 1; i < len(firsts); i++ {
		if gap := firsts[i].Sub(firsts[i-1]); gap < 250*time.Millisecond || gap > 1200*time.Millisecond {
			t.Errorf("first events %v apart; want a worker's start-up (300 ms) between them, and not its whole run", gap)
		}
	}
	if len(r.GoStarts) != 0 {
		t.Errorf("%d places still taken after every run ended", len(r.GoStarts))
	}
}

// TestSlowStartGivesUpItsPlace: a process slow to its first event keeps its
// place for StartHold at most, so the next run starts then, not when the
// slow one gets going.
func TestSlowStartGivesUpItsPlace(t *testing.T) {
	r := shWorker(t, "sleep 0.8; echo EVENT")
	r.GoStarts, r.StartHold = make(chan struct{}, 1), 200*time.Millisecond
	firsts := firstEvents(t, r, 2)
	// Held to the first event, the second would start 0.8 s after the
	// first and write 0.8 s after it; given up after 0.2 s, 0.2 s after.
	if gap := firsts[1].Sub(firsts[0]); gap > 550*time.Millisecond {
		t.Errorf("first events %v apart; want the second run started after the 200 ms hold, not after the first's start-up", gap)
	}
}

// shWorker is a runner whose Go worker is a shell script, in which EVENT
// stands for one event line.
func shWorker(t *testing.T, script string) *Runner {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("SKIP: needs /bin/sh")
	}
	ev, err := json.Marshal(timeline.Event{Lane: "main", Kind: timeline.Spawn, Label: "main"})
	if err != nil {
		t.Fatal(err)
	}
	script = strings.ReplaceAll(script, "EVENT", "'"+string(ev)+"'")
	return &Runner{GoWorker: []string{"/bin/sh", "-c", script, "sh"}, NoPython: errors.New("no")}
}

// firstEvents runs n runs at once and gives the times their Go sides wrote
// their first events, earliest first.
func firstEvents(t *testing.T, r *Runner, n int) []time.Time {
	t.Helper()
	var mu sync.Mutex
	var firsts []time.Time
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			var once sync.Once
			if _, err := runGoSide(t, context.Background(), r, Default().Get("semaphore"), nil, func(timeline.Event) {
				once.Do(func() { mu.Lock(); firsts = append(firsts, time.Now()); mu.Unlock() })
			}); err != nil {
				t.Errorf("Go side ended with %v", err)
			}
		})
	}
	wg.Wait()
	if len(firsts) != n {
		t.Fatalf("%d runs wrote a first event; want %d", len(firsts), n)
	}
	slices.SortFunc(firsts, func(a, b time.Time) int { return a.Compare(b) })
	return firsts
}

// TestWaitingToStartEndsAtTheDeadline: a run whose turn to start does not
// come before its deadline ends each side with an error that says so, and
// starts no process; one cancelled while it waits says it was cancelled.
func TestWaitingToStartEndsAtTheDeadline(t *testing.T) {
	goStarts, pyStarts := make(chan struct{}, 1), make(chan struct{}, 1)
	goStarts <- struct{}{} // both places taken by runs that never start
	pyStarts <- struct{}{}
	r := &Runner{
		// Neither exists: a start that got past the wait would fail saying so.
		GoWorker: []string{"/nonexistent/asyncplay", WorkerCommand},
		Python:   &pyrun.Python{Path: "/nonexistent/python3", Version: "3.13.0"},
		Deadline: 150 * time.Millisecond, GoStarts: goStarts, PythonStarts: pyStarts,
		WaitingToStart: new(atomic.Int64),
	}
	s := Default().Get("semaphore")
	v, _ := s.Parse(nil)
	sink := &endSink{}
	start := time.Now()
	r.Run(context.Background(), s, v, sink)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %v; want it to end at the 150 ms deadline", took)
	}
	for _, rt := range []Runtime{Go, Python} {
		err := sink.ends[rt]
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "still waiting to start at its deadline") {
			t.Errorf("%s side ended with %v; want it still waiting to start at its deadline", rt, err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan error, 1)
	go func() {
		_, err := r.WaitToStart(ctx, Python)
		started <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); r.WaitingToStart.Load() != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d processes counted waiting to start after 5 s; want 1", r.WaitingToStart.Load())
		}
	}
	select {
	case err := <-started:
		t.Fatalf("WaitToStart returned %v with no place free", err)
	default:
	}
	cancel()
	if err := <-started; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "Python run was cancelled before it started") {
		t.Errorf("WaitToStart after cancel = %v; want the Python run cancelled before it started", err)
	}

	if n := r.WaitingToStart.Load(); n != 0 {
		t.Errorf("%d processes counted waiting to start after the wait ended; want 0", n)
	}
	// A place given back lets the next start; giving it back twice frees
	// no second place.
	<-goStarts
	done, err := r.WaitToStart(context.Background(), Go)
	if err != nil {
		t.Fatal(err)
	}
	done()
	done()
	if len(goStarts) != 0 {
		t.Errorf("%d Go places taken after the only one was given back", len(goStarts))
	}
}

// endSink keeps how each side ended.
type endSink struct {
	mu   sync.Mutex
	ends map[Runtime]error
}

func (s *endSink) Event(Runtime, timeline.Event) {}

func (s *endSink) End(rt Runtime, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ends == nil {
		s.ends = map[Runtime]error{}
	}
	s.ends[rt] = err
}

// requirePython finds python3 >= 3.11, or skips the test saying what to
// install (fails it under CI, which must not pass by skipping).
func requirePython(t *testing.T) pyrun.Python {
	t.Helper()
	py, err := pyrun.Find(context.Background())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs python3 >= 3.11 (apt-get install python3): %v", err)
		}
		t.Skipf("SKIP: needs python3 >= 3.11 (apt-get install python3): %v", err)
	}
	return py
}

// TestPythonSlotsCapInterpreters: with room for one interpreter, two runs
// at once run their Python sides one after the other (never two alive at
// once, both finished), while their Go sides need no place; a run whose
// place does not come before its deadline says so.
func TestPythonSlotsCapInterpreters(t *testing.T) {
	py := requirePython(t)
	r := &Runner{Python: &py, PythonSlots: make(chan struct{}, 1), WaitingToStart: new(atomic.Int64)}
	s := Default().Get("semaphore")
	v, probs := s.Parse(map[string][]string{"downloads": {"2"}, "limit": {"1"}, "delays": {"0.2,0.2"}})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	var most, waited atomic.Int64
	watching, stop := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watching)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if n := pyrun.Running(); n > most.Load() {
				most.Store(n)
			}
			if r.WaitingToStart.Load() > 0 {
				waited.Store(1)
			}
		}
	}()
	sinks := []*endSink{{}, {}}
	var wg sync.WaitGroup
	for _, sink := range sinks {
		wg.Go(func() { r.Run(context.Background(), s, v, sink) })
	}
	wg.Wait()
	close(stop)
	<-watching
	for i, sink := range sinks {
		for _, rt := range []Runtime{Go, Python} {
			if err, ok := sink.ends[rt]; !ok || err != nil {
				t.Errorf("run %d: %s side ended with %v (ended: %v); want it finished", i, rt, err, ok)
			}
		}
	}
	if n := most.Load(); n != 1 {
		t.Errorf("at most %d interpreters alive at once; want 1, the cap", n)
	}
	if waited.Load() == 0 {
		t.Error("no Python side was ever counted waiting for its place")
	}
	if len(r.PythonSlots) != 0 {
		t.Errorf("%d places still taken after both runs ended", len(r.PythonSlots))
	}

	r.PythonSlots <- struct{}{} // taken by a run that never ends
	r.Deadline = 200 * time.Millisecond
	sink := &endSink{}
	r.Run(context.Background(), s, v, sink)
	if err := sink.ends[Python]; !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "waiting for one of the server's 1 interpreters") {
		t.Errorf("Python side with no interpreter free = %v; want it still waiting for one at its deadline", err)
	}
}
