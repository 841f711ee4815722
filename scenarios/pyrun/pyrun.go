// Package pyrun runs a lesson's Python asyncio program in CPython under
// asyncplay's tracer (tracer.py, embedded) and reports what its tasks do as
// timeline events: one lane per asyncio task (and per piece of to_thread
// work), with spawns, waits, acquires, sleeps, logs and ends.
//
// The program runs unmodified in its own process group, fed on stdin; only
// top-level constants named in Program.Set are replaced. A run is bounded by
// a deadline and by caps on events and output, and whatever the outcome, Run
// returns only once the interpreter and everything it started are gone.
package pyrun

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// tracerSource is the tracer. Find compiles it once per interpreter (see
// Python.tracer); an interpreter without the compiled form gets the source
// with -c.
//
//go:embed tracer.py
var tracerSource string

// Defaults for the zero values in Options.
const (
	DefaultDeadline     = 30 * time.Second
	DefaultMaxEvents    = 20000
	DefaultMaxOutput    = 1 << 20 // bytes
	DefaultBlockedAfter = 50 * time.Millisecond
)

// The oldest Python the tracer supports.
const minMajor, minMinor = 3, 11

// stderrKeep is how much of the end of the program's stderr a run keeps.
const stderrKeep = 64 << 10

// tracebackLines is how many of its last stderr lines a ProgramError shows.
const tracebackLines = 20

// reapGrace bounds the wait for stray processes and for pipes held open by
// processes that left the run's process group.
const reapGrace = 2 * time.Second

// Errors a run can end with. Test for them with errors.Is; the errors
// returned carry a sentence that can be shown as is.
var (
	// ErrNoPython: no python3 of version 3.11 or later could be found (Find).
	ErrNoPython = errors.New("no usable python3")
	// ErrDeadline: the run took longer than Options.Deadline (a *LimitError).
	ErrDeadline = errors.New("deadline passed")
	// ErrTooManyEvents: the run produced more than Options.MaxEvents events (a *LimitError).
	ErrTooManyEvents = errors.New("too many events")
	// ErrTooMuchOutput: the run wrote more than Options.MaxOutput bytes (a *LimitError).
	ErrTooMuchOutput = errors.New("too much output")
	// ErrProgramFailed: the program ended with an error (a *ProgramError).
	ErrProgramFailed = errors.New("the program failed")
	// ErrBadOutput: the tracer wrote a line that is not an event (a *BadOutputError).
	ErrBadOutput = errors.New("bad tracer output")
)

// LimitError says that a run hit one of the bounds in its Options and was stopped.
type LimitError struct {
	Reason error  // ErrDeadline, ErrTooManyEvents or ErrTooMuchOutput
	Limit  string // the bound as the message says it: "30s", "20000 events", "1 MiB"
	// The bound itself, for a caller that words it another way (another
	// language): Deadline for ErrDeadline, Events for ErrTooManyEvents.
	Deadline time.Duration
	Events   int
}

func (e *LimitError) Error() string {
	switch e.Reason {
	case ErrDeadline:
		return "the Python run took longer than " + e.Limit + " and was stopped"
	case ErrTooManyEvents:
		return "the Python run produced more than " + e.Limit + " and was stopped"
	case ErrTooMuchOutput:
		return "the Python run wrote more than " + e.Limit + " of output and was stopped"
	}
	return "the Python run hit a limit (" + e.Limit + ") and was stopped"
}

// Unwrap gives Reason, for errors.Is.
func (e *LimitError) Unwrap() error { return e.Reason }

// ProgramError says that the program (or the tracer, for a bad Program.Set)
// exited with a failure status. Stderr is the end of what it wrote there:
// for an uncaught exception, the traceback.
type ProgramError struct {
	ExitCode int    // the exit status; -1 if a signal ended the process
	Signal   string // the signal that ended it, if one did ("killed")
	Stderr   string // the last lines of stderr
}

func (e *ProgramError) Error() string {
	var s string
	if e.Signal != "" {
		s = "the Python program was killed by a signal (" + e.Signal + ")"
	} else {
		s = fmt.Sprintf("the Python program failed (exit status %d)", e.ExitCode)
	}
	if e.Stderr != "" {
		s += ":\n" + e.Stderr
	}
	return s
}

