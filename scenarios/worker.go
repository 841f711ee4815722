package scenarios

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// WorkerCommand is the argument that makes the asyncplay binary a Go worker:
// a process that runs the Go side of one run and writes its events to
// stdout. Runner.GoWorker ends with it; the runner appends the rest.
const WorkerCommand = "go-worker"

// Bounds on what a worker writes that the runner keeps.
const (
	workerStderrKeep = 64 << 10 // the end of stderr, for errors and the log
	workerMaxLine    = 64 << 10 // one event line
	workerReapGrace  = 2 * time.Second
	// workerStopGrace is how long a worker has, past the run's deadline,
	// to end its lanes itself (its own context ends at the same deadline)
	// before it is killed.
	workerStopGrace = time.Second
)

// workerErrPrefix starts the stderr line on which a worker says why its
// scenario failed (the rest of the line is a quoted Go string).
const workerErrPrefix = "go-worker error: "

// PanicError is a panic in a scenario's Go code, on any of its goroutines.
// Its message names the panic value (its first line) and not the stack, so
// it can be shown as it is; Stack is for the log.
type PanicError struct {
	Value string // the panic value's first line
	Stack string // the stack (for a worker, what its runtime printed)
}

func (e *PanicError) Error() string { return ErrPanic.Error() + ": " + e.Value }

// Unwrap gives ErrPanic, for errors.Is.
func (e *PanicError) Unwrap() error { return ErrPanic }

// newPanicError describes a panic recovered in this process.
func newPanicError(p any, stack []byte) *PanicError {
	return &PanicError{Value: firstLine(fmt.Sprint(p)), Stack: string(stack)}
}

// WorkerError says that a Go worker process ended abnormally other than by
// a panic: killed by a signal, a fatal runtime error, a bad command line.
type WorkerError struct {
	ExitCode int    // the exit status; -1 if a signal ended the process
	Signal   string // the signal that ended it, if one did ("killed")
	Reason   string // the runtime's "fatal error:" line, or stderr's last line
	Stderr   string // the end of stderr, for the log
}

func (e *WorkerError) Error() string {
	var s string
	if e.Signal != "" {
		s = "the Go worker was killed by a signal (" + e.Signal + ")"
	} else {
		s = fmt.Sprintf("the Go worker failed (exit status %d)", e.ExitCode)
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// workerArgs are the arguments after Runner.GoWorker that run s with v.
func workerArgs(s *scenario.Scenario, v scenario.Values, maxEvents int, deadline time.Duration) []string {
	args := []string{"-max-events", strconv.Itoa(maxEvents)}
	if deadline > 0 {
		args = append(args, "-deadline", deadline.String())
	}
	return append(args, s.ID, v.Query().Encode())
}

// RunWorker is a Go worker's body: args (what follows WorkerCommand) name a
// scenario in reg and its parameters, and RunWorker runs that scenario's Go
// side, writing each event to stdout as one JSON line (the form
// timeline.Event marshals to, which the Python tracer writes too) the
// moment it is recorded, so that a live run stays live and the events
// before a crash are out already. Times are since the worker started.
//
// A panic on any goroutine is not recovered: it ends the process with the
// runtime's report on stderr, which the runner reads. If the scenario
// returns an error, or args are wrong, RunWorker writes it to stderr as one
// line and returns it; the caller should then exit with status 1 and print
// nothing more.
func RunWorker(ctx context.Context, reg *Registry, args []string, stdout, stderr io.Writer) error {
	err := runWorker(ctx, reg, args, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "%s%s\n", workerErrPrefix, strconv.Quote(err.Error()))
	}
	return err
}

func runWorker(ctx context.Context, reg *Registry, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(WorkerCommand, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	maxEvents := fs.Int("max-events", 0, "stop recording one event past this many (0: no cap)")
	deadline := fs.Duration("deadline", 0, "end the run's context after this long, as the runner's deadline does in process (0: none)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w", WorkerCommand, err)
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("%s: want a scenario id and its parameters (a query string), got %d arguments", WorkerCommand, fs.NArg())
	}
	s := reg.Get(fs.Arg(0))
	if s == nil {
		return fmt.Errorf("%s: no scenario %q", WorkerCommand, fs.Arg(0))
	}
	q, err := url.ParseQuery(fs.Arg(1))
	if err != nil {
		return fmt.Errorf("%s: scenario %s: parameters: %w", WorkerCommand, s.ID, err)
	}
	v, probs := s.Parse(q)
	if len(probs) > 0 {
		return fmt.Errorf("%s: scenario %s: %v", WorkerCommand, s.ID, probs[0])
	}
	if *deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *deadline)
		defer cancel()
	}
	limit := 0
	if *maxEvents > 0 {
		limit = *maxEvents + 1 // one past the cap tells the runner the run went over
	}
	rec := timeline.NewRecorder(func(e timeline.Event) {
		b, err := json.Marshal(e)
		if err != nil {
			return // an Event always marshals
		}
		// One write per event, unbuffered. A failed write means the
		// runner has gone; it kills this process's group as it goes.
		stdout.Write(append(b, '\n'))
	}, limit)
	rec.SleepPrecisely() // a worker keeps real time
	return s.Go(ctx, rec, v)
}

