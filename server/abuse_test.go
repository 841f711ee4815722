package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/static"
)

// TestHugeFrameHeader sends a frame whose header claims a 2^63-1 byte
// payload on a run socket: the server closes the connection at once
// without trying to hold the payload.
func TestHugeFrameHeader(t *testing.T) {
	s := newServer(t, nil)
	ts := httptest.NewServer(s)
	defer ts.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := rawUpgrade(t, conn, strings.TrimPrefix(ts.URL, "http://"), "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=5")
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	frame := []byte{0x82, 0xFF} // final binary frame, masked, 64-bit length
	frame = binary.BigEndian.AppendUint64(frame, 1<<63-1)
	frame = append(frame, 1, 2, 3, 4) // the mask
	start := time.Now()
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	// Whatever frames the server sends, the connection must end soon.
	if _, err := io.Copy(io.Discard, r); err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("reading until the server closed: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the server took %v to close; want at once", d)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 16<<20 {
		t.Errorf("heap grew by %d bytes after the huge header; want no jump", grew)
	}
}

// TestHugeFrameHeaderOnClassSocket: a class socket reads answers, so it
// cannot drop any message at its header as a run socket does; a frame
// claiming 2^63-1 bytes that then stops is dropped once its bytes are
// late (answerBodyWait), not at the next unanswered ping, with no heap jump.
func TestHugeFrameHeaderOnClassSocket(t *testing.T) {
	_, ts := classServer(t, ClassConfig{})
	code, _ := startClass(t, ts)
	host := strings.TrimPrefix(ts.URL, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	req := "GET /class/" + code + "/ws HTTP/1.1\r\nHost: " + host + "\r\nOrigin: " + ts.URL + "\r\n" +
		"Cookie: " + studentCookie + "=raw\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	if status, err := r.ReadString('\n'); err != nil || !strings.Contains(status, " 101 ") {
		t.Fatalf("handshake answered %q, %v; want 101", status, err)
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	frame := []byte{0x81, 0xFF} // final text frame, masked, 64-bit length
	frame = binary.BigEndian.AppendUint64(frame, 1<<63-1)
	frame = append(frame, 1, 2, 3, 4, 'a', 'b', 'c') // the mask, then a little of the "payload"
	start := time.Now()
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, r); err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("reading until the server closed: %v", err)
	}
	if d := time.Since(start); d > answerBodyWait+3*time.Second {
		t.Errorf("the server took %v to drop the socket; want about %v", d, answerBodyWait)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 16<<20 {
		t.Errorf("heap grew by %d bytes after the huge header; want no jump", grew)
	}
}

// rawUpgrade sends a WebSocket handshake for path by hand on conn and reads
// the server's answer through its headers, failing the test unless it is
// 101; the reader then holds what the server sends next.
func rawUpgrade(t *testing.T, conn net.Conn, host, path string) *bufio.Reader {
	t.Helper()
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	status, err := r.ReadString('\n')
	if err != nil || !strings.Contains(status, " 101 ") {
		t.Fatalf("handshake answered %q, %v; want 101", status, err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			return r
		}
	}
}

// TestSoak connects, runs and abandons runs at random points, many times
// over, several at once, with both runtimes in processes of their own (a
// Go worker and an interpreter per run, as in production). A cycle leaves
// in the middle of its WebSocket handshake, or right after it, or after 1
// to 3 frames (the first may say the run is waiting in line: six clients
// share four run slots), or at the end of its run, with a close frame or
// without. Afterwards no child process is left, no socket is counted, the
// heap is back near where it was once the server had warmed up, and
// (through TestMain's goleak) no goroutine is left. ASYNCPLAY_SOAK sets the
// number of cycles (default 40; the full soak is 10000).
func TestSoak(t *testing.T) {
	py := requirePython(t)
	cycles := 40
	if n, err := strconv.Atoi(os.Getenv("ASYNCPLAY_SOAK")); err == nil && n > 0 {
		cycles = n
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Logger: quietLogger(), Lessons: lessons.Embedded(), Static: static.FS(), Python: py,
		GoWorker: []string{exe, scenarios.WorkerCommand}, RunSlots: 4, RunsPerIP: 1000, SocketsPerIP: 1000,
		MaxRuns: 8}) // the store of finished runs fills within a few cycles
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ts := httptest.NewServer(s)
	defer ts.Close()
	const path = "/ws/run/en/semaphore/semaphore?downloads=3&limit=2&delays=0.2,0.3,0.1"
	var ways [5]atomic.Int64 // cycles by where they left, as numbered below
	soak := func(n int, seed uint64) error {
		const clients = 6
		errs := make(chan error, clients)
		var wg sync.WaitGroup
		for w := range clients {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(seed, uint64(w)))
				for i := w; i < n; i += clients {
					way := rng.IntN(len(ways))
					ways[way].Add(1)
					if err := soakCycle(ts.URL, path, way, rng.IntN(3)+1, rng.IntN(2) == 0); err != nil {
						errs <- fmt.Errorf("cycle %d: %w", i, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	settle := func() runtime.MemStats {
		t.Helper()
		waitNoChildren(t)
		deadline := time.Now().Add(10 * time.Second)
		for n := s.count.sockets.Load(); n != 0; n = s.count.sockets.Load() {
			if time.Now().After(deadline) {
				t.Fatalf("%d run sockets still open after the soak", n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m
	}
	// Warm up first: the first runs fill the run store and the caches that
	// a server keeps for its life (highlighted code, rate limiters, pools).
	if err := soak(24, 1); err != nil {
		t.Fatal(err)
	}
	before := settle()
	if err := soak(cycles, 2); err != nil {
		t.Fatal(err)
	}
	ts.Close()
	after := settle()
	t.Logf("%d cycles after 24 to warm up; over both, left in the handshake %d, after it %d, after 1-3 frames %d, at the end %d, mid-run by a dead peer %d; heap %d KiB before, %d KiB after",
		cycles, ways[0].Load(), ways[1].Load(), ways[2].Load(), ways[3].Load(), ways[4].Load(), before.HeapAlloc>>10, after.HeapAlloc>>10)
	for i := range ways {
		if ways[i].Load() == 0 {
			t.Errorf("no cycle left the way numbered %d; the soak is too short to cover every way", i)
		}
	}
	// A leak of 100 KiB a cycle shows in the CI's 40 cycles (4,000 KiB).
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 2<<20 {
		t.Errorf("heap grew by %d KiB over the soak; want it back near its start", grew>>10)
	}
}

// soakCycle opens one run socket on the server at base and leaves it the
// way numbered way: 0 in the middle of the handshake, 1 right after it,
// 2 after frames frames, 3 once the run has ended, 4 mid-run with a TCP
// reset instead of a close (a peer that vanished). With closeFrame it says
// goodbye with a close frame where it can.
func soakCycle(base, path string, way, frames int, closeFrame bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if way == 0 {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			return err
		}
		_, err = conn.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: " + strings.TrimPrefix(base, "http://") +
			"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"))
		conn.Close()
		return err
	}
	var tcp *net.TCPConn // the connection under the socket, for way 4
	dial := &net.Dialer{}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial.DialContext(ctx, network, addr)
		if tc, ok := conn.(*net.TCPConn); ok {
			tcp = tc
		}
		return conn, err
	}}}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+path, &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		return err
	}
	defer c.CloseNow()
	c.SetReadLimit(8 << 20)
	switch way {
	case 2, 4:
		for range frames {
			if _, _, err := c.Read(ctx); err != nil {
				break
			}
		}
	case 3:
		for {
			if _, _, err := c.Read(ctx); err != nil {
				if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
					return fmt.Errorf("reading the run to its end: %w", err)
				}
				return nil
			}
		}
	}
	switch {
	case way == 4 && tcp != nil:
		// Reset the TCP connection: no close frame, no FIN.
		tcp.SetLinger(0)
		tcp.Close()
	case way == 4:
		return errors.New("no TCP connection under the socket to reset")
	case closeFrame:
		c.Close(websocket.StatusNormalClosure, "leaving") // the server may have closed first
	}
	return nil
}

