package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"golang.org/x/sync/errgroup"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/web"
)

// ExportOptions shape a static export.
type ExportOptions struct {
	// ServerURL, when set, is a running asyncplay the exported pages offer
	// live runs on; without it the export offers recordings only.
	ServerURL string
	// Lessons limits the export to these slugs (all when empty).
	Lessons []string
	// Progress receives a line per step (nil: none).
	Progress io.Writer
}

// recording is one scenario run for the export.
type recording struct {
	lesson string
	sc     *scenario.Scenario
	set    scenario.Set
	vals   scenario.Values
	st     *runState
}

// Export writes the whole site into dir as static files: every lesson in
// every locale, with a recording of each scenario's default parameters and
// of its presets (its test sets), Python on the tracer's virtual clock and Go
// on the real clock. The pages link to each other relatively and to
// index.html files, so the folder works from any static host or from disk.
func (s *Server) Export(ctx context.Context, dir string, opt ExportOptions) error {
	progress := opt.Progress
	if progress == nil {
		progress = io.Discard
	}
	cat := s.catalog
	var chosen []*lessons.Lesson
	for _, l := range cat.Lessons {
		if len(opt.Lessons) == 0 || contains(opt.Lessons, l.Slug) {
			chosen = append(chosen, l)
		}
	}
	if len(chosen) == 0 {
		return fmt.Errorf("export: no lessons match %v", opt.Lessons)
	}
	// Prev and next link only to exported lessons.
	for i, l := range chosen {
		c := *l
		c.Prev, c.Next = nil, nil
		chosen[i] = &c
	}
	for i := range chosen {
		if i > 0 {
			chosen[i].Prev = chosen[i-1]
		}
		if i+1 < len(chosen) {
			chosen[i].Next = chosen[i+1]
		}
	}
	if err := copyFS(filepath.Join(dir, "static"), s.cfg.Static); err != nil {
		return fmt.Errorf("export static files: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "static", "css", "code.css"), s.codeCSS, 0o644); err != nil {
		return err
	}

	// Record every scenario's sets, a few at a time.
	var recs []*recording
	for _, l := range chosen {
		for _, id := range l.Scenarios {
			sc := s.reg.Get(id)
			sets := sc.Sets
			if len(sets) == 0 {
				sets = []scenario.Set{{Name: "default"}}
			}
			for _, set := range sets {
				vals, probs := sc.Parse(set.Query)
				if len(probs) > 0 {
					return fmt.Errorf("export %s/%s: %v", sc.ID, set.Name, probs)
				}
				recs = append(recs, &recording{lesson: l.Slug, sc: sc, set: set, vals: vals})
			}
		}
	}
	runner := *s.runner
	runner.Virtual = true
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(2, runtime.NumCPU()))
	var mu sync.Mutex
	done := 0
	for _, r := range recs {
		g.Go(func() error {
			r.st = newRunState("en", s.sideNames(), capsOf(r.sc, r.vals))
			r.st.bounds = s.runBounds()
			if err := runner.Run(gctx, r.sc, r.vals, r.st); err != nil {
				return fmt.Errorf("record %s/%s: %w", r.sc.ID, r.set.Name, err)
			}
			mu.Lock()
			done++
			fmt.Fprintf(progress, "recorded %s %s/%s (%d of %d)\n", r.lesson, r.sc.ID, r.set.Name, done, len(recs))
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}

	frame := func(lang string, r *recording) web.RunFrame {
		f := buildFrame(lang, r.st.names, r.st.sides, 0, true, r.st.caps)
		f.Clock = web.T(lang, "export.clock")
		return f
	}
	write := func(path string, c templ.Component) error {
		var buf bytes.Buffer
		if err := c.Render(ctx, &buf); err != nil {
			return err
		}
		full := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		return os.WriteFile(full, buf.Bytes(), 0o644)
	}
	for _, loc := range web.Locales {
		lang := loc.Code
		var groups []web.HomeGroup
		for _, g := range lessons.Groups {
			hg := web.HomeGroup{ID: g}
			for _, l := range chosen {
				if l.Group == g {
					hg.Lessons = append(hg.Lessons, l)
				}
			}
			if len(hg.Lessons) > 0 {
				groups = append(groups, hg)
			}
		}
		home := web.Page{Lang: lang, Title: web.T(lang, "home.title"), Path: "/", Root: "../"}
		if err := write(lang+"/index.html", web.Home(home, groups)); err != nil {
			return err
		}
		for _, l := range chosen {
			v := web.LessonView{Page: web.Page{Lang: lang, Title: l.Title[lang], Path: "/lessons/" + l.Slug, Root: "../../../"}, Lesson: l}
			for _, other := range l.SeeAlso {
				if o := cat.Get(other); o != nil && contains(slugs(chosen), other) {
					v.SeeAlso = append(v.SeeAlso, o)
				}
			}
			for _, id := range l.Scenarios {
				sc := s.reg.Get(id)
				var def *recording
				rp := web.RecordedPlay{}
				for _, r := range recs {
					if r.lesson != l.Slug || r.sc != sc {
						continue
					}
					if def == nil {
						def = r
					}
					href := lang + "/lessons/" + l.Slug + "/" + sc.ID + "-" + r.set.Name
					query, _ := url.QueryUnescape(r.vals.Query().Encode())
					rp.Presets = append(rp.Presets, web.Preset{Name: r.set.Name, Href: href, Query: query})
					pv := s.play(lang, l, sc, r.vals, nil)
					page := web.RunPageView{
						Page:   web.Page{Lang: lang, Title: l.Title[lang], Path: "/lessons/" + l.Slug + "/" + sc.ID + "-" + r.set.Name, Root: "../../../../"},
						Lesson: l, Play: pv, Frame: frame(lang, r),
					}
					if opt.ServerURL != "" {
						page.Again = liveURL(opt.ServerURL, lang, l.Slug, r.vals)
					}
					if err := write(href+"/index.html", web.RunPage(page)); err != nil {
						return err
					}
				}
				rp.Play = s.play(lang, l, sc, def.vals, nil)
				rp.Frame = frame(lang, def)
				if opt.ServerURL != "" {
					rp.Live = liveURL(opt.ServerURL, lang, l.Slug, def.vals)
				}
				v.Recorded = append(v.Recorded, rp)
			}
			if err := write(lang+"/lessons/"+l.Slug+"/index.html", web.LessonPage(v)); err != nil {
				return err
			}
		}
		fmt.Fprintf(progress, "wrote the %s pages\n", lang)
	}
	return write("index.html", web.ExportIndex())
}

func liveURL(server, lang, slug string, v scenario.Values) string {
	return strings.TrimRight(server, "/") + "/" + lang + "/lessons/" + url.PathEscape(slug) + "?" + v.Query().Encode()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func slugs(ls []*lessons.Lesson) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Slug
	}
	return out
}

// copyFS copies every file of fsys under dir.
func copyFS(dir string, fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if strings.HasSuffix(p, ".go") {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