// runGoWorker runs the Go side of s in a worker process (r.GoWorker) in a
// process group of its own, passing its events to sink as they arrive. The
// group is killed when ctx ends (the run's deadline included) or the event
// cap is passed, and the worker is reaped before it returns.
func (r *Runner) runGoWorker(ctx context.Context, s *scenario.Scenario, v scenario.Values, deadline time.Duration, maxEvents int, sink Sink) error {
	if ctx.Err() != nil {
		return goStopped(ctx, deadline)
	}
	started, err := r.WaitToStart(ctx, Go)
	if err != nil {
		return err
	}
	defer started()
	left := timeLeft(ctx, 0) // until the deadline, which the worker keeps too
	args := append(slices.Clone(r.GoWorker[1:]), workerArgs(s, v, maxEvents, left)...)
	cmd := exec.Command(r.GoWorker[0], args...)
	cmd.SysProcAttr = pyrun.ProcAttr()
	stderr := &tailWriter{keep: workerStderrKeep}
	cmd.Stderr = stderr
	cmd.WaitDelay = workerReapGrace // should anything outside the group hold stderr open
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("start the Go worker: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the Go worker: %w", err)
	}
	if r.LiveWorkers != nil {
		r.LiveWorkers.Add(1)
		defer r.LiveWorkers.Add(-1)
	}
	// The group's id is the worker's pid, free for reuse once Wait has
	// reaped it: from then on, kill must not send anything.
	pgid := cmd.Process.Pid
	var reap sync.Mutex
	reaped := false
	kill := func() {
		reap.Lock()
		defer reap.Unlock()
		if !reaped {
			syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}
	// A cancelled run is killed at once: nobody is watching it. At the
	// deadline the worker's own context has ended too, and its lanes end
	// as they would in process (timed out, cancelled); it gets a moment
	// for that before the kill.
	var grace *time.Timer
	stopWatch := context.AfterFunc(ctx, func() {
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			kill()
			return
		}
		reap.Lock()
		defer reap.Unlock()
		if !reaped {
			grace = time.AfterFunc(workerStopGrace, kill)
		}
	})

	var stopErr error // why the runner stopped the worker, if it did
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 0, 4<<10), workerMaxLine)
	n := 0
	for sc.Scan() {
		started()
		if stopErr != nil {
			continue // let it finish dying
		}
		var ev timeline.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			stopErr = fmt.Errorf("the Go worker wrote a line that is not an event (%v): %.200q", err, sc.Bytes())
			kill()
			continue
		}
		if n++; n > maxEvents {
			stopErr = timeline.ErrTooManyEvents
			kill()
			continue
		}
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			sink.Event(Go, ev)
		}
	}
	if err := sc.Err(); err != nil && stopErr == nil {
		stopErr = fmt.Errorf("the Go worker's output: %w", err)
		kill()
		io.Copy(io.Discard, out)
	}
	// Whether the run had been stopped when the worker's output ended: a
	// worker that finished a moment before its deadline did finish, even
	// if the deadline passes while it is reaped.
	stopped := ctx.Err() != nil
	// Stdout is closed: the worker is exiting or gone. Whatever it left in
	// its group goes too, so Wait returns promptly.
	kill()
	reap.Lock()
	waitErr := cmd.Wait()
	reaped = true
	reap.Unlock()
	stopWatch()
	reap.Lock()
	if grace != nil {
		grace.Stop()
	}
	reap.Unlock()

	switch {
	case stopErr != nil:
		return stopErr
	case stopped:
		return goStopped(ctx, deadline)
	case waitErr == nil || errors.Is(waitErr, exec.ErrWaitDelay):
		return nil
	}
	return workerFailure(waitErr, stderr.String())
}

