package web

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

func TestEveryLocaleHasEveryKey(t *testing.T) {
	t.Run("pages", func(t *testing.T) { everyKey(t, messages) })
	t.Run("classroom", func(t *testing.T) { everyKey(t, classMessages) })
	for key := range classMessages["en"] {
		if _, dup := messages["en"][key]; dup {
			t.Errorf("key %q is in both messages and classMessages", key)
		}
	}
}

func everyKey(t *testing.T, messages map[string]map[string]string) {
	for _, l := range Locales {
		if messages[l.Code] == nil {
			t.Fatalf("no messages for locale %s", l.Code)
		}
	}
	for key := range messages["en"] {
		for _, l := range Locales {
			if messages[l.Code][key] == "" {
				t.Errorf("locale %s lacks %q", l.Code, key)
			}
		}
	}
	for _, l := range Locales {
		for key := range messages[l.Code] {
			if _, ok := messages["en"][key]; !ok {
				t.Errorf("locale %s has %q, which English lacks", l.Code, key)
			}
		}
	}
}

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "en"},
		{"ja", "ja"},
		{"ja-JP,ja;q=0.9,en-US;q=0.8", "ja"},
		{"en-US,en;q=0.9,ja;q=0.8", "en"},
		{"fr-FR,ja;q=0.5", "ja"},
		{"fr", "en"},
		{"en;q=0.2,ja;q=0.7", "ja"},
		{"JA_jp", "ja"},
		{";;;,,q=", "en"},
	} {
		if got := Negotiate(tc.in); got != tc.want {
			t.Errorf("Negotiate(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

var missingKey = regexp.MustCompile(`\[[a-z]+(\.[a-z]+)+\]`)

// TestFrameInEveryLocale renders a finished frame and a live one in each
// locale and checks no UI string is missing.
func TestFrameInEveryLocale(t *testing.T) {
	var tl timeline.Timeline
	events := []timeline.Event{
		{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"},
		{At: 0, Lane: "main", Kind: timeline.Wait, Label: "taskgroup"},
		{At: 0, Lane: "download 1", Kind: timeline.Spawn},
		{At: 0, Lane: "download 1", Kind: timeline.Acquire, Label: "semaphore"},
		{At: 0, Lane: "download 2", Kind: timeline.Spawn},
		{At: 0, Lane: "download 2", Kind: timeline.Wait, Label: "semaphore"},
		{At: time.Second, Lane: "download 1", Kind: timeline.Release, Label: "semaphore"},
		{At: time.Second, Lane: "download 1", Kind: timeline.Done},
		{At: time.Second, Lane: "download 2", Kind: timeline.Acquire, Label: "semaphore"},
		{At: 2 * time.Second, Lane: "download 2", Kind: timeline.Release, Label: "semaphore"},
		{At: 2 * time.Second, Lane: "download 2", Kind: timeline.Error, Label: "ValueError: boom"},
		{At: 0, Lane: "main", Kind: timeline.Deadline, Dur: 3 * time.Second},
		{At: 200 * time.Millisecond, Lane: "download 1", Kind: timeline.Blocked, Dur: 300 * time.Millisecond},
		{At: 500 * time.Millisecond, Lane: "download 1", Kind: timeline.Set, Label: "event"},
		{At: time.Second, Lane: "download 1", Kind: timeline.Put, Value: 1},
		{At: 2 * time.Second, Lane: "main", Kind: timeline.Done},
	}
	slices.SortStableFunc(events, func(a, b timeline.Event) int { return cmp.Compare(a.At, b.At) })
	for _, e := range events {
		tl.Add(e)
	}
	for _, l := range Locales {
		for _, final := range []bool{false, true} {
			now := 1500 * time.Millisecond
			if final {
				now = 2 * time.Second
			}
			v := tl.At(now)
			f := RunFrame{Lang: l.Code, Now: now, Scale: Scale(now), Finished: final, Sides: []SideView{
				{Runtime: "python", Name: "CPython", Status: "failed", Err: "boom", View: v, Conns: timeline.Pack(v), Packed: "x", Text: "y"},
				{Runtime: "go", Name: "Go", Status: "unavailable", Err: T(l.Code, "run.nopython")},
			}}
			var buf bytes.Buffer
			if err := Frame(f).Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if m := missingKey.FindString(out); m != "" {
				t.Errorf("%s frame (final=%v) shows a missing string %s", l.Code, final, m)
			}
			for _, want := range []string{`class="seg wait"`, `class="hold"`, `class="blocked-band"`, `class="instant set"`,
				`class="deadline"`, `class="lanes chart held"`, `class="lanes chart queue"`} {
				if !strings.Contains(out, want) {
					t.Errorf("%s frame lacks %s", l.Code, want)
				}
			}
			if final != strings.Contains(out, `class="instant error"`) {
				t.Errorf("%s frame (final=%v): the error mark shown = %v; want it once the error has happened", l.Code, final, !final)
			}
			if final != strings.Contains(out, `data-total=`) {
				t.Errorf("%s frame (final=%v): summary shown = %v", l.Code, final, !final)
			}
		}
	}
}

func TestHighlightLines(t *testing.T) {
	c, err := Highlight("x.go", "go", "package x\n\nfunc f() {\n\treturn\n}\n", 10)
	if err != nil {
		t.Fatal(err)
	}
	html := string(c.HTML)
	for _, n := range []string{"10", "11", "12", "13", "14"} {
		if !strings.Contains(html, `data-line="`+n+`"`) {
			t.Errorf("highlighted code lacks line %s:\n%s", n, html)
		}
	}
	if strings.Contains(html, `data-line="15"`) {
		t.Errorf("highlighted code has a line past the end:\n%s", html)
	}
	if strings.Count(html, "\n") != 5 {
		t.Errorf("highlighted code has %d newlines; want one per line (5):\n%q", strings.Count(html, "\n"), html)
	}
	if _, err := Highlight("x", "no-such-language", "", 1); err == nil {
		t.Error("Highlight with an unknown language = nil error")
	}
}

// TestLeanFrame: a classroom's frame leaves out tooltips, data attributes,
// sub-pixel segments and the event table, and keeps everything drawn.
func TestLeanFrame(t *testing.T) {
	var tl timeline.Timeline
	for _, e := range []timeline.Event{
		{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"},
		{At: 0, Lane: "job", Kind: timeline.Spawn},
		{At: time.Microsecond, Lane: "job", Kind: timeline.Sleep}, // a sub-pixel run slice before it
		{At: 2 * time.Second, Lane: "job", Kind: timeline.Done},
		{At: 2 * time.Second, Lane: "main", Kind: timeline.Done},
	} {
		tl.Add(e)
	}
	render := func(lean bool) string {
		v := tl.At(2 * time.Second)
		f := RunFrame{Lang: "en", Now: 2 * time.Second, Scale: Scale(2 * time.Second), Finished: true, Lean: lean,
			Events: []EventRow{{Runtime: "go", Event: timeline.Event{Lane: "job", Kind: timeline.Done}}},
			Sides:  []SideView{{Runtime: "go", Name: "Go", Status: "finished", View: v}}}
		var buf bytes.Buffer
		if err := Frame(f).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	full, lean := render(false), render(true)
	if f, l := strings.Count(full, `class="seg run"`), strings.Count(lean, `class="seg run"`); l >= f {
		t.Errorf("run segments: %d lean, %d full; want the sub-pixel one left out", l, f)
	}
	for _, part := range []string{"<title>", "data-state=", `class="events-table`} {
		if !strings.Contains(full, part) {
			t.Errorf("the full frame lacks %s", part)
		}
		if strings.Contains(lean, part) {
			t.Errorf("the lean frame has %s", part)
		}
	}
	for _, part := range []string{`class="seg io"`, `class="player"`, `<g class="lane"`} {
		if !strings.Contains(lean, part) {
			t.Errorf("the lean frame lacks %s", part)
		}
	}
	if len(lean) >= len(full) {
		t.Errorf("lean frame %d bytes, full %d; want it smaller", len(lean), len(full))
	}
}

var sideStatus = regexp.MustCompile(`<span class="status running">([^<]*)<`)

// TestSideStartingUntilItsFirstEvent: a running side with no event yet says
// it is starting (its process waits its turn or boots); with one, running.
func TestSideStartingUntilItsFirstEvent(t *testing.T) {
	var tl timeline.Timeline
	tl.Add(timeline.Event{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"})
	for _, l := range Locales {
		f := RunFrame{Lang: l.Code, Now: time.Second, Scale: Scale(time.Second), Sides: []SideView{
			{Runtime: "python", Name: "CPython", Status: "running", View: (&timeline.Timeline{}).At(time.Second)},
			{Runtime: "go", Name: "Go", Status: "running", View: tl.At(time.Second)},
		}}
		var buf bytes.Buffer
		if err := Frame(f).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		got := sideStatus.FindAllStringSubmatch(buf.String(), -1)
		want := []string{T(l.Code, "run.starting"), T(l.Code, "run.running")}
		if len(got) != 2 || got[0][1] != want[0] || got[1][1] != want[1] {
			t.Errorf("%s: the sides' statuses are %q; want %q (Python, no event yet) and %q (Go)", l.Code, got, want[0], want[1])
		}
	}
}

// TestTotalTimeOfAShortSide: a side that ran a few milliseconds (Go's side
// of the CPU-bound lesson) shows them, not "0.00 s", in the summary and in
// the sentence a screen reader hears.
func TestTotalTimeOfAShortSide(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{2 * time.Millisecond, "0.002 s"},
		{99 * time.Millisecond, "0.099 s"},
		{100 * time.Millisecond, "0.10 s"},
		{2346 * time.Millisecond, "2.35 s"},
		{0, "0.00 s"},
	} {
		if got := totalText("en", tc.d); got != tc.want {
			t.Errorf("totalText(%v) = %q; want %q", tc.d, got, tc.want)
		}
	}
	var tl timeline.Timeline
	tl.Add(timeline.Event{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"})
	tl.Add(timeline.Event{At: 2 * time.Millisecond, Lane: "main", Kind: timeline.Done})
	v := tl.At(2 * time.Millisecond)
	f := RunFrame{Lang: "ja", Now: time.Second, Scale: time.Second, Finished: true,
		Sides: []SideView{{Runtime: "go", Name: "Go", Status: "finished", View: v, Conns: timeline.Pack(v)}}}
	var buf bytes.Buffer
	if err := Frame(f).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`data-total="0.002">0.002 秒</dd>`, `<span class="time">1.00 秒</span>`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the frame lacks %s", want)
		}
	}
	f.Now = 2 * time.Millisecond // the whole run: its clock and the player's show thousandths too
	f.Events = []EventRow{{Event: timeline.Event{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"}}}
	buf.Reset()
	if err := Frame(f).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<span class="time">0.002 秒</span>`, `<output class="p-time">0.000 秒</output>`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("a 2 ms run's frame lacks %s", want)
		}
	}
	if s := f.Summary(); !strings.Contains(s, "Go: 0.002 秒") {
		t.Errorf("Summary() = %q; want Go's 0.002 秒", s)
	}
}

// TestGoPaneSaysItIsAnExcerpt: a Go pane that starts past its file's first
// line says which lines it shows, in the page's language; a whole file
// says nothing.
func TestGoPaneSaysItIsAnExcerpt(t *testing.T) {
	part, err := Highlight("x.go", "go", "func f() {\n\treturn\n}\n", 66)
	if err != nil {
		t.Fatal(err)
	}
	if part.First != 66 || part.Last != 68 || !part.Excerpt() {
		t.Errorf("Highlight from line 66, 3 lines: First %d, Last %d, Excerpt %t; want 66, 68, true", part.First, part.Last, part.Excerpt())
	}
	whole, err := Highlight("y.go", "go", "package y", 1)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Last != 1 || whole.Excerpt() {
		t.Errorf("a one-line file without a newline: Last %d, Excerpt %t; want 1, false", whole.Last, whole.Excerpt())
	}
	for lang, want := range map[string]string{"en": "lines 66–68", "ja": "66〜68 行目", "zh": "第 66–68 行"} {
		var buf bytes.Buffer
		if err := codePanes(lang, Code{}, part, false, true).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), `<span class="excerpt">`+want+`</span>`) {
			t.Errorf("%s: the Go pane's caption lacks %q: %.400s", lang, want, buf.String())
		}
		buf.Reset()
		if err := codePanes(lang, Code{}, whole, false, true).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), `class="excerpt"`) {
			t.Errorf("%s: a whole file's pane is captioned as an excerpt", lang)
		}
	}
}

// TestTooShortToSeeIsSaid: a finished side that ran for under a twentieth of
// the shared clock (its lanes are slivers) says so; one that fills more of
// it does not.
func TestTooShortToSeeIsSaid(t *testing.T) {
	side := func(d time.Duration) SideView {
		var tl timeline.Timeline
		tl.Add(timeline.Event{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"})
		tl.Add(timeline.Event{At: d, Lane: "main", Kind: timeline.Done})
		v := tl.At(d)
		return SideView{Runtime: "go", Name: "Go", Status: "finished", View: v, Conns: timeline.Pack(v)}
	}
	for _, tc := range []struct {
		d    time.Duration
		said bool
	}{{3 * time.Millisecond, true}, {20 * time.Millisecond, true}, {30 * time.Millisecond, false}, {300 * time.Millisecond, false}} {
		f := RunFrame{Lang: "en", Now: 500 * time.Millisecond, Scale: 500 * time.Millisecond, Finished: true, Sides: []SideView{side(tc.d)}}
		var buf bytes.Buffer
		if err := Frame(f).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("Go took %s, too short to see", totalText("en", tc.d))
		if got := strings.Contains(buf.String(), want); got != tc.said {
			t.Errorf("a side of %v on a 0.5 s clock: note %q shown = %t; want %t", tc.d, want, got, tc.said)
		}
		// A side that failed says why instead.
		f.Sides[0].Status, f.Sides[0].Err = "failed", "stopped"
		buf.Reset()
		if err := Frame(f).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), "too short to see") {
			t.Errorf("a failed side of %v: the too-short note is shown under its error", tc.d)
		}
	}
}

// TestLegendNamesTheMarksDrawn: a finished frame's legend names each mark
// its lanes draw (a hold's outline, a printed line, a deadline, a set, a
// raised error, each way a lane ended) and no other; a live frame's
// legend stays the four states, so it does not grow mid-run.
func TestLegendNamesTheMarksDrawn(t *testing.T) {
	frame := func(finished, withGo bool, events ...timeline.Event) string {
		t.Helper()
		var tl timeline.Timeline
		for _, e := range events {
			tl.Add(e)
		}
		v := tl.At(3 * time.Second)
		var goTL timeline.Timeline // a Go lane's blocking call is a mark of its own
		for _, e := range []timeline.Event{
			{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"},
			{At: 0, Lane: "main", Kind: timeline.Blocked, Dur: 300 * time.Millisecond},
			{At: 0, Lane: "main", Kind: timeline.Deadline, Dur: 5 * time.Second}, // past the clock's end: not drawn
			{At: time.Second, Lane: "main", Kind: timeline.Done},
		} {
			goTL.Add(e)
		}
		gv := goTL.At(3 * time.Second)
		f := RunFrame{Lang: "en", Now: 3 * time.Second, Scale: 3 * time.Second, Finished: finished,
			Sides: []SideView{{Runtime: "python", Name: "CPython", Status: "finished", View: v, Conns: timeline.Pack(v)}}}
		if withGo {
			f.Sides = append(f.Sides, SideView{Runtime: "go", Name: "Go", Status: "finished", View: gv, Conns: timeline.Pack(gv)})
		}
		var buf bytes.Buffer
		if err := Frame(f).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	marks := regexp.MustCompile(`<li data-mark="([a-z]+)">`)
	named := func(page string) string {
		var out []string
		for _, m := range marks.FindAllStringSubmatch(page, -1) {
			out = append(out, m[1])
		}
		return strings.Join(out, " ")
	}
	all := []timeline.Event{
		{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"},
		{At: 0, Lane: "main", Kind: timeline.Deadline, Dur: 2 * time.Second},
		{At: 0, Lane: "a", Kind: timeline.Spawn},
		{At: 0, Lane: "a", Kind: timeline.Acquire, Label: "semaphore", Value: 1},
		{At: 0, Lane: "b", Kind: timeline.Spawn},
		{At: 0, Lane: "c", Kind: timeline.Spawn},
		{At: 100 * time.Millisecond, Lane: "a", Kind: timeline.Log, Label: "hello"},
		{At: 500 * time.Millisecond, Lane: "a", Kind: timeline.Set, Label: "event"},
		{At: time.Second, Lane: "a", Kind: timeline.Release, Label: "semaphore"},
		{At: time.Second, Lane: "a", Kind: timeline.Done},
		{At: 1500 * time.Millisecond, Lane: "b", Kind: timeline.Error, Label: "ValueError: boom"},
		{At: 1600 * time.Millisecond, Lane: "c", Kind: timeline.Cancelled},
		{At: 2 * time.Second, Lane: "main", Kind: timeline.Done},
	}
	if got, want := named(frame(true, true, all...)), "hold log deadline blocked set raised done error cancelled"; got != want {
		t.Errorf("finished frame with every mark: legend names %q; want %q", got, want)
	}
	if got := named(frame(false, true, all...)); got != "" {
		t.Errorf("live frame: legend names %q; want only the four states", got)
	}
	plain := []timeline.Event{
		{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"},
		{At: 0, Lane: "main", Kind: timeline.Deadline, Dur: 4 * time.Second}, // past the clock's end
		{At: 0, Lane: "main", Kind: timeline.Sleep, Dur: time.Second},
		{At: time.Second, Lane: "main", Kind: timeline.Wake},
		{At: time.Second, Lane: "main", Kind: timeline.Done},
	}
	if got, want := named(frame(true, false, plain...)), "done"; got != want {
		t.Errorf("finished frame of one lane that slept and returned: legend names %q; want %q", got, want)
	}
}
