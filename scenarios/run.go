package scenarios

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// Runtime names one side of a run.
type Runtime string

// The two runtimes, in the order the page shows them.
const (
	Python Runtime = "python"
	Go     Runtime = "go"
)

// Runtimes lists both, Python first (the page draws CPython above Go).
var Runtimes = []Runtime{Python, Go}

// Sink receives a run's events as they happen. Event and End are called from
// the runtime's own goroutine; calls for one runtime come in order, calls for
// the two runtimes interleave.
type Sink interface {
	Event(rt Runtime, e timeline.Event)
	// End is called once per runtime when it has finished; err says why it
	// stopped early (nil for a clean finish).
	End(rt Runtime, err error)
}

// Runner starts scenarios on both runtimes.
type Runner struct {
	// Python is the interpreter for the Python side; nil when the server has
	// none, and then NoPython says why.
	Python   *pyrun.Python
	NoPython error
	// Limits for one run (zero: the defaults below).
	Deadline  time.Duration
	MaxEvents int
	// Virtual runs the Python side on the tracer's virtual clock (tests).
	Virtual bool
	// GoWorker, when set, is the command line that starts a Go worker (the
	// asyncplay binary and WorkerCommand; see RunWorker). Each run's Go
	// side then runs in a process of its own, as the Python side does, so
	// that a panic on any goroutine the scenario starts ends that run and
	// not this process. Nil runs the Go side in this process, where only
	// a panic on the goroutine that calls the scenario is recovered (the
	// scenarios' own tests).
	GoWorker []string
	// LiveWorkers, when set, counts the Go worker processes running now.
	LiveWorkers *atomic.Int64
	// PythonNice, from 1 to 19, is the niceness of each run's Python
	// interpreter (see pyrun.Lower); 0 leaves it at this process's. A Go
	// worker keeps this process's priority: it costs a fraction of an
	// interpreter, and its timing is half of what a run shows.
	PythonNice int
	// GoStarts and PythonStarts, when set, space out process start-ups:
	// a run's Go worker or Python interpreter holds a place in its
	// runtime's channel from just before it starts until its first event
	// (or its end, or for a second at most), so at most cap(ch) of each
	// are starting at once.
	// Starting costs CPU (a few milliseconds for a Go worker, most of it
	// the kernel's; 55-80 ms for CPython). A crowd of runs
	// arriving together would otherwise start hundreds at once, and every
	// run already going, the server's frames included, would wait behind
	// them for the CPU. A run waits for its place within its deadline.
	GoStarts, PythonStarts chan struct{}
	// StartHold is the longest a process keeps its place (default
	// DefaultStartHold).
	StartHold time.Duration
	// WaitingToStart, when set, counts the processes waiting for their
	// turn to start now, or for a place among PythonSlots.
	WaitingToStart *atomic.Int64
	// PythonSlots, when set, caps the interpreters alive at once, apart
	// from whatever caps the runs: a run's Python side waits for a place
	// (the side shows it starting) and holds it until its interpreter has
	// ended. A cap below the runs' own keeps Python's memory in bounds on a
	// small machine while every run's Go side goes on.
	PythonSlots chan struct{}
}

// DefaultStartHold is the longest a starting process keeps its place in
// Runner.GoStarts or PythonStarts: a Go worker reaches its first event in
// about 10 ms, CPython in 55-80 ms.
const DefaultStartHold = time.Second

// Defaults for a run's limits.
const (
	DefaultDeadline  = 60 * time.Second
	DefaultMaxEvents = 20000
)

// ErrPanic is wrapped by a panic in a scenario's Go code (a *PanicError).
var ErrPanic = errors.New("the Go code panicked")

// ErrNoPython is the Python side's end when the server has no suitable
// interpreter; it wraps Runner.NoPython.
var ErrNoPython = errors.New("no python3 3.11 or later on this server")

// Run starts both sides of s with v at once and returns when both have ended.
// Each side's end, clean or not, reaches sink.End; Run itself returns only
// ctx's error, if any.
func (r *Runner) Run(ctx context.Context, s *scenario.Scenario, v scenario.Values, sink Sink) error {
	deadline := cmp(r.Deadline, DefaultDeadline)
	maxEvents := int(cmp(time.Duration(r.MaxEvents), DefaultMaxEvents))
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		if r.Python == nil {
			sink.End(Python, fmt.Errorf("%w: %v", ErrNoPython, r.NoPython))
			return
		}
		prog := pyrun.Program{Name: s.Python, Source: []byte(s.PythonSource().Code)}
		if s.PythonSet != nil {
			prog.Set = s.PythonSet(v)
		}
		started, done, err := r.WaitForPython(ctx)
		if err != nil {
			sink.End(Python, err)
			return
		}
		defer done()
		// Whichever goes off first, the interpreter's timer or ctx's
		// deadline, the run ends naming its whole deadline.
		err = r.Python.Run(ctx, prog, pyrun.Options{Virtual: r.Virtual, Deadline: timeLeft(ctx, deadline), DeadlineSaid: deadline, MaxEvents: maxEvents, Nice: r.PythonNice},
			func(e timeline.Event) { started(); sink.Event(Python, e) })
		sink.End(Python, err)
	})
	wg.Go(func() {
		if len(r.GoWorker) > 0 {
			sink.End(Go, r.runGoWorker(ctx, s, v, deadline, maxEvents, sink))
			return
		}
		sink.End(Go, r.runGo(ctx, s, v, deadline, maxEvents, sink))
	})
	wg.Wait()
	return ctx.Err()
}

