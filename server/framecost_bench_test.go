package server

import (
	"bytes"
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/web"
)

// BenchmarkFrameRender draws and renders live frames of the semaphore run
// the runs benchmark uses, as each run socket does ten times a second: with
// both sides still running (each drawn from its events at every frame) and
// with both ended while the run waits on (drawn from the sides' caches, as
// a side that has finished is while the other goes on). It has no target
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
	for _, ended := range []bool{false, true} {
		name := "running"
		if ended {
			name = "ended"
		}
		b.Run(name, func(b *testing.B) {
			// The finished run's events, in a state that has its sides
			// still running or ended, and its clock at the run's end.
			st := newRunState("en", ran.names, ran.caps)
			st.start = time.Now().Add(-2 * time.Second)
			for rt, sd := range ran.sides {
				st.sides[rt].tl = sd.tl
				if ended {
					st.sides[rt].ended, st.sides[rt].status = true, sd.status
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
