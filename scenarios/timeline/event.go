// Package timeline is the event model both runtimes report in: a run is a
// stream of events on named lanes, measured from the run's start on one clock.
// The package also derives what the page draws from those events: lane
// segments, live counts, a summary, and the hand-drawn text lanes.
package timeline

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Kind says what happened to a lane.
type Kind string

// The kinds of event. A lane's state follows from the last state-changing
// event on it: spawn, acquire and wake make it run; wait makes it wait; sleep
// makes it do I/O (a sleep stands in for the network); done, error and
// cancelled end it. Log, release, set, put, get, deadline, timeout and
// blocked mark an instant without changing the state by themselves.
const (
	Spawn     Kind = "spawn"     // the lane starts; Label is the function it runs
	Wait      Kind = "wait"      // the lane blocks; Label names what it waits for
	Acquire   Kind = "acquire"   // the lane holds a permit or lock; Value is how many are held
	Release   Kind = "release"   // the lane gives one back; Value is how many are held after
	Sleep     Kind = "sleep"     // the lane waits on a timer (I/O stand-in); Dur is how long
	Wake      Kind = "wake"      // the lane runs again after a sleep or a wait
	Log       Kind = "log"       // the program printed Label on this lane
	Set       Kind = "set"       // the lane set an event
	Put       Kind = "put"       // the lane put an item; Value is the queue size after
	Get       Kind = "get"       // the lane got an item; Value is the queue size after
	Deadline  Kind = "deadline"  // a deadline Dur from now was set on this lane
	Timeout   Kind = "timeout"   // the lane's deadline passed
	Blocked   Kind = "blocked"   // the lane held the event loop for Dur without yielding
	Done      Kind = "done"      // the lane returned; Label is its result, if any
	Error     Kind = "error"     // the lane ended with an error; Label is the message
	Cancelled Kind = "cancelled" // the lane ended cancelled
)

// kinds lists every kind, for validation.
var kinds = map[Kind]bool{
	Spawn: true, Wait: true, Acquire: true, Release: true, Sleep: true,
	Wake: true, Log: true, Set: true, Put: true, Get: true, Deadline: true,
	Timeout: true, Blocked: true, Done: true, Error: true, Cancelled: true,
}

// Valid reports whether k is one of the kinds above.
func (k Kind) Valid() bool { return kinds[k] }

// Ends reports whether k ends a lane.
func (k Kind) Ends() bool { return k == Done || k == Error || k == Cancelled }

// Event is one thing that happened on one lane.
type Event struct {
	At    time.Duration // since the run started
	Lane  string        // the task or goroutine, as its runtime names it
	Kind  Kind
	Label string        // what the event is about (see the kinds)
	Line  int           // the source line that caused it; 0 when unknown
	Value int           // a count where the kind has one (see the kinds)
	Dur   time.Duration // a length where the kind has one (sleep, deadline, blocked)
}

// wire is the JSON form of an Event: times in seconds, as the tracer writes them.
type wire struct {
	T     float64 `json:"t"`
	Lane  string  `json:"lane"`
	Kind  Kind    `json:"kind"`
	Label string  `json:"label,omitempty"`
	Line  int     `json:"line,omitempty"`
	Value int     `json:"value,omitempty"`
	Dur   float64 `json:"dur,omitempty"`
}

// MarshalJSON writes the event as {"t": seconds, "lane", "kind", ...}.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(wire{
		T: e.At.Seconds(), Lane: e.Lane, Kind: e.Kind, Label: e.Label,
		Line: e.Line, Value: e.Value, Dur: e.Dur.Seconds(),
	})
}

// UnmarshalJSON reads the form MarshalJSON writes and checks it.
func (e *Event) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if !w.Kind.Valid() {
		return fmt.Errorf("unknown event kind %q", w.Kind)
	}
	if w.Lane == "" {
		return fmt.Errorf("%s event has no lane", w.Kind)
	}
	if math.IsNaN(w.T) || w.T < 0 || w.T > 1e6 || math.IsNaN(w.Dur) || w.Dur < 0 || w.Dur > 1e6 {
		return fmt.Errorf("%s event has a time out of range", w.Kind)
	}
	*e = Event{
		At: Seconds(w.T), Lane: w.Lane, Kind: w.Kind, Label: w.Label,
		Line: w.Line, Value: w.Value, Dur: Seconds(w.Dur),
	}
	return nil
}

// Seconds converts seconds to a Duration, rounded to the microsecond.
func Seconds(s float64) time.Duration {
	return time.Duration(math.Round(s*1e6)) * time.Microsecond
}

// String gives the event as a short line, for test messages and logs.
func (e Event) String() string {
	s := fmt.Sprintf("%8.3fs %-12s %-9s", e.At.Seconds(), e.Lane, e.Kind)
	if e.Label != "" {
		s += " " + e.Label
	}
	if e.Value != 0 {
		s += fmt.Sprintf(" value=%d", e.Value)
	}
	if e.Dur != 0 {
		s += fmt.Sprintf(" dur=%.3fs", e.Dur.Seconds())
	}
	if e.Line != 0 {
		s += fmt.Sprintf(" (line %d)", e.Line)
	}
	return s
}
