package server

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
)

// defaultPageCacheBytes bounds the rendered pages kept in memory. A lesson
// page is about 25 KB (5 KB compressed), so this holds over a thousand; the
// bound matters because the query string is part of the key, and anyone can
// make up new ones.
const defaultPageCacheBytes = 32 << 20

// pageCache keeps rendered pages whose bytes depend only on their address:
// a lesson page is a function of its language, its slug and its query
// string (the catalog, the highlighted code and whether Python is there are
// fixed once the server has started). Nothing per visitor is in those bytes:
// the request id travels in a header, and the pages carry no token or
// nonce. The least recently used pages go first once the total passes
// maxBytes. It is safe for concurrent use.
type pageCache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	byKey    map[string]*list.Element // of *cachedPage
	lru      list.List                // front: most recently used
}

// cachedPage is one rendered page, as it is and compressed.
type cachedPage struct {
	key    string
	status int
	body   []byte
	gz     []byte
}

func (p *cachedPage) size() int { return len(p.key) + len(p.body) + len(p.gz) + 128 }

func newPageCache(maxBytes int) *pageCache {
	if maxBytes <= 0 {
		maxBytes = defaultPageCacheBytes
	}
	return &pageCache{maxBytes: maxBytes, byKey: map[string]*list.Element{}}
}

// get returns the page kept under key, or nil.
func (pc *pageCache) get(key string) *cachedPage {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	el := pc.byKey[key]
	if el == nil {
		return nil
	}
	pc.lru.MoveToFront(el)
	return el.Value.(*cachedPage)
}

// put compresses body and keeps it under key (replacing what was there),
// then drops the least recently used pages past the byte bound. It returns
// the page, kept or not: one bigger than the whole bound is served but not
// kept.
func (pc *pageCache) put(key string, status int, body []byte) *cachedPage {
	p := &cachedPage{key: key, status: status, body: body, gz: gzipBytes(body)}
	if p.size() > pc.maxBytes {
		return p
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if el := pc.byKey[key]; el != nil {
		pc.bytes -= el.Value.(*cachedPage).size()
		pc.lru.Remove(el)
	}
	pc.byKey[key] = pc.lru.PushFront(p)
	pc.bytes += p.size()
	for pc.bytes > pc.maxBytes {
		el := pc.lru.Back()
		old := el.Value.(*cachedPage)
		pc.lru.Remove(el)
		delete(pc.byKey, old.key)
		pc.bytes -= old.size()
	}
	return p
}

// stats reports the pages kept and their bytes.
func (pc *pageCache) stats() (pages, bytes int) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.byKey), pc.bytes
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
	_, _ = zw.Write(b)                                       // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	return buf.Bytes()
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip:
// named, or covered by "*", and not refused with q=0.
func acceptsGzip(r *http.Request) bool {
	gz, star := "", ""
	named, starred := false, false
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(part, ";")
		switch name = strings.TrimSpace(name); {
		case strings.EqualFold(name, "gzip"):
			gz, named = params, true
		case name == "*":
			star, starred = params, true
		}
	}
	switch {
	case named:
		return !refused(gz)
	case starred:
		return !refused(star)
	}
	return false
}

// refused reports whether an Accept-Encoding entry's parameters say q=0.
func refused(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && f == 0
		}
	}
	return false
}

// sendPage writes a cached page, compressed when the client takes gzip.
func sendPage(c *echo.Context, p *cachedPage) error {
	h := c.Response().Header()
	h.Add("Vary", "Accept-Encoding")
	body := p.body
	if acceptsGzip(c.Request()) {
		h.Set("Content-Encoding", "gzip")
		body = p.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return c.Blob(p.status, echo.MIMETextHTMLCharsetUTF8, body)
}

// lessonRoute is the lesson page's route in the route table; its pages come
// from the page cache, already compressed.
const lessonRoute = "/:lang/lessons/:slug"

// benchBlobRoute serves Config.BenchBlob, also already compressed.
const benchBlobRoute = "/bench/blob"

// compress gzips responses for clients that take it, except WebSocket
// upgrades (a compressing writer holds back the 101 that the upgrade must
// send before it takes the connection over) and pages the page cache
// (and the bench blob) serves already compressed.
func compress() echo.MiddlewareFunc {
	return middleware.GzipWithConfig(middleware.GzipConfig{
		MinLength: 1024,
		Skipper: func(c *echo.Context) bool {
			return c.Request().Header.Get("Upgrade") != "" || c.Path() == lessonRoute || c.Path() == benchBlobRoute
		},
	})
}

// handleBenchBlob serves Config.BenchBlob as it is, compressed once like a
// cached page: the static baseline a lesson page is measured against. The
// route exists only when BenchBlob is set.
func (s *Server) handleBenchBlob(c *echo.Context) error {
	s.benchOnce.Do(func() {
		s.benchPage = &cachedPage{status: http.StatusOK, body: s.cfg.BenchBlob, gz: gzipBytes(s.cfg.BenchBlob)}
	})
	return sendPage(c, s.benchPage)
}