// goStopped says why the runner stopped the Go side when ctx ended.
func goStopped(ctx context.Context, deadline time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &DeadlineError{Deadline: deadline}
	}
	return fmt.Errorf("the Go run was cancelled: %w", ctx.Err())
}

// DeadlineError is the Go side's end when the run's deadline passed, in
// this process or in a worker. It is context.DeadlineExceeded (errors.Is).
type DeadlineError struct {
	Deadline time.Duration // the run's whole deadline
}

func (e *DeadlineError) Error() string {
	return fmt.Sprintf("the Go run took longer than %v and was stopped", e.Deadline)
}

func (e *DeadlineError) Unwrap() error { return context.DeadlineExceeded }

// workerFailure turns a worker's failed exit and the end of its stderr
// into the error the run ends with.
func workerFailure(waitErr error, stderr string) error {
	var ee *exec.ExitError
	if !errors.As(waitErr, &ee) {
		return fmt.Errorf("the Go worker: %w", waitErr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	switch ee.ExitCode() {
	case 2: // how the Go runtime exits on a panic it does not recover
		for i, l := range lines {
			if v, ok := strings.CutPrefix(l, "panic: "); ok {
				// The runtime marks a value that a deferred function
				// recovered and panicked again (sync.WaitGroup.Go does, to
				// say where the goroutine started); the visitor reads the
				// value only.
				v = strings.TrimSuffix(strings.TrimSuffix(v, " [recovered, repanicked]"), " [recovered]")
				return &PanicError{Value: v, Stack: strings.Join(lines[i:], "\n")}
			}
		}
	case 1:
		for _, l := range slices.Backward(lines) {
			if q, ok := strings.CutPrefix(l, workerErrPrefix); ok {
				if msg, err := strconv.Unquote(q); err == nil {
					return errors.New(msg)
				}
			}
		}
	}
	we := &WorkerError{ExitCode: ee.ExitCode(), Stderr: stderr}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		we.Signal = ws.Signal().String()
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "fatal error: ") {
			we.Reason = l
			break
		}
	}
	if we.Reason == "" {
		for _, l := range slices.Backward(lines) {
			if l = strings.TrimSpace(l); l != "" {
				we.Reason = l
				break
			}
		}
	}
	if len(we.Reason) > 200 {
		we.Reason = strings.ToValidUTF8(we.Reason[:200], "") + "…"
	}
	return we
}

// tailWriter keeps the last keep bytes written to it (from whole lines
// where it had to cut).
type tailWriter struct {
	keep int
	b    []byte
	cut  bool
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	if len(w.b) > 2*w.keep {
		w.b = append([]byte(nil), w.b[len(w.b)-w.keep:]...)
		w.cut = true
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	b, cut := w.b, w.cut
	if len(b) > w.keep {
		b, cut = b[len(b)-w.keep:], true
	}
	if cut {
		if i := strings.IndexByte(string(b), '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// firstLine is s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
