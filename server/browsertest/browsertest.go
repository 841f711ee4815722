// Package browsertest starts headless Chromium for the browser tests, the
// same way everywhere: Debian's Chromium with the flags this machine needs,
// a fresh profile, console errors collected and reported, and a loud skip
// (or, under CI, a failure) when there is no Chromium.
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian installs Chromium.
const ChromiumPath = "/usr/bin/chromium"

// Start starts headless Chromium with a fresh profile, or skips loudly when
// there is none; under CI it fails instead. Console errors are collected and
// checked when the test ends.
func Start(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs Chromium at %s (apt-get install chromium): %v", ChromiumPath, err)
		}
		t.Skipf("SKIP: browser test needs Chromium at %s (apt-get install chromium): %v", ChromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("user-data-dir", t.TempDir()),
		chromedp.Flag("window-size", "1280,900"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	var (
		mu       sync.Mutex
		problems []string
		drained  = make(chan struct{})
	)
	// Start the browser, then drain its console until the tab closes.
	if err := chromedp.Do(ctx); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	go func() {
		defer close(drained)
		for msg, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			// A refused run's 422 and an expired run's 410 are on purpose;
			// the browser logs every 4xx response.
			deliberate := strings.Contains(msg.Text, "status of 422") || strings.Contains(msg.Text, "status of 410")
			if msg.IsException() || msg.Type == "error" && !deliberate {
				mu.Lock()
				problems = append(problems, msg.String())
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		<-drained
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("browser console: %s", p)
		}
	})
	return ctx
}

// Screenshot saves a full-page PNG as dir/name.png and logs where.
func Screenshot(t testing.TB, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
