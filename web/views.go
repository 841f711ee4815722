// Package web holds the pages and fragments, as templ components, and the UI
// strings in every locale. It knows nothing of HTTP: the server package fills
// these view structs and renders them.
package web

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

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
	Theme string // "", "light", "dark" or "projector": forced by an embed
	// Root is "" on the server. In a static export it is the relative way
	// back to the export's top ("../../"), and links point at index.html
	// files, so pages work from any static host or straight from disk.
	Root string
}

// U is the address of a page or file given by its path from the top
// ("en/lessons/semaphore", "static/css/app.css").
func (p Page) U(path string) templ.SafeURL {
	if p.Root == "" {
		return templ.SafeURL("/" + path)
	}
	last := path[strings.LastIndex(path, "/")+1:]
	switch {
	case path == "" || strings.HasSuffix(path, "/"):
		path += "index.html"
	case !strings.Contains(last, "."):
		path += "/index.html"
	}
	return templ.SafeURL(p.Root + path)
}

// HTMLClass is the class of <html>: the forced theme, if any.
func (p Page) HTMLClass() string {
	switch p.Theme {
	case "light", "dark":
		return "theme-" + p.Theme
	case "projector":
		return "projector"
	}
	return ""
}

// EmbedView is the compact page a docs site puts in an iframe.
type EmbedView struct {
	Page
	Lesson *lessons.Lesson
	Play   PlayView
}

// LessonView is a lesson page.
type LessonView struct {
	Page
	Lesson  *lessons.Lesson
	Plays   []PlayView
	SeeAlso []*lessons.Lesson
	// Recorded replaces Plays in a static export: each scenario with its
	// recorded run.
	Recorded []RecordedPlay
}

// RecordedPlay is a scenario in a static export: its code, the recorded
// run of its default parameters, links to the recordings of its presets,
// and, when the export was given a server, where to run it live.
type RecordedPlay struct {
	Play    PlayView
	Frame   RunFrame
	Presets []Preset
	Live    string
}

// Preset is a link to the recording of one parameter set.
type Preset struct {
	Name, Href, Query string
}

// PlayView is one scenario on a lesson page: its code and its parameter form,
// and once started, where its run streams from.
type PlayView struct {
	// Title heads the play area when its lesson runs several programs
	// ("1. Without a lock"); "" when it runs one.
	Title    string
	Lang     string
	Lesson   string
	Scenario *scenario.Scenario
	Python   Code
	Go       Code
	Labels   map[string]lessons.ParamText // the parameters' labels and help, by name
	Values   map[string]string            // what the form shows, by parameter name
	Problems map[string]string            // messages next to fields, by parameter name
	RunURL   string                       // the WebSocket to connect to; "" before Run
	NoPython bool                         // the server has no Python: say so before anyone presses Run
	// Embed is set on the compact page for other sites' iframes: no history
	// pushes, and only the panes in Panes ("python", "go") are shown.
	Embed bool
	Panes []string
}

// ShowPane reports whether the pane for lang is shown.
func (p PlayView) ShowPane(lang string) bool {
	return !p.Embed || len(p.Panes) == 0 || slices.Contains(p.Panes, lang)
}

// PanesParam is the panes choice as the embed form carries it.
func (p PlayView) PanesParam() string { return strings.Join(p.Panes, ",") }

// ID is the element id of the play area.
func (p PlayView) ID() string { return "play-" + p.Scenario.ID }

// AnnounceID is the id of the play area's polite live region.
func (p PlayView) AnnounceID() string { return p.ID() + "-announce" }

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
	// cache, for a side that has ended, keeps the parts of its markup a
	// live frame would otherwise draw again (see SideCache).
	cache *SideCache
}

