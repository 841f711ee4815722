package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v5"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/static"
	"github.com/asyncplay/asyncplay/web"
)

// The tests in this file check the limits the server puts on a request: its
// http.Server timeouts, the body limit, the headers every page carries, and
// what a visitor sees when a handler panics. Routes under /hardening/ are
// registered by the tests on the server's Echo, behind the same middleware as
// every production route; production has no such routes.

// bodyRead is what a test route got from a request body.
type bodyRead struct {
	n   int64
	err error
}

// readingRoute registers a POST route that reads the whole body and reports
// what it got on the returned channel.
func readingRoute(s *Server, path string) <-chan bodyRead {
	got := make(chan bodyRead, 8)
	s.e.POST(path, func(c *echo.Context) error {
		n, err := io.Copy(io.Discard, c.Request().Body)
		got <- bodyRead{n, err}
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, strconv.FormatInt(n, 10))
	})
	return got
}

// TestReadTimeoutCutsOffTricklingBody: a client that sends its headers at
// once and then its body a byte at a time is cut off at ReadTimeout, and the
// handler never gets the whole body.
func TestReadTimeoutCutsOffTricklingBody(t *testing.T) {
	s := newServer(t, nil)
	s.readTimeout = 500 * time.Millisecond
	got := readingRoute(s, "/hardening/read")
	base := serve(t, s)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const bodyLen = 100 // ten seconds at the rate below
	start := time.Now()
	if _, err := conn.Write([]byte("POST /hardening/read HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(bodyLen) + "\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	closed := false
	for sent := 0; sent < bodyLen && time.Since(start) < 5*time.Second; sent++ {
		if _, err := conn.Write([]byte("a")); err != nil {
			closed = true
			break
		}
		conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := conn.Read(make([]byte, 512)); err == io.EOF || (err != nil && !isTimeout(err)) {
			closed = true
			break
		}
	}
	if !closed {
		t.Fatalf("a client trickling its body was still connected after %v (ReadTimeout %v)", time.Since(start), s.readTimeout)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the trickling client was cut off after %v; want about %v", took, s.readTimeout)
	}
	select {
	case r := <-got:
		if r.err == nil || r.n >= bodyLen {
			t.Errorf("the handler read %d bytes, err %v; want fewer than %d and an error", r.n, r.err, bodyLen)
		}
	case <-time.After(5 * time.Second):
		t.Error("the handler's read of the body never ended")
	}
}

// TestWriteTimeoutCutsOffNonReader: a client that asks for a response and
// never reads it holds the handler only until WriteTimeout.
func TestWriteTimeoutCutsOffNonReader(t *testing.T) {
	s := newServer(t, nil)
	s.writeTimeout = 500 * time.Millisecond
	type written struct {
		n    int
		err  error
		took time.Duration
	}
	got := make(chan written, 1)
	s.e.GET("/hardening/write", func(c *echo.Context) error {
		start := time.Now()
		chunk := make([]byte, 64<<10)
		n := 0
		var err error
		for n < 1<<30 && err == nil { // far more than any socket buffer holds
			var k int
			k, err = c.Response().Write(chunk)
			n += k
		}
		got <- written{n, err, time.Since(start)}
		return nil
	})
	base := serve(t, s)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /hardening/write HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case w := <-got:
		if w.err == nil {
			t.Errorf("the handler wrote %d bytes to a client that reads nothing without an error", w.n)
		}
		if w.took > 3*time.Second {
			t.Errorf("the handler's write failed after %v; want about %v", w.took, s.writeTimeout)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("a handler writing to a client that reads nothing was still blocked after 5s (WriteTimeout %v)", s.writeTimeout)
	}
}

// TestIdleTimeoutClosesKeepAlive: a keep-alive connection serves a second
// request while it is young, and is closed once it has sat idle for
// IdleTimeout.
func TestIdleTimeoutClosesKeepAlive(t *testing.T) {
	s := newServer(t, nil)
	s.idleTimeout = time.Second
	base := serve(t, s)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	ask := func() {
		t.Helper()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || string(body) != "ok\n" || resp.Close {
			t.Fatalf("GET /healthz = %d %q (err %v, close %v); want 200 ok on a kept-alive connection", resp.StatusCode, body, err, resp.Close)
		}
	}
	ask()
	time.Sleep(s.idleTimeout / 4)
	ask() // the connection is still open well within the idle timeout
	idleFrom := time.Now()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := br.Read(make([]byte, 1))
	idle := time.Since(idleFrom)
	if err != io.EOF {
		t.Fatalf("idle connection: read %d bytes, err %v after %v; want the server to close it (EOF) after about %v", n, err, idle, s.idleTimeout)
	}
	if idle < s.idleTimeout/2 || idle > 3*time.Second {
		t.Errorf("the idle connection was closed after %v; want about %v", idle, s.idleTimeout)
	}
}

// TestBodyLimit: a body over 64 KiB is refused with 413 before any handler
// runs when its length is declared, and cut at the limit when it is not; a
// body of exactly 64 KiB is taken whole.
func TestBodyLimit(t *testing.T) {
	const limit = 64 << 10
	s := newServer(t, nil)
	got := readingRoute(s, "/hardening/body")
	post := func(path string, body io.Reader, header ...string) *httptest.ResponseRecorder {
		t.Helper()
		return send(t, s, http.MethodPost, path, body, header...)
	}
	handled := func() (bodyRead, bool) {
		select {
		case r := <-got:
			return r, true
		default:
			return bodyRead{}, false
		}
	}

	// Declared length over the limit: refused before the handler.
	rec := post("/hardening/body", bytes.NewReader(make([]byte, limit+1)))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("POST of %d bytes (Content-Length) = %d; want 413", limit+1, rec.Code)
	}
	if internals.MatchString(rec.Body.String()) {
		t.Errorf("413 page shows internals:\n%.2000s", rec.Body.String())
	}
	if r, ok := handled(); ok {
		t.Errorf("the handler ran for a body over the limit (read %d bytes)", r.n)
	}

	// No declared length, as with a chunked request: the handler's read
	// stops at the limit with the error that makes a 413.
	rec = post("/hardening/body", io.MultiReader(bytes.NewReader(make([]byte, limit+1))))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("POST of %d bytes (no Content-Length) = %d; want 413", limit+1, rec.Code)
	}
	if r, ok := handled(); !ok || r.n > limit || !errors.Is(r.err, echo.ErrStatusRequestEntityTooLarge) {
		t.Errorf("the handler read %d bytes, err %v (ran: %v); want at most %d and a 413 error", r.n, r.err, ok, limit)
	}

	// Exactly the limit, either way: taken whole.
	for _, body := range []io.Reader{bytes.NewReader(make([]byte, limit)), io.MultiReader(bytes.NewReader(make([]byte, limit)))} {
		rec = post("/hardening/body", body)
		if rec.Code != 200 || rec.Body.String() != strconv.Itoa(limit) {
			t.Errorf("POST of %d bytes = %d %.100q; want 200 and the whole body read", limit, rec.Code, rec.Body.String())
		}
		if r, ok := handled(); !ok || r.n != limit || r.err != nil {
			t.Errorf("the handler read %d bytes, err %v (ran: %v); want %d and no error", r.n, r.err, ok, limit)
		}
	}

	// A production route: starting a class with a body over the limit
	// starts nothing; with one at the limit, it starts the class.
	rooms := func() int {
		s.classMu.Lock()
		defer s.classMu.Unlock()
		return len(s.rooms)
	}
	form := func(n int) io.Reader {
		return strings.NewReader("x=" + strings.Repeat("a", n-2))
	}
	formHeader := []string{"Content-Type", "application/x-www-form-urlencoded", "Origin", "http://example.com"}
	if rec := post("/en/class", form(limit+1), formHeader...); rec.Code != http.StatusRequestEntityTooLarge || rooms() != 0 {
		t.Errorf("POST /en/class with %d bytes = %d, %d rooms; want 413 and no room", limit+1, rec.Code, rooms())
	}
	if rec := post("/en/class", form(limit), formHeader...); rec.Code != http.StatusSeeOther || rooms() != 1 {
		t.Errorf("POST /en/class with %d bytes = %d, %d rooms; want 303 and one room", limit, rec.Code, rooms())
	}
}

