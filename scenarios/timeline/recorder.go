package timeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Recorder is how Go scenario code reports what it does, as plainly as print:
// it stamps each event with the time since the run started and the calling
// line, and hands it to the sink in the order the calls happened.
// It is safe for concurrent use.
type Recorder struct {
	mu    sync.Mutex
	start time.Time
	sink  func(Event)
	last  time.Duration // the latest event's time
	max   int
	count int
	full  bool
	// precise: lanes sleep on the system's high-resolution timer (see
	// SleepPrecisely).
	precise bool

	// Naming lanes has a lock of its own, so that reports need not wait
	// while a lane is named (it is taken before mu, never after).
	names sync.Mutex
	lanes map[string]int // lane name -> how many lanes asked for it
	spare []Lane         // lanes are allocated a few dozen at a time
}

// ErrTooManyEvents is reported once a recorder has passed its event cap.
var ErrTooManyEvents = errors.New("the run produced too many events and was stopped")

// NewRecorder starts the run's clock now. It passes each event to sink
// (called with the recorder's lock held, so keep it quick) until maxEvents
// have been recorded; maxEvents <= 0 means no cap.
func NewRecorder(sink func(Event), maxEvents int) *Recorder {
	return &Recorder{start: time.Now(), sink: sink, lanes: map[string]int{}, max: maxEvents}
}

// SleepPrecisely makes every lane's Sleep wait on the system's
// high-resolution timer where there is one (Linux's timerfd), rather than
// the Go runtime's timers. Those wake a goroutine up to a millisecond late,
// as the runtime waits for them in epoll, which counts whole milliseconds;
// a chain of sleeps adds up the lateness of each, and the timeline drifts
// from the schedule the scenario's numbers describe. A Go worker calls it
// before its run starts. Runs on a fake clock (testing/synctest) must not:
// the high-resolution timer keeps real time.
func (r *Recorder) SleepPrecisely() { r.precise = true }

// Full reports whether the event cap was reached.
func (r *Recorder) Full() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.full
}

// record stamps e with the time and the line of the call skip frames above
// record's caller, and passes it on. The line is found from the address the
// call returns to (callerPC), so every method between the scenario's line and
// record stays out of line: each exported method is go:noinline and calls
// record itself, and skip counts those frames. The clock is read before the
// lock too, so that the lock is held only to number, order and pass on.
//
//go:noinline
func (r *Recorder) record(e Event, skip int) {
	line := lineOf(callerPC(skip))
	if line == wrapped {
		line = slowLine(skip)
	}
	at := time.Since(r.start)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.emitLocked(e, line, at)
}

// emitLocked passes e, reported from line at the time at, to the sink unless
// the cap is reached. Calls that raced for the lock may come in a little
// out of the order they read the clock; the later in line is stamped no
// earlier than the one before it, so times never run backwards. r.mu is held.
func (r *Recorder) emitLocked(e Event, line int, at time.Duration) {
	if r.full {
		return
	}
	if r.max > 0 && r.count >= r.max {
		r.full = true
		return
	}
	r.count++
	r.last = max(r.last, at)
	e.At, e.Line = r.last, line
	r.sink(e)
}

// lines maps program counters to source lines. Finding a line is far
// slower than finding a program counter, and scenarios report from a handful
// of places many times over, so each counter is looked up once for the life
// of the process. The map is never changed once published: a new counter
// publishes a copy with it added. So reading takes no lock, and looking a
// line up happens before the recorder's lock, not while others wait for it.
var (
	lines   atomic.Pointer[map[uintptr]int]
	linesMu sync.Mutex // serialises publishing
)

// lineOf is the source line of the call that returns to pc, or 0.
func lineOf(pc uintptr) int {
	if m := lines.Load(); m != nil {
		if line, ok := (*m)[pc]; ok {
			return line
		}
	}
	line := sourceLine(pc)
	linesMu.Lock()
	defer linesMu.Unlock()
	old := lines.Load()
	next := make(map[uintptr]int, 1)
	if old != nil {
		next = maps.Clone(*old)
	}
	next[pc] = line
	lines.Store(&next)
	return line
}

