package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/static"
)

// Fan-out benchmark sizes: a classroom of students, frames of a run, and
// a frame's size (a semaphore run's frame with nine lanes is a few KiB).
const (
	fanConns = 500
	fanMsgs  = 100
	fanSize  = 4 << 10
)

// BenchmarkClassFanout measures the classroom's fan-out (deliver -> send ->
// each socket's classWriter, the code a room's frames take) against a bare
// coder/websocket broadcast that writes the same bytes to the same number
// of sockets in a loop. Both serve fanConns real WebSockets over loopback,
// read by clients in this process; a round is fanMsgs messages, timed from
// the first push until every client has read every message. Rounds
// alternate between the two (each iteration is one pair, in turns of
// order), and the figures are medians over at least three pairs.
//
// A loop of writes is one goroutine writing; the fan-out has a writer per
// socket. So a second baseline, a bare goroutine per socket writing the
// messages straight to it (no hub, no queue), is timed in the same pairs
// and printed beside the first:
//
//	go test -run '^$' -bench ClassFanout -benchtime 5x ./server/
func BenchmarkClassFanout(b *testing.B) {
	s, err := New(Config{Logger: quietLogger(), Lessons: lessons.Embedded(), Static: static.FS(),
		NoPython: errors.New("no python3 in this benchmark"), PingEvery: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	ours := newFanoutOurs(b, s)
	raw := newFanoutRaw(b)
	oursClients := dialFanout(b, ours.url, fanConns)
	rawClients := dialFanout(b, raw.url, fanConns)
	if got := ours.attached(); got != fanConns {
		b.Fatalf("%d of %d class sockets attached", got, fanConns)
	}

	var seq uint64
	msg := fanoutMessage(fanSize)
	roundOurs := func() float64 {
		batch := make([][]byte, fanMsgs)
		for i := range batch {
			seq++
			// A part of its own per message: a socket's queue keeps only
			// the newest message of each part, and this measures delivering
			// every message, as a raw broadcast does.
			batch[i] = encodeSlot(slotMsg{Seq: seq, Key: fmt.Sprint("part", i), Aud: audAll, Msg: msg})
		}
		return oursClients.round(b, msg, func() {
			for _, m := range batch {
				s.deliver(ours.hub, m)
			}
		})
	}
	roundRaw := func() float64 {
		return rawClients.round(b, msg, func() { raw.broadcast(b, msg, fanMsgs) })
	}
	roundPar := func() float64 {
		return rawClients.round(b, msg, func() { raw.broadcastParallel(b, msg, fanMsgs) })
	}

	var oursRates, rawRates, parRates []float64
	pair := func() {
		if len(oursRates)%2 == 0 {
			oursRates = append(oursRates, roundOurs())
			rawRates = append(rawRates, roundRaw())
			parRates = append(parRates, roundPar())
		} else {
			parRates = append(parRates, roundPar())
			rawRates = append(rawRates, roundRaw())
			oursRates = append(oursRates, roundOurs())
		}
	}
	for b.Loop() {
		pair()
	}
	for len(oursRates) < 3 {
		pair()
	}
	if d := s.count.classDropped.Load(); d != 0 {
		b.Errorf("%d class sockets dropped; want none", d)
	}
	o, r, p := median(oursRates), median(rawRates), median(parRates)
	ratio, parRatio := medianRatio(oursRates, rawRates), medianRatio(oursRates, parRates)
	b.ReportMetric(o, "fanout-msgs/s")
	b.ReportMetric(r, "raw-msgs/s")
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(p, "rawpar-msgs/s")
	b.ReportMetric(parRatio, "ratio-par")
	b.Logf("%d sockets, %d messages of %d bytes a round, %d rounds of each, alternating", fanConns, fanMsgs, len(msg), len(oursRates))
	b.Logf("fan-out: %.0f msgs/s vs raw %.0f msgs/s = %.2f x (target >= 0.7x); median of the rounds' ratios", o, r, ratio)
	b.Logf("fan-out: %.0f msgs/s vs raw, a goroutine per socket, %.0f msgs/s = %.2f x", o, p, parRatio)
}

// medianRatio is the median of a[i]/b[i].
func medianRatio(a, b []float64) float64 {
	r := make([]float64, len(a))
	for i := range r {
		r[i] = a[i] / b[i]
	}
	return median(r)
}

// median is the middle of xs (the mean of the middle two for an even
// count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// fanoutMessage is a browser message of about size bytes, encoded as a
// room encodes its frames.
func fanoutMessage(size int) []byte {
	return encodeWS("#class-run", `<div class="frame">`+strings.Repeat("x", size)+`</div>`)
}

// encodeSlot encodes sl as classPublish puts it on the bus.
func encodeSlot(sl slotMsg) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sl); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// fanoutOurs serves class sockets as handleClassSocket does once a socket
// has joined: attached to a hub, with a reader, written by classWriter.
type fanoutOurs struct {
	url string
	hub *hub
}

func newFanoutOurs(b *testing.B, s *Server) *fanoutOurs {
	h, err := s.getHub("FANOUT")
	if err != nil {
		b.Fatal(err)
	}
	f := &fanoutOurs{hub: h}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		cc := newClassConn(false, "")
		s.attach(h, cc, nil)
		defer h.detach(cc)
		readerDone := make(chan struct{})
		go func() {
			defer close(readerDone)
			_, _, err := conn.Read(context.Background())
			cc.kick(websocket.StatusNormalClosure, fmt.Sprint(err))
		}()
		s.classWriter(conn, cc)
		conn.CloseNow()
		<-readerDone
	}))
	b.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		s.putHub(h)
	})
	f.url = "ws" + strings.TrimPrefix(ts.URL, "http")
	return f
}

