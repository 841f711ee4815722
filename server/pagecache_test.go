package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/static"
)

// lessonAddresses differ in language, in parameters (one refused, so a
// 422), in the order of the same parameters, and in a parameter the page
// does not know, which the language links still carry.
var lessonAddresses = []string{
	"/en/lessons/semaphore",
	"/ja/lessons/semaphore",
	"/zh/lessons/semaphore",
	"/en/lessons/semaphore?limit=2",
	"/en/lessons/semaphore?limit=5",
	"/ja/lessons/semaphore?limit=5",
	"/en/lessons/semaphore?limit=999",
	"/en/lessons/semaphore?downloads=4&limit=2",
	"/en/lessons/semaphore?limit=2&downloads=4",
	"/en/lessons/semaphore?from=mail",
	"/en/lessons/lock",
	"/en/lessons/lock?limit=2",
}

// TestPageCacheServesWhatARenderWould: every address, asked for in one order
// and then again in the reverse order (the second time from the cache),
// gets the same status and bytes as a server with an empty cache rendering
// only that address. A cache keyed on too little (no language, no query) fails here.
func TestPageCacheServesWhatARenderWould(t *testing.T) {
	s, ref := newServer(t, nil), newServer(t, nil)
	for _, pass := range []string{"first", "cached"} {
		order := append([]string(nil), lessonAddresses...)
		if pass == "cached" {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		for _, path := range order {
			got := get(t, s, path)
			ref.pages = newPageCache(0) // ref renders every address afresh
			want := get(t, ref, path)
			if got.Code != want.Code {
				t.Errorf("%s %s: status %d; want %d", pass, path, got.Code, want.Code)
			}
			if got.Body.String() != want.Body.String() {
				t.Errorf("%s %s: the page differs from a fresh render of that address", pass, path)
			}
		}
	}
	if pages, _ := s.pages.stats(); pages != len(lessonAddresses) {
		t.Errorf("pages cached = %d; want %d, one per address", pages, len(lessonAddresses))
	}
	if body := get(t, s, "/ja/lessons/semaphore?limit=5").Body.String(); !strings.Contains(body, `lang="ja"`) || !strings.Contains(body, `value="5"`) {
		t.Error(`/ja/lessons/semaphore?limit=5 from the cache lacks lang="ja" or the value 5`)
	}
	if code := get(t, s, "/en/lessons/no-such-lesson").Code; code != http.StatusNotFound {
		t.Errorf("unknown lesson = %d; want 404", code)
	}
	if pages, _ := s.pages.stats(); pages != len(lessonAddresses) {
		t.Errorf("pages cached after a 404 = %d; want %d: only real pages are kept", pages, len(lessonAddresses))
	}
}

// TestPageCacheKeepsVisitorsApart: what differs per request (the request
// id) is in the headers of each response and never in the cached bytes,
// and no response sets a cookie.
func TestPageCacheKeepsVisitorsApart(t *testing.T) {
	s := newServer(t, nil)
	first := get(t, s, "/en/lessons/semaphore")
	second := get(t, s, "/en/lessons/semaphore")
	id1, id2 := first.Header().Get("X-Request-Id"), second.Header().Get("X-Request-Id")
	if id1 == "" || id1 == id2 {
		t.Fatalf("request ids %q and %q; want two different ones", id1, id2)
	}
	if strings.Contains(second.Body.String(), id1) || strings.Contains(first.Body.String(), id1) {
		t.Error("the page's bytes carry a request id")
	}
	for _, rec := range []*httptest.ResponseRecorder{first, second} {
		if c := rec.Header().Get("Set-Cookie"); c != "" {
			t.Errorf("a lesson page sets a cookie %q", c)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("a cached page lost its CSP header: %q", csp)
		}
	}
	if first.Body.String() != second.Body.String() {
		t.Error("two visitors got different bytes for the same address")
	}
}

// TestPageCacheCompresses: a client that takes gzip gets the same page
// compressed, one that refuses it (or says nothing) gets it as it is, and
// both are told the answer varies with Accept-Encoding.
func TestPageCacheCompresses(t *testing.T) {
	s := newServer(t, nil)
	plain := get(t, s, "/en/lessons/semaphore?limit=2")
	for _, tc := range []struct {
		accept string
		gzip   bool
	}{
		{"", false},
		{"gzip, deflate, br", true},
		{"br;q=1.0, gzip;q=0.8", true},
		{"gzip;q=0", false},
		{"*", true},
		{"*;q=0", false},
		{"deflate", false},
	} {
		for range 2 { // rendered, then cached
			rec := get(t, s, "/en/lessons/semaphore?limit=2", "Accept-Encoding", tc.accept)
			if !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Accept-Encoding") {
				t.Errorf("Accept-Encoding %q: Vary = %q; want Accept-Encoding in it", tc.accept, rec.Header().Values("Vary"))
			}
			body := rec.Body.Bytes()
			if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tc.gzip {
				t.Errorf("Accept-Encoding %q: compressed = %v; want %v", tc.accept, got, tc.gzip)
				continue
			}
			if tc.gzip {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatalf("Accept-Encoding %q: %v", tc.accept, err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatalf("Accept-Encoding %q: %v", tc.accept, err)
				}
			}
			if string(body) != plain.Body.String() {
				t.Errorf("Accept-Encoding %q: the page differs from the plain one", tc.accept)
			}
		}
	}
	// Other responses go through the gzip middleware once, not twice.
	rec := get(t, s, "/static/vendor/htmx.min.js", "Accept-Encoding", "gzip")
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("htmx.min.js with Accept-Encoding gzip: Content-Encoding %q; want gzip", rec.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if want := get(t, s, "/static/vendor/htmx.min.js").Body.String(); string(js) != want {
		t.Error("htmx.min.js compressed does not decompress to the file")
	}
}

// TestPageCacheNotInDev: with Dev, an edit shows on the next request of an
// address that was already served, in each language and with a query.
func TestPageCacheNotInDev(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, lessons.Embedded()); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Logger: quietLogger(), Lessons: os.DirFS(dir), Static: static.FS(), NoPython: errors.New("none"), Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	paths := []string{"/en/lessons/semaphore?limit=2", "/ja/lessons/semaphore?limit=2"}
	for _, p := range paths {
		get(t, s, p)
	}
	for _, lang := range []string{"en", "ja"} {
		prose := filepath.Join(dir, "semaphore", lang+".md")
		b, err := os.ReadFile(prose)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(prose, append(b, []byte("\n\nEdited in "+lang+".\n")...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range paths {
		want := "Edited in " + []string{"en", "ja"}[i] + "."
		if body := get(t, s, p).Body.String(); !strings.Contains(body, want) {
			t.Errorf("with Dev, %s after an edit lacks %q: a stale page", p, want)
		}
	}
	if pages, _ := s.pages.stats(); pages != 0 {
		t.Errorf("with Dev, %d pages cached; want none", pages)
	}
}

// TestPageCacheBound: past its byte bound the cache drops the least
// recently used page, keeps one it has just been asked for, and does not
// keep a page bigger than the whole bound.
func TestPageCacheBound(t *testing.T) {
	page := bytes.Repeat([]byte("x"), 1000)
	one := (&cachedPage{key: "a", body: page, gz: gzipBytes(page)}).size()
	pc := newPageCache(3 * one)
	pc.put("a", 200, page)
	pc.put("b", 200, page)
	pc.put("c", 200, page)
	if pc.get("a") == nil { // a is now the most recently used
		t.Fatal("a is gone before the cache was full")
	}
	pc.put("d", 200, page)
	for key, kept := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if got := pc.get(key) != nil; got != kept {
			t.Errorf("after d: kept %s = %v; want %v", key, got, kept)
		}
	}
	if n, b := pc.stats(); n != 3 || b > 3*one {
		t.Errorf("stats = %d pages, %d bytes; want 3 pages within %d bytes", n, b, 3*one)
	}
	huge := bytes.Repeat([]byte("y"), 5*one)
	if p := pc.put("huge", 200, huge); p == nil || string(p.body) != string(huge) {
		t.Error("a page bigger than the bound is not even served")
	}
	if pc.get("huge") != nil {
		t.Error("a page bigger than the bound is kept")
	}
	pc.put("a", 422, []byte("replaced"))
	if p := pc.get("a"); p == nil || p.status != 422 || string(p.body) != "replaced" {
		t.Error("putting a key again does not replace its page")
	}
}

// TestBenchBlob: /bench/blob exists only when Config.BenchBlob is set.
func TestBenchBlob(t *testing.T) {
	if code := get(t, newServer(t, nil), "/bench/blob").Code; code != http.StatusNotFound {
		t.Errorf("/bench/blob without BenchBlob = %d; want 404", code)
	}
	s, err := New(Config{Logger: quietLogger(), Lessons: lessons.Embedded(), Static: static.FS(), NoPython: errors.New("none"), BenchBlob: []byte("<p>blob</p>")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if rec := get(t, s, "/bench/blob"); rec.Code != http.StatusOK || rec.Body.String() != "<p>blob</p>" {
		t.Errorf("/bench/blob = %d %q; want 200 <p>blob</p>", rec.Code, rec.Body.String())
	}
	rec := get(t, s, "/bench/blob", "Accept-Encoding", "gzip")
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(zr); err != nil || string(b) != "<p>blob</p>" {
		t.Errorf("/bench/blob with gzip decompresses to %q, %v; want <p>blob</p> (compressed once)", b, err)
	}
}

// TestCompressSkipsUpgrades: a browser sends Accept-Encoding: gzip on a
// WebSocket upgrade too; the run socket must still open and stream.
func TestCompressSkipsUpgrades(t *testing.T) {
	s := newServer(t, nil)
	ts := httptest.NewServer(s)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := http.Header{"Accept-Encoding": {"gzip, deflate, br"}}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=0.1", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial with Accept-Encoding gzip: %v", err)
	}
	c.SetReadLimit(8 << 20)
	frames, status := readAll(t, c, 10*time.Second)
	if len(frames) == 0 || status != websocket.StatusNormalClosure {
		t.Errorf("run socket with Accept-Encoding gzip: %d frames, close %v; want frames and a normal close", len(frames), status)
	}
}
