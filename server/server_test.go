package server

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/static"
	"github.com/asyncplay/asyncplay/web"
)

// requirePython finds python3 >= 3.11, or skips loudly; under CI it fails.
func requirePython(t testing.TB) *pyrun.Python {
	t.Helper()
	py, err := pyrun.Find(context.Background())
	if err == nil {
		return &py
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI needs python3 >= 3.11 (apt-get install python3): %v", err)
	}
	t.Skipf("SKIP: needs python3 >= 3.11 (apt-get install python3): %v", err)
	return nil
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newServer builds a server on the embedded content; py may be nil for a
// server without Python.
func newServer(t testing.TB, py *pyrun.Python) *Server {
	t.Helper()
	cfg := Config{Logger: quietLogger(), Lessons: lessons.Embedded(), Static: static.FS(), Python: py}
	if py == nil {
		cfg.NoPython = errors.New("no python3 in this test")
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// get sends a request through the router.
func get(t *testing.T, s *Server, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	return send(t, s, http.MethodGet, path, nil, header...)
}

// send sends a request with body through the router; header is pairs of
// names and values.
func send(t *testing.T, s *Server, method, path string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// internals are what a stack trace or an internal error would show.
var internals = regexp.MustCompile(`goroutine \d+ \[|\.go:\d+|panic\(|runtime/debug`)

func TestRoutes(t *testing.T) {
	s := newServer(t, nil)
	for _, tc := range []struct {
		name     string
		path     string
		header   []string
		status   int
		contains []string
		location string
	}{
		{name: "root english", path: "/", header: []string{"Accept-Language", "en-GB,en;q=0.9"}, status: 303, location: "/en/"},
		{name: "root japanese", path: "/", header: []string{"Accept-Language", "ja-JP,ja;q=0.9,en;q=0.5"}, status: 303, location: "/ja/"},
		{name: "root unknown language", path: "/", header: []string{"Accept-Language", "fr"}, status: 303, location: "/en/"},
		{name: "lesson without language", path: "/lessons/semaphore?limit=2", header: []string{"Accept-Language", "ja"}, status: 303, location: "/ja/lessons/semaphore?limit=2"},
		{name: "run without language", path: "/runs/abc?t=1.5", header: []string{"Accept-Language", "zh-CN"}, status: 303, location: "/zh/runs/abc?t=1.5"},
		{name: "expired run", path: "/en/runs/abc?lesson=semaphore&q=limit%3D2", status: 410, contains: []string{"no longer kept", `href="/en/lessons/semaphore?limit=2"`}},
		{name: "home", path: "/en/", status: 200, contains: []string{`<html lang="en">`, "Limiting concurrency with a semaphore", `href="/en/lessons/semaphore"`, `href="/ja/"`}},
		{name: "home ja", path: "/ja/", status: 200, contains: []string{`<html lang="ja">`, "セマフォで同時実行数を制限する"}},
		{name: "lesson en", path: "/en/lessons/semaphore", status: 200, contains: []string{
			"Limiting concurrency with a semaphore", `class="chroma"`, "asyncio", "Semaphore", "downloadAll",
			`data-line="1"`, `hx-get="/en/lessons/semaphore/play/semaphore"`, `name="downloads"`, `value="9"`,
			`name="limit"`, `value="3"`, `href="/ja/lessons/semaphore"`, "golang.org/x/sync/semaphore",
			"Python 3.11 or later is not installed on this server", // this test server has no Python
		}},
		{name: "lesson ja keeps query in switch", path: "/ja/lessons/semaphore?limit=4", status: 200, contains: []string{
			`<html lang="ja">`, "セマフォ", `value="4"`, `href="/en/lessons/semaphore?limit=4"`,
		}},
		{name: "lesson with bad query", path: "/en/lessons/semaphore?limit=50", status: 422, contains: []string{"Must be between 1 and 20.", `aria-invalid="true"`}},
		{name: "unknown lesson", path: "/en/lessons/nope", status: 404, contains: []string{"<h1>Page not found</h1>", "There is no such page."}},
		{name: "unknown language", path: "/xx/lessons/semaphore", status: 404, contains: []string{"There is no such page."}},
		{name: "unknown path", path: "/en/nothing/here", status: 404},
		{name: "htmx", path: "/static/vendor/htmx.min.js", status: 200, contains: []string{"htmx"}},
		{name: "stylesheet", path: "/static/css/app.css", status: 200, contains: []string{".seg.wait"}},
		{name: "code stylesheet", path: "/static/css/code.css", status: 200, contains: []string{".chroma"}},
		{name: "no directory listing", path: "/static/", status: 404},
		{name: "health", path: "/healthz", status: 200, contains: []string{"ok"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, s, tc.path, tc.header...)
			if rec.Code != tc.status {
				t.Fatalf("GET %s = %d; want %d\n%s", tc.path, rec.Code, tc.status, rec.Body.String())
			}
			body := rec.Body.String()
			for _, want := range tc.contains {
				if !strings.Contains(body, want) {
					t.Errorf("GET %s: body lacks %q", tc.path, want)
				}
			}
			if tc.location != "" && rec.Header().Get("Location") != tc.location {
				t.Errorf("GET %s: Location = %q; want %q", tc.path, rec.Header().Get("Location"), tc.location)
			}
			if internals.MatchString(body) {
				t.Errorf("GET %s: body shows internals:\n%s", tc.path, body)
			}
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("GET %s: CSP = %q; want script-src 'self'", tc.path, csp)
			}
		})
	}
}

func TestPlayRefusesBadParams(t *testing.T) {
	s := newServer(t, nil)
	for _, tc := range []struct {
		query, field, msg string
	}{
		{"downloads=0", "downloads", "Must be between 1 and 100."},
		{"limit=21", "limit", "Must be between 1 and 20."},
		{"limit=abc", "limit", "Enter a whole number (got “abc”)."},
		{"downloads=2&delays=1,2,3", "delays", "This list needs 2 values, one for each; 3 given."},
		{"downloads=2&delays=1,99", "delays", "Entry 2 is not a number of seconds between 0.1 and 10."},
		// 2001 characters that, cut to 2000, would be a limit of 5.
		{"limit=" + strings.Repeat("0", 1999) + "50", "limit", "Too long: at most 2000 characters."},
	} {
		t.Run(tc.query[:min(len(tc.query), 40)], func(t *testing.T) {
			rec := get(t, s, "/en/lessons/semaphore/play/semaphore?"+tc.query, "HX-Request", "true")
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d; want 422", rec.Code)
			}
			body := rec.Body.String()
			if !strings.Contains(body, `id="play-semaphore-`+tc.field+`-error">`+tc.msg) {
				t.Errorf("no message %q next to %s in:\n%s", tc.msg, tc.field, body)
			}
			if strings.Contains(body, "hx-ws:connect") {
				t.Error("a refused run still got a WebSocket")
			}
			// The WebSocket refuses the same parameters before any upgrade.
			ws := get(t, s, "/ws/run/en/semaphore/semaphore?"+tc.query)
			if ws.Code != http.StatusBadRequest {
				t.Errorf("WebSocket with %s = %d; want 400", tc.query, ws.Code)
			}
		})
	}
	rec := get(t, s, "/ja/lessons/semaphore/play/semaphore?limit=0", "HX-Request", "true")
	if !strings.Contains(rec.Body.String(), "1 から 20 の間で指定してください。") {
		t.Errorf("Japanese page's problem is not in Japanese:\n%s", rec.Body.String())
	}
}

func TestPlayStartsRun(t *testing.T) {
	s := newServer(t, nil)
	rec := get(t, s, "/en/lessons/semaphore/play/semaphore?downloads=4&limit=2&delays=1,2,1,2", "HX-Request", "true")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; want 200:\n%s", rec.Code, rec.Body.String())
	}
	want := `hx-ws:connect="/ws/run/en/semaphore/semaphore?delays=1%2C2%2C1%2C2&amp;downloads=4&amp;limit=2&amp;seed=1"`
	if !strings.Contains(rec.Body.String(), want) {
		t.Errorf("play fragment lacks %s:\n%s", want, rec.Body.String())
	}
	if got, want := rec.Header().Get("HX-Push-Url"), "/en/lessons/semaphore?delays=1%2C2%2C1%2C2&downloads=4&limit=2&seed=1"; got != want {
		t.Errorf("HX-Push-Url = %q; want %q", got, want)
	}
	// Without htmx, the form's plain GET lands on the lesson page.
	plain := get(t, s, "/en/lessons/semaphore/play/semaphore?downloads=4")
	if plain.Code != http.StatusSeeOther || !strings.HasPrefix(plain.Header().Get("Location"), "/en/lessons/semaphore?") {
		t.Errorf("plain GET = %d to %q; want 303 to the lesson", plain.Code, plain.Header().Get("Location"))
	}
}

