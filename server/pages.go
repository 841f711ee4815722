package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/web"
)

// handleRoot sends a visitor to the home page in their language.
func (s *Server) handleRoot(c *echo.Context) error {
	lang := web.Negotiate(c.Request().Header.Get("Accept-Language"))
	c.Response().Header().Add("Vary", "Accept-Language")
	return c.Redirect(http.StatusSeeOther, "/"+lang+"/")
}

// handleLessonNoLang sends /lessons/x to /{lang}/lessons/x, keeping the query.
func (s *Server) handleLessonNoLang(c *echo.Context) error {
	lang := web.Negotiate(c.Request().Header.Get("Accept-Language"))
	c.Response().Header().Add("Vary", "Accept-Language")
	u := "/" + lang + "/lessons/" + url.PathEscape(c.Param("slug"))
	if q := c.QueryString(); q != "" {
		u += "?" + q
	}
	return c.Redirect(http.StatusSeeOther, u)
}

func (s *Server) handleHomeNoSlash(c *echo.Context) error {
	lang, err := s.lang(c)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusMovedPermanently, "/"+lang+"/")
}

// lang reads the :lang path segment; an unknown one is a 404.
func (s *Server) lang(c *echo.Context) (string, error) {
	lang := c.Param("lang")
	if !web.HasLocale(lang) {
		return "", echo.ErrNotFound
	}
	return lang, nil
}

func (s *Server) handleHome(c *echo.Context) error {
	lang, err := s.lang(c)
	if err != nil {
		return err
	}
	cat, err := s.lessonsNow()
	if err != nil {
		return err
	}
	var groups []web.HomeGroup
	for _, g := range lessons.Groups {
		hg := web.HomeGroup{ID: g}
		for _, l := range cat.Lessons {
			if l.Group == g {
				hg.Lessons = append(hg.Lessons, l)
			}
		}
		if len(hg.Lessons) > 0 {
			groups = append(groups, hg)
		}
	}
	p := web.Page{Lang: lang, Title: web.T(lang, "home.title"), Path: "/"}
	return render(c, http.StatusOK, web.Home(p, groups))
}

// lesson finds the lesson in the path, or a 404.
func (s *Server) lesson(c *echo.Context) (string, *lessons.Lesson, error) {
	lang, l, _, err := s.lessonIn(c)
	return lang, l, err
}

// lessonIn is lesson, also returning the catalog it came from (reloaded
// from disk in dev mode, so a handler needing both loads it once).
func (s *Server) lessonIn(c *echo.Context) (string, *lessons.Lesson, *lessons.Catalog, error) {
	lang, err := s.lang(c)
	if err != nil {
		return "", nil, nil, err
	}
	cat, err := s.lessonsNow()
	if err != nil {
		return "", nil, nil, err
	}
	l := cat.Get(c.Param("slug"))
	if l == nil {
		return "", nil, nil, echo.ErrNotFound
	}
	return lang, l, cat, nil
}