// RunFrame is one frame of a live run: everything drawn so far, for both
// runtimes on one clock.
type RunFrame struct {
	Lang string
	// Now is the time the frame shows: the latest side's own clock while
	// the run goes on, the end of the latest side once it has finished.
	Now time.Duration
	// Drawn is how long after the run began the frame was drawn (data-now:
	// what the bench counts a frame's latency from); Now, once finished.
	Drawn    time.Duration
	Scale    time.Duration // the time the full width of a lane stands for
	Finished bool
	Sides    []SideView
	HeldCap  int // the cap on permits in use, 0 if none (drawn as a line)
	QueueCap int // the queue's maxsize, 0 if none
	// Once finished: the run's id in the run store ("" if not stored), every
	// event of both runtimes in time order (for the player and the table),
	// and where the player's cursor starts.
	RunID   string
	Events  []EventRow
	StartAt time.Duration
	Replay  bool   // shown from the run store rather than live
	Clock   string // a label for the clock, overriding live/finished/replay
	Lesson  string // the lesson's slug and the run's canonical query, so an
	Query   string // expired run's link can still offer to run it again
	// Announce, when set, replaces the polite live region AnnounceID: a
	// milestone (started, finished) for screen readers, not every event.
	Announce   string
	AnnounceID string
	// Lean drops what a frame shown to a whole class can do without: each
	// segment's tooltip and data attributes, segments narrower than a pixel,
	// and the finished run's event table. A classroom sends every frame to
	// hundreds of phones; the full record is one click away (RunID's link).
	Lean bool
}

// lean reports whether this frame leaves out tooltips, data attributes,
// sub-pixel segments and the event table.
func (f RunFrame) lean() bool { return f.Lean }

// subPixel reports whether a span of d is under a thousandth of the lane's
// width: less than a pixel on any screen a class looks at.
func (f RunFrame) subPixel(d time.Duration) bool { return f.Scale > 0 && d*1000 < f.Scale }

// Summary is the milestone sentence for a finished run.
func (f RunFrame) Summary() string {
	var b strings.Builder
	b.WriteString(T(f.Lang, "announce.finished"))
	for _, s := range f.Sides {
		if s.Status == "unavailable" {
			continue
		}
		fmt.Fprintf(&b, " %s: %s, %s %d.", s.Name, totalText(f.Lang, s.View.Now), T(f.Lang, "run.most"), most(s.View))
	}
	return b.String()
}

// totalText says how long a side ran: to the hundredth of a second, or to
// the thousandth under a tenth, where the hundredths would read 0.00 (Go's
// side of the CPU-bound lesson takes a few milliseconds).
func totalText(lang string, d time.Duration) string {
	return secondsText(lang, d, d > 0 && d < 100*time.Millisecond)
}

// secondsText says d in seconds, to the thousandth when fine.
func secondsText(lang string, d time.Duration, fine bool) string {
	if fine {
		return T(lang, "run.seconds.fine", d.Seconds())
	}
	return T(lang, "run.seconds", d.Seconds())
}

// legendMarks are the marks a finished frame draws beyond the four states,
// each named in the legend only when some lane shows it. A live frame
// names none, so the legend does not grow under the visitor mid-run.
type legendMarks struct {
	hold, log, deadline, set, raised bool
	goBlocked                        bool            // a Go lane's blocking call (Python's band is labelled where it is)
	ends                             []timeline.Kind // in the order done, error, cancelled
}

func (f RunFrame) legendMarks() legendMarks {
	var m legendMarks
	if !f.Finished {
		return m
	}
	ended := map[timeline.Kind]bool{}
	for _, s := range f.Sides {
		m.hold = m.hold || len(s.View.Holds) > 0
		for _, l := range s.View.Lanes {
			for _, e := range l.Marks {
				m.log = m.log || e.Kind == timeline.Log
				// A deadline past the clock's end is not drawn.
				m.deadline = m.deadline || (e.Kind == timeline.Deadline && e.At+e.Dur <= f.Scale)
				m.goBlocked = m.goBlocked || (e.Kind == timeline.Blocked && s.Runtime != scenarios.Python)
			}
			if l.End != "" {
				ended[l.End] = true
			}
		}
		m.set = m.set || len(s.View.Instants(timeline.Set)) > 0
		m.raised = m.raised || len(s.View.Instants(timeline.Error)) > 0
	}
	for _, k := range []timeline.Kind{timeline.Done, timeline.Error, timeline.Cancelled} {
		if ended[k] {
			m.ends = append(m.ends, k)
		}
	}
	return m
}

// playerTime is the player's time before its script runs: as the script
// writes it, to the thousandth for a run under a tenth of a second.
func playerTime(f RunFrame) string {
	return secondsText(f.Lang, f.StartAt, f.Now < 100*time.Millisecond)
}