// TestSecurityHeaders: pages, a redirect, a static file and a not-found
// page carry a CSP that allows no inline or foreign script, nosniff and a
// referrer policy.
func TestSecurityHeaders(t *testing.T) {
	s := newServer(t, nil)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/en/", 200},
		{"/en/lessons/semaphore", 200},
		{"/en/lessons/semaphore", 200}, // again: from the page cache
		{"/ja/lessons/semaphore", 200},
		{"/", 303},
		{"/en/class", 200},
		{"/static/css/app.css", 200},
		{"/en/lessons/no-such-lesson", 404},
	} {
		rec := get(t, s, tc.path)
		if rec.Code != tc.status {
			t.Errorf("GET %s = %d; want %d", tc.path, rec.Code, tc.status)
		}
		checkSecurityHeaders(t, "GET "+tc.path, rec.Header())
	}

	// Answers that middleware gives before any handler runs carry them
	// too: a body over the limit (413) and an address over its rate (429).
	big := httptest.NewRequest(http.MethodPost, "/en/class", strings.NewReader(strings.Repeat("x", 65<<10)))
	big.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, big)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("POST of 65 KiB = %d; want 413", rec.Code)
	}
	checkSecurityHeaders(t, "the 413 answer", rec.Header())
	slow, err := New(Config{Logger: quietLogger(), Lessons: lessons.Embedded(), Static: static.FS(),
		NoPython: errors.New("no python3 in this test"), RequestsPerSecond: 0.001, RequestBurst: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(slow.Close)
	get(t, slow, "/en/")
	if rec := get(t, slow, "/en/"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("a second request with a burst of 1 = %d; want 429", rec.Code)
	} else {
		checkSecurityHeaders(t, "the 429 answer", rec.Header())
	}
}

// checkSecurityHeaders checks the headers every answer carries: a CSP with
// exactly these directives (scripts from this origin only: htmx works
// without inline script), nosniff and the referrer policy.
func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	want := map[string]string{
		"default-src":     "'self'",
		"script-src":      "'self'",
		"style-src":       "'self'",
		"img-src":         "'self' data:",
		"connect-src":     "'self'",
		"frame-src":       "'self'",
		"frame-ancestors": "'none'",
		"base-uri":        "'none'",
		"form-action":     "'self'",
	}
	csp := map[string]string{}
	for _, d := range strings.Split(h.Get("Content-Security-Policy"), ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name != "" {
			csp[name] = value
		}
	}
	for name, v := range want {
		if csp[name] != v {
			t.Errorf("%s: CSP %s = %q; want %q (whole CSP: %q)", what, name, csp[name], v, h.Get("Content-Security-Policy"))
		}
	}
	for name := range csp {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: CSP has an unexpected directive %s %q", what, name, csp[name])
		}
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options = %q; want nosniff", what, got)
	}
	if got := h.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("%s: Referrer-Policy = %q; want same-origin", what, got)
	}
}

