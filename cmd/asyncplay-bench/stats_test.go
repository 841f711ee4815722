package main

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6} // 1..10, shuffled
	for _, tc := range []struct {
		p, want float64
	}{{50, 5}, {90, 9}, {99, 10}, {100, 10}, {10, 1}, {1, 1}} {
		if got := percentile(xs, tc.p); got != tc.want {
			t.Errorf("percentile(1..10, %v) = %v; want %v", tc.p, got, tc.want)
		}
	}
	if xs[0] != 5 {
		t.Error("percentile sorted its input")
	}
	if got := percentile(nil, 99); !math.IsNaN(got) {
		t.Errorf("percentile(nil, 99) = %v; want NaN", got)
	}
	big := make([]float64, 1000)
	for i := range big {
		big[i] = float64(i + 1)
	}
	if got := percentile(big, 99); got != 990 {
		t.Errorf("percentile(1..1000, 99) = %v; want 990", got)
	}
}

func TestMedianAndRatio(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{7}, 7}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v; want %v", tc.in, got, tc.want)
		}
	}
	// Rounds where the machine was slow for both sides still give their
	// own ratio; the median ignores the odd round out.
	ours := []float64{800, 400, 900}
	base := []float64{1000, 500, 600}
	if got := medianRatio(ours, base); math.Abs(got-0.8) > 1e-9 {
		t.Errorf("medianRatio(%v, %v) = %v; want 0.8", ours, base, got)
	}
	if got := medianRatio([]float64{1}, []float64{0}); !math.IsNaN(got) {
		t.Errorf("medianRatio with a zero baseline = %v; want NaN", got)
	}
}

func TestStatCPU(t *testing.T) {
	stat := "1234 (async play) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 150 0 0 20 0 9 0 100 0 0"
	if v, err := statCPU(stat); err != nil || v != 4 {
		t.Errorf("statCPU = %v, %v; want 4 s (250 + 150 ticks)", v, err)
	}
}

func TestParseFrame(t *testing.T) {
	live := `<div class="frame" data-finished="false" data-now="1.234" data-scale="2"><div class="clock"></div>` +
		`<section class="side" data-runtime="python" data-status="running"><g class="lane" data-lane="download 1"></g><dd data-total="1.2">x</dd><dd data-events="17">17</dd></section>` +
		`<section class="side" data-runtime="go" data-status="running"><g class="lane" data-lane="main"></g><g class="lane" data-lane="a &amp; b"></g><dd data-events="30">30</dd></section>` +
		`<section class="conns" data-runtime="go"><g class="lane" data-lane="download 1"></g></section></div>`
	f, err := parseFrame([]byte(live))
	if err != nil {
		t.Fatal(err)
	}
	if !f.hasNow || f.now != 1.234 || f.finished || f.queued {
		t.Errorf("parseFrame(live) = %+v; want now 1.234, not finished", f)
	}
	if !f.lanes["python"]["download 1"] || !f.lanes["go"]["main"] || !f.lanes["go"]["a & b"] || f.lanes["go"]["download 1"] || len(f.lanes["go"]) != 2 {
		t.Errorf("parseFrame(live) lanes = %v; want python [download 1], go [main, a & b]", f.lanes)
	}
	final := `<div class="frame" data-finished="true" data-now="2.5"><section class="side" data-runtime="python"><dd data-events="0"></dd></section><section class="side" data-runtime="go"><dd data-events="2"></dd></section>` +
		`<script type="application/json">[{"t":0,"rt":"go","lane":"download 1","kind":"acquire"},{"t":0.35,"rt":"go","lane":"download 1","kind":"wake","label":"x \u003c y"}]</script></div>`
	if f, err = parseFrame([]byte(final)); err != nil {
		t.Fatal(err)
	}
	if !f.finished || len(f.all) != 2 || f.all[1].T != 0.35 || f.all[1].Kind != "wake" || f.events["go"] != 2 || f.events["python"] != 0 {
		t.Errorf("parseFrame(final) = %+v; want finished with 2 events", f)
	}
	queued := `<div class="frame queued" data-finished="false" data-queued="3"><p>3rd in line</p></div>`
	if f, err = parseFrame([]byte(queued)); err != nil || !f.queued || f.hasNow {
		t.Errorf("parseFrame(queued) = %+v, %v; want queued without a time", f, err)
	}
	if _, err := parseFrame([]byte("<p>hello</p>")); err == nil {
		t.Error("parseFrame(not a frame): no error")
	}
}