// Unwrap gives ErrProgramFailed, for errors.Is.
func (e *ProgramError) Unwrap() error { return ErrProgramFailed }

// BadOutputError says that the tracer wrote a line that is not a valid event;
// it points at a bug in the tracer, not in the program.
type BadOutputError struct {
	Line string // the line, cut to 200 bytes
	Err  error  // what is wrong with it
}

func (e *BadOutputError) Error() string {
	return fmt.Sprintf("the Python tracer wrote a line that is not an event (%v): %q", e.Err, e.Line)
}

// Unwrap gives ErrBadOutput and the reason, for errors.Is and errors.As.
func (e *BadOutputError) Unwrap() []error { return []error{ErrBadOutput, e.Err} }

// Python is a CPython interpreter found on this machine.
type Python struct {
	Path    string // the interpreter's executable
	Version string // its version, e.g. "3.11.7"

	// tracer is the tracer compiled by this interpreter (a marshalled code
	// object), and hexversion the sys.hexversion it was compiled by; empty
	// if Find did not compile it. Compiling the tracer is a fifth of an
	// interpreter's start-up, about 15 ms of CPU, so a run loads it instead.
	tracer     string
	hexversion string
}

// Find returns python3 >= 3.11: $ASYNCPLAY_PYTHON if set (and not blank),
// else python3 on PATH. The error (wrapping ErrNoPython) says plainly what is missing and to
// install python3 3.11 or later.
func Find(ctx context.Context) (Python, error) {
	name, from := strings.TrimSpace(os.Getenv("ASYNCPLAY_PYTHON")), "$ASYNCPLAY_PYTHON"
	if name == "" {
		name, from = "python3", "PATH"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		if from == "PATH" {
			return Python{}, fmt.Errorf("%w: python3 is not on PATH; install python3 3.11 or later (apt-get install python3), or set ASYNCPLAY_PYTHON to one", ErrNoPython)
		}
		return Python{}, fmt.Errorf("%w: ASYNCPLAY_PYTHON=%s cannot be run (%v); install python3 3.11 or later and point ASYNCPLAY_PYTHON at it, or unset it to use python3 on PATH", ErrNoPython, name, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
	}
	// Works on any Python, so that an old one is named rather than failing.
	const probe = `import sys; sys.stdout.write("%d.%d.%d\n%s\n" % (tuple(sys.version_info[:3]) + (sys.executable,)))`
	cmd := exec.CommandContext(ctx, path, "-c", probe)
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return Python{}, fmt.Errorf("finding python3: %w", ctx.Err())
		}
		return Python{}, fmt.Errorf("%w: %s (from %s) does not run (%v); install python3 3.11 or later", ErrNoPython, path, from, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	version := strings.TrimSpace(lines[0])
	parts := strings.Split(version, ".")
	var major, minor int
	if len(parts) == 3 {
		major, _ = strconv.Atoi(parts[0])
		minor, _ = strconv.Atoi(parts[1])
	}
	if major == 0 {
		return Python{}, fmt.Errorf("%w: could not tell the version of %s (from %s); install python3 3.11 or later", ErrNoPython, path, from)
	}
	if major < minMajor || major == minMajor && minor < minMinor {
		return Python{}, fmt.Errorf("%w: %s (from %s) is Python %s, and asyncplay needs 3.11 or later; install python3 3.11 or later, or set ASYNCPLAY_PYTHON to one", ErrNoPython, path, from, version)
	}
	// Run the interpreter itself rather than a wrapper (pyenv shims, say).
	if len(lines) > 1 {
		if exe := strings.TrimSpace(lines[1]); exe != "" && strings.HasPrefix(exe, "/") {
			if fi, err := os.Stat(exe); err == nil && !fi.IsDir() {
				path = exe
			}
		}
	}
	p := Python{Path: path, Version: version}
	p.tracer, p.hexversion = compileTracer(ctx, path)
	return p, nil
}

// compileTracer has the interpreter at path compile the tracer and returns
// the marshalled code and the interpreter's sys.hexversion, or empty strings
// if it could not: runs then compile the tracer themselves, and say so if
// that fails too.
func compileTracer(ctx context.Context, path string) (code, hexversion string) {
	const prog = `import marshal, sys
code = compile(sys.stdin.buffer.read(), "<string>", "exec", dont_inherit=True)
sys.stdout.buffer.write(b"%d\n" % sys.hexversion + marshal.dumps(code))`
	cmd := exec.CommandContext(ctx, path, "-I", "-c", prog)
	cmd.Stdin = strings.NewReader(tracerSource)
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if err != nil {
		return "", ""
	}
	hex, code, ok := strings.Cut(string(out), "\n")
	if _, err := strconv.ParseUint(hex, 10, 64); !ok || err != nil || code == "" {
		return "", ""
	}
	return code, hex
}

// bootSource is the -c program of a run whose interpreter has the tracer
// compiled: it reads the compiled tracer and then the tracer's source from
// stdin, ahead of the program, and runs the compiled one, or compiles the
// source if the interpreter is no longer the one that compiled it (upgraded
// in place while the server ran).
func (p Python) bootSource() string {
	return `import marshal, sys
_ap_in = sys.stdin.buffer
_ap_code, _ap_src = _ap_in.read(` + strconv.Itoa(len(p.tracer)) + `), _ap_in.read(` + strconv.Itoa(len(tracerSource)) + `)
try:
    _ap_code = marshal.loads(_ap_code) if sys.hexversion == ` + p.hexversion + ` else None
except (EOFError, ValueError, TypeError):
    _ap_code = None
if _ap_code is None:
    _ap_code = compile(_ap_src, "<string>", "exec", dont_inherit=True)
del _ap_in, _ap_src
exec(_ap_code)
`
}

// Program is a Python program to trace.
type Program struct {
	Name   string         // its file name, for tracebacks and line numbers; "main.py" if empty
	Source []byte         // its text
	Set    map[string]any // top-level constants to replace (NAME = value), JSON-encodable
}

// Options bound a run. Zero values mean the defaults above.
type Options struct {
	// Virtual runs the loop on a virtual clock that jumps over idle waits
	// (asyncio timers), while still charging real time to code that
	// blocks, to threads at work and to I/O. It is meant for tests; live
	// runs should use the real clock.
	Virtual bool
	// Deadline bounds the run's wall time (default 30s).
	Deadline time.Duration
	// DeadlineSaid, if set, is the deadline the error names when Deadline
	// passes: a run that waited its turn to start has less than its whole
	// deadline left, and the whole is what its visitor was told. With it
	// set, ctx's deadline passing first counts as this one too (a
	// *LimitError, with the events so far), not as a cancel.
	DeadlineSaid time.Duration
	// MaxEvents bounds the number of events (default 20000).
	MaxEvents int
	// MaxOutput bounds the bytes the program writes: the lines it prints
	// (as the tracer keeps them) and its stderr together (default 1 MiB).
	// The tracer's own event lines count against MaxEvents instead.
	MaxOutput int
	// BlockedAfter is how long one step of a task may hold the loop before
	// it is reported as a blocked event (default 50ms).
	BlockedAfter time.Duration
	// Nice, from 1 to 19, is the niceness the interpreter runs at (see
	// Lower); 0 leaves it at this process's.
	Nice int
}

// running counts the interpreters Run has started and not yet reaped.
var running atomic.Int64

// isolation is how interpreters are started (see pythonProcAttr): the best
// way the kernel has not refused for good.
var isolation atomic.Int32

func init() { isolation.Store(firstIsolation()) }

// Isolated reports whether interpreters start in a PID namespace of their
// own, so that nothing a program starts outlives its run: true until the
// kernel refuses every way of making one (a run it refuses only for the
// moment, having none left, goes without and does not change this).
func Isolated() bool { return isolation.Load() != isolateNone }

// Running is how many interpreters Run has started in this process that
// have not yet exited (been reaped): runs of every caller, counted from
// their start to their end.
func Running() int64 { return running.Load() }

// Lower sets the niceness of every thread of every process in the process
// group pgid (a run's process, started in a group of its own) to nice,
// from 1 to 19; 0 does nothing. A server that starts a process per run
// keeps its own priority, so that a crowd of runs slows down each other
// rather than the server that draws and sends every visitor's frames.
// An error is ignored: the run goes on at the server's priority.
func Lower(pgid, nice int) {
	if nice > 0 {
		_ = syscall.Setpriority(syscall.PRIO_PGRP, pgid, min(nice, 19))
	}
}

func (o Options) withDefaults() Options {
	if o.Deadline <= 0 {
		o.Deadline = DefaultDeadline
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = DefaultMaxEvents
	}
	if o.MaxOutput <= 0 {
		o.MaxOutput = DefaultMaxOutput
	}
	if o.BlockedAfter <= 0 {
		o.BlockedAfter = DefaultBlockedAfter
	}
	return o
}

// args builds the interpreter's command line and what it reads on stdin.
func (p Python) args(prog Program, opt Options) ([]string, io.Reader, error) {
	name := prog.Name
	if name == "" {
		name = "main.py"
	}
	args := []string{"-I", "-c", tracerSource}
	stdin := io.Reader(bytes.NewReader(prog.Source))
	if p.tracer != "" {
		args[2] = p.bootSource()
		stdin = io.MultiReader(strings.NewReader(p.tracer), strings.NewReader(tracerSource), stdin)
	}
	if opt.Virtual {
		args = append(args, "--virtual")
	}
	ms := float64(opt.BlockedAfter) / float64(time.Millisecond)
	args = append(args, "--blocked-ms", strconv.FormatFloat(ms, 'f', -1, 64))
	keys := make([]string, 0, len(prog.Set))
	for k := range prog.Set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" || strings.ContainsAny(k, "= \t\n") {
			return nil, nil, fmt.Errorf("pyrun: cannot set %q: not a Python name", k)
		}
		b, err := json.Marshal(prog.Set[k])
		if err != nil {
			return nil, nil, fmt.Errorf("pyrun: cannot set %s: %w", k, err)
		}
		args = append(args, "--set", k+"="+string(b))
	}
	return append(args, "--name", name, "-"), stdin, nil
}

