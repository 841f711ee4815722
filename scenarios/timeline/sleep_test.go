package timeline

import (
	"context"
	"errors"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"
)

// TestSleepPrecisely: a recorder's lanes sleep on the high-resolution timer
// when asked: never shorter than asked, ended promptly by their context,
// and leaving no file descriptor behind.
func TestSleepPrecisely(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SKIP: the high-resolution timer (timerfd) is Linux's; elsewhere Sleep uses the runtime's timers")
	}
	fds := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	if ok, err := preciseSleep(context.Background(), time.Microsecond); !ok || err != nil {
		t.Fatalf("preciseSleep = %v, %v; want a timerfd", ok, err)
	}
	before := fds()
	for _, d := range []time.Duration{50 * time.Microsecond, time.Millisecond, 3300 * time.Microsecond, 20 * time.Millisecond} {
		start := time.Now()
		if ok, err := preciseSleep(context.Background(), d); !ok || err != nil {
			t.Fatalf("preciseSleep(%v) = %v, %v", d, ok, err)
		}
		if took := time.Since(start); took < d {
			t.Errorf("preciseSleep(%v) took %v: ended early", d, took)
		}
	}
	for range 200 {
		preciseSleep(context.Background(), 10*time.Microsecond)
	}
	if after := fds(); after > before {
		t.Errorf("%d file descriptors open before 204 sleeps, %d after", before, after)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	if ok, err := preciseSleep(ctx, 10*time.Second); !ok || !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled preciseSleep = %v, %v; want context.Canceled", ok, err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("a sleep cancelled after 20 ms returned after %v", took)
	}

	// Through a lane: the sleep and the wake, the wake no sooner than asked.
	var evs []Event
	r := NewRecorder(func(e Event) { evs = append(evs, e) }, 0)
	r.SleepPrecisely()
	if err := r.Lane("sleeper", "sleep").Sleep(context.Background(), 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	kinds := []Kind{}
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Equal(kinds, []Kind{Spawn, Sleep, Wake}) || evs[2].At-evs[1].At < 5*time.Millisecond {
		t.Errorf("events %v; want spawn, sleep, and a wake 5 ms or more later", evs)
	}
}

// BenchmarkSleepLateness prints how late sleeps of 2.5 ms wake on the
// runtime's timers and on the high-resolution timer, side by side.
func BenchmarkSleepLateness(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("SKIP: the high-resolution timer (timerfd) is Linux's")
	}
	const d, n = 2500 * time.Microsecond, 200
	for range b.N {
		var late [2][]time.Duration
		for i := range 2 * n {
			start := time.Now()
			sleep(context.Background(), d, i%2 == 1)
			late[i%2] = append(late[i%2], time.Since(start)-d)
		}
		for i := range late {
			slices.Sort(late[i])
		}
		at := func(l []time.Duration, q int) float64 { return float64(l[len(l)*q/100].Microseconds()) / 1000 }
		b.ReportMetric(at(late[0], 99), "ms-p99-late-runtime")
		b.ReportMetric(at(late[1], 99), "ms-p99-late-timerfd")
		b.Logf("%d sleeps of %v each, alternating: late at p50/p99: runtime timers %.3f/%.3f ms, timerfd %.3f/%.3f ms",
			n, d, at(late[0], 50), at(late[0], 99), at(late[1], 50), at(late[1], 99))
	}
}