func TestIdealSemaphore(t *testing.T) {
	start, finish := idealSemaphore([]float64{0.35, 0.6, 0.45, 0.8, 0.25, 0.5}, 2)
	wantStart := []float64{0, 0, 0.35, 0.6, 0.8, 1.05}
	wantFinish := []float64{0.35, 0.6, 0.8, 1.4, 1.05, 1.55}
	for i := range wantStart {
		if math.Abs(start[i]-wantStart[i]) > 1e-9 || math.Abs(finish[i]-wantFinish[i]) > 1e-9 {
			t.Errorf("download %d: %v-%v; want %v-%v", i+1, start[i], finish[i], wantStart[i], wantFinish[i])
		}
	}
}

func TestScheduleErrors(t *testing.T) {
	start, finish := idealSemaphore([]float64{0.3, 0.2}, 1) // 0-0.3, 0.3-0.5
	// Every time is 0.1 s late (where the runtime's clock began), and
	// download 2 wakes 2 ms late on top.
	var evs []playerEvent
	for n, tt := range [][4]float64{{0.1, 0.1, 0.4, 0.4}, {0.4, 0.4, 0.602, 0.602}} {
		for i, kind := range []string{"acquire", "sleep", "wake", "release"} {
			evs = append(evs, playerEvent{T: tt[i], RT: "go", Lane: []string{"download 1", "download 2"}[n], Kind: kind})
		}
	}
	evs = append(evs, playerEvent{T: 9, RT: "go", Lane: "main", Kind: "done"}, playerEvent{T: 9, RT: "python", Lane: "download 1", Kind: "acquire"})
	errs, err := scheduleErrors(evs, "go", start, finish)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 8 {
		t.Fatalf("%d errors; want 8 (4 kinds x 2 downloads)", len(errs))
	}
	if got := percentile(errs, 100); math.Abs(got-2) > 1e-6 {
		t.Errorf("worst error %v ms; want 2", got)
	}
	if _, err := scheduleErrors(evs[:7], "go", start, finish); err == nil {
		t.Error("scheduleErrors with download 2's release missing: no error")
	}
}

func TestFrameLatenciesAndDelivery(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // the run's start, unseen by the client
	dialed := t0.Add(-3 * time.Millisecond)
	at := func(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }
	lanes := func(names ...string) map[string]map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			m[n] = true
		}
		return map[string]map[string]bool{"go": m}
	}
	frames := []received{
		{at: at(101), f: frameInfo{hasNow: true, now: 0.100, lanes: lanes("main", "download 1")}},               // 1 ms
		{at: at(210), f: frameInfo{hasNow: true, now: 0.200, lanes: lanes("main", "download 1", "download 2")}}, // 10 ms
		{at: at(302), f: frameInfo{hasNow: true, now: 0.300, lanes: lanes("main", "download 1", "download 2")}}, // 2 ms
		{at: at(351), f: frameInfo{hasNow: true, now: 0.350, lanes: lanes("main", "download 1", "download 2", "download 3")}},
		{at: at(360), f: frameInfo{hasNow: true, now: 0.5, finished: true}}, // data-now is the run's end: not counted
	}
	lower, upper, base := frameLatencies(frames, dialed)
	if !base.Equal(at(1)) {
		t.Errorf("base = %v; want the start plus the fastest frame's 1 ms", base.Sub(t0))
	}
	want := []float64{0, 9, 1, 0}
	for i := range want {
		if math.Abs(lower[i]-want[i]) > 1e-6 || math.Abs(upper[i]-(want[i]+4)) > 1e-6 {
			t.Errorf("frame %d: lower %v upper %v; want %v and %v", i, lower[i], upper[i], want[i], want[i]+4)
		}
	}
	evs := []playerEvent{
		{T: 0.010, RT: "go", Lane: "main", Kind: "spawn"},
		{T: 0.050, RT: "go", Lane: "download 1", Kind: "spawn"},
		{T: 0.060, RT: "go", Lane: "download 1", Kind: "sleep"},
		{T: 0.150, RT: "go", Lane: "download 2", Kind: "spawn"},
		{T: 0.340, RT: "go", Lane: "download 3", Kind: "spawn"},
		{T: 0.010, RT: "python", Lane: "download 4", Kind: "spawn"},
	}
	got := eventDelivery(frames, evs, "go", base)
	wantD := []float64{100 - 10, 100 - 50, 209 - 150, 350 - 340}
	if len(got) != len(wantD) {
		t.Fatalf("eventDelivery = %v; want %v", got, wantD)
	}
	for i := range wantD {
		if math.Abs(got[i]-wantD[i]) > 1e-6 {
			t.Errorf("spawn %d delivered after %v ms; want %v", i, got[i], wantD[i])
		}
	}
}

