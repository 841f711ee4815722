package server

import (
	"sync"
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
	// line. Each waiting socket asks its place ten times a second; with
	// 5,000 in line a scan per ask came to 5,000 x 5,000 comparisons ten
	// times a second (4 ms per round of asks here). Now the line is
	// numbered once after each change, and an ask is a lookup.
	numbered bool
}

// ticket is one run's place: ready is closed when it may start.
type ticket struct {
	q      *runQueue
	client string
	ready  chan struct{}
	admit  bool // admitted (holds a slot)
	done   bool // left or finished
	pos    int  // place in line while waiting, once the line is numbered
}

func newRunQueue(slots, perClient int) *runQueue {
	return &runQueue{slots: max(slots, 1), perClient: max(perClient, 1), byClient: map[string]int{}}
}

// join puts a run from client in line; its ticket's ready closes when it
// may start (at once, if there is room).
func (q *runQueue) join(client string) *ticket {
	t := &ticket{q: q, client: client, ready: make(chan struct{})}
	q.mu.Lock()
	q.waiting = append(q.waiting, t)
	q.numbered = false
	q.admitLocked()
	q.mu.Unlock()
	return t
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
		q.numbered = false
		q.running++
		q.byClient[t.client]++
		t.admit = true
		close(t.ready)
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
				q.numbered = false
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