// tooShortToSee says whether a side that ran for d draws as slivers on a
// clock of width scale: under a twentieth of it (Go's side of the CPU-bound
// lesson takes a few ms beside CPython's few hundred).
func tooShortToSee(d, scale time.Duration) bool { return d > 0 && d*20 < scale }

// EventRow is one event of one runtime, for the event table and the player.
type EventRow struct {
	Runtime scenarios.Runtime
	timeline.Event
}

// SortEvents orders rows by time, keeping each runtime's own order.
func SortEvents(rows []EventRow) {
	slices.SortStableFunc(rows, func(a, b EventRow) int { return cmp.Compare(a.At, b.At) })
}

// playerEvent is an event as the player's script reads it.
type playerEvent struct {
	T     float64 `json:"t"`
	RT    string  `json:"rt"`
	Lane  string  `json:"lane"`
	Kind  string  `json:"kind"`
	Label string  `json:"label,omitempty"`
	Line  int     `json:"line,omitempty"`
}

// PlayerData is the events for the player's script, as JSON-ready values.
func (f RunFrame) PlayerData() []playerEvent {
	out := make([]playerEvent, len(f.Events))
	for i, e := range f.Events {
		out[i] = playerEvent{T: e.At.Seconds(), RT: string(e.Runtime), Lane: e.Lane, Kind: string(e.Kind), Label: e.Label, Line: e.Line}
	}
	return out
}

// RunLink is the address of a stored run, in the frame's language.
func (f RunFrame) RunLink() string {
	return "/" + f.Lang + "/runs/" + f.RunID + "?" + url.Values{"lesson": {f.Lesson}, "q": {f.Query}}.Encode()
}

// FinalScale fits a finished run: its length rounded up to an axis step.
func FinalScale(total time.Duration) time.Duration {
	if total <= 0 {
		return time.Second
	}
	step := timeline.Step(total, 6)
	return (total + step - 1) / step * step
}

// eventText says what an event is, for the table.
func eventText(e timeline.Event) string {
	s := string(e.Kind)
	if e.Label != "" {
		s += " " + e.Label
	}
	if e.Dur > 0 {
		s += fmt.Sprintf(" (%.3f s)", e.Dur.Seconds())
	}
	if e.Kind == timeline.Put || e.Kind == timeline.Get {
		s += fmt.Sprintf(" → %d", e.Value)
	}
	return s
}

func lineText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// pct places d on a lane of full width scale, as an SVG percentage.
func pct(d, scale time.Duration) string { return string(appendPct(nil, d, scale)) }

// secs formats d as seconds with three decimals, for data attributes.
func secs(d time.Duration) string { return string(appendSecs(nil, d)) }

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

const rowH = 24

func svgH(n int) string    { return strconv.Itoa(max(n, 1) * rowH) }
func itoa(n int) string    { return strconv.Itoa(n) }
func offY(i, o int) string { return strconv.Itoa(i*rowH + o) }

// segOffset (how far below its lane's top a segment starts) and segH give
// each state its own band height, so states differ in shape as well as
// colour.
func segOffset(s timeline.State) int {
	switch s {
	case timeline.Waiting:
		return 9
	case timeline.Joining:
		return 11
	case timeline.Running:
		return 5
	default:
		return 3
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
func switchURL(lang string, p Page) templ.SafeURL {
	if p.Root != "" {
		return p.U(lang + p.Path)
	}
	u := "/" + lang + p.Path
	if p.Query != "" {
		u += "?" + p.Query
	}
	return templ.SafeURL(u)
}

// wsConfig keeps a run's socket open in a background tab and never
// reconnects it: each connection is one run, and a reconnect would start a
// second one.
const wsConfig = `{"ws":{"pauseOnBackground":false,"reconnect":false}}`

// RunPageView is a stored run shown with the player.
type RunPageView struct {
	Page
	Lesson *lessons.Lesson
	Play   PlayView // the code panes of the run's scenario
	Frame  RunFrame
	Again  string       // the lesson with the run's parameters
	When   time.Time    // when the run finished
	Params []ParamValue // the values it ran with, under the lesson's labels
}