// TestReadResponse reads a Content-Length body and a chunked one with a
// trailer, as the load client must.
func TestReadResponse(t *testing.T) {
	in := "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" +
		"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: v\r\n\r\n"
	br := bufio.NewReader(strings.NewReader(in))
	for _, want := range []struct {
		status int
		body   string
	}{{200, "hello"}, {404, "abcde"}} {
		var body bytes.Buffer
		status, _, err := readResponse(br, &body)
		if err != nil || status != want.status || body.String() != want.body {
			t.Errorf("readResponse = %d %q %v; want %d %q", status, body.String(), err, want.status, want.body)
		}
	}
}

// TestLoad runs the load client for a moment against a local server.
func TestLoad(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 10000)) // chunked: bigger than net/http's buffer
	})}
	go hs.Serve(ln)
	defer hs.Close()
	res, err := load(context.Background(), ln.Addr().String(), "/", false, 4, 50*time.Millisecond, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if res.requests == 0 || res.errors != 0 || len(res.lat) != res.requests {
		t.Errorf("load = %d requests, %d errors, %d latencies; want some, none, one each", res.requests, res.errors, len(res.lat))
	}
}

// TestLoadAt: the open loop sends at the rate asked for, and counts a
// request's latency from when it was due, so a server slower than the
// schedule shows latencies that grow with the queue, not its service time.
func TestLoadAt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var slow atomic.Bool
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			time.Sleep(20 * time.Millisecond)
		}
		w.Write([]byte("ok"))
	})}
	go hs.Serve(ln)
	defer hs.Close()
	addr := ln.Addr().String()

	// 4 connections at 200 requests a second for half a second: 100 due.
	res, err := loadAt(context.Background(), addr, "/", false, 4, 200, 50*time.Millisecond, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if res.requests < 90 || res.requests > 104 || res.errors != 0 || len(res.lat) != res.requests {
		t.Errorf("loadAt = %d requests, %d errors, %d latencies; want about 100, none, one each", res.requests, res.errors, len(res.lat))
	}

	if _, err := loadAt(context.Background(), addr, "/", false, 4, 0, 0, time.Millisecond); err == nil {
		t.Error("loadAt at 0 requests a second: no error")
	}

	// One connection due every 10 ms at a server taking 20: each answer is
	// later than the one before, by about 10 ms more.
	slow.Store(true)
	res, err = loadAt(context.Background(), addr, "/", false, 1, 100, 0, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.lat); n < 10 || res.lat[n-1] < res.lat[0]+time.Duration(n-1)*8*time.Millisecond {
		t.Errorf("latencies %v; want each about 10 ms later than the one before", res.lat)
	}
}