// wrapped stands for a program counter in a wrapper the compiler generated,
// such as the one a method value (f := lane.Wait) calls through: walking
// frame pointers stops in it, and only runtime.Callers, which looks past
// it, finds the scenario's line.
const wrapped = -1

// sourceLine looks up the line of the call that returns to pc: 0 if there
// is none, wrapped if pc is in a generated wrapper. It is kept out of line
// so that its large frame is not part of every report: a goroutine that
// does little else than report should not need its stack grown (and
// copied) for it.
//
//go:noinline
func sourceLine(pc uintptr) int {
	if pc == 0 {
		return 0
	}
	frame, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	if frame.File == "<autogenerated>" {
		return wrapped
	}
	return frame.Line
}

// slowLine is the line of the call skip frames above its caller's caller,
// found by runtime.Callers: for calls through a generated wrapper only.
//
//go:noinline
func slowLine(skip int) int {
	var pc [1]uintptr
	runtime.Callers(skip+3, pc[:]) // skip runtime.Callers, slowLine and its caller
	if line := sourceLine(pc[0]); line != wrapped {
		return line
	}
	return 0
}

// Lane starts a lane for a goroutine (or for work about to get one) and
// reports its spawn. fn names the function it runs. A name already used gets
// " #2", " #3" appended, so lanes stay apart.
//
//go:noinline
func (r *Recorder) Lane(name, fn string) *Lane {
	line := lineOf(callerPC(0))
	if line == wrapped {
		line = slowLine(0)
	}
	at := time.Since(r.start)
	// The spawn is passed on before the names lock is let go, so that lanes
	// named at once from several goroutines spawn in the order they were
	// numbered. Reports never take the names lock.
	r.names.Lock()
	defer r.names.Unlock()
	l := r.newLane(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.emitLocked(Event{Lane: l.name, Kind: Spawn, Label: fn}, line, at)
	return l
}

// newLane names a new lane, numbering a name already used. r.names is held.
func (r *Recorder) newLane(name string) *Lane {
	n := r.lanes[name] + 1
	r.lanes[name] = n
	if n > 1 {
		name += " #" + strconv.Itoa(n)
	}
	if len(r.spare) == 0 {
		r.spare = make([]Lane, 64)
	}
	l := &r.spare[0]
	r.spare = r.spare[1:]
	*l = Lane{r: r, name: name}
	return l
}

// Lane is one goroutine's row on the timeline.
type Lane struct {
	r    *Recorder
	name string
}

// Name is the lane's name as drawn.
func (l *Lane) Name() string { return l.name }

// Wait reports that the lane is about to block on what ("semaphore", "lock",
// "waitgroup", ...).
//
//go:noinline
func (l *Lane) Wait(what string) { l.r.record(Event{Lane: l.name, Kind: Wait, Label: what}, 1) }

// Acquire reports that the lane now holds what.
//
//go:noinline
func (l *Lane) Acquire(what string) { l.r.record(Event{Lane: l.name, Kind: Acquire, Label: what}, 1) }

// Release reports that the lane is giving what back. Call it just before the
// release itself, so that nobody is seen to acquire before it.
//
//go:noinline
func (l *Lane) Release(what string) { l.r.record(Event{Lane: l.name, Kind: Release, Label: what}, 1) }

// Wake reports that the lane runs again after a wait.
//
//go:noinline
func (l *Lane) Wake() { l.r.record(Event{Lane: l.name, Kind: Wake}, 1) }

// Set reports that the lane set an event (what names it).
//
//go:noinline
func (l *Lane) Set(what string) { l.r.record(Event{Lane: l.name, Kind: Set, Label: what}, 1) }

// Put reports that the lane put an item on a queue, which now holds n.
// The label is "queue", as the tracer's.
//
//go:noinline
func (l *Lane) Put(n int) { l.r.record(Event{Lane: l.name, Kind: Put, Label: "queue", Value: n}, 1) }

// Get reports that the lane took an item off a queue, which now holds n.
//
//go:noinline
func (l *Lane) Get(n int) { l.r.record(Event{Lane: l.name, Kind: Get, Label: "queue", Value: n}, 1) }

// Deadline reports a deadline d from now on this lane (a context timeout,
// a select on time.After).
//
//go:noinline
func (l *Lane) Deadline(d time.Duration) { l.r.record(Event{Lane: l.name, Kind: Deadline, Dur: d}, 1) }

// Timeout reports that the lane's deadline passed.
//
//go:noinline
func (l *Lane) Timeout() { l.r.record(Event{Lane: l.name, Kind: Timeout}, 1) }

// Blocked reports that the lane is about to hold its thread for d without
// yielding: call it just before the blocking call. Go has no event loop to
// freeze, so this only marks the lane.
//
//go:noinline
func (l *Lane) Blocked(d time.Duration) {
	l.r.record(Event{Lane: l.name, Kind: Blocked, Dur: d}, 1)
}

// Log reports a line the program would print.
//
//go:noinline
func (l *Lane) Log(format string, args ...any) {
	l.r.record(Event{Lane: l.name, Kind: Log, Label: fmt.Sprintf(format, args...)}, 1)
}

// Done reports that the lane's function returned.
//
//go:noinline
func (l *Lane) Done() { l.r.record(Event{Lane: l.name, Kind: Done}, 1) }

// DoneWith reports that the lane's function returned result.
//
//go:noinline
func (l *Lane) DoneWith(result string) { l.r.record(Event{Lane: l.name, Kind: Done, Label: result}, 1) }

// Fail reports that the lane ended with err.
//
//go:noinline
func (l *Lane) Fail(err error) { l.r.record(Event{Lane: l.name, Kind: Error, Label: err.Error()}, 1) }

// Cancelled reports that the lane ended because it was cancelled.
//
//go:noinline
func (l *Lane) Cancelled() { l.r.record(Event{Lane: l.name, Kind: Cancelled}, 1) }

// End reports how the lane's function ended: done when err is nil, cancelled
// when err is a context error, and error otherwise.
//
//go:noinline
func (l *Lane) End(err error) {
	switch {
	case err == nil:
		l.r.record(Event{Lane: l.name, Kind: Done}, 1)
	case errors.Is(err, context.Canceled):
		l.r.record(Event{Lane: l.name, Kind: Cancelled}, 1)
	case errors.Is(err, context.DeadlineExceeded):
		l.r.record(Event{Lane: l.name, Kind: Timeout}, 1)
		l.r.record(Event{Lane: l.name, Kind: Cancelled}, 1)
	default:
		l.r.record(Event{Lane: l.name, Kind: Error, Label: err.Error()}, 1)
	}
}

// Sleep waits for d, as a network call would, unless ctx ends first. It
// reports the sleep and, when it finishes, the wake.
//
//go:noinline
func (l *Lane) Sleep(ctx context.Context, d time.Duration) error {
	l.r.record(Event{Lane: l.name, Kind: Sleep, Dur: d}, 1)
	if err := sleep(ctx, d, l.r.precise); err != nil {
		return err
	}
	l.r.record(Event{Lane: l.name, Kind: Wake}, 1)
	return nil
}

// sleep waits for d unless ctx ends first, and says why it stopped. It takes
// no timer for d <= 0, and lives apart from Sleep so that the timer's frame
// is not on the stack while Sleep reports. precise asks for the system's
// high-resolution timer (see Recorder.SleepPrecisely).
func sleep(ctx context.Context, d time.Duration, precise bool) error {
	if d <= 0 {
		return ctx.Err()
	}
	if precise {
		if ok, err := preciseSleep(ctx, d); ok {
			return err
		}
	}
	return timerSleep(ctx, d)
}

// timerSleep is sleep on the Go runtime's timers.
func timerSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