var missingString = regexp.MustCompile(`\[[a-z]+(\.[a-z]+)+\]`)

// TestEveryPageEveryLocale walks the home page and every lesson in every
// locale: each renders, says its language, and has no missing UI string.
func TestEveryPageEveryLocale(t *testing.T) {
	s := newServer(t, nil)
	for _, loc := range web.Locales {
		paths := []string{"/" + loc.Code + "/"}
		for _, l := range s.catalog.Lessons {
			paths = append(paths, "/"+loc.Code+"/lessons/"+l.Slug)
			if l.Title[loc.Code] == "" {
				t.Errorf("%s has no title in %s", l.Slug, loc.Code)
			}
		}
		for _, p := range paths {
			rec := get(t, s, p)
			body := rec.Body.String()
			if rec.Code != http.StatusOK {
				t.Errorf("GET %s = %d", p, rec.Code)
				continue
			}
			if !strings.Contains(body, `<html lang="`+loc.Code+`">`) {
				t.Errorf("GET %s: <html lang> is not %s", p, loc.Code)
			}
			if m := missingString.FindString(body); m != "" {
				t.Errorf("GET %s: missing UI string %s", p, m)
			}
		}
	}
}

func TestOperability(t *testing.T) {
	s := newServer(t, nil)
	rec := get(t, s, "/readyz")
	if rec.Code != 200 {
		t.Errorf("/readyz = %d; want 200", rec.Code)
	}
	if id := rec.Header().Get("X-Request-Id"); len(id) < 10 {
		t.Errorf("X-Request-Id = %q; want a request id", id)
	}
	m := get(t, s, "/metrics").Body.String()
	for _, want := range []string{"asyncplay_websockets_open 0", "asyncplay_runs_active 0", "asyncplay_runs_queued 0",
		"asyncplay_python_processes 0", "# TYPE asyncplay_events_total counter", "asyncplay_sockets_dropped_total 0",
		// The limits a server takes when none are set: a run slot per core
		// (at least 2), and the scenarios package's deadline and event cap.
		fmt.Sprintf("\nasyncplay_run_slots %d\n", max(2, runtime.NumCPU())),
		fmt.Sprintf("\nasyncplay_python_slots %d\n", max(2, runtime.NumCPU())),
		"\nasyncplay_run_deadline_seconds 60\n", "\nasyncplay_run_max_events 20000\n"} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	s.stop()
	if rec := get(t, s, "/readyz"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while shutting down = %d; want 503", rec.Code)
	}
}

