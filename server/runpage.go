package server

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v5"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
	"github.com/asyncplay/asyncplay/web"
)

// handleRunNoLang sends /runs/{id} to the visitor's language, keeping ?t=.
func (s *Server) handleRunNoLang(c *echo.Context) error {
	lang := web.Negotiate(c.Request().Header.Get("Accept-Language"))
	c.Response().Header().Add("Vary", "Accept-Language")
	u := "/" + lang + "/runs/" + url.PathEscape(c.Param("id"))
	if q := c.QueryString(); q != "" {
		u += "?" + q
	}
	return c.Redirect(http.StatusSeeOther, u)
}

// handleRun shows a finished run from the store with the player, its cursor
// at ?t= seconds. A run that has been evicted gets a 410 page that offers to
// run it again with the same parameters, when the link says which.
func (s *Server) handleRun(c *echo.Context) error {
	lang, err := s.lang(c)
	if err != nil {
		return err
	}
	r := s.runs.get(c.Param("id"))
	if r == nil {
		p := web.Page{Lang: lang, Title: web.T(lang, "error.title"), Path: "/runs/" + c.Param("id"), Query: c.QueryString()}
		again := ""
		if cat, err := s.lessonsNow(); err == nil && cat.Get(c.QueryParam("lesson")) != nil {
			again = "/" + lang + "/lessons/" + c.QueryParam("lesson")
			if q, err := url.ParseQuery(c.QueryParam("q")); err == nil && len(q) > 0 {
				again += "?" + q.Encode()
			}
		}
		return render(c, http.StatusGone, web.RunExpired(p, again))
	}
	cat, err := s.lessonsNow()
	if err != nil {
		return err
	}
	l := cat.Get(r.Lesson)
	sc := s.reg.Get(r.Scenario)
	if l == nil || sc == nil {
		return echo.ErrNotFound
	}
	sides := map[scenarios.Runtime]*side{}
	for _, rt := range scenarios.Runtimes {
		sd := &side{ended: true, status: r.Status[rt], errs: r.Errs[rt]}
		for _, e := range r.Events[rt] {
			sd.tl.Add(e)
		}
		sides[rt] = sd
	}
	vals, probs := sc.Parse(r.Query)
	f := buildFrame(lang, r.Names, sides, 0, true, capsOf(sc, vals))
	f.RunID, f.Replay, f.Lesson, f.Query = r.ID, true, r.Lesson, r.Query.Encode()
	if t, err := strconv.ParseFloat(c.QueryParam("t"), 64); err == nil && t >= 0 {
		f.StartAt = min(timeline.Seconds(t), f.Now)
	}
	pv := s.play(lang, l, sc, vals, probs) // a query an older build stored may no longer parse
	v := web.RunPageView{
		Page:   web.Page{Lang: lang, Title: l.Title[lang], Path: "/runs/" + r.ID, Query: c.QueryString()},
		Lesson: l, Play: pv, Frame: f,
		Again: "/" + lang + "/lessons/" + l.Slug + "?" + r.Query.Encode(),
		When:  r.Finished, Params: paramsShown(lang, l, sc, r.Query),
	}
	return render(c, http.StatusOK, web.RunPage(v))
}