// handleLesson renders a lesson. Parameters in the query fill the form (and
// any that are refused are marked), so a link reproduces a run's settings.
//
// Outside Dev, each page is rendered once per address (language, slug and
// query string as sent) and then served from the page cache.
func (s *Server) handleLesson(c *echo.Context) error {
	key := c.Param("lang") + "/" + c.Param("slug") + "?" + c.Request().URL.RawQuery
	if !s.cfg.Dev {
		if p := s.pages.get(key); p != nil {
			return sendPage(c, p)
		}
	}
	lang, l, cat, err := s.lessonIn(c)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	v := web.LessonView{
		Page:   web.Page{Lang: lang, Title: l.Title[lang], Path: "/lessons/" + l.Slug, Query: q.Encode()},
		Lesson: l,
	}
	for _, slug := range l.SeeAlso {
		if other := cat.Get(slug); other != nil {
			v.SeeAlso = append(v.SeeAlso, other)
		}
	}
	status := http.StatusOK
	for _, id := range l.Scenarios {
		sc := s.reg.Get(id)
		vals, probs := sc.Parse(q)
		if len(probs) > 0 {
			status = http.StatusUnprocessableEntity
		}
		v.Plays = append(v.Plays, s.play(lang, l, sc, vals, probs))
	}
	var buf bytes.Buffer
	if err := web.LessonPage(v).Render(c.Request().Context(), &buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if s.cfg.Dev {
		return c.HTMLBlob(status, buf.Bytes())
	}
	return sendPage(c, s.pages.put(key, status, buf.Bytes()))
}

// handlePlay answers the Run button: the play area again, either with the
// problems marked (422, nothing runs) or with the WebSocket that runs it.
// The address bar is set to the lesson with these parameters, so the link
// reproduces the run.
func (s *Server) handlePlay(c *echo.Context) error {
	lang, l, err := s.lesson(c)
	if err != nil {
		return err
	}
	sc := s.scenarioOf(l, c.Param("scenario"))
	if sc == nil {
		return echo.ErrNotFound
	}
	vals, probs := sc.Parse(c.QueryParams())
	pv := s.play(lang, l, sc, vals, probs)
	q := c.QueryParams()
	pv.Embed, pv.Panes = q.Get("embed") == "1", panes(q.Get("panes"))
	c.Response().Header().Set("Vary", "HX-Request")
	if len(probs) > 0 {
		return render(c, http.StatusUnprocessableEntity, web.Play(pv))
	}
	query := vals.Query().Encode()
	pv.RunURL = "/ws/run/" + lang + "/" + l.Slug + "/" + sc.ID + "?" + query
	if !pv.Embed {
		c.Response().Header().Set("HX-Push-Url", "/"+lang+"/lessons/"+l.Slug+"?"+query)
	}
	if c.Request().Header.Get("HX-Request") == "" {
		// Without htmx (or on a history restore) send the whole page.
		return c.Redirect(http.StatusSeeOther, "/"+lang+"/lessons/"+l.Slug+"?"+query)
	}
	return render(c, http.StatusOK, web.Play(pv))
}

func (s *Server) scenarioOf(l *lessons.Lesson, id string) *scenario.Scenario {
	for _, sid := range l.Scenarios {
		if sid == id {
			return s.reg.Get(id)
		}
	}
	return nil
}

// paramsShown lists the values of a run (q, its canonical query) under the
// lesson's labels, to show beside its code: delays drawn from the seed are
// not listed (the seed is), and the seed is not when the delays were typed.
func paramsShown(lang string, l *lessons.Lesson, sc *scenario.Scenario, q url.Values) []web.ParamValue {
	drawn := func(v string) bool { return v == "" || strings.EqualFold(v, "random") } // from the seed
	var out []web.ParamValue
	for _, p := range sc.Params {
		if drawn(q.Get(p.Name)) || p.Name == "seed" && !drawn(q.Get("delays")) {
			continue
		}
		label := l.Params[p.Name].Label[lang]
		if label == "" {
			label = p.Name
		}
		out = append(out, web.ParamValue{Label: label, Value: q.Get(p.Name)})
	}
	return out
}

// pythonCode is sc's Python pane for a run with vals: the program with
// vals' constants written in, so that a page with parameters shows
// LIMIT = 2 when the run will take 2. At the defaults, or when Parse found
// problems (the values are not usable), it is the pane highlighted at
// start-up.
func (s *Server) pythonCode(sc *scenario.Scenario, vals scenario.Values, probs []scenario.Problem) web.Code {
	def := s.code[sc.ID][0]
	if len(probs) > 0 {
		return def
	}
	src := sc.PythonSourceFor(vals)
	if src.Code == def.Raw {
		return def
	}
	c, err := web.Highlight(src.Name, "python", src.Code, src.FirstLine)
	if err != nil {
		return def // not for a language Highlight knows: cannot happen here
	}
	return c
}

func (s *Server) play(lang string, l *lessons.Lesson, sc *scenario.Scenario, vals scenario.Values, probs []scenario.Problem) web.PlayView {
	code := s.code[sc.ID]
	code[0] = s.pythonCode(sc, vals, probs)
	title := ""
	if i := slices.Index(l.Scenarios, sc.ID); len(l.Scenarios) > 1 && i >= 0 {
		title = fmt.Sprintf("%d. %s", i+1, l.ScenarioTitles[sc.ID][lang])
	}
	pv := web.PlayView{Title: title, Lang: lang, Lesson: l.Slug, Scenario: sc, Python: code[0], Go: code[1], Labels: l.Params,
		Values: map[string]string{}, Problems: map[string]string{}, NoPython: s.cfg.Python == nil}
	for _, p := range sc.Params {
		pv.Values[p.Name] = vals.Raw(p.Name)
	}
	for _, p := range probs {
		pv.Problems[p.Param] = web.ProblemText(lang, p)
	}
	return pv
}