// Run traces prog, calling emit for each event in order as it arrives (from
// one goroutine, the caller's). It returns when the program has exited and
// every goroutine it started has ended.
//
// The error is nil if the program exited with status 0, a *LimitError if a
// bound in opt stopped it, a *ProgramError if it failed, a *BadOutputError
// if the tracer misbehaved, and wraps ctx.Err() if ctx ended first.
func (p Python) Run(ctx context.Context, prog Program, opt Options, emit func(timeline.Event)) error {
	opt = opt.withDefaults()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("the Python run was cancelled: %w", err)
	}
	args, stdin, err := p.args(prog, opt)
	if err != nil {
		return err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("pyrun: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return fmt.Errorf("pyrun: %w", err)
	}
	start := func(mode int32) (*exec.Cmd, error) {
		cmd := exec.Command(p.Path, args...)
		cmd.Stdin = stdin
		cmd.Stdout = outW
		cmd.Stderr = errW
		cmd.SysProcAttr = pythonProcAttr(mode)
		cmd.WaitDelay = time.Second // bounds the copy of the source to stdin
		return cmd, cmd.Start()
	}
	// A failed Start read nothing from stdin (it copies only once the
	// process runs), so the next way can start it again.
	mode := isolation.Load()
	cmd, err := start(mode)
	for err != nil && mode != isolateNone {
		forGood, forNow := isolationRefused(err)
		if !forGood && !forNow {
			break
		}
		next := mode + 1
		if forNow {
			next = isolateNone
		} else {
			isolation.CompareAndSwap(mode, next)
		}
		mode = next
		cmd, err = start(mode)
	}
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return fmt.Errorf("pyrun: starting %s: %w", p.Path, err)
	}

	running.Add(1)
	Lower(cmd.Process.Pid, opt.Nice)
	r := &run{pgid: cmd.Process.Pid, opt: opt, notify: make(chan struct{}, 1)}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		running.Add(-1)
		close(exited)
	}()

	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		r.readEvents(outR)
	}()
	go func() {
		defer readers.Done()
		r.readStderr(errR)
	}()
	readersDone := make(chan struct{})
	go func() {
		readers.Wait()
		close(readersDone)
	}()

	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		timer := time.NewTimer(opt.Deadline)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			if opt.DeadlineSaid > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				r.stop(&LimitError{Reason: ErrDeadline, Limit: opt.DeadlineSaid.String(), Deadline: opt.DeadlineSaid}, false)
				break
			}
			r.stop(fmt.Errorf("the Python run was cancelled: %w", ctx.Err()), true)
		case <-timer.C:
			said := cmpOr(opt.DeadlineSaid, opt.Deadline)
			r.stop(&LimitError{Reason: ErrDeadline, Limit: said.String(), Deadline: said}, false)
		case <-exited:
		}
		<-exited
		// The interpreter is gone; so must be anything it started.
		killGroup(r.pgid)
		select {
		case <-readersDone:
		case <-time.After(reapGrace):
			// Something outside the group still holds the pipes open.
			outR.Close()
			errR.Close()
			<-readersDone
		}
	}()

	// Emit events as the reader queues them, until it is done.
	for {
		batch, more := r.next()
		for _, ev := range batch {
			if emit != nil && !r.halted.Load() {
				emit(ev)
			}
		}
		if !more {
			break
		}
	}
	<-readersDone
	<-watchDone
	outR.Close()
	errR.Close()

	if err := r.stopErr(); err != nil {
		return err
	}
	if waitErr != nil && !errors.Is(waitErr, exec.ErrWaitDelay) {
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) {
			pe := &ProgramError{ExitCode: ee.ExitCode(), Stderr: r.stderrTail()}
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				pe.Signal = ws.Signal().String()
			} else if rest, sig, ok := initSignal(pe.Stderr); ok && pe.ExitCode == 128+int(sig) {
				// The program ran under the namespace's init (the
				// tracer's _stand_aside_as_init), which says so.
				pe.ExitCode, pe.Signal, pe.Stderr = -1, sig.String(), rest
			}
			return pe
		}
		return fmt.Errorf("pyrun: waiting for %s: %w", p.Path, waitErr)
	}
	return nil
}

