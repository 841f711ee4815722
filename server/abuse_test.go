package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
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
	req := "GET /ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=5 HTTP/1.1\r\n" +
		"Host: " + strings.TrimPrefix(ts.URL, "http://") + "\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	status, _ := r.ReadString('\n')
	if !strings.Contains(status, "101") {
		t.Fatalf("handshake answered %q", status)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
	}
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

// TestSoak connects, runs and abandons runs at random points, many times:
// afterwards no child process is left, and (through TestMain's goleak) no
// goroutine. ASYNCPLAY_SOAK sets the number of cycles (default 40; the
// full soak is 10000).
func TestSoak(t *testing.T) {
	py := requirePython(t)
	cycles := 40
	if n, err := strconv.Atoi(os.Getenv("ASYNCPLAY_SOAK")); err == nil && n > 0 {
		cycles = n
	}
	s := newServer(t, py)
	s.cfg.SocketsPerIP = 1000
	s.queue = newRunQueue(4, 1000)
	ts := httptest.NewServer(s)
	defer ts.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range cycles {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws/run/en/semaphore/semaphore?downloads=3&limit=2&delays=0.2,0.3,0.1", nil)
		if err != nil {
			cancel()
			t.Fatalf("cycle %d: %v", i, err)
		}
		c.SetReadLimit(8 << 20)
		for range rng.IntN(4) { // leave after 0 to 3 frames
			if _, _, err := c.Read(ctx); err != nil {
				break
			}
		}
		if rng.IntN(2) == 0 {
			c.CloseNow()
		} else {
			c.Close(websocket.StatusNormalClosure, "leaving")
		}
		cancel()
	}
	ts.Close()
	waitNoChildren(t)
	deadline := time.Now().Add(5 * time.Second)
	for n := s.count.sockets.Load(); n != 0; n = s.count.sockets.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("%d run sockets still open after the soak", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("%d cycles; heap %d KiB before, %d KiB after", cycles, before.HeapAlloc>>10, after.HeapAlloc>>10)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 32<<20 {
		t.Errorf("heap grew by %d KiB over the soak; want it back near its start", grew>>10)
	}
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
// silent (never answers pings) loses their place.
func TestQueuedDeadPeerIsPinged(t *testing.T) {
	s := newServer(t, nil)
	s.queue = newRunQueue(1, 5)
	s.cfg.PingEvery = 200 * time.Millisecond
	ts := httptest.NewServer(s)
	defer ts.Close()
	first := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=3")
	defer first.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := first.Read(ctx); err != nil {
		t.Fatal(err)
	}
	// The second visitor reads nothing: its pings go unanswered.
	second := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=0.1")
	defer second.CloseNow()
	deadline := time.Now().Add(8 * time.Second)
	for _, w := s.queue.stats(); w != 0; _, w = s.queue.stats() {
		if time.Now().After(deadline) {
			t.Fatal("a silent visitor kept their place in line")
		}
		time.Sleep(50 * time.Millisecond)
	}
	readAll(t, first, 10*time.Second)
}
