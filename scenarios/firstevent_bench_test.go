package scenarios

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// firstSink notes when each runtime's first event arrives.
type firstSink struct {
	start time.Time
	mu    sync.Mutex
	first map[Runtime]time.Duration
}

func (f *firstSink) Event(rt Runtime, _ timeline.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.first[rt]; !ok {
		f.first[rt] = time.Since(f.start)
	}
}

func (f *firstSink) End(Runtime, error) {}

// BenchmarkTimeToFirstEvent measures, from the moment a run starts, when
// the first event of each runtime arrives (the Go side in this process; the
// Python side after starting CPython and the tracer). Targets: Go 150 ms,
// CPython 300 ms, median.
func BenchmarkTimeToFirstEvent(b *testing.B) {
	py, err := pyrun.Find(context.Background())
	if err != nil {
		b.Skipf("SKIP: needs python3 >= 3.11: %v", err)
	}
	r := &Runner{Python: &py}
	s := Default().Get("semaphore")
	v, _ := s.Parse(map[string][]string{"downloads": {"1"}, "limit": {"1"}, "delays": {"0.1"}})
	var goT, pyT []time.Duration
	for range b.N {
		for range 10 {
			sink := &firstSink{start: time.Now(), first: map[Runtime]time.Duration{}}
			if err := r.Run(context.Background(), s, v, sink); err != nil {
				b.Fatal(err)
			}
			goT, pyT = append(goT, sink.first[Go]), append(pyT, sink.first[Python])
		}
	}
	slices.Sort(goT)
	slices.Sort(pyT)
	b.ReportMetric(float64(goT[len(goT)/2].Microseconds())/1000, "ms-go-median")
	b.ReportMetric(float64(pyT[len(pyT)/2].Microseconds())/1000, "ms-python-median")
	b.Logf("time to first event, median of %d: Go %v (target 150 ms), CPython %v (target 300 ms)", len(goT), goT[len(goT)/2], pyT[len(pyT)/2])
}