// run is the state of one Run shared by its goroutines.
type run struct {
	pgid   int
	opt    Options
	output atomic.Int64 // bytes read from the tracer, events and stderr
	halted atomic.Bool  // stop emitting: the caller cancelled

	mu      sync.Mutex
	err     error            // why the run was stopped, first reason only
	queue   []timeline.Event // events read, not yet emitted
	readAll bool             // the event reader is done
	notify  chan struct{}    // a nudge to the emitting goroutine
	stderr  []byte           // the end of stderr
}

// stop records why the run ends early and kills its process group.
func (r *run) stop(err error, halt bool) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	if halt {
		r.halted.Store(true)
	}
	syscall.Kill(-r.pgid, syscall.SIGKILL)
}

func (r *run) stopErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// next waits for queued events; more is false once none will come.
func (r *run) next() (batch []timeline.Event, more bool) {
	for {
		r.mu.Lock()
		batch, r.queue = r.queue, nil
		done := r.readAll
		r.mu.Unlock()
		if len(batch) > 0 || done {
			return batch, len(batch) > 0 || !done
		}
		<-r.notify
	}
}

func (r *run) push(ev timeline.Event, last bool) {
	r.mu.Lock()
	if !last {
		r.queue = append(r.queue, ev)
	} else {
		r.readAll = true
	}
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// overOutput counts n more bytes of output and reports whether that is too much.
func (r *run) overOutput(n int) bool {
	return r.output.Add(int64(n)) > int64(r.opt.MaxOutput)
}

func (r *run) tooMuchOutput() {
	r.stop(&LimitError{Reason: ErrTooMuchOutput, Limit: byteSize(r.opt.MaxOutput)}, false)
}

// readEvents reads the tracer's event lines, as fast as they come, into the
// queue: the pipe never waits for emit, so it drains before the interpreter
// exits. It stops taking events at the first limit or bad line.
func (r *run) readEvents(f *os.File) {
	defer r.push(timeline.Event{}, true)
	sc := bufio.NewScanner(f)
	// A tracer's line is a few KiB at most (labels are clipped); a longer
	// one was written into its pipe by the program.
	sc.Buffer(make([]byte, 64<<10), max(r.opt.MaxOutput, 64<<10)+1)
	sc.Split(wholeLines)
	count := 0
	taking := true
	for sc.Scan() {
		if !taking {
			continue
		}
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var ev timeline.Event
		if err := json.Unmarshal(line, &ev); err != nil {
			shown := string(line)
			if len(shown) > 200 {
				shown = shown[:200]
			}
			r.stop(&BadOutputError{Line: shown, Err: err}, false)
			taking = false
			continue
		}
		count++
		if count > r.opt.MaxEvents {
			r.stop(&LimitError{Reason: ErrTooManyEvents, Limit: fmt.Sprintf("%d events", r.opt.MaxEvents), Events: r.opt.MaxEvents}, false)
			taking = false
			continue
		}
		// What the program printed is its output; the rest of the line is
		// the tracer's, bounded by the event cap and the line's length.
		if ev.Kind == timeline.Log && r.overOutput(len(ev.Label)+1) {
			r.tooMuchOutput()
			taking = false
			continue
		}
		r.push(ev, false)
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		r.tooMuchOutput()
		io.Copy(io.Discard, f) // let the writer finish dying
	}
}

// wholeLines splits at newlines and drops an unfinished last line: the
// tracer writes whole lines, so one cut short means the process was killed
// while writing it, and the kill is what the run reports.
func wholeLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF {
		return len(data), nil, nil
	}
	return 0, nil, nil
}

