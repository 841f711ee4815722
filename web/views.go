// Package web holds the pages and fragments, as templ components, and the UI
// strings in every locale. It knows nothing of HTTP: the server package fills
// these view structs and renders them.
package web

import (
	"fmt"
	"strconv"
	"time"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// Page is what every full page needs.
type Page struct {
	Lang  string
	Title string
	Path  string // this page's path without the locale prefix, for the language switch
	Query string // this page's query string, kept by the language switch
}

// LessonView is a lesson page.
type LessonView struct {
	Page
	Lesson  *lessons.Lesson
	Plays   []PlayView
	SeeAlso []*lessons.Lesson
}

// PlayView is one scenario on a lesson page: its code and its parameter form,
// and once started, where its run streams from.
type PlayView struct {
	Lang     string
	Lesson   string
	Scenario *scenario.Scenario
	Python   Code
	Go       Code
	Labels   map[string]lessons.ParamText // the parameters' labels and help, by name
	Values   map[string]string // what the form shows, by parameter name
	Problems map[string]string // messages next to fields, by parameter name
	RunURL   string            // the WebSocket to connect to; "" before Run
	NoPython bool              // the server has no Python: say so before anyone presses Run
}

// ID is the element id of the play area.
func (p PlayView) ID() string { return "play-" + p.Scenario.ID }

// Action is where the form asks for a run.
func (p PlayView) Action() string {
	return "/" + p.Lang + "/lessons/" + p.Lesson + "/play/" + p.Scenario.ID
}

// SideView is one runtime's part of a run frame.
type SideView struct {
	Runtime scenarios.Runtime
	Name    string // "CPython 3.11.7", "Go 1.26.8"
	Status  string // "running", "finished", "failed", "unavailable"
	Err     string
	View    timeline.View
	Conns   []timeline.Connection
	Text    string // the lanes as text
	Packed  string // the connections as text
}

// RunFrame is one frame of a live run: everything drawn so far, for both
// runtimes on one clock.
type RunFrame struct {
	Lang     string
	Now      time.Duration
	Scale    time.Duration // the time the full width of a lane stands for
	Finished bool
	Sides    []SideView
}

// pct places d on a lane of full width scale, as an SVG percentage.
func pct(d, scale time.Duration) string {
	if scale <= 0 {
		return "0%"
	}
	return strconv.FormatFloat(100*float64(d)/float64(scale), 'f', 3, 64) + "%"
}

// secs formats d as seconds with three decimals, for data attributes.
func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// Ticks are the times where the axis gets a mark.
func (f RunFrame) Ticks() []time.Duration {
	step := timeline.Step(f.Scale, 6)
	var out []time.Duration
	for t := time.Duration(0); t <= f.Scale; t += step {
		out = append(out, t)
	}
	return out
}

func tickLabel(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s" }

// Scale picks the width of the shared clock: at least now, rounded up to a
// whole number of axis steps so the lanes do not jump at every frame.
func Scale(now time.Duration) time.Duration {
	if now < 2*time.Second {
		return 2 * time.Second
	}
	step := timeline.Step(now, 8)
	return (now/step + 1) * step
}

// stateText describes a segment for its tooltip and for screen readers.
func stateText(lang string, s timeline.Segment) string {
	what := s.Label
	if what == "semaphore" {
		what = T(lang, "state.semaphore")
	}
	switch s.State {
	case timeline.Waiting:
		return T(lang, "state.wait", what)
	case timeline.Joining:
		return T(lang, "state.join", what)
	default:
		return T(lang, "state."+string(s.State))
	}
}

func segTitle(lang, lane string, s timeline.Segment) string {
	return fmt.Sprintf("%s: %s %.2f–%.2f s", lane, stateText(lang, s), s.Start.Seconds(), s.End.Seconds())
}

const rowH = 24

func rowY(i int) string    { return strconv.Itoa(i * rowH) }
func svgH(n int) string    { return strconv.Itoa(max(n, 1) * rowH) }
func itoa(n int) string    { return strconv.Itoa(n) }
func offY(i, o int) string { return strconv.Itoa(i*rowH + o) }

// segY and segH give each state its own band height, so states differ in
// shape as well as colour.
func segY(i int, s timeline.State) string {
	switch s {
	case timeline.Waiting:
		return offY(i, 9)
	case timeline.Joining:
		return offY(i, 11)
	case timeline.Running:
		return offY(i, 5)
	default:
		return offY(i, 3)
	}
}

func segH(s timeline.State) string {
	switch s {
	case timeline.Waiting:
		return "6"
	case timeline.Joining:
		return "2"
	case timeline.Running:
		return "14"
	default:
		return "18"
	}
}

// endGlyph marks how a lane ended, in text as well as colour.
func endGlyph(k timeline.Kind) string {
	switch k {
	case timeline.Error:
		return "✗"
	case timeline.Cancelled:
		return "⊘"
	default:
		return "✓"
	}
}

// most is the summary's "most at once": permits held where the run holds
// any, else lanes busy.
func most(v timeline.View) int {
	if len(v.Holds) > 0 {
		return v.MaxHeld
	}
	return v.MaxBusy
}

// lessonURL is a lesson's path in lang.
func lessonURL(lang, slug string) string { return "/" + lang + "/lessons/" + slug }

// HomeGroup is one part of the course on the home page.
type HomeGroup struct {
	ID      string
	Lessons []*lessons.Lesson
}

// switchURL is this page in another locale.
func switchURL(lang string, p Page) string {
	u := "/" + lang + p.Path
	if p.Query != "" {
		u += "?" + p.Query
	}
	return u
}

// wsConfig keeps a run's socket open in a background tab and never
// reconnects it: each connection is one run, and a reconnect would start a
// second one.
const wsConfig = `{"ws":{"pauseOnBackground":false,"reconnect":false}}`
