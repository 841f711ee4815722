package timeline

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
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
	lanes map[string]int
	max   int
	count int
	full  bool
	lines sync.Map // program counter -> source line
}

// ErrTooManyEvents is reported once a recorder has passed its event cap.
var ErrTooManyEvents = errors.New("the run produced too many events and was stopped")

// NewRecorder starts the run's clock now. It passes each event to sink
// (called with the recorder's lock held, so keep it quick) until maxEvents
// have been recorded; maxEvents <= 0 means no cap.
func NewRecorder(sink func(Event), maxEvents int) *Recorder {
	return &Recorder{start: time.Now(), sink: sink, lanes: map[string]int{}, max: maxEvents}
}

// Full reports whether the event cap was reached.
func (r *Recorder) Full() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.full
}

func (r *Recorder) record(e Event, skip int) {
	e.Line = r.callerLine(skip + 2)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.full {
		return
	}
	if r.max > 0 && r.count >= r.max {
		r.full = true
		return
	}
	r.count++
	e.At = time.Since(r.start)
	r.sink(e)
}

// callerLine is the line of the caller skip frames up, or 0. Finding a
// line is far slower than finding a program counter, and a scenario reports
// from a handful of places many times over, so lines are cached by counter.
func (r *Recorder) callerLine(skip int) int {
	var pc [1]uintptr
	if runtime.Callers(skip+1, pc[:]) == 0 {
		return 0
	}
	if line, ok := r.lines.Load(pc[0]); ok {
		return line.(int)
	}
	frame, _ := runtime.CallersFrames(pc[:]).Next()
	r.lines.Store(pc[0], frame.Line)
	return frame.Line
}

// Lane starts a lane for a goroutine (or for work about to get one) and
// reports its spawn. fn names the function it runs. A name already used gets
// " #2", " #3" appended, so lanes stay apart.
func (r *Recorder) Lane(name, fn string) *Lane {
	r.mu.Lock()
	r.lanes[name]++
	if n := r.lanes[name]; n > 1 {
		name = fmt.Sprintf("%s #%d", name, n)
	}
	r.mu.Unlock()
	l := &Lane{r: r, name: name}
	r.record(Event{Lane: name, Kind: Spawn, Label: fn}, 1)
	return l
}

// Lane is one goroutine's row on the timeline.
type Lane struct {
	r    *Recorder
	name string
}

// Name is the lane's name as drawn.
func (l *Lane) Name() string { return l.name }

func (l *Lane) emit(k Kind, label string) {
	l.r.record(Event{Lane: l.name, Kind: k, Label: label}, 2)
}

// Wait reports that the lane is about to block on what ("semaphore", "lock",
// "waitgroup", ...).
func (l *Lane) Wait(what string) { l.emit(Wait, what) }

// Acquire reports that the lane now holds what.
func (l *Lane) Acquire(what string) { l.emit(Acquire, what) }

// Release reports that the lane is giving what back. Call it just before the
// release itself, so that nobody is seen to acquire before it.
func (l *Lane) Release(what string) { l.emit(Release, what) }

// Wake reports that the lane runs again after a wait.
func (l *Lane) Wake() { l.emit(Wake, "") }

// Set reports that the lane set an event (what names it).
func (l *Lane) Set(what string) { l.emit(Set, what) }

// Put reports that the lane put an item on a queue, which now holds n.
// The label is "queue", as the tracer's.
func (l *Lane) Put(n int) { l.r.record(Event{Lane: l.name, Kind: Put, Label: "queue", Value: n}, 1) }

// Get reports that the lane took an item off a queue, which now holds n.
func (l *Lane) Get(n int) { l.r.record(Event{Lane: l.name, Kind: Get, Label: "queue", Value: n}, 1) }

// Deadline reports a deadline d from now on this lane (a context timeout,
// a select on time.After).
func (l *Lane) Deadline(d time.Duration) { l.r.record(Event{Lane: l.name, Kind: Deadline, Dur: d}, 1) }

// Timeout reports that the lane's deadline passed.
func (l *Lane) Timeout() { l.emit(Timeout, "") }

// Blocked reports that the lane is about to hold its thread for d without
// yielding: call it just before the blocking call. Go has no event loop to
// freeze, so this only marks the lane.
func (l *Lane) Blocked(d time.Duration) {
	l.r.record(Event{Lane: l.name, Kind: Blocked, Dur: d}, 1)
}

// Log reports a line the program would print.
func (l *Lane) Log(format string, args ...any) { l.emit(Log, fmt.Sprintf(format, args...)) }

// Done reports that the lane's function returned.
func (l *Lane) Done() { l.emit(Done, "") }

// DoneWith reports that the lane's function returned result.
func (l *Lane) DoneWith(result string) { l.emit(Done, result) }

// Fail reports that the lane ended with err.
func (l *Lane) Fail(err error) { l.emit(Error, err.Error()) }

// Cancelled reports that the lane ended because it was cancelled.
func (l *Lane) Cancelled() { l.emit(Cancelled, "") }

// End reports how the lane's function ended: done when err is nil, cancelled
// when err is a context error, and error otherwise.
func (l *Lane) End(err error) {
	switch {
	case err == nil:
		l.emit(Done, "")
	case errors.Is(err, context.Canceled):
		l.emit(Cancelled, "")
	case errors.Is(err, context.DeadlineExceeded):
		l.emit(Timeout, "")
		l.emit(Cancelled, "")
	default:
		l.emit(Error, err.Error())
	}
}

// Sleep waits for d, as a network call would, unless ctx ends first. It
// reports the sleep and, when it finishes, the wake.
func (l *Lane) Sleep(ctx context.Context, d time.Duration) error {
	l.r.record(Event{Lane: l.name, Kind: Sleep, Dur: d}, 1)
	if d <= 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		l.r.record(Event{Lane: l.name, Kind: Wake}, 1)
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		l.r.record(Event{Lane: l.name, Kind: Wake}, 1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
