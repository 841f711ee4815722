package server

import (
	"time"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/web"
)

// buildFrame draws both runtimes, Python first, on one clock; run is the
// time since the run began.
func buildFrame(lang string, names map[scenarios.Runtime]string, sides map[scenarios.Runtime]*side, run time.Duration, final bool, caps [2]int) web.RunFrame {
	var in []web.Side
	for _, rt := range scenarios.Runtimes {
		sd := sides[rt]
		in = append(in, web.Side{Runtime: rt, Name: names[rt], TL: &sd.tl, Ended: sd.ended, Status: sd.status, Err: sd.err, Lag: sd.lag, Until: sd.until, Cache: &sd.cache})
	}
	return web.BuildFrame(lang, in, run, final, caps[0], caps[1])
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
