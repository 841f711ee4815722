package timeline

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestRecorder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu     sync.Mutex
			events []Event
		)
		r := NewRecorder(func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }, 0)
		a := r.Lane("worker", "work")
		b := r.Lane("worker", "work")
		if b.Name() != "worker #2" {
			t.Errorf("second lane named %q; want %q", b.Name(), "worker #2")
		}
		if err := a.Sleep(context.Background(), 1500*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		a.Put(3)
		a.End(nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := b.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
			t.Errorf("Sleep on a cancelled context = %v; want context.Canceled", err)
		}
		b.End(err2())
		want := []struct {
			lane string
			kind Kind
			at   time.Duration
		}{
			{"worker", Spawn, 0}, {"worker #2", Spawn, 0}, {"worker", Sleep, 0},
			{"worker", Wake, 1500 * time.Millisecond}, {"worker", Put, 1500 * time.Millisecond},
			{"worker", Done, 1500 * time.Millisecond}, {"worker #2", Sleep, 1500 * time.Millisecond},
			{"worker #2", Error, 1500 * time.Millisecond},
		}
		if len(events) != len(want) {
			t.Fatalf("%d events; want %d: %v", len(events), len(want), events)
		}
		for i, w := range want {
			e := events[i]
			if e.Lane != w.lane || e.Kind != w.kind || e.At != w.at || e.Line == 0 {
				t.Errorf("event %d = %v; want %s %s at %v with a line", i, e, w.lane, w.kind, w.at)
			}
		}
		if events[4].Value != 3 || events[2].Dur != 1500*time.Millisecond {
			t.Errorf("put value %d, sleep dur %v; want 3 and 1.5s", events[4].Value, events[2].Dur)
		}
	})
}

func err2() error { return errors.New("boom") }

func TestRecorderCap(t *testing.T) {
	n := 0
	r := NewRecorder(func(Event) { n++ }, 3)
	l := r.Lane("a", "f")
	for range 10 {
		l.Log("x")
	}
	if n != 3 || !r.Full() {
		t.Errorf("recorded %d events, full %v; want 3 and full", n, r.Full())
	}
}

// laneName is the name the nth lane asking for "x" gets.
func laneName(n int) string {
	if n == 1 {
		return "x"
	}
	return "x #" + strconv.Itoa(n)
}

// TestLaneNamesUnderRace: lanes named at once from many goroutines each get
// a name of their own, and their spawns reach the sink in the order the
// names were numbered.
func TestLaneNamesUnderRace(t *testing.T) {
	const n = 50
	var mu sync.Mutex
	spawned := map[string]bool{}
	var order []string
	r := NewRecorder(func(e Event) { mu.Lock(); spawned[e.Lane] = true; order = append(order, e.Lane); mu.Unlock() }, 0)
	names := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { names[i] = r.Lane("x", "f").Name() })
	}
	wg.Wait()
	want := map[string]bool{}
	for i := 1; i <= n; i++ {
		want[laneName(i)] = true
	}
	got := map[string]bool{}
	for _, name := range names {
		got[name] = true
	}
	if !maps.Equal(got, want) || !maps.Equal(spawned, want) {
		t.Errorf("lanes named %v, spawned %v; want x, x #2 ... x #%d once each", names, spawned, n)
	}
	for i, name := range order {
		if want := laneName(i + 1); name != want {
			t.Fatalf("spawn %d is %q; want %q: lanes spawn in the order they are numbered (%v)", i+1, name, want, order)
		}
	}
}