// attached is how many sockets the hub has.
func (f *fanoutOurs) attached() int {
	f.hub.mu.Lock()
	defer f.hub.mu.Unlock()
	return len(f.hub.conns)
}

// fanoutRaw is the baseline: a bare coder/websocket server that keeps
// every socket it accepts and broadcasts by writing to each in turn.
type fanoutRaw struct {
	url   string
	mu    sync.Mutex
	conns []*websocket.Conn
}

func newFanoutRaw(b *testing.B) *fanoutRaw {
	f := &fanoutRaw{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		f.mu.Lock()
		f.conns = append(f.conns, conn)
		f.mu.Unlock()
		_, _, _ = conn.Read(context.Background()) // until the client goes
	}))
	b.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
	})
	f.url = "ws" + strings.TrimPrefix(ts.URL, "http")
	return f
}

func (f *fanoutRaw) broadcast(b *testing.B, msg []byte, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ctx := context.Background()
	for range n {
		for _, c := range f.conns {
			if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
				b.Error(err)
				return
			}
		}
	}
}

// broadcastParallel writes n copies of msg to every socket, a goroutine
// per socket.
func (f *fanoutRaw) broadcastParallel(b *testing.B, msg []byte, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for _, c := range f.conns {
		wg.Go(func() {
			for range n {
				if err := c.Write(context.Background(), websocket.MessageText, msg); err != nil {
					failed.Add(1)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Errorf("%d raw writers failed", n)
	}
}

// fanoutClients are the reading end: n sockets, each counting what it
// reads towards the current round.
type fanoutClients struct {
	n     int
	cur   atomic.Pointer[fanoutRound]
	wg    sync.WaitGroup
	conns []*websocket.Conn
}

type fanoutRound struct {
	want int64
	got  atomic.Int64
	bad  atomic.Int64 // messages unlike the one sent
	msg  []byte
	done chan struct{}
}

func dialFanout(b *testing.B, url string, n int) *fanoutClients {
	f := &fanoutClients{n: n}
	f.cur.Store(&fanoutRound{done: make(chan struct{})})
	var mu sync.Mutex
	var dials sync.WaitGroup
	sem := make(chan struct{}, 32)
	var failed atomic.Int64
	for range n {
		sem <- struct{}{}
		dials.Go(func() {
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, url, nil)
			if err != nil {
				failed.Add(1)
				return
			}
			c.SetReadLimit(1 << 20)
			mu.Lock()
			f.conns = append(f.conns, c)
			mu.Unlock()
			f.wg.Go(func() { f.read(c) })
		})
	}
	dials.Wait()
	b.Cleanup(func() {
		for _, c := range f.conns {
			c.CloseNow()
		}
		f.wg.Wait()
	})
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d dials to %s failed", n, url)
	}
	return f
}

func (f *fanoutClients) read(c *websocket.Conn) {
	for {
		_, p, err := c.Read(context.Background())
		if err != nil {
			return
		}
		r := f.cur.Load()
		if !bytes.Equal(p, r.msg) {
			r.bad.Add(1)
		}
		if r.got.Add(1) == r.want {
			close(r.done)
		}
	}
}

// round runs push, which sends fanMsgs messages equal to msg to every
// client, and returns the messages per second that reached all of them.
func (f *fanoutClients) round(b *testing.B, msg []byte, push func()) float64 {
	r := &fanoutRound{want: int64(f.n) * fanMsgs, msg: msg, done: make(chan struct{})}
	f.cur.Store(r)
	start := time.Now()
	push()
	select {
	case <-r.done:
	case <-time.After(60 * time.Second):
		b.Fatalf("round incomplete: %d of %d messages arrived", r.got.Load(), r.want)
	}
	elapsed := time.Since(start)
	if bad := r.bad.Load(); bad > 0 {
		b.Fatalf("%d messages arrived unlike the bytes sent", bad)
	}
	return fanMsgs / elapsed.Seconds()
}
