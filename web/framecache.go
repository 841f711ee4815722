package web

import (
	"bytes"
	"context"
	"io"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// SideCache keeps a side that has ended as live frames draw it while the
// run goes on (the other side still running, or still waiting for its
// process): its view, and the parts of its markup that only the clock's
// scale can move. Without it such a side was drawn again from its events
// ten times a second, for as long as the other side took; with many runs
// at once, that was most of what the server's frames cost.
//
// What still moves is drawn live: the header, the lane names, the "now"
// line and the axis. It belongs to one side of one run's state and is used
// only through Side.Cache. A run's frames are drawn one at a time, so its
// lock is never waited on; it is there so that two viewers drawing the
// same run could not break it.
type SideCache struct {
	mu     sync.Mutex
	view   *SideView // the side at its end, without Text and Packed
	lang   string    // what view was drawn from, besides the events
	status string
	err    string
	events int
	step   time.Duration // the step Text and Packed are for
	text   string
	pack   string
	key    partKey
	parts  map[string][]byte
}

// partKey is everything of a frame, besides the side itself, that the
// cached parts depend on.
type partKey struct {
	lang        string
	scale, step time.Duration
	lean        bool
	held, queue int
}

// endedView is the ended side sd in a live frame at now, from c when c has
// it. A side's events, status and error are settled once it has ended; if
// one did change all the same, c starts again.
func (c *SideCache) endedView(lang string, sd Side, now time.Duration) SideView {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.view == nil || c.events != sd.TL.Len() || c.status != sd.Status || c.err != sd.Err ||
		c.lang != lang || c.view.Name != sd.Name || c.view.Runtime != sd.Runtime {
		sv := sideAt(sd, sd.TL.Last())
		c.view = &sv
		c.lang, c.status, c.err, c.events = lang, sd.Status, sd.Err, sd.TL.Len()
		c.step, c.parts = 0, nil
	}
	sv := *c.view
	if step := textStep(now); step != c.step {
		c.step = step
		c.pack, c.text = textViews(lang, sv, step)
	}
	sv.Text, sv.Packed, sv.cache = c.text, c.pack, c
	return sv
}

// textStep is the step of a side's text views (the lanes as text, the
// connections as text) in a frame drawn at now.
func textStep(now time.Duration) time.Duration { return timeline.Step(now, 72) }

// part writes what c writes in f, from s's cache when s has one and it
// already holds the part named name for a frame like f.
func part(f RunFrame, s SideView, name string, c templ.Component) templ.Component {
	if s.cache == nil || f.Finished {
		return c
	}
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		k := partKey{lang: f.Lang, scale: f.Scale, step: textStep(f.Now), lean: f.Lean, held: f.HeldCap, queue: f.QueueCap}
		sc := s.cache
		sc.mu.Lock()
		defer sc.mu.Unlock()
		if sc.key != k || sc.parts == nil {
			sc.key, sc.parts = k, map[string][]byte{}
		}
		if b, ok := sc.parts[name]; ok {
			_, err := w.Write(b)
			return err
		}
		var buf bytes.Buffer
		if err := c.Render(ctx, &buf); err != nil {
			return err
		}
		sc.parts[name] = buf.Bytes()
		_, err := w.Write(buf.Bytes())
		return err
	})
}
