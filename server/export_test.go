package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestExportWorksWithoutAServer exports the semaphore lesson, serves the
// folder with a plain file server (no asyncplay anywhere), and drives it in
// Chromium: every page opens, the recorded runs replay in the player, and
// every link on the pages resolves. It also opens a page straight from disk.
func TestExportWorksWithoutAServer(t *testing.T) {
	py := requirePython(t)
	dir := t.TempDir()
	s := newServer(t, py)
	err := s.Export(context.Background(), dir, ExportOptions{Lessons: []string{"semaphore"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"index.html", "en/index.html", "ja/lessons/semaphore/index.html",
		"zh/lessons/semaphore/semaphore-list/index.html", "static/css/code.css", "static/js/player.js"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("export lacks %s", f)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "en/lessons/semaphore/index.html"))
	for _, bad := range []string{`href="/`, `src="/`, "hx-ws:connect", "hx-get="} {
		if strings.Contains(string(page), bad) {
			t.Errorf("exported lesson page has %q: it would need a server", bad)
		}
	}
	files := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer files.Close()

	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	err = chromedp.Do(ctx,
		chromedp.Navigate(files.URL+"/index.html"),
		chromedp.WaitVisible(chromedp.CSS(`ol.lessons a`)), // the meta refresh lands on en/index.html
		chromedp.Click(chromedp.CSS(`ol.lessons a`)),
		chromedp.WaitVisible(chromedp.CSS(".frame .player")),
	)
	if err != nil {
		t.Fatal(err)
	}
	lanes, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('.frame .side')].map(s => s.dataset.runtime + ':' + s.querySelectorAll('g.lane').length).join(',')`))
	if lanes != "python:10,go:10" {
		t.Errorf("recorded lanes = %s; want python:10,go:10 (main and nine downloads)", lanes)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".p-prev")), chromedp.Click(chromedp.CSS(".p-prev"))); err != nil {
		t.Fatal(err)
	}
	if row, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('.events-table tr[aria-current]')`)); !row {
		t.Error("stepping the recorded run lit no event")
	}
	// Every link and asset on the lesson page resolves on the plain file server.
	broken, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const urls = [...document.querySelectorAll('a[href], link[href], script[src]')]
			.map(e => e.href || e.src).filter(u => u.startsWith(location.origin));
		const bad = [];
		for (const u of urls) { const r = await fetch(u); if (!r.ok) bad.push(u + ' ' + r.status); }
		return bad.join('\n');
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || broken != "" {
		t.Errorf("broken links on the exported lesson page (%v):\n%s", err, broken)
	}
	// A preset's recording opens with its own parameters.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.presets a[href*="semaphore-list"]`)), chromedp.WaitVisible(chromedp.CSS(".frame .player"))); err != nil {
		t.Fatal(err)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.side[data-runtime="go"] g.lane').length`)); n != 6 {
		t.Errorf("the list preset's Go lanes = %d; want 6 (main and five downloads)", n)
	}
	screenshot(t, ctx, "export-preset")
	// Straight from disk, too.
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+filepath.Join(dir, "ja/lessons/semaphore/index.html")), chromedp.WaitVisible(chromedp.CSS(".frame .player"))); err != nil {
		t.Fatalf("opening the export from disk: %v", err)
	}
}
