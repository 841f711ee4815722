package server

import (
	"context"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/web"
)

// startRunLocked runs the room's scenario once, for everyone: each frame is
// rendered once and published to every student on every instance. A run
// already going is stopped first.
func (r *room) startRunLocked(vals scenario.Values) {
	r.stopRunLocked()
	if r.runDone != nil {
		// The stopped run publishes nothing more once it sees its context
		// end; wait for it outside the lock below.
		prev := r.runDone
		r.mu.Unlock()
		<-prev
		r.mu.Lock()
	}
	r.s.classMu.Lock()
	if r.s.classClosed {
		r.s.classMu.Unlock()
		return
	}
	r.s.classWG.Add(1)
	r.s.classMu.Unlock()
	ctx, cancel := context.WithCancel(r.s.base)
	done := make(chan struct{})
	r.cancel, r.running, r.runDone = cancel, true, done
	sc, lesson, lang := r.scenario, r.lesson, r.lang
	go func() {
		defer r.s.classWG.Done()
		defer close(done)
		defer cancel()
		r.runOnce(ctx, sc, lesson.Slug, lang, vals)
		r.mu.Lock()
		if r.runDone == done {
			r.running = false
			if !r.closed {
				if r.q != nil && !r.revealed && ctx.Err() == nil {
					r.revealLocked() // the run answers the question
				}
				r.publishControlsLocked()
			}
		}
		r.mu.Unlock()
	}()
}

// runOnce waits for a run slot (the class counts as one visitor), runs,
// and publishes frames until the run ends or ctx does.
func (r *room) runOnce(ctx context.Context, sc *scenario.Scenario, slug, lang string, vals scenario.Values) {
	s := r.s
	tk := s.queue.join("class:" + r.code)
	defer tk.leave()
	select {
	case <-tk.ready:
	case <-ctx.Done():
		return
	case <-time.After(s.cfg.Class.FrameEvery):
		r.publishRun(ctx, s.renderString(web.Queued(lang, tk.position())))
		select {
		case <-tk.ready:
		case <-ctx.Done():
			return
		}
	}
	st, done := s.startRun(ctx, lang, sc, vals)
	tick := time.NewTicker(s.cfg.Class.FrameEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			if ctx.Err() != nil {
				return
			}
			runID := s.runs.put(st.stored(slug, sc.ID, vals.Query()))
			f := st.frame(true)
			f.RunID, f.Lesson, f.Query, f.Lean = runID, slug, vals.Query().Encode(), true
			r.publishRun(ctx, s.renderString(web.Frame(f)))
			return
		case <-ctx.Done():
			<-done
			return
		case <-tick.C:
			f := st.frame(false)
			f.Lean = true
			r.publishRun(ctx, s.renderString(web.Frame(f)))
		}
	}
}

// publishRun sends a frame unless the run has been stopped meanwhile (a
// new lesson or run must not be overwritten by the old run's last frame).
func (r *room) publishRun(ctx context.Context, html string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ctx.Err() != nil || r.closed {
		return
	}
	r.publishLocked("run", audAll, "#class-run", html)
}
