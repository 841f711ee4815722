package server

import "testing"

func admitted(t *ticket) bool {
	select {
	case <-t.ready:
		return true
	default:
		return false
	}
}

func TestRunQueueOrderAndCaps(t *testing.T) {
	q := newRunQueue(2, 1)
	a := q.join("10.0.0.1")
	b := q.join("10.0.0.1") // same client: waits for its own cap
	c := q.join("10.0.0.2")
	d := q.join("10.0.0.3")
	if !admitted(a) || admitted(b) || !admitted(c) || admitted(d) {
		t.Fatalf("admitted a=%v b=%v c=%v d=%v; want a and c", admitted(a), admitted(b), admitted(c), admitted(d))
	}
	if b.position() != 1 || d.position() != 2 {
		t.Errorf("positions b=%d d=%d; want 1 and 2", b.position(), d.position())
	}
	c.leave()
	// b is first in line but its client is still at the cap: d goes.
	if admitted(b) || !admitted(d) {
		t.Errorf("after c left: b=%v d=%v; want d admitted, b still waiting", admitted(b), admitted(d))
	}
	a.leave()
	if !admitted(b) || b.position() != 0 {
		t.Errorf("after a left, b admitted = %v (position %d)", admitted(b), b.position())
	}
	b.leave()
	b.leave() // twice is harmless
	d.leave()
	if r, w := q.stats(); r != 0 || w != 0 {
		t.Errorf("stats = %d running, %d waiting; want 0, 0", r, w)
	}
}

func TestRunQueueLeaveWhileWaiting(t *testing.T) {
	q := newRunQueue(1, 5)
	a := q.join("x")
	b := q.join("y")
	c := q.join("z")
	b.leave()
	if c.position() != 1 {
		t.Errorf("c's position after b left the line = %d; want 1", c.position())
	}
	a.leave()
	if !admitted(c) {
		t.Error("c not admitted after a finished")
	}
	c.leave()
}
