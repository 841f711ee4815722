package server

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BenchmarkBrowserScrub measures the player's scrub handler on a long run
// (100 downloads on both runtimes, about 1,800 events) in headless
// Chromium: the time from setting the cursor to the browser having laid out
// the result, per step, as the performance timeline sees it. Target: under
// 16 ms per step. Run it with `make bench` (go test -run ^$ -bench Scrub ./server/).
func BenchmarkBrowserScrub(b *testing.B) {
	py := requirePython(b)
	ctx := browser(b)
	base := serve(b, newServer(b, py))
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/en/lessons/semaphore?downloads=100&limit=20&seed=3"),
		chromedp.WaitVisible(chromedp.CSS(".run-button")),
		chromedp.Click(chromedp.CSS(".run-button")),
	)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('.frame[data-finished="true"] .player')`,
		chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		b.Fatal(err)
	}
	events, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.events-table tbody tr').length`))
	b.ResetTimer()
	var res struct{ Median, P95, Max float64 }
	for range b.N {
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const f = document.querySelector('.frame[data-finished="true"]');
			const total = parseFloat(f.querySelector('.player').dataset.total);
			const ms = [];
			for (let i = 0; i < 200; i++) {
				const t0 = performance.now();
				f.__show(total * ((i * 37) % 200) / 200);
				document.body.getBoundingClientRect(); // force style and layout
				ms.push(performance.now() - t0);
			}
			ms.sort((a, b) => a - b);
			return JSON.stringify({median: ms[100], p95: ms[190], max: ms[199]});
		})()`))
		if err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), &res); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(res.Median, "ms/step-median")
	b.ReportMetric(res.P95, "ms/step-p95")
	b.ReportMetric(res.Max, "ms/step-max")
	b.Logf("scrub over %d events: median %.2f ms, p95 %.2f ms, max %.2f ms per step (target < 16 ms)", events, res.Median, res.P95, res.Max)
}
