package server

import (
	"bytes"
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/web"
)

// BenchmarkFrameRender draws and renders live frames of the semaphore run
// the runs benchmark uses, as each run socket does ten times a second: with
// both sides still running (each drawn from its events at every frame),
// with the Go side ended while CPython goes on (the ended side drawn from
// its cache), and with both ended. It has no target
// of its own: it is the cost behind the runs benchmark's figures (200 runs
// draw 2,000 frames a second), and it prints what that crowd's frames take
// of one core.
func BenchmarkFrameRender(b *testing.B) {
	s := newServer(b, nil)
	cat, err := s.lessonsNow()
	if err != nil {
		b.Fatal(err)
	}
	l := cat.Get("semaphore")
	sc := s.scenarioOf(l, "semaphore")
	vals, probs := sc.Parse(url.Values{"downloads": {"6"}, "limit": {"2"}, "delays": {"0.35,0.6,0.45,0.8,0.25,0.5"}})
	if len(probs) > 0 {
		b.Fatal(probs)
	}
	ran, done := s.startRun(context.Background(), "en", sc, vals)
	<-done
	for _, tc := range []struct {
		name  string
		ended map[scenarios.Runtime]bool
	}{
		{"running", nil},
		{"go-ended", map[scenarios.Runtime]bool{scenarios.Go: true}},
		{"ended", map[scenarios.Runtime]bool{scenarios.Go: true, scenarios.Python: true}},
	} {
		name := tc.name
		b.Run(name, func(b *testing.B) {
			// The finished run's Go events on both sides (the server here
			// has no Python), each side still running or ended, and the
			// clock at the run's end.
			st := newRunState("en", ran.names, ran.caps)
			st.start = time.Now().Add(-2 * time.Second)
			done := ran.sides[scenarios.Go]
			for rt, sd := range st.sides {
				sd.tl = done.tl
				if tc.ended[rt] {
					sd.ended, sd.status = true, done.status
				}
			}
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				f := st.frame(false)
				if err := web.Frame(f).Render(context.Background(), &buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes/frame")
			per := b.Elapsed() / time.Duration(b.N)
			b.Logf("sides %s: one frame %v, %d bytes; 200 runs at 10 frames a second: %.0f%% of a core (no target; see the runs benchmark)",
				name, per, buf.Len(), 100*2000*per.Seconds())
		})
	}
}
