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
		// Why a side stopped is said in the frame's language, which for a
		// replay or an export need not be the run's.
		in = append(in, web.Side{Runtime: rt, Name: names[rt], TL: &sd.tl, Ended: sd.ended, Status: sd.status, Err: sd.errs[lang], Lag: sd.lag, Until: sd.until, Cache: &sd.cache})
	}
	return web.BuildFrame(lang, in, run, final, caps[0], caps[1])
}

// inEveryLanguage says a side's stop in each of the site's languages.
func inEveryLanguage(say func(lang string) string) map[string]string {
	out := make(map[string]string, len(web.Locales))
	for _, l := range web.Locales {
		out[l.Code] = say(l.Code)
	}
	return out
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
