package timeline

import (
	"sort"
	"strings"
	"time"
)

// State is what a lane is doing between two of its events.
type State string

// The states a lane can be in. Colour is never the only difference between
// them: the page draws each with its own shape, and the text view with its own
// character.
const (
	Running State = "run"  // executing code
	IO      State = "io"   // waiting on a timer or the network: busy, but not on the CPU
	Waiting State = "wait" // blocked on a resource (semaphore, lock, queue, event)
	Joining State = "join" // awaiting other tasks (gather, TaskGroup, WaitGroup, a thread)
	Ended   State = "end"
)

// joinWaits are the wait labels that mean "awaiting other work" rather than
// "blocked on a shared resource".
var joinWaits = map[string]bool{
	"taskgroup": true, "gather": true, "wait": true, "waitgroup": true,
	"as_completed": true, "thread": true, "wait_for": true, "errgroup": true,
	"executor": true, "process": true,
}

// ioWaits are the wait labels that mean waiting on the network: asyncio's
// "future" (a stream read, a socket), a Go lane's "response" (a request
// sent, its answer not yet come) and "request" (a server's kept-alive
// connection, waiting for the next request).
var ioWaits = map[string]bool{"future": true, "response": true, "request": true}

// Segment is a stretch of one lane in one state.
type Segment struct {
	Start, End time.Duration
	State      State
	Label      string // what it waits for, when State is Waiting or Joining
	Open       bool   // still going at the time the view was taken
}

// Hold is a stretch during which a lane held a permit or a lock.
type Hold struct {
	Lane       string
	What       string // "semaphore", "lock"
	Start, End time.Duration
	Open       bool
}

// LaneView is one task or goroutine as the page draws it.
type LaneView struct {
	Name     string
	Func     string // the function it runs, from its spawn event
	Start    time.Duration
	Segments []Segment
	Marks    []Event // instants worth a tick: logs, sets, puts, gets, timeouts, blocked spans
	End      Kind    // Done, Error or Cancelled once ended; "" while running
	EndLabel string
}

// Timeline gathers one runtime's events and answers what the page asks.
// The zero value is empty and ready. It is not safe for concurrent use.
type Timeline struct {
	events []Event
}

type laneState struct {
	LaneView
	state State
	label string
	since time.Duration
}

// Add appends one event. Events must come in the order they happened.
func (t *Timeline) Add(e Event) {
	t.events = append(t.events, e)
}

// Events returns the events so far, in order. The slice is shared: do not modify it.
func (t *Timeline) Events() []Event { return t.events }

// Len is the number of events so far.
func (t *Timeline) Len() int { return len(t.events) }

// Last is the time of the latest event, or 0.
func (t *Timeline) Last() time.Duration {
	var last time.Duration
	for _, e := range t.events {
		last = max(last, e.At)
	}
	return last
}

// View is a timeline as it stood at one instant.
type View struct {
	Now     time.Duration
	Lanes   []LaneView
	Holds   []Hold
	Busy    int // lanes holding a permit or lock, or else running or doing I/O, at Now
	Waiting int // lanes blocked on a resource at Now
	MaxHeld int // the most holds open at once, over the whole run so far
	MaxBusy int // the most lanes running or doing I/O at once, so far
	Events  int
}