// TestPanicInHandler: a handler that panics answers 500 with the plain error
// page (no panic value, stack or file path), the panic is logged with its
// stack, and the server goes on serving.
func TestPanicInHandler(t *testing.T) {
	logs := &logTail{}
	s, err := New(Config{Logger: slog.New(slog.NewTextHandler(logs, nil)), Lessons: lessons.Embedded(),
		Static: static.FS(), NoPython: errors.New("no python3 in this test")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	const secret = "hardening-secret-7f3a in /srv/asyncplay/server/secret.go:42"
	s.e.GET("/hardening/panic", func(c *echo.Context) error { panic(secret) })
	base := serve(t, s)
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	fetch := func(path string, header ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v (the panic was not recovered into a response)", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		header []string
		want   string
	}{
		{[]string{"Accept-Language", "en"}, web.T("en", "error.internal")},
		{[]string{"Accept-Language", "ja"}, web.T("ja", "error.internal")},
		{[]string{"Accept-Language", "en", "HX-Request", "true"}, web.T("en", "error.internal")},
	} {
		code, body := fetch("/hardening/panic", tc.header...)
		if code != http.StatusInternalServerError {
			t.Errorf("panicking handler %v = %d; want 500", tc.header, code)
		}
		if !strings.Contains(body, tc.want) {
			t.Errorf("panicking handler %v: body does not say %q:\n%.500s", tc.header, tc.want, body)
		}
		for _, leak := range []string{"hardening-secret", "/srv/", "PANIC", "http_hardening_test"} {
			if strings.Contains(body, leak) {
				t.Errorf("panicking handler %v: body shows %q:\n%.2000s", tc.header, leak, body)
			}
		}
		if internals.MatchString(body) {
			t.Errorf("panicking handler %v: body shows internals:\n%.2000s", tc.header, body)
		}
		if code, body := fetch("/healthz"); code != 200 || body != "ok\n" {
			t.Errorf("GET /healthz after the panic = %d %q; want 200 ok", code, body)
		}
	}

	var logged []string
	for _, line := range strings.Split(logs.last(1<<20), "\n") {
		if strings.Contains(line, "level=ERROR") && strings.Contains(line, `msg="request failed"`) &&
			strings.Contains(line, "path=/hardening/panic") && strings.Contains(line, "hardening-secret-7f3a") {
			logged = append(logged, line)
		}
	}
	if len(logged) != 3 {
		t.Fatalf("%d panics logged as failed requests; want 3. Log:\n%s", len(logged), logs.last(40))
	}
	if !strings.Contains(logged[0], "goroutine ") || !strings.Contains(logged[0], "http_hardening_test.go:") {
		t.Errorf("the logged panic has no stack:\n%.1000s", logged[0])
	}
}

// TestTimeoutsSpareWebSockets: ReadTimeout and WriteTimeout end a request's
// connection, but a run socket and a class socket, which are hijacked
// connections, live and carry messages both ways well past them.
func TestTimeoutsSpareWebSockets(t *testing.T) {
	const timeout = 300 * time.Millisecond
	s := newServer(t, nil)
	s.readTimeout, s.writeTimeout, s.idleTimeout = timeout, timeout, timeout
	base := serve(t, s)

	t.Run("run", func(t *testing.T) {
		start := time.Now()
		c := dial(t, base, "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=1.5")
		defer c.CloseNow()
		frames, status := readAll(t, c, 10*time.Second)
		took := time.Since(start)
		if status != websocket.StatusNormalClosure || len(frames) == 0 || !strings.Contains(frames[len(frames)-1], `data-finished="true"`) {
			t.Fatalf("run socket closed with %v after %v and %d frames; want the final frame and a normal closure", status, took, len(frames))
		}
		if took < 4*timeout {
			t.Errorf("the run took %v; want it to outlive the timeouts (%v) several times over", took, timeout)
		}
	})

	t.Run("class", func(t *testing.T) {
		ts := &httptest.Server{URL: base} // startClass, dialClass and command use only its URL
		code, teacher := startClass(t, ts)
		p, err := dialClass(t, ts, code, student("s1", "")...)
		if err != nil {
			t.Fatal(err)
		}
		p.waitFor("#class-lesson", has("<h1>"), "the lesson")
		time.Sleep(5 * timeout)
		for _, c := range []struct{ op, k, v string }{{"lesson", "pick", "semaphore/semaphore"}, {"ask", "question", "total"}} {
			if st, body := command(t, ts, code, c.op, url.Values{c.k: {c.v}}, teacher); st != 200 {
				t.Fatalf("%s = %d %.200q", c.op, st, body)
			}
		}
		p.waitFor("#class-question", has(`name="choice"`), "the choices, sent after the timeouts")
		p.answer("1") // read by the server after the timeouts
		p.waitFor("#class-mine", has("B."), "the student's answer, taken after the timeouts")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.conn.Ping(ctx); err != nil {
			t.Errorf("ping after the timeouts: %v", err)
		}
	})
}

// TestShutdownIsBounded: a request that ignores the server stopping (a
// handler stuck in a call that takes no context) does not hold the process
// up: Serve returns once the grace period is over, saying so.
func TestShutdownIsBounded(t *testing.T) {
	s := newServer(t, nil)
	s.shutdownGrace = 300 * time.Millisecond
	stuck, release := make(chan struct{}), make(chan struct{})
	handlerDone := make(chan struct{})
	s.e.GET("/hardening/stuck", func(c *echo.Context) error {
		defer close(handlerDone)
		close(stuck)
		<-release // deaf to the request's context
		return c.String(http.StatusOK, "late")
	})
	base, stop, served := serveUntil(t, s)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	go func() {
		if resp, err := client.Get(base + "/hardening/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-stuck:
	case <-time.After(10 * time.Second):
		t.Fatal("the stuck request never reached its handler")
	}
	stop()
	start := time.Now()
	select {
	case err := <-served:
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Serve returned %v after the stop; want about the 300 ms grace period", took)
		}
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Serve = %v; want it to say the grace period ran out", err)
		}
		// It was a request that stayed, not a WebSocket (there was none;
		// the message used to name WebSockets half the time).
		if err != nil && (!strings.Contains(err.Error(), "HTTP requests still under way") || strings.Contains(err.Error(), "WebSocket")) {
			t.Errorf("Serve = %q; want it to name the request under way, and no WebSocket", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("Serve still waiting 10 s after the stop, with a 300 ms grace period")
	}
	close(release)
	<-handlerDone
}

// TestRateLimitFollowsRoutes: the site-wide limit leaves alone only the
// routes a student loads to join a class (the class's own limits meter
// those), decided by the route matched, so a path spelled with a
// percent-encoded letter is counted like any other.
func TestRateLimitFollowsRoutes(t *testing.T) {
	s, err := New(Config{Logger: quietLogger(), Lessons: lessons.Embedded(), Static: static.FS(),
		NoPython: errors.New("no python3 in this test"), RequestsPerSecond: 0.001, RequestBurst: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	for i := range 6 { // the class page limiter's burst is far larger
		if rec := get(t, s, "/class/join?code=ZZZZZZ"); rec.Code == http.StatusTooManyRequests {
			t.Fatalf("class join %d from one address = 429; want it metered by the class's limit only", i+1)
		}
	}
	var codes []int
	for range 3 {
		codes = append(codes, get(t, s, "/%63lass/x/ws").Code)
	}
	if codes[2] != http.StatusTooManyRequests {
		t.Errorf("GET /%%63lass/x/ws three times with a burst of 2 = %v; want the third refused with 429", codes)
	}
}
