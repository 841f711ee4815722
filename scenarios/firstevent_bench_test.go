package scenarios

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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
// the first event of each runtime arrives, on the path the server takes:
// the Go side in a worker process (the asyncplay binary, built here; this
// test binary if that build fails), the Python side after starting CPython
// and the tracer. Targets: Go 150 ms, CPython 300 ms, median. For
// comparison it also reports the Go side run in this process.
func BenchmarkTimeToFirstEvent(b *testing.B) {
	py, err := pyrun.Find(context.Background())
	if err != nil {
		b.Skipf("SKIP: needs python3 >= 3.11: %v", err)
	}
	worker := benchWorker(b)
	r := &Runner{Python: &py, GoWorker: worker}
	here := &Runner{NoPython: errors.New("not measured")}
	s := Default().Get("semaphore")
	v, _ := s.Parse(map[string][]string{"downloads": {"1"}, "limit": {"1"}, "delays": {"0.1"}})
	var goT, pyT, hereT []time.Duration
	for range b.N {
		for range 10 {
			sink := &firstSink{start: time.Now(), first: map[Runtime]time.Duration{}}
			if err := r.Run(context.Background(), s, v, sink); err != nil {
				b.Fatal(err)
			}
			goT, pyT = append(goT, sink.first[Go]), append(pyT, sink.first[Python])
			sink = &firstSink{start: time.Now(), first: map[Runtime]time.Duration{}}
			if err := here.Run(context.Background(), s, v, sink); err != nil {
				b.Fatal(err)
			}
			hereT = append(hereT, sink.first[Go])
		}
	}
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	b.ReportMetric(float64(median(goT).Microseconds())/1000, "ms-go-median")
	b.ReportMetric(float64(median(pyT).Microseconds())/1000, "ms-python-median")
	b.ReportMetric(float64(median(hereT).Microseconds())/1000, "ms-go-inprocess-median")
	b.Logf("time to first event, median of %d: Go %v in a worker (%s; target 150 ms), CPython %v (target 300 ms); Go in this process %v",
		len(goT), median(goT), filepath.Base(worker[0]), median(pyT), median(hereT))
}

// benchWorker builds the asyncplay command to use as the Go worker, as the
// server does; if it cannot, this test binary (see TestMain) stands in.
func benchWorker(b *testing.B) []string {
	exe := filepath.Join(b.TempDir(), "asyncplay")
	// go test puts its own go first on PATH.
	cmd := exec.Command("go", "build", "-o", exe, "github.com/asyncplay/asyncplay/cmd/asyncplay")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Logf("building asyncplay failed (%v), so this test binary is the worker:\n%s", err, out)
		self, err := os.Executable()
		if err != nil {
			b.Fatal(err)
		}
		return []string{self, WorkerCommand}
	}
	return []string{exe, WorkerCommand}
}
