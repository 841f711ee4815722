package web

import (
	"context"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// The hottest loops of a frame (a lane's segments, a count chart's bars, the
// holds over the lanes, the connections view) are written here by hand
// rather than in run.templ. A live frame has hundreds of these elements and
// a run draws ten frames a second, so with many runs at once the frames are
// most of the server's own CPU. templ builds a map for every class attribute
// it writes, and a string and an escaping pass for every value; here each
// element is appended to one buffer. The markup is what run.templ wrote (web
// tests and the page's script read it).

// segments draws lane i's segments as rects, each with its state as a class
// and, unless the frame is lean, its times as data attributes and a tooltip.
// A lean frame leaves out segments narrower than a pixel.
func segments(f RunFrame, l timeline.LaneView, i int) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		return writeAppended(w, func(b []byte) []byte {
			var lane []byte // escaped once for every tooltip; a lean frame has none
			if !f.lean() {
				lane = appendEscaped(make([]byte, 0, len(l.Name)+16), l.Name)
			}
			for _, sg := range l.Segments {
				if f.lean() && f.subPixel(sg.End-sg.Start) {
					continue
				}
				b = append(b, `<rect class="seg `...)
				b = appendEscaped(b, string(sg.State))
				b = append(b, `" x="`...)
				b = appendPct(b, sg.Start, f.Scale)
				b = append(b, `" width="`...)
				b = appendPct(b, sg.End-sg.Start, f.Scale)
				b = append(b, `" y="`...)
				b = strconv.AppendInt(b, int64(i*rowH+segOffset(sg.State)), 10)
				b = append(b, `" height="`...)
				b = append(b, segH(sg.State)...)
				if f.lean() {
					b = append(b, `"></rect> `...)
					continue
				}
				b = append(b, `" data-state="`...)
				b = appendEscaped(b, string(sg.State))
				b = append(b, `" data-start="`...)
				b = appendSecs(b, sg.Start)
				b = append(b, `" data-end="`...)
				b = appendSecs(b, sg.End)
				b = append(b, `"><title>`...)
				b = append(b, lane...)
				b = append(b, ": "...)
				b = appendEscaped(b, stateText(f.Lang, sg))
				b = append(b, ' ')
				b = strconv.AppendFloat(b, sg.Start.Seconds(), 'f', 2, 64)
				b = append(b, "–"...)
				b = strconv.AppendFloat(b, sg.End.Seconds(), 'f', 2, 64)
				b = append(b, ` s</title></rect> `...)
			}
			return b
		})
	})
}

// bars draws a count chart's steps as bars up to a height of 34 for the
// larger of the highest count and the cap.
func bars(f RunFrame, steps []timeline.Span, cap int) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		top := chartTop(steps, cap)
		return writeAppended(w, func(b []byte) []byte {
			for _, st := range steps {
				b = append(b, `<rect x="`...)
				b = appendPct(b, st.Start, f.Scale)
				b = append(b, `" width="`...)
				b = appendPct(b, st.End-st.Start, f.Scale)
				b = append(b, `" y="`...)
				b = append(b, barY(st.N, top)...)
				b = append(b, `" height="`...)
				b = append(b, barH(st.N, top)...)
				b = append(b, `" data-n="`...)
				b = strconv.AppendInt(b, int64(st.N), 10)
				b = append(b, `" data-start="`...)
				b = appendSecs(b, st.Start)
				b = append(b, `" data-end="`...)
				b = appendSecs(b, st.End)
				b = append(b, `"></rect> `...)
			}
			return b
		})
	})
}

// bufs keeps the buffers the components above append to.
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// writeAppended writes to w what fill appends to a buffer from bufs.
func writeAppended(w io.Writer, fill func([]byte) []byte) error {
	bp := bufs.Get().(*[]byte)
	b := fill((*bp)[:0])
	_, err := w.Write(b)
	if cap(b) <= 256<<10 { // a rare giant is left to the collector
		*bp = b[:0]
		bufs.Put(bp)
	}
	return err
}

// appendPct appends d as a percentage of scale, to three decimals (what pct
// gives as a string).
func appendPct(b []byte, d, scale time.Duration) []byte {
	if scale <= 0 {
		return append(b, "0%"...)
	}
	return append(strconv.AppendFloat(b, 100*float64(d)/float64(scale), 'f', 3, 64), '%')
}

// appendSecs appends d in seconds, to three decimals (what secs gives as a
// string).
func appendSecs(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, d.Seconds(), 'f', 3, 64)
}

// appendEscaped appends s escaped for HTML text or a quoted attribute, as
// templ.EscapeString does.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '\'':
			esc = "&#39;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		default:
			continue
		}
		b = append(append(b, s[last:i]...), esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

// holds draws the stretches during which each lane held a permit or a lock,
// as rects over the lanes.
func holds(f RunFrame, v timeline.View) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		row := make(map[string]int, len(v.Lanes))
		for i, l := range v.Lanes {
			if _, seen := row[l.Name]; !seen {
				row[l.Name] = i
			}
		}
		return writeAppended(w, func(b []byte) []byte {
			for _, h := range v.Holds {
				b = append(b, `<rect class="hold" data-lane="`...)
				b = appendEscaped(b, h.Lane)
				b = append(b, `" data-start="`...)
				b = appendSecs(b, h.Start)
				b = append(b, `" data-end="`...)
				b = appendSecs(b, h.End)
				b = append(b, `" x="`...)
				b = appendPct(b, h.Start, f.Scale)
				b = append(b, `" width="`...)
				b = appendPct(b, h.End-h.Start, f.Scale)
				b = append(b, `" y="`...)
				b = strconv.AppendInt(b, int64(row[h.Lane]*rowH+1), 10)
				b = append(b, `" height="22"></rect> `...)
			}
			return b
		})
	})
}

// connHolds draws the connections view: each connection's holds, numbered
// by the lane that held it.
func connHolds(f RunFrame, conns []timeline.Connection) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		return writeAppended(w, func(b []byte) []byte {
			for i, c := range conns {
				for _, h := range c.Holds {
					b = append(b, `<g class="conn-hold" data-conn="`...)
					b = strconv.AppendInt(b, int64(i+1), 10)
					b = append(b, `" data-n="`...)
					b = strconv.AppendInt(b, int64(h.N), 10)
					b = append(b, `"><rect class="seg io" x="`...)
					b = appendPct(b, h.Start, f.Scale)
					b = append(b, `" width="`...)
					b = appendPct(b, h.End-h.Start, f.Scale)
					b = append(b, `" y="`...)
					b = strconv.AppendInt(b, int64(i*rowH+3), 10)
					b = append(b, `" height="18"><title>`...)
					b = appendEscaped(b, h.Lane)
					b = append(b, ": "...)
					b = appendSecs(b, h.Start)
					b = append(b, "–"...)
					b = appendSecs(b, h.End)
					b = append(b, ` s</title></rect> <text class="conn-n" x="`...)
					b = appendPct(b, h.Start, f.Scale)
					b = append(b, `" dx="3" y="`...)
					b = strconv.AppendInt(b, int64(i*rowH+16), 10)
					b = append(b, `">`...)
					b = strconv.AppendInt(b, int64(h.N), 10)
					b = append(b, `</text></g>`...)
				}
			}
			return b
		})
	})
}
