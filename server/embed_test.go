package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
)

func TestParseOrigins(t *testing.T) {
	got, err := ParseOrigins(" https://Docs.Example.com, http://localhost:3000 ,")
	if err != nil || strings.Join(got, " ") != "https://docs.example.com http://localhost:3000" {
		t.Errorf("ParseOrigins = %v, %v", got, err)
	}
	for _, bad := range []string{"docs.example.com", "ftp://x.org", "https://x.org/path", "https://u@x.org", "https://x.org?q=1", "https://", "https://:80", "http://x.org:"} {
		if _, err := ParseOrigins(bad); err == nil {
			t.Errorf("ParseOrigins(%q) = nil error", bad)
		}
	}
}

func embedServer(t *testing.T) *Server {
	t.Helper()
	s := newServer(t, nil)
	s.cfg.EmbedOrigins = []string{"https://docs.example.com"}
	return s
}

func TestEmbedPage(t *testing.T) {
	s := embedServer(t)
	rec := get(t, s, "/embed/semaphore/semaphore?lang=ja&theme=dark&panes=python&limit=2")
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("embed = %d", rec.Code)
	}
	for _, want := range []string{`<html lang="ja" class="theme-dark">`, `data-lang="python"`, `name="limit"`, `value="2"`,
		`name="embed" value="1"`, `name="panes" value="python"`, "/static/js/embed-frame.js"} {
		if !strings.Contains(body, want) {
			t.Errorf("embed page lacks %s", want)
		}
	}
	for _, unwanted := range []string{`<figure class="pane" data-lang="go">`, `class="langs"`} {
		if strings.Contains(body, unwanted) {
			t.Errorf("embed page has %s", unwanted)
		}
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self' https://docs.example.com;") {
		t.Errorf("embed CSP = %q; want the listed origin in frame-ancestors", csp)
	}
	if csp := get(t, s, "/en/lessons/semaphore").Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("lesson CSP = %q; want frame-ancestors 'none'", csp)
	}
	if rec := get(t, s, "/embed/semaphore/nope"); rec.Code != 404 {
		t.Errorf("embed of an unknown scenario = %d; want 404", rec.Code)
	}
	// With no scenario named (embed.js without data-scenario), the
	// lesson's first, including lessons whose slug names no scenario.
	for slug, first := range map[string]string{"semaphore": "semaphore", "http-client": "httpclient", "rate-and-pipeline": "pipeline"} {
		rec := get(t, s, "/embed/"+slug+"?lang=en")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `<section class="play" id="play-`+first+`"`) {
			t.Errorf("embed of lesson %s with no scenario = %d; want 200 with scenario %s", slug, rec.Code, first)
		}
	}
	// Run from the embed: no history push, panes kept.
	play := get(t, s, "/en/lessons/semaphore/play/semaphore?embed=1&panes=go&downloads=2", "HX-Request", "true")
	if play.Header().Get("HX-Push-Url") != "" || strings.Contains(play.Body.String(), `data-lang="python"`) {
		t.Errorf("embedded play pushed %q or showed the Python pane", play.Header().Get("HX-Push-Url"))
	}
}

func TestWebSocketOrigins(t *testing.T) {
	s := embedServer(t)
	ts := httptest.NewServer(s)
	defer ts.Close()
	host := strings.TrimPrefix(ts.URL, "http://")
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://" + host, true},
		{"https://docs.example.com", true},
		{"https://evil.example", false},
		{"http://docs.example.com", false}, // right host, wrong scheme
		{"https://" + host, false},         // this host, but not this scheme
	} {
		t.Run(tc.origin, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			c, resp, err := websocket.Dial(ctx, "ws://"+host+"/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=0.1", &websocket.DialOptions{HTTPHeader: h})
			if tc.ok {
				if err != nil {
					t.Fatalf("Origin %q refused: %v", tc.origin, err)
				}
				readAll(t, c, 5*time.Second)
				c.CloseNow()
				return
			}
			if err == nil {
				c.CloseNow()
				t.Fatalf("Origin %q accepted; want 403", tc.origin)
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("Origin %q: %v; want 403", tc.origin, err)
			}
		})
	}
}

// TestBrowserEmbedSizesItself loads the demo page, whose iframe must fit
// its content, and runs the scenario inside the iframe.
func TestBrowserEmbedSizesItself(t *testing.T) {
	ctx := browser(t)
	base := serve(t, newServer(t, nil))
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/embed-demo"), chromedp.WaitVisible(chromedp.CSS(".embed-live iframe"))); err != nil {
		t.Fatal(err)
	}
	fits := `(() => { const f = document.querySelector('.embed-live iframe'); const d = f.contentDocument;
		return !!d && !!d.querySelector('.run-button') && Math.abs(f.getBoundingClientRect().height - d.documentElement.scrollHeight) <= 2; })()`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fits, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("iframe does not fit its content: %v", err)
	}
	before, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('.embed-live iframe').getBoundingClientRect().height`))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('.embed-live iframe').contentDocument.querySelector('.run-button').click(), true`)); err != nil {
		t.Fatal(err)
	}
	done := `!!document.querySelector('.embed-live iframe').contentDocument.querySelector('.frame[data-finished="true"]')`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](done, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("run inside the iframe did not finish: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fits, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("iframe does not fit its content after the run: %v", err)
	}
	after, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('.embed-live iframe').getBoundingClientRect().height`))
	if after <= before {
		t.Errorf("iframe height %v after the run, %v before; want it to grow with the timeline", after, before)
	}
	screenshot(t, ctx, "embed-demo")

	// A placeholder with no data-scenario gets the lesson's first, even
	// where the lesson's slug is no scenario's name: load embed.js again
	// and it mounts the new placeholder.
	add := `(() => { const d = document.createElement('div'); d.id = 'second'; d.setAttribute('data-asyncplay', 'http-client');
		document.body.appendChild(d); const s = document.createElement('script'); s.src = '/static/embed.js'; document.body.appendChild(s); return true; })()`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](add)); err != nil {
		t.Fatal(err)
	}
	loaded := `(() => { const f = document.querySelector('#second iframe'); if (f) f.scrollIntoView();
		const d = f && f.contentDocument; return !!d && !!d.querySelector('#play-httpclient .run-button'); })()`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](loaded, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		src, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('#second iframe') || {}).src || 'no iframe'`))
		t.Fatalf("an embed with no data-scenario did not load its lesson's first scenario (iframe %s): %v", src, err)
	}
	// Leave nothing loading when the server stops: a request cut off then
	// would show in the console as an error.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#second iframe').contentDocument.readyState === 'complete'`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
}
