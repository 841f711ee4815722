package timeline

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"
)

// here is the line it is called from.
//
//go:noinline
func here() int {
	_, _, line, _ := runtime.Caller(1)
	return line
}

// at runs report, written on the line at is called from, and returns that
// line once for each event report is expected to give.
func at(events int, report func()) []int {
	_, _, line, _ := runtime.Caller(1)
	report()
	return slices.Repeat([]int{line}, events)
}

// acquireVia is small enough to be inlined into its caller, so the line it
// reports from is inside a frame that exists only in the line tables.
func acquireVia(l *Lane) int {
	l.Acquire("s")
	return here() - 1
}

// deep reports from n frames down, after the stack has grown (and been
// copied, frame pointers and all) on the way.
func deep(l *Lane, n int) int {
	if n == 0 {
		l.Wake()
		return here() - 1
	}
	var pad [64]byte
	line := deep(l, n-1)
	return line + int(pad[n%64])
}

// TestEventLines: every way of reporting stamps the line of the scenario's
// call, found by walking frame pointers, as runtime.Caller sees it: from a
// plain call, from a call inlined into its caller, from a closure on its own
// goroutine, through a method value, and from deep in a grown stack.
func TestEventLines(t *testing.T) {
	var got []Event
	r := NewRecorder(func(e Event) { got = append(got, e) }, 0)
	var l *Lane
	want := at(1, func() { l = r.Lane("a", "f") })
	want = append(want, at(1, func() { l.Wait("s") })...)
	want = append(want, acquireVia(l))
	want = append(want, at(1, func() { l.Release("s") })...)
	want = append(want, at(1, func() { l.Set("e") })...)
	want = append(want, at(1, func() { l.Put(1) })...)
	want = append(want, at(1, func() { l.Get(0) })...)
	want = append(want, at(1, func() { l.Deadline(1) })...)
	want = append(want, at(1, func() { l.Timeout() })...)
	want = append(want, at(1, func() { l.Blocked(1) })...)
	want = append(want, at(1, func() { l.Log("x %d", 1) })...)
	want = append(want, at(2, func() { _ = l.Sleep(context.Background(), 0) })...)
	want = append(want, at(1, func() { l.Fail(errors.New("x")) })...)
	want = append(want, at(1, func() { l.Cancelled() })...)
	want = append(want, at(1, func() { l.DoneWith("r") })...)
	want = append(want, at(2, func() { l.End(context.DeadlineExceeded) })...)
	wait, newLane := l.Wait, r.Lane // method values: calls through generated wrappers
	want = append(want, at(1, func() { wait("s") })...)
	want = append(want, at(1, func() { newLane("b", "g") })...)
	done := make(chan []int)
	go func() { done <- at(1, func() { l.Done() }) }()
	want = append(want, <-done...)
	want = append(want, deep(l, 2000))
	if len(got) != len(want) {
		t.Fatalf("%d events for %d calls: %v", len(got), len(want), got)
	}
	for i, e := range got {
		if e.Line != want[i] {
			t.Errorf("event %d (%s) has line %d; want %d", i, e.Kind, e.Line, want[i])
		}
	}
}

// BenchmarkCallerPC prints what finding an event's caller costs, walking
// frame pointers (callerPC) beside the runtime.Callers it replaced, a
// million calls each, alternately for three rounds.
func BenchmarkCallerPC(b *testing.B) {
	const calls, rounds = 1_000_000, 3
	timeIt := func(find func() uintptr) time.Duration {
		start := time.Now()
		for range calls {
			if find() == 0 {
				b.Fatal("no caller found")
			}
		}
		return time.Since(start) / calls
	}
	fast := func() uintptr { return callerPC(0) }
	slow := func() uintptr {
		var pc [1]uintptr
		runtime.Callers(2, pc[:])
		return pc[0]
	}
	var f, s []time.Duration
	for range b.N {
		for range rounds {
			f, s = append(f, timeIt(fast)), append(s, timeIt(slow))
		}
	}
	mf, ms := median(f), median(s)
	b.ReportMetric(float64(mf), "ns/framepointers")
	b.ReportMetric(float64(ms), "ns/runtime.Callers")
	b.Logf("finding the caller: %v by frame pointers, %v by runtime.Callers (%.0fx)", mf, ms, float64(ms)/float64(max(mf, 1)))
}