// TestSlowloris: a client that trickles its request headers is cut off by
// the server's header timeout instead of holding a connection for ever.
func TestSlowloris(t *testing.T) {
	s := newServer(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	s.readHeaderTimeout = 500 * time.Millisecond
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() { stop(); <-done }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.Write([]byte("GET /en/ HTTP/1.1\r\nHost: x\r\n"))
	closed := false
	for time.Since(start) < 5*time.Second {
		if _, err := conn.Write([]byte("X-Slow: a\r\n")); err != nil {
			closed = true
			break
		}
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := conn.Read(make([]byte, 1)); err == io.EOF || (err != nil && !isTimeout(err)) {
			closed = true
			break
		}
	}
	if !closed {
		t.Errorf("a trickling client was still connected after %v", time.Since(start))
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestQueuedDeadPeerIsPinged: a visitor waiting in line who has gone
// silent (never answers pings) loses their place while the run ahead of
// them is still going, and is never run.
func TestQueuedDeadPeerIsPinged(t *testing.T) {
	s := newServer(t, nil)
	s.queue = newRunQueue(1, 5)
	s.cfg.PingEvery = 200 * time.Millisecond
	ts := httptest.NewServer(s)
	defer ts.Close()
	// The first run takes 10 s; an unanswered ping gives up after
	// PingEvery and the write timeout, 5.2 s.
	first := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=10")
	defer first.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := first.Read(ctx); err != nil {
		t.Fatal(err)
	}
	// The first visitor keeps reading (a socket whose frames pile up
	// unread would be dropped at its write timeout, ending the run the
	// test needs going), and notes when the run finishes.
	var firstDone atomic.Bool
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			_, b, err := first.Read(ctx)
			if err != nil {
				return
			}
			if bytes.Contains(b, []byte(`data-finished="true"`)) {
				firstDone.Store(true)
			}
		}
	}()
	defer func() { first.CloseNow(); <-drained }()
	// The second visitor reads nothing until the end: its pings go
	// unanswered (the library answers a ping only while reading).
	second := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=0.1")
	defer second.CloseNow()
	wait := func(what string, within time.Duration, ok func(running, waiting int) bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for r, w := s.queue.stats(); !ok(r, w); r, w = s.queue.stats() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: after %v the line has %d running and %d waiting", what, within, r, w)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wait("the second visitor joins the line", 5*time.Second, func(r, w int) bool { return r == 1 && w == 1 })
	wait("a silent visitor loses their place", 8*time.Second, func(r, w int) bool { return w == 0 })
	if firstDone.Load() {
		t.Fatal("the line emptied only once the first run had finished; want the silent visitor dropped while it runs")
	}
	// All the second ever got was its place in line; then the server hung up.
	frames, _ := readAll(t, second, 5*time.Second)
	if len(frames) == 0 || !strings.Contains(frames[0], `data-queued="1"`) {
		t.Errorf("the silent visitor's frames = %.300q; want their place in line first", frames)
	}
	for _, f := range frames[min(1, len(frames)):] {
		t.Errorf("the silent visitor got a frame after their place in line: %.300s", f)
	}
}