// TestMetricsAreDocumented: every metric /metrics writes has its row in
// the README's table, so an operator reading it sees them all.
func TestMetricsAreDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, nil)
	names := regexp.MustCompile(`(?m)^# HELP (\S+) `).FindAllStringSubmatch(get(t, s, "/metrics").Body.String(), -1)
	if len(names) < 20 {
		t.Fatalf("/metrics has %d metrics; want the 20 or more the server keeps", len(names))
	}
	for _, m := range names {
		if !strings.Contains(string(readme), "| `"+m[1]+"` |") {
			t.Errorf("README.md has no row for metric %s", m[1])
		}
	}
}

// TestDevReloadsContent: with Dev, an edit to a lesson's prose shows on the
// next request, with no restart.
func TestDevReloadsContent(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, lessons.Embedded()); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Logger: quietLogger(), Lessons: os.DirFS(dir), Static: static.FS(), NoPython: errors.New("none"), Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if strings.Contains(get(t, s, "/en/lessons/semaphore").Body.String(), "Edited just now") {
		t.Fatal("the edit is there before it was made")
	}
	prose := filepath.Join(dir, "semaphore", "en.md")
	b, _ := os.ReadFile(prose)
	if err := os.WriteFile(prose, append(b, []byte("\n\nEdited just now.\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if body := get(t, s, "/en/lessons/semaphore").Body.String(); !strings.Contains(body, "Edited just now.") {
		t.Error("with Dev, an edit to en.md does not show on the next request")
	}
}

// paneText is the text of the first code pane of language lang in body, as
// a reader sees it: tags gone, entities read.
func paneText(t *testing.T, body, lang string) string {
	t.Helper()
	i := strings.Index(body, `data-lang="`+lang+`"`)
	if i < 0 {
		t.Fatalf("no %s pane in:\n%.400s", lang, body)
	}
	end := strings.Index(body[i:], "</pre>")
	if end < 0 {
		t.Fatalf("the %s pane does not end", lang)
	}
	return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body[i:i+end], ""))
}

