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
