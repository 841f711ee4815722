package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/web"
)

// TestBrowserLessonPerGroupPerLanguage opens the first lesson of each group
// of the course in every language, runs its first scenario with its
// default parameters, checks both runtimes finished with lanes and the page
// is in that language, and saves a screenshot of each.
func TestBrowserLessonPerGroupPerLanguage(t *testing.T) {
	py := requirePython(t)
	s := newServer(t, py)
	base := serve(t, s)
	ctx := browser(t)
	for _, g := range lessons.Groups {
		var first *lessons.Lesson
		for _, l := range s.catalog.Lessons {
			if l.Group == g {
				first = l
				break
			}
		}
		if first == nil {
			t.Errorf("group %s has no lesson", g)
			continue
		}
		for _, loc := range web.Locales {
			t.Run(g+"/"+loc.Code, func(t *testing.T) {
				tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				defer cancel()
				err := chromedp.Do(tctx,
					chromedp.Navigate(base+"/"+loc.Code+"/lessons/"+first.Slug),
					chromedp.WaitVisible(chromedp.CSS(".run-button")),
					chromedp.Click(chromedp.CSS(".run-button")),
				)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := chromedp.Run(tctx, chromedp.Poll[bool](`!!document.querySelector('.frame[data-finished="true"]')`,
					chromedp.WithPollingTimeout(45*time.Second))); err != nil {
					t.Fatalf("%s did not finish: %v", first.Slug, err)
				}
				got, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`[...document.querySelectorAll('.frame .side')].map(s =>
					s.dataset.runtime + ':' + s.dataset.status + ':' + (s.querySelectorAll('g.lane').length > 0)).join(',') + '|' + document.documentElement.lang`))
				if want := fmt.Sprintf("python:finished:true,go:finished:true|%s", loc.Code); got != want {
					t.Errorf("%s in %s: %s; want %s", first.Slug, loc.Code, got, want)
				}
				screenshot(t, tctx, "group-"+g+"-"+loc.Code)
			})
		}
	}
}

// TestBrowserProgress: a lesson opened once is marked on the home page,
// in every language, from the browser's own storage.
func TestBrowserProgress(t *testing.T) {
	base := serve(t, newServer(t, nil))
	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	visited := `[...document.querySelectorAll('ol.lessons li.visited')].map(li => li.dataset.lesson).join(',')`
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/en/"), chromedp.WaitVisible(chromedp.CSS("ol.lessons"))); err != nil {
		t.Fatal(err)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](visited)); got != "" {
		t.Errorf("fresh browser shows visited lessons %q", got)
	}
	for _, slug := range []string{"gather", "queue"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/en/lessons/"+slug), chromedp.WaitVisible(chromedp.CSS(".run-button"))); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/ja/"), chromedp.WaitVisible(chromedp.CSS("ol.lessons li.visited"))); err != nil {
		t.Fatal(err)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](visited)); got != "gather,queue" {
		t.Errorf("home page marks %q as visited; want gather,queue", got)
	}
	tag, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("li.visited .visited-tag")))
	if tag != "既読" {
		t.Errorf("visited tag = %q; want the Japanese label", tag)
	}
}
