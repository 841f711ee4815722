package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// loadResult is one load run against one address.
type loadResult struct {
	requests int
	errors   int
	elapsed  time.Duration
	lat      []time.Duration
}

func (r loadResult) perSecond() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// load sends GET path over conns keep-alive connections as fast as each
// gets answers, for warm then dur, and counts what came back in dur: a
// closed loop, which at the server's capacity measures mostly the queue it
// builds. The client is a few lines of HTTP/1.1 over a socket, so it spends
// little of the machine's CPU next to the server's.
func load(ctx context.Context, addr, path string, gzip bool, conns int, warm, dur time.Duration) (loadResult, error) {
	return loadPaced(ctx, addr, path, gzip, conns, 0, warm, dur)
}

// loadAt is load at an offered rate: each connection sends its share of
// rate requests a second on a fixed schedule, whether or not its last
// answer came back on time, and a request's latency counts from when the
// schedule said to send it, so that time queued behind a slow answer counts
// too (an open loop, as wrk2 measures). Below the server's capacity this is
// the latency a visitor sees.
func loadAt(ctx context.Context, addr, path string, gzip bool, conns int, rate float64, warm, dur time.Duration) (loadResult, error) {
	if rate <= 0 || conns <= 0 {
		return loadResult{}, fmt.Errorf("loadAt: rate %g over %d connections", rate, conns)
	}
	return loadPaced(ctx, addr, path, gzip, conns, time.Duration(float64(conns)/rate*float64(time.Second)), warm, dur)
}

// loadPaced is load (every 0) or loadAt (each connection sends every
// interval, the connections' turns spread over one interval).
func loadPaced(ctx context.Context, addr, path string, gzip bool, conns int, every, warm, dur time.Duration) (loadResult, error) {
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: asyncplay-bench\r\n"
	if gzip {
		req += "Accept-Encoding: gzip\r\n"
	}
	req += "\r\n"
	now := time.Now()
	start := now.Add(warm)
	end := start.Add(dur)
	var mu sync.Mutex
	var res loadResult
	var firstErr error
	var wg sync.WaitGroup
	for i := range conns {
		first := now.Add(every * time.Duration(i) / time.Duration(conns))
		wg.Go(func() {
			var lat []time.Duration
			n, bad, err := worker(ctx, addr, req, first, every, start, end, &lat)
			mu.Lock()
			defer mu.Unlock()
			res.requests += n
			res.errors += bad
			res.lat = append(res.lat, lat...)
			if err != nil && firstErr == nil {
				firstErr = err
			}
		})
	}
	wg.Wait()
	res.elapsed = dur
	return res, firstErr
}

// worker sends req over one connection until end: as soon as each answer
// is in (every 0), or at first, first+every, ... It counts the requests
// sent in [start, end] (and, with every 0, answered by end), with their
// latency from when each was due. A request the worker slept for counts
// from when it woke instead: the runtime's timers wake up to a millisecond
// late, and that lateness is the client's, not the server's.
func worker(ctx context.Context, addr, req string, first time.Time, every time.Duration, start, end time.Time, lat *[]time.Duration) (n, bad int, err error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(end.Add(10 * time.Second))
	br := bufio.NewReaderSize(conn, 64<<10)
	wreq := []byte(req)
	due := first
	for ctx.Err() == nil {
		if every == 0 {
			due = time.Now()
		}
		at := due // the latency counts from here
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
			at = time.Now()
		}
		if due.After(end) {
			return n, bad, nil
		}
		if _, err := conn.Write(wreq); err != nil {
			return n, bad, err
		}
		status, _, err := readResponse(br, io.Discard)
		if err != nil {
			return n, bad, err
		}
		done := time.Now()
		due = due.Add(every)
		if at.Before(start) || every == 0 && done.After(end) {
			continue
		}
		if status != http.StatusOK {
			bad++
			continue
		}
		n++
		*lat = append(*lat, done.Sub(at))
	}
	return n, bad, ctx.Err()
}

// readResponse reads one HTTP/1.1 response with a Content-Length, copying
// the body to w; it returns the status and the headers.
func readResponse(br *bufio.Reader, w io.Writer) (int, http.Header, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return 0, nil, err
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	h := http.Header{}
	length, chunked := -1, false
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return 0, nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		h.Add(k, v)
		if strings.EqualFold(k, "Transfer-Encoding") && strings.EqualFold(v, "chunked") {
			chunked = true
		}
		if strings.EqualFold(k, "Content-Length") {
			if length, err = strconv.Atoi(v); err != nil {
				return 0, nil, fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if chunked {
		return status, h, readChunked(br, w)
	}
	if length < 0 {
		return 0, nil, fmt.Errorf("status %d: neither Content-Length nor chunked", status)
	}
	_, err = io.CopyN(w, br, int64(length))
	return status, h, err
}

// readChunked copies a chunked body to w.
func readChunked(br *bufio.Reader, w io.Writer) error {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		size, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(size, 16, 64)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if n == 0 {
			for { // trailers, then the blank line
				line, err := br.ReadString('\n')
				if err != nil {
					return err
				}
				if strings.TrimSpace(line) == "" {
					return nil
				}
			}
		}
		if _, err := io.CopyN(w, br, n); err != nil {
			return err
		}
		if _, err := br.Discard(2); err != nil { // the chunk's CRLF
			return err
		}
	}
}

// fetch gets one document over a fresh connection with the bench's client.
func fetch(ctx context.Context, addr, path string, gzip bool) ([]byte, http.Header, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n"
	if gzip {
		req += "Accept-Encoding: gzip\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		return nil, nil, err
	}
	var body bytes.Buffer
	status, h, err := readResponse(bufio.NewReader(conn), &body)
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if status != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: status %d", path, status)
	}
	return body.Bytes(), h, nil
}

var assetRE = regexp.MustCompile(`<(?:link rel="stylesheet" href|script src)="(/static/[^"]+)"`)

// assets are the stylesheets and scripts a page loads.
func assets(page []byte) []string {
	var out []string
	for _, m := range assetRE.FindAllSubmatch(page, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// pageWeight is the bytes a first visit to path transfers for the page,
// its stylesheets and its scripts: as served to a client that takes gzip,
// and to one that does not.
func pageWeight(ctx context.Context, addr, path string) (gz, plain int, files int, err error) {
	page, _, err := fetch(ctx, addr, path, false)
	if err != nil {
		return 0, 0, 0, err
	}
	for _, p := range append([]string{path}, assets(page)...) {
		b, _, err := fetch(ctx, addr, p, false)
		if err != nil {
			return 0, 0, 0, err
		}
		z, _, err := fetch(ctx, addr, p, true)
		if err != nil {
			return 0, 0, 0, err
		}
		plain += len(b)
		gz += len(z)
		files++
	}
	return gz, plain, files, nil
}
