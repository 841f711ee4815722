package web

import (
	"time"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// Side is one runtime's part of a run, as the frame builder reads it.
type Side struct {
	Runtime scenarios.Runtime
	Name    string
	TL      *timeline.Timeline
	Ended   bool
	Status  string // "running", "finished", "failed", "unavailable"
	Err     string
	// Lag is how far behind the run's clock the side's own runs (its
	// process started late); a live side is drawn at its own now (ownNow).
	Lag time.Duration
	// Until, for a side that has ended, is its own clock when its end was
	// seen (after its last event: the process still had to exit). The
	// clock a live frame shows does not go back when a side ends.
	Until time.Duration
	// Cache, if set, keeps the side once it has ended, so the live frames
	// drawn after that do not draw it again from its events. Give each
	// side of a run its own, and draw the run's frames one at a time.
	Cache *SideCache
}

// BuildFrame draws the sides on one clock, run being the time since the
// run began. A live frame shows the latest of the sides' own clocks (see
// liveClock); a final frame is drawn at the end of the latest side and
// carries the packed and text views, the event table and the player, with
// its cursor at the end.
func BuildFrame(lang string, sides []Side, run time.Duration, final bool, heldCap, queueCap int) RunFrame {
	var now time.Duration
	if final {
		for _, sd := range sides {
			now = max(now, sd.TL.Last())
		}
		run = now
	} else {
		now = liveClock(sides, run)
	}
	f := RunFrame{Lang: lang, Now: now, Drawn: run, Scale: Scale(now), Finished: final, HeldCap: heldCap, QueueCap: queueCap}
	if final {
		f.Scale = FinalScale(now)
	}
	for _, sd := range sides {
		if sd.Ended && !final && sd.Cache != nil {
			f.Sides = append(f.Sides, sd.Cache.endedView(lang, sd, now))
			continue
		}
		at := now
		switch {
		case sd.Ended:
			at = sd.TL.Last()
		case !final:
			at = ownNow(sd, run)
		}
		sv := sideAt(sd, at)
		if sd.Ended || final {
			sv.Packed, sv.Text = textViews(lang, sv, textStep(now))
		}
		if final {
			for _, e := range sd.TL.Events() {
				f.Events = append(f.Events, EventRow{Runtime: sd.Runtime, Event: e})
			}
		}
		f.Sides = append(f.Sides, sv)
	}
	if final {
		SortEvents(f.Events)
		f.StartAt = now
	}
	return f
}

// liveClock is the time a live frame shows, and where it draws the "now"
// line of a side that has ended: the latest of the sides' own clocks. Each
// side's events count from its own process's start, which comes after the
// run's by the wait for a turn and the start-up (a tenth of a second or
// more for CPython), so the run's own clock would run ahead of every lane
// and the finished frame would then set the clock back. A side still
// starting has no clock yet; a running one is at its own now; one that
// has ended, at its own clock when that was seen.
func liveClock(sides []Side, run time.Duration) time.Duration {
	var c time.Duration
	for _, sd := range sides {
		switch {
		case sd.Ended:
			c = max(c, sd.Until, sd.TL.Last())
		case sd.TL.Len() > 0:
			c = max(c, ownNow(sd, run))
		}
	}
	return c
}

// ownNow is a running side's own clock at the run's time run: less its
// lag, never before its latest event.
func ownNow(sd Side, run time.Duration) time.Duration { return max(run-sd.Lag, sd.TL.Last()) }

// sideAt is sd drawn at at, without its text views.
func sideAt(sd Side, at time.Duration) SideView {
	v := sd.TL.At(at)
	return SideView{Runtime: sd.Runtime, Name: sd.Name, View: v, Status: sd.Status, Err: sd.Err, Conns: timeline.Pack(v)}
}

// textViews are a side's connections and lanes as text, at step.
func textViews(lang string, sv SideView, step time.Duration) (packed, text string) {
	return timeline.ConnectionsText(sv.Conns, step, T(lang, "run.connection")), timeline.Text(sv.View, step)
}