// timeLeft is the time until ctx's deadline (def if it has none), to the
// millisecond, for a process that keeps the deadline itself. (It was once
// cut to whole seconds, for a tidy number in the message; that stopped a
// run with a 4 s deadline at 3 s. The message now names the deadline the
// run was given: pyrun.Options.DeadlineSaid, goStopped.)
func timeLeft(ctx context.Context, def time.Duration) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return def
	}
	return max(time.Until(dl).Round(time.Millisecond), time.Millisecond)
}

// WaitToStart waits, unless ctx ends first, for a place to start a process
// for runtime rt (see GoStarts and PythonStarts), and returns the function
// that gives it back: call it at the process's first event and again when
// the process has ended; calls after the first do nothing. With no limit
// set for rt it returns at once.
func (r *Runner) WaitToStart(ctx context.Context, rt Runtime) (started func(), err error) {
	places, name := r.GoStarts, "Go"
	if rt == Python {
		places, name = r.PythonStarts, "Python"
	}
	if places == nil {
		return func() {}, nil
	}
	if err := r.takePlace(ctx, places); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("the %s run was still waiting to start at its deadline, with the server busy starting others: %w", name, err)
		}
		return nil, fmt.Errorf("the %s run was cancelled before it started: %w", name, err)
	}
	// A process that is slow to its first event (a program that computes
	// before it awaits anything) gives its place up anyway after
	// StartHold, so it cannot hold up every start behind it.
	give := sync.OnceFunc(func() { <-places })
	t := time.AfterFunc(cmp(r.StartHold, DefaultStartHold), give)
	return func() { t.Stop(); give() }, nil
}

// takePlace waits, unless ctx ends first (its error is returned), for a
// place in places, counting the wait in WaitingToStart when there is one.
func (r *Runner) takePlace(ctx context.Context, places chan struct{}) error {
	select {
	case places <- struct{}{}: // a place free: no wait to count
		return nil
	default:
	}
	if r.WaitingToStart != nil {
		r.WaitingToStart.Add(1)
		defer r.WaitingToStart.Add(-1)
	}
	select {
	case places <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WaitForPython waits, unless ctx ends first, until an interpreter may
// start: for a place among PythonSlots (held while the interpreter lives),
// then for its turn to start (see WaitToStart). Call started at the
// interpreter's first event, and done once it has ended; calls after the
// first of each do nothing.
func (r *Runner) WaitForPython(ctx context.Context) (started, done func(), err error) {
	free := func() {}
	if r.PythonSlots != nil {
		if err := r.takePlace(ctx, r.PythonSlots); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, nil, fmt.Errorf("the Python run was still waiting for one of the server's %d interpreters to be free at its deadline: %w", cap(r.PythonSlots), err)
			}
			return nil, nil, fmt.Errorf("the Python run was cancelled while it waited for a free interpreter: %w", err)
		}
		free = sync.OnceFunc(func() { <-r.PythonSlots })
	}
	started, err = r.WaitToStart(ctx, Python)
	if err != nil {
		free()
		return nil, nil, err
	}
	return started, func() { started(); free() }, nil
}

// runGo runs the Go side of s in this process.
func (r *Runner) runGo(ctx context.Context, s *scenario.Scenario, v scenario.Values, deadline time.Duration, maxEvents int, sink Sink) (err error) {
	run := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var rec *timeline.Recorder
	rec = timeline.NewRecorder(func(e timeline.Event) { sink.Event(Go, e) }, maxEvents)
	defer func() {
		if p := recover(); p != nil {
			err = newPanicError(p, debug.Stack())
		}
		if err == nil && rec.Full() {
			err = timeline.ErrTooManyEvents
		}
		// At the run's deadline the scenario ends its lanes (timed out,
		// cancelled) and returns its context's error, or nothing if it
		// took the end as its own timeout; either way the run was stopped.
		// (A panic or the event cap says more, and stands.)
		ended := err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
		if ended && errors.Is(run.Err(), context.DeadlineExceeded) {
			err = goStopped(run, deadline)
		}
	}()
	return s.Go(ctx, rec, v)
}

func cmp(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}
