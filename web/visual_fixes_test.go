package web

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// TestBandLabelAboveLanes: a Python side's "loop blocked" label is drawn in
// a row of its own above the lanes, never inside the lanes' svg where a
// bar would cover it; a Go side (which marks the blocked lane instead) has
// no such row. The browser test TestBrowserBandLabelClearOfBars checks the
// drawn boxes.
func TestBandLabelAboveLanes(t *testing.T) {
	var tl timeline.Timeline
	for _, e := range []timeline.Event{
		{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"},
		{At: 100 * time.Millisecond, Lane: "main", Kind: timeline.Blocked, Dur: 500 * time.Millisecond},
		{At: time.Second, Lane: "main", Kind: timeline.Done},
	} {
		tl.Add(e)
	}
	v := tl.At(time.Second)
	f := RunFrame{Lang: "en", Now: time.Second, Scale: Scale(time.Second), Finished: true, Sides: []SideView{
		{Runtime: "python", Name: "CPython", Status: "finished", View: v},
		{Runtime: "go", Name: "Go", Status: "finished", View: v},
	}}
	var buf bytes.Buffer
	if err := Frame(f).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	py, goSide, ok := strings.Cut(out, `data-runtime="go"`)
	if !ok {
		t.Fatal("no Go side in the frame")
	}
	row := strings.Index(py, `class="band-labels"`)
	tracks := strings.Index(py, `<svg class="tracks"`)
	label := strings.Index(py, `class="band-label"`)
	if row < 0 || tracks < 0 || label < 0 {
		t.Fatalf("Python side: band-labels row at %d, tracks at %d, label at %d; want all three", row, tracks, label)
	}
	if !(row < label && label < tracks) {
		t.Errorf("Python side: the band label (at %d) is not in the row above the lanes (row %d, lanes %d)", label, row, tracks)
	}
	if strings.Count(py, `class="band-label"`) != 1 {
		t.Errorf("Python side: %d band labels for one blocked band; want 1", strings.Count(py, `class="band-label"`))
	}
	if strings.Contains(goSide, "band-label") {
		t.Errorf("Go side has a band label row; it marks the blocked lane instead")
	}
}
