package timeline

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The characters of the text view, one per state.
var stateChar = map[State]byte{Running: '#', IO: '-', Waiting: '.', Joining: '~'}

// endChar marks how a lane ended.
var endChar = map[Kind]byte{Done: '|', Error: 'X', Cancelled: 'C'}

// Legend explains the characters of Text.
const Legend = "# running   - sleeping or I/O   . waiting for a resource   ~ awaiting other tasks   ! blocked the loop   | done   X error   C cancelled"

// Step picks the time each text column stands for, so that total fits in
// about width columns, rounded to a step a person can count in.
func Step(total time.Duration, width int) time.Duration {
	if width < 10 {
		width = 10
	}
	steps := []time.Duration{
		time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
		10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
		100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
		time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute,
	}
	for _, s := range steps {
		if total/s < time.Duration(width) {
			return s
		}
	}
	return time.Duration(math.Ceil(float64(total)/float64(width)/float64(time.Minute))) * time.Minute
}

func col(at, step time.Duration) int { return int(at / step) }

// Text draws every lane of v as a row of characters, one column per step,
// with the lane names in a left column and a time ruler on top.
func Text(v View, step time.Duration) string {
	names := 4
	for _, l := range v.Lanes {
		names = max(names, len(l.Name))
	}
	cols := col(v.Now, step) + 2
	var b strings.Builder
	b.WriteString(ruler(names, cols, step))
	for _, l := range v.Lanes {
		row := []byte(strings.Repeat(" ", cols))
		for _, s := range l.Segments {
			c := stateChar[s.State]
			for i := col(s.Start, step); i < col(s.End, step) && i < cols; i++ {
				row[i] = c
			}
			// A state shorter than a column still shows.
			if i := col(s.Start, step); i < cols && row[i] == ' ' {
				row[i] = c
			}
		}
		for _, m := range l.Marks {
			if m.Kind == Blocked {
				for i := col(m.At, step); i <= col(m.At+m.Dur, step) && i < cols; i++ {
					row[i] = '!'
				}
			}
		}
		if l.End != "" && len(l.Segments) > 0 {
			if i := col(l.Segments[len(l.Segments)-1].End, step); i < cols {
				row[i] = endChar[l.End]
			}
		} else if l.End != "" {
			if i := col(l.Start, step); i < cols {
				row[i] = endChar[l.End]
			}
		}
		fmt.Fprintf(&b, "%-*s %s\n", names, l.Name, strings.TrimRight(string(row), " "))
	}
	return b.String()
}

// ruler is a line of time marks: a number every ten columns.
func ruler(names, cols int, step time.Duration) string {
	row := []byte(strings.Repeat(" ", cols+8))
	for i := 0; i < cols; i += 10 {
		copy(row[i:], formatSeconds(time.Duration(i)*step))
	}
	return fmt.Sprintf("%-*s %s\n", names, "t(s)", strings.TrimRight(string(row), " "))
}

func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// ConnectionsText draws the packed view as text, one row per connection:
// the number of each download where it starts, then dashes while it lasts.
//
//	Connection 1: 1---------7---9---
func ConnectionsText(rows []Connection, step time.Duration, name string) string {
	var b strings.Builder
	for i, r := range rows {
		var line []byte
		for _, h := range r.Holds {
			start, end := col(h.Start, step), col(h.End, step)
			for len(line) < start {
				line = append(line, ' ')
			}
			label := strconv.Itoa(h.N)
			line = append(line[:min(start, len(line))], label...)
			for len(line) < end {
				line = append(line, '-')
			}
		}
		fmt.Fprintf(&b, "%s %d: %s\n", name, i+1, line)
	}
	return b.String()
}