// TestPythonPaneShowsRunValues: the Python pane says the values the run
// takes (LIMIT = 2 when the form says 2), on the lesson page, in the play
// fragment Run answers with, and in an embed; at the defaults, and when a
// value is refused, it shows the file as it is.
func TestPythonPaneShowsRunValues(t *testing.T) {
	s := newServer(t, nil)
	q := "downloads=2&limit=2&delays=0.5,1.25"
	for _, path := range []string{"/en/lessons/semaphore?" + q, "/en/lessons/semaphore/play/semaphore?" + q, "/embed/semaphore/semaphore?" + q} {
		rec := get(t, s, path, "HX-Request", "true")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, rec.Code)
		}
		py := paneText(t, rec.Body.String(), "python")
		for _, want := range []string{"DELAYS = [0.5, 1.25]", "LIMIT = 2  #"} {
			if !strings.Contains(py, want) {
				t.Errorf("GET %s: the Python pane does not say %q:\n%s", path, want, py)
			}
		}
		if strings.Contains(py, "LIMIT = 3") {
			t.Errorf("GET %s: the Python pane still says LIMIT = 3", path)
		}
	}
	for _, path := range []string{"/en/lessons/semaphore", "/en/lessons/semaphore?limit=abc"} {
		py := paneText(t, get(t, s, path).Body.String(), "python")
		if !strings.Contains(py, "LIMIT = 3  #") || !strings.Contains(py, "DELAYS = [1.6, 1.8,") {
			t.Errorf("GET %s: want the file's own constants in the Python pane:\n%s", path, py)
		}
	}
}

// TestScenarioTitles: a lesson that runs several programs heads each with
// its number and title, in the page's language, and Run's fragment keeps
// the heading; a lesson with one program has none.
func TestScenarioTitles(t *testing.T) {
	s := newServer(t, nil)
	body := get(t, s, "/en/lessons/lock").Body.String()
	first, second := strings.Index(body, `<h2 class="play-title">1. Without a lock</h2>`), strings.Index(body, `<h2 class="play-title">2. With asyncio.Lock</h2>`)
	if first < 0 || second < first {
		t.Errorf("lock lesson: want the headings 1. Without a lock, then 2. With asyncio.Lock (at %d and %d)", first, second)
	}
	if !strings.Contains(get(t, s, "/ja/lessons/lock").Body.String(), `<h2 class="play-title">1. ロックなし</h2>`) {
		t.Error("the Japanese lock lesson lacks its Japanese heading")
	}
	run := get(t, s, "/en/lessons/lock/play/lock", "HX-Request", "true").Body.String()
	if !strings.Contains(run, `<h2 class="play-title">2. With asyncio.Lock</h2>`) {
		t.Error("Run's fragment for the second program lost its heading")
	}
	if strings.Contains(get(t, s, "/en/lessons/semaphore").Body.String(), "play-title") {
		t.Error("a lesson with one program has a program heading")
	}
}

// TestNotFoundInPathLanguage: a path under /ja/ or /zh/ that no route
// matches gets its 404 page in that language, whatever Accept-Language
// says; a path with no language in it still follows Accept-Language.
func TestNotFoundInPathLanguage(t *testing.T) {
	s := newServer(t, nil)
	for _, tc := range []struct{ path, lang, accept string }{
		{"/ja/nosuch", "ja", "en"},
		{"/zh/nosuch", "zh", "en"},
		{"/ja/lessons/", "ja", "en"},
		{"/zh/runs/", "zh", "en"},
		{"/ja/lessons/semaphore/x/y", "ja", "en"},
		{"/ja/lessons/nosuch", "ja", "en"}, // a route matched: it always was
		{"/en/nosuch", "en", "ja"},
		{"/nosuch/here", "zh", "zh-CN"},
		{"/xx/nosuch", "ja", "ja"},
	} {
		rec := get(t, s, tc.path, "Accept-Language", tc.accept)
		body := rec.Body.String()
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d; want 404", tc.path, rec.Code)
		}
		if !strings.Contains(body, `<html lang="`+tc.lang+`">`) || !strings.Contains(body, web.T(tc.lang, "error.nopage")) {
			t.Errorf("GET %s (Accept-Language %s): want the 404 page in %s:\n%.400s", tc.path, tc.accept, tc.lang, body)
		}
	}
}
