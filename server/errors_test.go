package server

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/asyncplay/asyncplay/web"
)

// TestRefusalsSayWhy: a refused request gets a sentence of its own in the
// page's language (they all used to read "That request could not be
// understood"): a body over the limit, whether its length was declared or
// not; a page on another origin; a refused run parameter, which the run
// WebSocket words as the form does; an own-code post from elsewhere; a
// class command from a browser that is not the teacher's.
func TestRefusalsSayWhy(t *testing.T) {
	s := newServer(t, nil)
	s.cfg.AllowOwnCode = true
	en := []string{"Accept-Language", "en"}
	for _, tc := range []struct {
		name, method, path string
		body               io.Reader
		header             []string
		status             int
		want               string
	}{
		{"declared body over 64 KiB", http.MethodPost, "/ja/class", bytes.NewReader(make([]byte, 64<<10+1)),
			[]string{"Content-Type", "application/x-www-form-urlencoded"}, 413, web.T("ja", "error.toolarge")},
		{"chunked body over 64 KiB", http.MethodPost, "/class/ABCDEF/run", io.MultiReader(strings.NewReader("x=" + strings.Repeat("a", 64<<10))),
			[]string{"Content-Type", "application/x-www-form-urlencoded", "Accept-Language", "zh"}, 413, web.T("zh", "error.toolarge")},
		{"run from another origin", http.MethodGet, "/ws/run/ja/semaphore/semaphore", nil,
			[]string{"Origin", "https://evil.example"}, 403, web.T("ja", "error.forbidden")},
		{"run parameter out of range", http.MethodGet, "/ws/run/ja/semaphore/semaphore?limit=50", nil,
			nil, 400, "1 から 20 の間で指定してください。"},
		{"own code from another site", http.MethodPost, "/zh/own", strings.NewReader("code=x"),
			[]string{"Content-Type", "application/x-www-form-urlencoded", "Origin", "https://evil.example", "HX-Request", "true"}, 403, web.T("zh", "own.forbidden")},
	} {
		rec := send(t, s, tc.method, tc.path, tc.body, append(append([]string{}, en...), tc.header...)...)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %.300q; want %d and %q", tc.name, rec.Code, rec.Body.String(), tc.status, tc.want)
		}
	}

	_, ts := classServer(t, ClassConfig{})
	code, _ := startClass(t, ts)
	if status, body := command(t, ts, code, "run", nil); status != http.StatusForbidden || !strings.Contains(body, web.T("en", "class.forbidden")) {
		t.Errorf("a class command without the teacher's cookie = %d %q; want 403 and %q", status, body, web.T("en", "class.forbidden"))
	}
}
