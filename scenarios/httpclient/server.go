package httpclient

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path"
	"sync"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// dialFunc opens a connection, as net.Dialer.DialContext does.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// listenFunc makes the test server's listener and the dial function that
// reaches it.
type listenFunc func() (net.Listener, dialFunc, error)

// loopback listens on a free TCP port of 127.0.0.1, reachable from this
// process only.
func loopback() (net.Listener, dialFunc, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("start the test server: %w", err)
	}
	var d net.Dialer
	return ln, d.DialContext, nil
}

// server is the scenario's own HTTP server. It answers GET /item/N with
// "item N" after its latency, and draws each connection it accepts as a
// lane ("serve", "serve #2", ...), as the tracer draws the task asyncio
// starts for each connection.
type server struct {
	url  string
	dial dialFunc
	http *http.Server
	done chan error // Serve's result

	open  sync.WaitGroup // connections not yet closed
	mu    sync.Mutex
	conns map[net.Conn]*conn
}

// conn is a connection's lane, and whether it is idle: kept open between
// requests, waiting for the next one (or for the client to hang up).
type conn struct {
	lane *timeline.Lane
	idle bool
}

type laneKey struct{}

// startServer starts serving on a listener from listen.
func startServer(run *timeline.Recorder, listen listenFunc, latency time.Duration) (*server, error) {
	ln, dial, err := listen()
	if err != nil {
		return nil, err
	}
	s := &server{url: "http://" + ln.Addr().String(), dial: dial, done: make(chan error, 1), conns: map[net.Conn]*conn{}}
	s.http = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			lane := r.Context().Value(laneKey{}).(*timeline.Lane)
			lane.Log("GET %s", r.URL.Path)
			if lane.Sleep(r.Context(), latency) != nil { // the server takes its time
				return
			}
			fmt.Fprintf(w, "item %s", path.Base(r.URL.Path))
		}),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			lane := run.Lane("serve", "serve")
			s.mu.Lock()
			s.conns[c] = &conn{lane: lane}
			s.mu.Unlock()
			s.open.Add(1)
			return context.WithValue(ctx, laneKey{}, lane)
		},
		// A kept-alive connection between requests waits on the network
		// for the next (asyncio's connection task waits on its stream's
		// read): drawn as I/O, not as running.
		ConnState: func(c net.Conn, state http.ConnState) {
			s.mu.Lock()
			cn := s.conns[c]
			if state == http.StateClosed || state == http.StateHijacked {
				delete(s.conns, c)
			}
			s.mu.Unlock()
			switch state {
			case http.StateIdle:
				cn.idle = true
				cn.lane.Wait("request")
			case http.StateActive:
				if cn.idle {
					cn.idle = false
					cn.lane.Wake()
				}
			case http.StateClosed, http.StateHijacked:
				if cn.idle {
					cn.lane.Wake() // the read ends: the client hung up
				}
				cn.lane.Done()
				s.open.Done()
			}
		},
	}
	go func() { s.done <- s.http.Serve(ln) }()
	return s, nil
}

// Close stops the server and returns once every connection's lane has
// ended. Serve accepts nothing more once it has returned, so no
// connection is added while Close waits.
func (s *server) Close() {
	s.http.Close()
	<-s.done
	s.open.Wait()
}
