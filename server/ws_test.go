package server

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/static"
)

// dial opens a run's WebSocket on a real listener.
func dial(t *testing.T, base, path string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+path, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	c.SetReadLimit(8 << 20)
	return c
}

// readAll reads frames until the server closes, returning them and the close status.
func readAll(t *testing.T, c *websocket.Conn, within time.Duration) ([]string, websocket.StatusCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var frames []string
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return frames, websocket.CloseStatus(err)
		}
		frames = append(frames, string(b))
	}
}

var holdRE = regexp.MustCompile(`<rect class="hold" data-lane="([^"]+)" data-start="([0-9.]+)" data-end="([0-9.]+)"`)

// maxOverlap is the most holds open at one instant in a frame, for one runtime's section.
func maxOverlap(section string) int {
	type iv struct{ s, e float64 }
	var ivs []iv
	for _, m := range holdRE.FindAllStringSubmatch(section, -1) {
		s, _ := strconv.ParseFloat(m[2], 64)
		e, _ := strconv.ParseFloat(m[3], 64)
		ivs = append(ivs, iv{s, e})
	}
	most := 0
	for _, a := range ivs {
		mid := a.s + (a.e-a.s)/2
		n := 0
		for _, b := range ivs {
			if b.s <= mid && mid < b.e {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// section cuts one runtime's section out of a frame.
func section(frame, runtime string) string {
	start := strings.Index(frame, `<section class="side" data-runtime="`+runtime+`"`)
	if start < 0 {
		return ""
	}
	rest := frame[start:]
	if end := strings.Index(rest[1:], `<section class="side"`); end >= 0 {
		return rest[:end+1]
	}
	if end := strings.Index(rest, `<h3 class="view-title">`); end >= 0 {
		return rest[:end]
	}
	return rest
}

func TestRunSocketStreamsBothRuntimes(t *testing.T) {
	py := requirePython(t)
	s := newServer(t, py)
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=5&limit=2&delays=0.3,0.5,0.2,0.4,0.3")
	defer c.CloseNow()
	frames, status := readAll(t, c, 20*time.Second)
	if status != websocket.StatusNormalClosure {
		t.Fatalf("closed with %v after %d frames; want a normal closure", status, len(frames))
	}
	if len(frames) < 3 {
		t.Fatalf("%d frames; want several while the run goes on", len(frames))
	}
	if !strings.Contains(frames[0], `data-finished="false"`) {
		t.Errorf("first frame is not live:\n%.500s", frames[0])
	}
	last := frames[len(frames)-1]
	if !strings.Contains(last, `data-finished="true"`) {
		t.Fatalf("last frame is not final:\n%s", last)
	}
	for _, rt := range []string{"python", "go"} {
		sec := section(last, rt)
		if !strings.Contains(sec, `data-status="finished"`) {
			t.Errorf("%s did not finish:\n%s", rt, sec)
		}
		if n := strings.Count(sec, `<g class="lane"`); n != 6 {
			t.Errorf("%s has %d lanes; want 6 (main and 5 downloads)", rt, n)
		}
		if n := maxOverlap(sec); n != 2 {
			t.Errorf("%s: most holds at once = %d; want 2", rt, n)
		}
		if !strings.Contains(sec, `class="cap-line"`) || !strings.Contains(sec, `data-cap="2"`) {
			t.Errorf("%s: no cap line at the limit in the permits overlay", rt)
		}
		if !strings.Contains(sec, `Permits or locks held: at most <b>2</b> <span class="cap">(cap 2)</span>`) {
			t.Errorf("%s: the permits chart is not labelled with its peak and its cap:\n%s", rt, sec)
		}
		if !strings.Contains(sec, `data-most="2"`) || !strings.Contains(sec, `data-events=`) {
			t.Errorf("%s summary missing:\n%s", rt, sec)
		}
	}
	if !strings.Contains(frames[0], `id="play-semaphore-announce"`) || !strings.Contains(frames[0], "Run started.") {
		t.Errorf("first frame does not announce the start:\n%.400s", frames[0])
	}
	if strings.Contains(frames[1], "aria-live=\"polite\" hx-swap-oob") {
		t.Error("a middle frame announces again; want milestones only")
	}
	if !strings.Contains(last, `hx-swap-oob="true">Run finished.`) {
		t.Errorf("last frame does not announce the end")
	}
	if !strings.Contains(last, "Connection 1: 1") || !strings.Contains(last, "Connection 2: 2") {
		t.Errorf("final frame lacks the packed text view")
	}
}

func TestRunSocketWithoutPython(t *testing.T) {
	s := newServer(t, nil)
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=2&limit=1&delays=0.1,0.1")
	defer c.CloseNow()
	frames, status := readAll(t, c, 10*time.Second)
	if status != websocket.StatusNormalClosure || len(frames) == 0 {
		t.Fatalf("closed with %v after %d frames", status, len(frames))
	}
	last := frames[len(frames)-1]
	if py := section(last, "python"); !strings.Contains(py, "Python 3.11 or later is not installed on this server") {
		t.Errorf("python section does not say Python is missing:\n%s", py)
	}
	if g := section(last, "go"); !strings.Contains(g, `data-status="finished"`) || maxOverlap(g) != 1 {
		t.Errorf("Go side did not run on its own:\n%s", g)
	}
}

// children lists the processes whose parent is this test process.
func children(t *testing.T) []int {
	t.Helper()
	all, err := pyrun.Processes()
	if err != nil {
		t.Skipf("SKIP: no /proc to look for child processes: %v", err)
	}
	var out []int
	for _, p := range all {
		if p.PPID == os.Getpid() {
			out = append(out, p.PID)
		}
	}
	return out
}

func waitNoChildren(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(children(t)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("child processes left behind: %v", children(t))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunSocketDisconnectKillsPython(t *testing.T) {
	py := requirePython(t)
	s := newServer(t, py)
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=3&limit=1&delays=5,5,5")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Wait until the Python side is really running.
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if strings.Contains(section(string(b), "python"), `<g class="lane"`) {
			break
		}
	}
	if len(children(t)) == 0 {
		t.Fatal("no python child process while the run was going")
	}
	c.Close(websocket.StatusNormalClosure, "visitor left")
	waitNoChildren(t)
}

func TestShutdownClosesSocketsWith1001(t *testing.T) {
	py := requirePython(t)
	s := newServer(t, py)
	base, stop, served := serveUntil(t, s)
	c := dial(t, base, "/ws/run/en/semaphore/semaphore?downloads=2&limit=1&delays=8,8")
	defer c.CloseNow()
	rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := c.Read(rctx); err != nil {
		t.Fatalf("first frame: %v", err)
	}
	// A second visitor waits in line behind the first (one slot).
	s.queue.mu.Lock()
	s.queue.slots = 1
	s.queue.mu.Unlock()
	w := dial(t, base, "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=0.1")
	defer w.CloseNow()
	if _, b, err := w.Read(rctx); err != nil || !strings.Contains(string(b), `data-queued="1"`) {
		t.Fatalf("waiting socket's first message: %v %.200s; want its place in line", err, b)
	}
	stop()
	_, status := readAll(t, c, 10*time.Second)
	if status != websocket.StatusGoingAway {
		t.Errorf("close status on shutdown = %v; want 1001 (going away)", status)
	}
	if _, status := readAll(t, w, 10*time.Second); status != websocket.StatusGoingAway {
		t.Errorf("close status on shutdown for a socket in line = %v; want 1001 (going away)", status)
	}
	select {
	case err := <-served:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve = %v; want a clean shutdown", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	waitNoChildren(t)
}

// TestRunQueueShowsPlaceInLine: with one slot, a second run waits in a
// visible line, then runs when the first is done; nothing is refused.
func TestRunQueueShowsPlaceInLine(t *testing.T) {
	s := newServer(t, nil)
	s.queue = newRunQueue(1, 1)
	ts := httptest.NewServer(s)
	defer ts.Close()
	first := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=2")
	defer first.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := first.Read(ctx); err != nil {
		t.Fatal(err)
	}
	second := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=0.1")
	defer second.CloseNow()
	_, b, err := second.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `data-queued="1"`) || !strings.Contains(string(b), "number 1 in line") {
		t.Fatalf("second run's first frame = %.300s; want its place in line", b)
	}
	if _, status := readAll(t, first, 10*time.Second); status != websocket.StatusNormalClosure {
		t.Errorf("first run ended with %v", status)
	}
	frames, status := readAll(t, second, 10*time.Second)
	if status != websocket.StatusNormalClosure || !strings.Contains(frames[len(frames)-1], `data-finished="true"`) {
		t.Errorf("queued run ended with %v; want it to run to the end", status)
	}
	deadline := time.Now().Add(2 * time.Second)
	for r, w := s.queue.stats(); r != 0 || w != 0; r, w = s.queue.stats() {
		if time.Now().After(deadline) {
			t.Fatalf("queue after both runs: %d running, %d waiting; want none", r, w)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWaitingSocketsAreToldTheirPlace: sockets in line hear their new
// place when someone ahead leaves, and while they wait each holds one
// goroutine (its reader), not a handler parked in a loop.
func TestWaitingSocketsAreToldTheirPlace(t *testing.T) {
	s := newServer(t, nil)
	s.queue = newRunQueue(1, 100)
	s.cfg.SocketsPerIP = 100
	ts := httptest.NewServer(s)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	long := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=10")
	defer long.CloseNow()
	if _, _, err := long.Read(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 12
	waiting := make([]*websocket.Conn, n)
	for i := range waiting {
		waiting[i] = dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=0.1")
		defer waiting[i].CloseNow()
	}
	placeRe := regexp.MustCompile(`data-queued="(\d+)"`)
	place := func(c *websocket.Conn) int {
		t.Helper()
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m := placeRe.FindSubmatch(b)
		if m == nil {
			t.Fatalf("frame while waiting = %.300s; want a place in line", b)
		}
		p, _ := strconv.Atoi(string(m[1]))
		return p
	}
	// Each is told its place; the places are 1 to n (a socket joins the
	// line just after its handshake, so two close dials may swap places).
	byPlace := map[int]*websocket.Conn{}
	for _, c := range waiting {
		byPlace[place(c)] = c
	}
	for p := 1; p <= n; p++ {
		if byPlace[p] == nil {
			t.Fatalf("places told: %v; want each of 1 to %d once", slices.Sorted(maps.Keys(byPlace)), n)
		}
	}
	last := byPlace[n]

	// Count what the server holds for the waiting sockets.
	buf := make([]byte, 1<<22)
	stacks := string(buf[:runtime.Stack(buf, true)])
	if k := strings.Count(stacks, "handleRunSocket"); k != 0 {
		t.Errorf("%d goroutines are inside handleRunSocket while %d sockets wait; want none", k, n)
	}
	if k := strings.Count(stacks, "(*runSocket).begin.func"); k != n+1 {
		t.Errorf("%d socket readers; want %d (one per socket)", k, n+1)
	}

	// Two ahead of the last leave: it moves from 12 to 10.
	byPlace[1].Close(websocket.StatusNormalClosure, "")
	byPlace[2].Close(websocket.StatusNormalClosure, "")
	for {
		got := place(last)
		if got == n-2 {
			break
		}
		if got != n-1 {
			t.Fatalf("after two ahead left, the last is told %d; want %d", got, n-2)
		}
	}
}

// TestTooManySocketsFromOneAddress: past the per-address cap, a socket is
// closed at once with a reason that says why.
func TestTooManySocketsFromOneAddress(t *testing.T) {
	s := newServer(t, nil)
	s.cfg.SocketsPerIP = 1
	ts := httptest.NewServer(s)
	defer ts.Close()
	first := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=1")
	defer first.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := first.Read(ctx); err != nil {
		t.Fatal(err)
	}
	second := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=0.1")
	defer second.CloseNow()
	_, _, err := second.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || !strings.Contains(ce.Reason, "too many open connections") {
		t.Errorf("second socket from the same address: %v; want close 1008 saying why", err)
	}
	readAll(t, first, 5*time.Second)
}

func TestRateLimitPerAddress(t *testing.T) {
	// At a thousandth of a request a second, no token comes back while the
	// test runs: the first three requests pass and every later one is refused.
	s2, err := New(Config{Logger: quietLogger(), Lessons: lessons.Embedded(), Static: static.FS(), NoPython: errors.New("none"), RequestsPerSecond: 0.001, RequestBurst: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s2.Close)
	from := func(addr, path string, header ...string) int {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = addr
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		s2.ServeHTTP(rec, req)
		return rec.Code
	}
	// The peers are private addresses, which echo.ExtractIPFromXFFHeader and
	// echo.ExtractIPFromRealIPHeader trust as proxies by default: with either
	// as the IPExtractor, the headers below would choose the key.
	const limited = "10.0.0.5:40000"
	codes := []int{}
	for range 5 {
		codes = append(codes, from(limited, "/healthz"))
	}
	if want := []int{200, 200, 200, 429, 429}; !slices.Equal(codes, want) {
		t.Errorf("5 quick requests: %v; want %v", codes, want)
	}
	if code := from("10.0.0.6:40000", "/healthz"); code != 200 {
		t.Errorf("another address = %d; want 200", code)
	}
	// A header naming another client does not free the limited address ...
	for _, h := range [][2]string{{"X-Forwarded-For", "198.51.100.7"}, {"X-Real-IP", "198.51.100.8"}} {
		if code := from(limited, "/healthz", h[0], h[1]); code != http.StatusTooManyRequests {
			t.Errorf("the limited address with %s: %s = %d; want 429 still", h[0], h[1], code)
		}
	}
	// ... and a header naming the limited address does not limit another.
	if code := from("10.0.0.7:40000", "/healthz", "X-Forwarded-For", "10.0.0.5"); code != 200 {
		t.Errorf("another address claiming to be the limited one = %d; want 200", code)
	}
	if code := from(limited, "/static/css/app.css"); code != 200 {
		t.Errorf("static file from the limited address = %d; want 200 (static files are not counted)", code)
	}
}
