package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncplay/asyncplay/cmd/internal/loadkit"
	"github.com/asyncplay/asyncplay/server/wsconn"
)

// idleFigures are one round's idle-socket figures for one server.
type idleFigures struct {
	conns          int
	rssBeforeKB    int64
	rssOpenKB      int64
	rssClosedKB    int64
	gorBefore      float64
	gorOpen        float64
	gorClosed      float64
	connectSeconds float64
	idleCPU        float64 // the server's CPU use while the sockets sat idle, in cores
}

func (f idleFigures) kbPerConn() float64 {
	return float64(f.rssOpenKB-f.rssBeforeKB) / float64(f.conns)
}

func (f idleFigures) goroutinesPerConn() float64 {
	return (f.gorOpen - f.gorBefore) / float64(f.conns)
}

// idleSockets opens n WebSockets to url (dialing at most 64 at a time) and
// keeps each open with a reader that answers pings and discards what
// arrives, until close is called.
type idleSockets struct {
	mu     sync.Mutex
	conns  []*wsconn.Conn
	wg     sync.WaitGroup
	cancel context.CancelFunc
}

func openIdle(ctx context.Context, url string, n int) (*idleSockets, error) {
	rctx, cancel := context.WithCancel(context.Background())
	s := &idleSockets{cancel: cancel}
	sem := make(chan struct{}, 64)
	var failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var dials sync.WaitGroup
	for range n {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		dials.Go(func() {
			defer func() { <-sem }()
			dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
			c, _, err := wsconn.Dial(dctx, url, nil, nil)
			dcancel()
			if err != nil {
				failed.Add(1)
				errOnce.Do(func() { firstErr = err })
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Go(func() {
				for {
					if _, err := c.Read(rctx); err != nil {
						return
					}
				}
			})
		})
	}
	dials.Wait()
	if f := failed.Load(); f > 0 {
		s.close()
		return nil, fmt.Errorf("%d of %d dials failed, the first: %w", f, n, firstErr)
	}
	return s, ctx.Err()
}

func (s *idleSockets) close() {
	s.mu.Lock()
	for _, c := range s.conns {
		c.CloseNow()
	}
	s.conns = nil
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// measureIdle opens n idle sockets on srv at path and reads its memory and
// goroutines before, while they are open, and after they are closed.
func measureIdle(ctx context.Context, srv *child, path string, n int) (idleFigures, error) {
	fig := idleFigures{conns: n}
	settle := func() { time.Sleep(2 * time.Second) }
	read := func(rss *int64, gor *float64) error {
		var err error
		if *rss, err = loadkit.RSSKB(srv.pid()); err != nil {
			return err
		}
		*gor, err = goroutines(ctx, srv)
		return err
	}
	settle()
	if err := read(&fig.rssBeforeKB, &fig.gorBefore); err != nil {
		return fig, err
	}
	t0 := time.Now()
	socks, err := openIdle(ctx, "ws://"+srv.addr+path, n)
	if err != nil {
		return fig, fmt.Errorf("%s: %w", srv.name, err)
	}
	fig.connectSeconds = time.Since(t0).Seconds()
	time.Sleep(time.Second)
	cpu0, err0 := cpuSeconds(srv.pid())
	w0 := time.Now()
	settle()
	cpu1, err1 := cpuSeconds(srv.pid())
	if err := errors.Join(err0, err1); err != nil {
		socks.close()
		return fig, err
	}
	fig.idleCPU = (cpu1 - cpu0) / time.Since(w0).Seconds()
	err = read(&fig.rssOpenKB, &fig.gorOpen)
	socks.close()
	if err != nil {
		return fig, err
	}
	// Wait (up to 20 s) for the server to notice every close.
	for range 40 {
		time.Sleep(500 * time.Millisecond)
		if err := read(&fig.rssClosedKB, &fig.gorClosed); err != nil {
			return fig, err
		}
		if fig.gorClosed <= fig.gorBefore+2 {
			break
		}
	}
	return fig, nil
}

// rawIdleMux is the baselines' handler. /ws is the idle baseline: a bare
// server on the WebSocket library (wsconn.Accept, the library's own)
// whose handler reads each connection until it closes (one goroutine per
// connection). /blob, when ASYNCPLAY_BENCH_BLOB names a file, is the page
// baseline: that file's bytes from bare net/http, gzipped once for clients
// that take it.
func rawIdleMux() (*http.ServeMux, error) {
	mux := http.NewServeMux()
	if name := os.Getenv("ASYNCPLAY_BENCH_BLOB"); name != "" {
		plain, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write(plain)
		if err := zw.Close(); err != nil {
			return nil, err
		}
		zipped := zb.Bytes()
		mux.HandleFunc("/blob", func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", "text/html; charset=UTF-8")
			h.Set("Vary", "Accept-Encoding")
			body := plain
			if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
				h.Set("Content-Encoding", "gzip")
				body = zipped
			}
			h.Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
		})
	}
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := wsconn.Accept(w, r)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			if _, err := c.Read(context.Background()); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/run", rawRuns)
	mux.HandleFunc("/goroutines", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, runtime.NumGoroutine())
	})
	return mux, nil
}
