package web

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// FuzzAppendEscaped: the hand-written escaping is templ's, for any string.
func FuzzAppendEscaped(f *testing.F) {
	for _, s := range []string{"", "plain", `<a href="x">&'</a>`, "dl <1> & \"q\"", "日本語 & ü", "&&&", "'\"<>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendEscaped([]byte("x"), s)), "x"+templ.EscapeString(s); got != want {
			t.Errorf("appendEscaped(%q) = %q; want %q", s, got, want)
		}
	})
}

// TestSegmentsMarkup: a lane's segments, full and lean, as the page's script
// and the tests read them.
func TestSegmentsMarkup(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	l := timeline.LaneView{Name: `d <1>`, Segments: []timeline.Segment{
		{Start: 0, End: ms(1), State: timeline.Running},
		{Start: ms(1), End: ms(500), State: timeline.Waiting, Label: "semaphore"},
	}}
	for _, tc := range []struct {
		lean bool
		want string
	}{
		{false, `<rect class="seg run" x="0.000%" width="0.050%" y="29" height="14" data-state="run" data-start="0.000" data-end="0.001"><title>d &lt;1&gt;: running 0.00–0.00 s</title></rect> ` +
			`<rect class="seg wait" x="0.050%" width="24.950%" y="33" height="6" data-state="wait" data-start="0.001" data-end="0.500"><title>d &lt;1&gt;: waiting for a permit 0.00–0.50 s</title></rect> `},
		// Lean: no data attributes or tooltip, and the first segment, under
		// a thousandth of the lane, is left out.
		{true, `<rect class="seg wait" x="0.050%" width="24.950%" y="33" height="6"></rect> `},
	} {
		var buf bytes.Buffer
		f := RunFrame{Lang: "en", Scale: 2 * time.Second, Lean: tc.lean}
		if err := segments(f, l, 1).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tc.want {
			t.Errorf("lean %v:\n got %s\nwant %s", tc.lean, buf.String(), tc.want)
		}
	}
}

// TestChartAndHoldMarkup: a count chart's bars, the holds over the lanes and
// the connections view, as the tests and the page read them.
func TestChartAndHoldMarkup(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	f := RunFrame{Lang: "en", Scale: 2 * time.Second}
	render := func(c templ.Component) string {
		var buf bytes.Buffer
		if err := c.Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	steps := []timeline.Span{{Start: 0, End: ms(500), N: 1}, {Start: ms(500), End: ms(1000), N: 2}}
	if got, want := render(bars(f, steps, 4)),
		`<rect x="0.000%" width="25.000%" y="28" height="8" data-n="1" data-start="0.000" data-end="0.500"></rect> `+
			`<rect x="25.000%" width="25.000%" y="19" height="17" data-n="2" data-start="0.500" data-end="1.000"></rect> `; got != want {
		t.Errorf("bars:\n got %s\nwant %s", got, want)
	}
	v := timeline.View{Lanes: []timeline.LaneView{{Name: "main"}, {Name: `d "2"`}},
		Holds: []timeline.Hold{{Lane: `d "2"`, Start: ms(100), End: ms(300)}}}
	if got, want := render(holds(f, v)),
		`<rect class="hold" data-lane="d &#34;2&#34;" data-start="0.100" data-end="0.300" x="5.000%" width="10.000%" y="25" height="22"></rect> `; got != want {
		t.Errorf("holds:\n got %s\nwant %s", got, want)
	}
	conns := []timeline.Connection{{}, {Holds: []timeline.PackedHold{{Hold: timeline.Hold{Lane: "d <3>", Start: ms(200), End: ms(400)}, N: 3}}}}
	if got, want := render(connHolds(f, conns)),
		`<g class="conn-hold" data-conn="2" data-n="3"><rect class="seg io" x="10.000%" width="10.000%" y="27" height="18"><title>d &lt;3&gt;: 0.200–0.400 s</title></rect> `+
			`<text class="conn-n" x="10.000%" dx="3" y="40">3</text></g>`; got != want {
		t.Errorf("connections:\n got %s\nwant %s", got, want)
	}
}