// readStderr keeps the end of stderr and counts it as output.
func (r *run) readStderr(f *os.File) {
	buf := make([]byte, 32<<10)
	over := false
	for {
		n, err := f.Read(buf)
		if n > 0 {
			r.mu.Lock()
			r.stderr = append(r.stderr, buf[:n]...)
			if len(r.stderr) > 2*stderrKeep {
				r.stderr = append([]byte(nil), r.stderr[len(r.stderr)-stderrKeep:]...)
			}
			r.mu.Unlock()
			if !over && r.overOutput(n) {
				over = true
				r.tooMuchOutput()
			}
		}
		if err != nil {
			return
		}
	}
}

// stderrTail gives the last lines of stderr.
func (r *run) stderrTail() string {
	r.mu.Lock()
	b := r.stderr
	if len(b) > stderrKeep {
		b = b[len(b)-stderrKeep:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	r.mu.Unlock()
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > tracebackLines {
		lines = lines[len(lines)-tracebackLines:]
	}
	return strings.Join(lines, "\n")
}

// byteSize says n bytes the way a person would.
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// killGroup kills what is left of process group pgid and reaps the members
// that are this process's children (which happens when this process is a
// child subreaper). It gives up once only others' zombies remain, or after
// reapGrace.
func killGroup(pgid int) {
	if pgid <= 1 {
		return
	}
	deadline := time.Now().Add(reapGrace)
	self := os.Getpid()
	for {
		if err := syscall.Kill(-pgid, syscall.SIGKILL); errors.Is(err, syscall.ESRCH) {
			return
		}
		alive, ours := false, false
		for _, m := range groupMembers(pgid) {
			if m.State != 'Z' && m.State != 'X' {
				alive = true
			}
			if m.PPID == self {
				ours = true
				var ws syscall.WaitStatus
				syscall.Wait4(m.PID, &ws, syscall.WNOHANG, nil)
			}
		}
		if !alive && !ours {
			return
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// groupMembers lists the processes in group pgid (none where there is no
// /proc).
func groupMembers(pgid int) []Process {
	all, _ := Processes()
	var out []Process
	for _, p := range all {
		if p.PGID == pgid {
			out = append(out, p)
		}
	}
	return out
}

// cmpOr is v, or def when v is not positive.
func cmpOr(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// initSignalMark is the last line the tracer's init writes on stderr when
// the program died of a signal (tracer.py's _SIGNAL_MARK).
const initSignalMark = "asyncplay-init: the program was killed by signal "

// initSignal finds initSignalMark's line at the end of stderr: the signal,
// and stderr without the line.
func initSignal(stderr string) (rest string, sig syscall.Signal, ok bool) {
	body := strings.TrimRight(stderr, "\n")
	i := strings.LastIndex(body, initSignalMark)
	if i < 0 || (i > 0 && body[i-1] != '\n') {
		return stderr, 0, false
	}
	n, err := strconv.Atoi(body[i+len(initSignalMark):])
	if err != nil || n <= 0 || n >= 65 {
		return stderr, 0, false
	}
	return strings.TrimRight(body[:i], "\n"), syscall.Signal(n), true
}