// At replays the events up to and including now and returns what they show,
// with open segments drawn up to now.
func (t *Timeline) At(now time.Duration) View {
	v := View{Now: now}
	lanes := []*laneState{}
	byName := map[string]*laneState{}
	var holds []Hold
	open := map[string][]int{} // lane -> indexes of its open holds
	held, busy := 0, 0
	lane := func(e Event) *laneState {
		l := byName[e.Lane]
		if l == nil {
			l = &laneState{LaneView: LaneView{Name: e.Lane, Start: e.At}, state: Running, since: e.At}
			byName[e.Lane] = l
			lanes = append(lanes, l)
			busy++
		}
		return l
	}
	isBusy := func(s State) bool { return s == Running || s == IO }
	move := func(l *laneState, at time.Duration, s State, label string) {
		if l.state == Ended {
			return
		}
		if at > l.since {
			l.Segments = append(l.Segments, Segment{Start: l.since, End: at, State: l.state, Label: l.label})
		}
		if isBusy(l.state) {
			busy--
		}
		if isBusy(s) {
			busy++
		}
		l.state, l.label, l.since = s, label, at
	}
	for _, e := range t.events {
		if e.At > now {
			break
		}
		v.Events++
		l := lane(e)
		switch e.Kind {
		case Spawn:
			l.Func = e.Label
		case Wait:
			s := Waiting
			switch {
			case joinWaits[e.Label] || strings.HasPrefix(e.Label, "task: "):
				s = Joining
			case ioWaits[e.Label]:
				s = IO // a stream read, a socket: waiting on I/O, not a shared resource
			}
			move(l, e.At, s, e.Label)
		case Acquire:
			move(l, e.At, Running, "")
			holds = append(holds, Hold{Lane: e.Lane, What: e.Label, Start: e.At, Open: true})
			open[e.Lane] = append(open[e.Lane], len(holds)-1)
			held++
			v.MaxHeld = max(v.MaxHeld, held)
		case Release:
			if name, j := released(holds, open, e.Lane, e.Label); j >= 0 {
				idx := open[name]
				holds[idx[j]].End, holds[idx[j]].Open = e.At, false
				// Taken on another's behalf (main acquiring before
				// create_task): the hold is the releasing lane's.
				holds[idx[j]].Lane = e.Lane
				open[name] = append(idx[:j:j], idx[j+1:]...)
				held--
			}
			l.Marks = append(l.Marks, e)
		case Sleep:
			move(l, e.At, IO, "")
		case Wake:
			move(l, e.At, Running, "")
		case Done, Error, Cancelled:
			move(l, e.At, Ended, "")
			l.End, l.EndLabel = e.Kind, e.Label
			for _, i := range open[e.Lane] {
				holds[i].End, holds[i].Open = e.At, false
				held--
			}
			delete(open, e.Lane)
			l.Marks = append(l.Marks, e)
		default:
			l.Marks = append(l.Marks, e)
		}
		v.MaxBusy = max(v.MaxBusy, busy)
	}
	for _, l := range lanes {
		if l.state != Ended {
			if now > l.since {
				l.Segments = append(l.Segments, Segment{Start: l.since, End: now, State: l.state, Label: l.label, Open: true})
			}
			if l.state == Waiting {
				v.Waiting++
			}
		}
		v.Lanes = append(v.Lanes, l.LaneView)
	}
	for i := range holds {
		if holds[i].Open {
			holds[i].End = max(now, holds[i].Start)
		}
	}
	v.Holds = holds
	if len(holds) > 0 {
		v.Busy = held
	} else {
		v.Busy = busy
	}
	return v
}

// Connection is one row of the packed view: the holds that used one permit,
// one after another.
type Connection struct {
	Holds []PackedHold
}

// PackedHold is a hold placed on a connection row, numbered by its lane's
// order of appearance (1 for the first lane that ever held).
type PackedHold struct {
	Hold
	N int
}

// Pack assigns every hold to the lowest-numbered row free when it starts, the
// way people draw a semaphore by hand ("Connection 1: 1----4---7--"). With a
// semaphore of n permits it needs at most n rows.
func Pack(v View) []Connection {
	holds := append([]Hold(nil), v.Holds...)
	sort.SliceStable(holds, func(i, j int) bool { return holds[i].Start < holds[j].Start })
	number := map[string]int{}
	for _, l := range v.Lanes {
		for _, h := range holds {
			if h.Lane == l.Name {
				if _, ok := number[l.Name]; !ok {
					number[l.Name] = len(number) + 1
				}
				break
			}
		}
	}
	var rows []Connection
	var busyUntil []time.Duration
	for _, h := range holds {
		row := -1
		for i, until := range busyUntil {
			if until <= h.Start {
				row = i
				break
			}
		}
		if row < 0 {
			rows = append(rows, Connection{})
			busyUntil = append(busyUntil, 0)
			row = len(rows) - 1
		}
		rows[row].Holds = append(rows[row].Holds, PackedHold{Hold: h, N: number[h.Lane]})
		busyUntil[row] = h.End
		if h.Open {
			busyUntil[row] = 1<<63 - 1
		}
	}
	return rows
}

// released finds the hold a release of what by lane gives back: the lane's
// own most recent hold of that kind or, when it holds none, the oldest open
// one of that kind on any lane (a permit taken by one task and given back
// by another, as when main acquires before create_task). It returns the
// holding lane and the position in open[lane], or -1.
func released(holds []Hold, open map[string][]int, lane, what string) (string, int) {
	idx := open[lane]
	for j := len(idx) - 1; j >= 0; j-- {
		if holds[idx[j]].What == what {
			return lane, j
		}
	}
	owner, pos, oldest := "", -1, -1
	for name, idx := range open {
		for j, i := range idx {
			if holds[i].What == what && (oldest < 0 || i < oldest) {
				owner, pos, oldest = name, j, i
			}
		}
	}
	return owner, pos
}
