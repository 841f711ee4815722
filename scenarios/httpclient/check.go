package httpclient

import (
	"fmt"
	"strings"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// check asserts what the lesson promises on either runtime: every request
// is answered; never more than connections requests hold a connection at
// once; every connection opened is one the server saw, no more than the
// pool allows; and connections are reused, so with more requests than
// connections, fewer connections are opened than requests made.
func check(events []timeline.Event, v scenario.Values) []string {
	requests, conns := v.Int("requests"), v.Int("connections")
	var tl timeline.Timeline
	for _, e := range events {
		tl.Add(e)
	}
	view := tl.At(tl.Last())
	var problems []string
	if view.MaxHeld > conns {
		problems = append(problems, fmt.Sprintf("%d requests held a connection at once; want at most %d", view.MaxHeld, conns))
	}
	got := map[int]string{} // request -> its connection line
	answered := map[int]bool{}
	opened, reused := map[int]bool{}, 0
	for _, e := range events {
		if e.Kind != timeline.Log {
			continue
		}
		var n, c int
		var how string
		if _, err := fmt.Sscanf(e.Label, "request %d: connection %d, %s", &n, &c, &how); err == nil {
			if got[n] != "" {
				problems = append(problems, fmt.Sprintf("request %d got a connection twice", n))
			}
			got[n] = e.Label
			switch how {
			case "new":
				if opened[c] {
					problems = append(problems, fmt.Sprintf("connection %d opened twice", c))
				}
				opened[c] = true
			case "reused":
				reused++
			}
			continue
		}
		if _, err := fmt.Sscanf(e.Label, "request %d: 200", &n); err == nil && strings.HasSuffix(e.Label, fmt.Sprintf(" item %d", n)) {
			answered[n] = true
		}
	}
	for n := 1; n <= requests; n++ {
		if got[n] == "" || !answered[n] {
			problems = append(problems, fmt.Sprintf("request %d: connection logged %v, answered %v; want both", n, got[n] != "", answered[n]))
		}
	}
	if len(opened) > min(conns, requests) {
		problems = append(problems, fmt.Sprintf("%d connections opened; want at most %d", len(opened), min(conns, requests)))
	}
	if len(opened)+reused != requests {
		problems = append(problems, fmt.Sprintf("%d new and %d reused connections for %d requests", len(opened), reused, requests))
	}
	if requests > conns && reused == 0 {
		problems = append(problems, fmt.Sprintf("no connection reused for %d requests on %d connections", requests, conns))
	}
	serving := 0
	for _, l := range view.Lanes {
		if l.Func == "serve" && l.End == timeline.Done {
			serving++
		}
	}
	if serving != len(opened) {
		problems = append(problems, fmt.Sprintf("the server served %d connections; the client opened %d", serving, len(opened)))
	}
	return problems
}
