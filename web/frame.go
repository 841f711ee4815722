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
	// Lag is how far behind now the side's own clock runs (its process
	// started late); a live side is drawn at now-Lag, never before its
	// latest event.
	Lag time.Duration
	// Cache, if set, keeps the side once it has ended, so the live frames
	// drawn after that do not draw it again from its events. Give each
	// side of a run its own, and draw the run's frames one at a time.
	Cache *SideCache
}

// BuildFrame draws the sides at now on one clock. A final frame is drawn at
// the end of the latest side and carries the packed and text views, the
// event table and the player, with its cursor at the end.
func BuildFrame(lang string, sides []Side, now time.Duration, final bool, heldCap, queueCap int) RunFrame {
	if final {
		now = 0
		for _, sd := range sides {
			now = max(now, sd.TL.Last())
		}
	}
	f := RunFrame{Lang: lang, Now: now, Scale: Scale(now), Finished: final, HeldCap: heldCap, QueueCap: queueCap}
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
			at = max(now-sd.Lag, sd.TL.Last())
		}
		v := sd.TL.At(at)
		sv := SideView{Runtime: sd.Runtime, Name: sd.Name, View: v, Status: sd.Status, Err: sd.Err}
		sv.Conns = timeline.Pack(v)
		if sd.Ended || final {
			step := textStep(now)
			sv.Packed = timeline.ConnectionsText(sv.Conns, step, T(lang, "run.connection"))
			sv.Text = timeline.Text(v, step)
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
