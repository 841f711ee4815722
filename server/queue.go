package server

import (
	"sync"
	"time"
)

// runQueue admits runs: at most slots at once in all, at most perClient
// at once from one address, and the rest wait first come, first served,
// each able to ask its place in line. It is safe for concurrent use.
type runQueue struct {
	mu        sync.Mutex
	slots     int
	perClient int
	running   int
	byClient  map[string]int
	waiting   []*ticket
	// numbered is set while every waiting ticket's pos is its place in
	// line: the line is numbered once after a change, and an ask is a
	// lookup (a scan per ask was 5,000 x 5,000 comparisons with 5,000 in
	// line).
	numbered bool
	// tellEvery is how soon after a change the waiting tickets that have
	// a watcher hear their new places (one pass for any number of
	// changes); tellTimer is that pass, while one is due.
	tellEvery time.Duration
	tellTimer *time.Timer
	stopped   bool
}

// lineWatcher is told about its ticket instead of asking: a run socket
// waiting in line holds no goroutine of its own.
type lineWatcher interface {
	// admitted is called, in a goroutine of its own, once the ticket
	// holds a slot.
	admitted()
	// place is the ticket's place in line (1 = next) after the line
	// changed; it must not block.
	place(pos int)
}

// ticket is one run's place: ready is closed when it may start.
type ticket struct {
	q      *runQueue
	client string
	ready  chan struct{}
	admit  bool // admitted (holds a slot)
	done   bool // left or finished
	pos    int  // place in line while waiting, once the line is numbered
	watch  lineWatcher
}

func newRunQueue(slots, perClient int) *runQueue {
	return &runQueue{slots: max(slots, 1), perClient: max(perClient, 1), byClient: map[string]int{},
		tellEvery: 100 * time.Millisecond}
}

// join puts a run from client in line; its ticket's ready closes when it
// may start (at once, if there is room).
func (q *runQueue) join(client string) *ticket {
	return q.joinWatched(client, nil)
}

// joinWatched is join for a ticket whose watcher, if not nil, hears when
// it is admitted and where it stands while it waits.
func (q *runQueue) joinWatched(client string, w lineWatcher) *ticket {
	t := &ticket{q: q, client: client, ready: make(chan struct{}), watch: w}
	q.mu.Lock()
	q.waiting = append(q.waiting, t)
	q.changedLocked()
	q.admitLocked()
	q.mu.Unlock()
	return t
}

// changedLocked marks the line as changed: it is numbered again when next
// asked, and a pass telling the watchers their places is due.
func (q *runQueue) changedLocked() {
	q.numbered = false
	if q.tellTimer == nil && !q.stopped && len(q.waiting) > 0 {
		q.tellTimer = time.AfterFunc(q.tellEvery, q.tell)
	}
}

// tell gives every watched waiting ticket its place.
func (q *runQueue) tell() {
	type told struct {
		w   lineWatcher
		pos int
	}
	var out []told
	q.mu.Lock()
	q.tellTimer = nil
	for i, t := range q.waiting {
		t.pos = i + 1
		if t.watch != nil {
			out = append(out, told{t.watch, t.pos})
		}
	}
	q.numbered = true
	q.mu.Unlock()
	for _, o := range out {
		o.w.place(o.pos)
	}
}

// stop cancels a pending pass; the queue tells nobody after it.
func (q *runQueue) stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	if q.tellTimer != nil {
		q.tellTimer.Stop()
		q.tellTimer = nil
	}
}

// admitLocked starts every waiting ticket that fits, in order; a ticket
// whose client is at its own cap waits without holding up the others.
func (q *runQueue) admitLocked() {
	for i := 0; i < len(q.waiting) && q.running < q.slots; {
		t := q.waiting[i]
		if q.byClient[t.client] >= q.perClient {
			i++
			continue
		}
		q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
		q.changedLocked()
		q.running++
		q.byClient[t.client]++
		t.admit = true
		close(t.ready)
		if t.watch != nil {
			go t.watch.admitted()
		}
	}
}

// position is the ticket's place in line (1 = next), or 0 once admitted
// (or gone).
func (t *ticket) position() int {
	q := t.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if t.admit || t.done {
		return 0
	}
	if !q.numbered {
		for i, w := range q.waiting {
			w.pos = i + 1
		}
		q.numbered = true
	}
	return t.pos
}

// leave gives the slot back (or the place in line); calling it twice is
// harmless.
func (t *ticket) leave() {
	q := t.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if t.done {
		return
	}
	t.done = true
	if t.admit {
		q.running--
		if q.byClient[t.client]--; q.byClient[t.client] <= 0 {
			delete(q.byClient, t.client)
		}
	} else {
		for i, w := range q.waiting {
			if w == t {
				q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
				q.changedLocked()
				break
			}
		}
	}
	q.admitLocked()
}

// stats reports runs going and waiting.
func (q *runQueue) stats() (running, waiting int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.running, len(q.waiting)
}
