package scenariotest

import (
	"strings"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

func lanes(events ...timeline.Event) map[string][]timeline.Event { return PerLane(events) }

func TestDiff(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	base := []timeline.Event{
		{At: 0, Lane: "a", Kind: timeline.Spawn},
		{At: 0, Lane: "a", Kind: timeline.Sleep, Dur: ms(100)},
		{At: ms(100), Lane: "a", Kind: timeline.Wake},
		{At: ms(100), Lane: "a", Kind: timeline.Done},
	}
	same := append([]timeline.Event(nil), base...)
	same[2].At, same[3].At = ms(105), ms(106) // within the tolerance
	if d := Diff(scenario.Compare{}, lanes(base...), lanes(same...)); len(d) != 0 {
		t.Errorf("Diff of matching lanes = %v; want none", d)
	}
	late := append([]timeline.Event(nil), base...)
	late[3].At = ms(200)
	if d := Diff(scenario.Compare{}, lanes(base...), lanes(late...)); len(d) != 1 || !strings.Contains(d[0], "a event 2") {
		t.Errorf("Diff with a late end = %v; want one difference at event 2", d)
	}
	extra := append(append([]timeline.Event(nil), base...), timeline.Event{At: 0, Lane: "b", Kind: timeline.Done})
	if d := Diff(scenario.Compare{}, lanes(base...), lanes(extra...)); len(d) != 1 || !strings.Contains(d[0], `"b" is in Python but not in Go`) {
		t.Errorf("Diff with an extra lane = %v", d)
	}
	onlyEnds := scenario.Compare{Kinds: []timeline.Kind{timeline.Done}}
	if d := Diff(onlyEnds, lanes(base...), lanes(late...)); len(d) != 1 {
		t.Errorf("Diff of ends only = %v; want the late end", d)
	}
	skipA := scenario.Compare{Lanes: func(n string) bool { return n != "a" }}
	if d := Diff(skipA, lanes(base...), lanes(late...)); len(d) != 0 {
		t.Errorf("Diff with lane a left out = %v; want none", d)
	}
}

func TestPerLaneDropsTieWaits(t *testing.T) {
	l := PerLane([]timeline.Event{
		{At: 0, Lane: "m", Kind: timeline.Wait, Label: "semaphore"},
		{At: 0, Lane: "m", Kind: timeline.Wake},
		{At: 0, Lane: "m", Kind: timeline.Wait, Label: "semaphore"},
		{At: time.Second, Lane: "m", Kind: timeline.Wake},
	})["m"]
	if len(l) != 2 || l[0].Kind != timeline.Wait || l[1].At != time.Second {
		t.Errorf("PerLane = %v; want the zero-length wait dropped and the real one kept", l)
	}
}

func TestLaneNames(t *testing.T) {
	got := LaneNames(map[string]int{"download 10": 0, "download 2": 0, "main": 0, "b": 0, "a": 0})
	want := []string{"main", "a", "b", "download 2", "download 10"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("LaneNames = %v; want %v", got, want)
	}
}
