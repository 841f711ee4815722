package main

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strconv"
	"time"
)

// percentile is the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value with at least p% of the values
// at or below it. It is zero for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// rank = ceil(p/100 * n); the small slack keeps a product like
	// 99.9*1000 = 99900.00000000001 from rounding up a whole rank.
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// summary is a latency distribution.
type summary struct {
	n             int
	p50, p99, max time.Duration
}

// summarize sorts xs in place and reads its distribution.
func summarize(xs []time.Duration) summary {
	slices.Sort(xs)
	s := summary{n: len(xs)}
	if s.n > 0 {
		s.p50, s.p99, s.max = percentile(xs, 50), percentile(xs, 99), xs[s.n-1]
	}
	return s
}

// Markers in a class message as it is on the wire: hx-ws JSON, fields in
// the order the server writes them, its content HTML with quotes escaped.
var (
	sentField   = []byte(`,"sent":`)
	targetField = []byte(`,"target":"`)
	finished    = []byte(`data-finished=\"true\"`)
)

// classMsg is what the load reads from a class message.
type classMsg struct {
	target   string
	sent     int64 // Unix nanoseconds when the room's owner encoded it
	finished bool  // the run's last frame
}

// parseClassMsg reads the target, the sent time and whether it is a
// finished run's frame, without decoding the content (tens of KiB, a
// thousand copies at a time, on the same CPUs as the server): "target"
// and "sent" come after "content", and a quote inside the content is
// always escaped, so their last occurrences are the fields themselves.
func parseClassMsg(b []byte) (classMsg, error) {
	var m classMsg
	b = bytes.TrimSpace(b)
	i := bytes.LastIndex(b, sentField)
	if i < 0 || len(b) == 0 || b[len(b)-1] != '}' {
		return m, errors.New("no sent field")
	}
	sent, err := strconv.ParseInt(string(b[i+len(sentField):len(b)-1]), 10, 64)
	if err != nil {
		return m, errors.New("sent is not a whole number")
	}
	j := bytes.LastIndex(b[:i], targetField)
	if j < 0 {
		return m, errors.New("no target field")
	}
	t := b[j+len(targetField):]
	k := bytes.IndexByte(t, '"')
	if k < 0 {
		return m, errors.New("target not closed")
	}
	m.target, m.sent = string(t[:k]), sent
	m.finished = m.target == "#class-run" && bytes.Contains(b[:j], finished)
	return m, nil
}
