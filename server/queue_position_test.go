package server

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestRunQueuePositionsAfterEveryChange: after any mix of joins, leaves
// from the line and finished runs, every waiting ticket's position is its
// index in the line plus one, and an admitted or departed one's is 0.
func TestRunQueuePositionsAfterEveryChange(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	q := newRunQueue(3, 2)
	var all []*ticket
	for step := range 2000 {
		switch n := r.IntN(10); {
		case n < 5 || len(all) == 0:
			all = append(all, q.join(string(rune('a'+r.IntN(6)))))
		default:
			all[r.IntN(len(all))].leave()
		}
		if r.IntN(3) > 0 { // not after every change: a stale numbering must not show
			continue
		}
		for _, tk := range all {
			want := 0
			if i := slices.Index(q.waiting, tk); i >= 0 {
				want = i + 1
			}
			if got := tk.position(); got != want {
				t.Fatalf("step %d: position = %d; want %d", step, got, want)
			}
		}
	}
}

// BenchmarkRunQueuePosition is one pass of the line telling 5,000 waiting
// sockets their places, which it does at most once per frame interval
// (100 ms) while the line changes. Target: a pass within 1 ms, a hundredth
// of that interval, so a long line costs the server next to nothing.
func BenchmarkRunQueuePosition(b *testing.B) {
	q := newRunQueue(1, 1)
	ts := make([]*ticket, 5001)
	for i := range ts {
		ts[i] = q.join("x")
	}
	for b.Loop() {
		for _, t := range ts {
			t.position()
		}
	}
	pass := b.Elapsed() / time.Duration(b.N)
	verdict := "ok"
	if pass > time.Millisecond {
		verdict = "MISSES"
	}
	b.Logf("a pass over 5,000 places: %v (target <= 1ms) %s", pass, verdict)
}
