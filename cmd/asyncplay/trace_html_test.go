package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/asyncplay/asyncplay/server/browsertest"
)

func TestTraceChromeFormat(t *testing.T) {
	requirePython(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"trace", "--format", "chrome", "--virtual", "testdata/unseen.py"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TraceEvents []struct {
			Name string         `json:"name"`
			Ph   string         `json:"ph"`
			Tid  int            `json:"tid"`
			Dur  float64        `json:"dur"`
			Args map[string]any `json:"args"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("--format chrome is not JSON: %v", err)
	}
	threads := map[string]bool{}
	complete := 0
	for _, e := range doc.TraceEvents {
		if e.Ph == "M" && e.Name == "thread_name" {
			threads[e.Args["name"].(string)] = true
		}
		if e.Ph == "X" {
			complete++
		}
	}
	if !threads["main"] || !threads["worker"] || !threads["worker #2"] || complete == 0 {
		t.Errorf("chrome trace threads %v, %d complete events; want main and both workers with spans", threads, complete)
	}
	if err := run(context.Background(), []string{"trace", "--format", "xml", "testdata/unseen.py"}, io.Discard, io.Discard); err == nil {
		t.Error("--format xml = nil error")
	}
}

// TestTraceHTMLInBrowser writes self-contained pages for two programs (one
// with a thread and a blocked loop) and drives them from disk in Chromium,
// with no server at all.
func TestTraceHTMLInBrowser(t *testing.T) {
	requirePython(t)
	ctx := browsertest.Start(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for _, tc := range []struct {
		prog          string
		lanes         int
		blocked, thrd bool
	}{
		{"testdata/blocky.py", 4, true, true},
		{"testdata/unseen.py", 3, false, false},
	} {
		t.Run(filepath.Base(tc.prog), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "trace.html")
			if err := run(context.Background(), []string{"trace", "--html", out, tc.prog}, io.Discard, io.Discard); err != nil {
				t.Fatal(err)
			}
			page, _ := os.ReadFile(out)
			if bytes.Contains(page, []byte(`src="/static`)) || bytes.Contains(page, []byte(`href="/static`)) {
				t.Error("the page loads files from a server; want everything inlined")
			}
			err := chromedp.Do(ctx, chromedp.Navigate("file://"+out), chromedp.WaitVisible(chromedp.CSS(".player")))
			if err != nil {
				t.Fatal(err)
			}
			lanes, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('g.lane').length`))
			band, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('.blocked-band')`))
			thread, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('g.lane[data-lane^="thread: "]')`))
			if lanes != tc.lanes || band != tc.blocked || thread != tc.thrd {
				t.Errorf("page shows %d lanes, blocked band %v, thread lane %v; want %d, %v, %v", lanes, band, thread, tc.lanes, tc.blocked, tc.thrd)
			}
			// The player works offline: step back and a source line lights up.
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".p-prev")), chromedp.Click(chromedp.CSS(".p-prev"))); err != nil {
				t.Fatal(err)
			}
			line, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('.pane .ln.current') || {dataset: {}}).dataset.line || ""`))
			if line == "" {
				t.Error("no source line highlighted after stepping back")
			}
			browsertest.Screenshot(t, ctx, filepath.Join("testdata", "screenshots"), "trace-"+strings.TrimSuffix(filepath.Base(tc.prog), ".py"))
		})
	}
}

func TestTraceServe(t *testing.T) {
	requirePython(t)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"trace", "--serve", "--virtual", "--format", "json", "testdata/unseen.py"}, pw, io.Discard)
		pw.Close()
	}()
	var url string
	buf := make([]byte, 0, 1<<16)
	tmp := make([]byte, 4096)
	for url == "" {
		n, err := pr.Read(tmp)
		if err != nil {
			t.Fatalf("no serving line: %v", err)
		}
		buf = append(buf, tmp[:n]...)
		if i := bytes.Index(buf, []byte("http://127.0.0.1:")); i >= 0 {
			if j := bytes.IndexByte(buf[i:], '/'); j >= 0 {
				rest := buf[i:]
				if k := bytes.Index(rest, []byte("/ ")); k >= 0 {
					url = string(rest[:k+1])
				}
			}
		}
	}
	go io.Copy(io.Discard, pr)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte(`class="player"`)) {
		t.Errorf("GET %s = %d; want the trace page with the player", url, resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("trace --serve after interrupt = %v", err)
	}
}
