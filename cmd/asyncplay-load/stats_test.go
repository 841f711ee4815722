package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func ms(ns ...int) []time.Duration {
	out := make([]time.Duration, len(ns))
	for i, n := range ns {
		out[i] = time.Duration(n) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	thousand := make([]time.Duration, 1000)
	for i := range thousand {
		thousand[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, 50, 0},
		{"one p50", ms(7), 50, 7 * time.Millisecond},
		{"one p99", ms(7), 99, 7 * time.Millisecond},
		{"two p50 is the lower", ms(1, 2), 50, 1 * time.Millisecond},
		{"two p99 is the upper", ms(1, 2), 99, 2 * time.Millisecond},
		{"four p50", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"four p75", ms(1, 2, 3, 4), 75, 3 * time.Millisecond},
		{"hundred p50", hundred, 50, 50 * time.Millisecond},
		{"hundred p99 is the 99th, not the 100th", hundred, 99, 99 * time.Millisecond},
		{"hundred p100", hundred, 100, 100 * time.Millisecond},
		{"hundred p1", hundred, 1, 1 * time.Millisecond},
		{"tiny p is the first", hundred, 0.001, 1 * time.Millisecond},
		{"p99.9 of a thousand is the 999th", thousand, 99.9, 999 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("percentile(%d values, %v) = %v; want %v", len(tc.sorted), tc.p, got, tc.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	xs := ms(9, 1, 5, 3, 7, 2, 8, 4, 6, 10)
	got := summarize(xs)
	want := summary{n: 10, p50: 5 * time.Millisecond, p99: 10 * time.Millisecond, max: 10 * time.Millisecond}
	if got != want {
		t.Errorf("summarize(1..10 shuffled) = %+v; want %+v", got, want)
	}
	if (summarize(nil) != summary{}) {
		t.Errorf("summarize(nil) = %+v; want zero", summarize(nil))
	}
}

// wire encodes a message as the server does: HTML unescaped, quotes
// escaped, fields in order.
func wire(t *testing.T, content, target string, sent int64) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		Content string `json:"content"`
		Target  string `json:"target"`
		Swap    string `json:"swap"`
		Sent    int64  `json:"sent"`
	}{content, target, "innerHTML", sent})
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

func TestParseClassMsg(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want classMsg
	}{
		{"a frame", wire(t, `<div class="frame" data-finished="false">x</div>`, "#class-run", 1700000000123456789),
			classMsg{target: "#class-run", sent: 1700000000123456789}},
		{"the last frame", wire(t, `<div class="frame" data-finished="true">x</div>`, "#class-run", 42),
			classMsg{target: "#class-run", sent: 42, finished: true}},
		{"finished elsewhere is not a run's end", wire(t, `<p data-finished="true">`, "#class-lesson", 1),
			classMsg{target: "#class-lesson", sent: 1}},
		{"content that looks like the fields", wire(t, `,"target":"#evil","sent":5}`, "#class-status", 6),
			classMsg{target: "#class-status", sent: 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseClassMsg(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("parseClassMsg(%s) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{``, `{}`, `{"content":"","target":"#x","swap":"innerHTML"}`, `{"content":"","target":"#x","sent":12x}`, `{"content":"","sent":1}`} {
		if got, err := parseClassMsg([]byte(bad)); err == nil {
			t.Errorf("parseClassMsg(%q) = %+v, nil; want an error", bad, got)
		}
	}
}
