package server

import (
	"time"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
	"github.com/asyncplay/asyncplay/web"
)

// buildFrame draws both runtimes' sides at now on one clock. A final frame
// is drawn at the end of the later runtime and carries the packed and text
// views and the event table.
func buildFrame(lang string, names map[scenarios.Runtime]string, sides map[scenarios.Runtime]*side, now time.Duration, final bool, caps [2]int) web.RunFrame {
	if final {
		now = 0
		for _, rt := range scenarios.Runtimes {
			now = max(now, sides[rt].tl.Last())
		}
	}
	f := web.RunFrame{Lang: lang, Now: now, Scale: web.Scale(now), Finished: final, HeldCap: caps[0], QueueCap: caps[1]}
	if final {
		f.Scale = web.FinalScale(now)
	}
	for _, rt := range scenarios.Runtimes {
		sd := sides[rt]
		at := now
		if sd.ended {
			at = sd.tl.Last()
		}
		v := sd.tl.At(at)
		sv := web.SideView{Runtime: rt, Name: names[rt], View: v, Status: sd.status, Err: sd.err}
		sv.Conns = timeline.Pack(v)
		if sd.ended || final {
			step := timeline.Step(now, 72)
			sv.Packed = timeline.ConnectionsText(sv.Conns, step, web.T(lang, "run.connection"))
			sv.Text = timeline.Text(v, step)
		}
		if final {
			for _, e := range sd.tl.Events() {
				f.Events = append(f.Events, web.EventRow{Runtime: rt, Event: e})
			}
		}
		f.Sides = append(f.Sides, sv)
	}
	if final {
		web.SortEvents(f.Events)
		f.StartAt = now // the player starts at the end: the whole run in view
	}
	return f
}

// capsOf reads the caps a scenario's overlays draw from its parameters.
func capsOf(sc *scenario.Scenario, v scenario.Values) [2]int {
	var caps [2]int
	if sc.HeldCap != "" {
		caps[0] = v.Int(sc.HeldCap)
	}
	if sc.QueueCap != "" {
		caps[1] = v.Int(sc.QueueCap)
	}
	return caps
}
