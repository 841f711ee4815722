package server

import (
	"math/rand/v2"
	"slices"
	"testing"
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

// BenchmarkRunQueuePosition is 5,000 sockets in line each asking its place,
// as they do ten times a second.
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
}
