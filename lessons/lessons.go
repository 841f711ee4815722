// Package lessons is the catalog: lesson content kept as data (an index, one
// folder per lesson with its metadata and its prose in each language), read
// once from an fs.FS and checked before the server starts.
package lessons

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Content is the lesson content built into the binary.
//
//go:embed content
var content embed.FS

// Embedded returns the built-in content as an fs.FS rooted at the content folder.
func Embedded() fs.FS {
	sub, err := fs.Sub(content, "content")
	if err != nil {
		panic(err)
	}
	return sub
}

// Locales are the languages every lesson is written in, the first the default.
var Locales = []string{"en", "ja", "zh"}

// Lesson is one lesson, ready to render.
type Lesson struct {
	Slug      string
	Number    int
	Group     string
	Scenarios []string
	// ScenarioTitles name each scenario of a lesson that runs more than
	// one (by scenario id, then locale), as headings over their programs.
	ScenarioTitles map[string]map[string]string
	Title          map[string]string        // by locale
	Summary        map[string]string        // one line, by locale
	Prose          map[string]template.HTML // rendered Markdown, by locale
	SeeAlso        []string                 // slugs of lessons that connect to this one
	Params         map[string]ParamText     // labels for the scenarios' parameters, by name
	Quiz           []Question               // questions for predict-then-run
	Prev           *Lesson                  // the lesson before, in course order
	Next           *Lesson                  // the lesson after
}

// ParamText is a parameter's label and help, by locale.
type ParamText struct {
	Label map[string]string `json:"label"`
	Help  map[string]string `json:"help"`
}

// Question is a "predict, then run" question about a lesson's scenario: the
// question, the choices (if it is multiple choice) and the answer, which the
// run reveals.
type Question struct {
	ID       string              `json:"id"`
	Scenario string              `json:"scenario"`
	Question map[string]string   `json:"question"`
	Choices  []map[string]string `json:"choices,omitempty"`
	Answer   map[string]string   `json:"answer"`
	Explain  map[string]string   `json:"explain,omitempty"`
}

// Catalog is every lesson in course order.
type Catalog struct {
	Lessons []*Lesson
	bySlug  map[string]*Lesson
}

// Get returns the lesson with slug, or nil.
func (c *Catalog) Get(slug string) *Lesson { return c.bySlug[slug] }

type indexFile struct {
	Lessons []string `json:"lessons"`
}

type lessonFile struct {
	Number    int                          `json:"number"`
	Group     string                       `json:"group"`
	Scenarios []string                     `json:"scenarios"`
	Titles    map[string]map[string]string `json:"scenario_titles"`
	Title     map[string]string            `json:"title"`
	Summary   map[string]string            `json:"summary"`
	SeeAlso   []string                     `json:"see_also"`
	Params    map[string]ParamText         `json:"params"`
	Quiz      []Question                   `json:"quiz"`
}

// Groups are the parts of the course, in order.
var Groups = []string{"basics", "many", "limits", "blocking", "together"}

// ScenarioParams says whether a scenario id is registered and, if so, the
// names of its parameters.
type ScenarioParams func(id string) (params []string, ok bool)

// Load reads index.json and each lesson it names from fsys and checks them:
// every locale has a title, a summary, prose, a label and help for every
// parameter of every scenario the lesson runs, and the text of every quiz
// question; every scenario is registered; every "see also" is a lesson. An
// error names the file at fault.
func Load(fsys fs.FS, scenarios ScenarioParams) (*Catalog, error) {
	var idx indexFile
	if err := readJSON(fsys, "index.json", &idx); err != nil {
		return nil, err
	}
	if len(idx.Lessons) == 0 {
		return nil, errors.New("index.json: no lessons listed")
	}
	c := &Catalog{bySlug: map[string]*Lesson{}}
	md := map[string]goldmark.Markdown{}
	for _, loc := range Locales {
		md[loc] = newMarkdown(loc)
	}
	for _, slug := range idx.Lessons {
		if c.bySlug[slug] != nil {
			return nil, fmt.Errorf("index.json: lesson %q listed twice", slug)
		}
		name := path.Join(slug, "lesson.json")
		var lf lessonFile
		if err := readJSON(fsys, name, &lf); err != nil {
			return nil, err
		}
		if !slices.Contains(Groups, lf.Group) {
			return nil, fmt.Errorf("%s: group %q is not one of %v", name, lf.Group, Groups)
		}
		if len(lf.Scenarios) == 0 {
			return nil, fmt.Errorf("%s: no scenarios", name)
		}
		for _, id := range lf.Scenarios {
			params, ok := scenarios(id)
			if !ok {
				return nil, fmt.Errorf("%s: scenario %q is not registered", name, id)
			}
			for _, p := range params {
				pt, ok := lf.Params[p]
				if !ok {
					return nil, fmt.Errorf("%s: no label for parameter %q of scenario %q", name, p, id)
				}
				for _, loc := range Locales {
					if pt.Label[loc] == "" || pt.Help[loc] == "" {
						return nil, fmt.Errorf("%s: parameter %q has no label or help in %q", name, p, loc)
					}
				}
			}
		}
		for _, id := range lf.Scenarios {
			for _, loc := range Locales {
				if len(lf.Scenarios) > 1 && lf.Titles[id][loc] == "" {
					return nil, fmt.Errorf("%s: scenario %q has no title in %q (a lesson with several scenarios names each in scenario_titles)", name, id, loc)
				}
			}
		}
		for id := range lf.Titles {
			if !slices.Contains(lf.Scenarios, id) {
				return nil, fmt.Errorf("%s: scenario_titles names %q, which is not one of the lesson's scenarios", name, id)
			}
		}
		for i, q := range lf.Quiz {
			if q.ID == "" || !slices.Contains(lf.Scenarios, q.Scenario) {
				return nil, fmt.Errorf("%s: quiz question %d needs an id and one of the lesson's scenarios", name, i+1)
			}
			for _, loc := range Locales {
				if q.Question[loc] == "" || q.Answer[loc] == "" {
					return nil, fmt.Errorf("%s: quiz question %q has no question or answer in %q", name, q.ID, loc)
				}
				for j, c := range q.Choices {
					if c[loc] == "" {
						return nil, fmt.Errorf("%s: quiz question %q choice %d has no text in %q", name, q.ID, j+1, loc)
					}
				}
			}
		}
		l := &Lesson{Slug: slug, Number: lf.Number, Group: lf.Group, Scenarios: lf.Scenarios, ScenarioTitles: lf.Titles,
			Title: lf.Title, Summary: lf.Summary, Prose: map[string]template.HTML{},
			SeeAlso: lf.SeeAlso, Params: lf.Params, Quiz: lf.Quiz}
		for _, loc := range Locales {
			if lf.Title[loc] == "" {
				return nil, fmt.Errorf("%s: no title in %q", name, loc)
			}
			if lf.Summary[loc] == "" {
				return nil, fmt.Errorf("%s: no summary in %q", name, loc)
			}
			prose := path.Join(slug, loc+".md")
			src, err := fs.ReadFile(fsys, prose)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", prose, err)
			}
			var buf bytes.Buffer
			if err := md[loc].Convert(src, &buf); err != nil {
				return nil, fmt.Errorf("%s: %w", prose, err)
			}
			// goldmark escapes raw HTML by default, so the prose holds only
			// what Markdown makes.
			l.Prose[loc] = template.HTML(buf.String())
		}
		if n := len(c.Lessons); n > 0 {
			l.Prev, c.Lessons[n-1].Next = c.Lessons[n-1], l
		}
		c.Lessons = append(c.Lessons, l)
		c.bySlug[slug] = l
	}
	for _, l := range c.Lessons {
		for _, other := range l.SeeAlso {
			if c.bySlug[other] == nil || other == l.Slug {
				return nil, fmt.Errorf("%s/lesson.json: see_also %q is not another lesson in index.json", l.Slug, other)
			}
		}
	}
	return c, nil
}

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// spaceless are the locales whose prose puts no space between words, so a
// line break in the Markdown source must not become one.
var spaceless = map[string]bool{"ja": true, "zh": true}

// newMarkdown is the Markdown converter for prose in loc. English is plain
// CommonMark: a soft line break is a space. Japanese and Chinese add
// softBreaks, which drops the breaks that their prose never writes as a
// space ("です。\n次に" reads "です。次に").
func newMarkdown(loc string) goldmark.Markdown {
	if !spaceless[loc] {
		return goldmark.New()
	}
	return goldmark.New(goldmark.WithParserOptions(parser.WithASTTransformers(
		util.Prioritized(softBreaks{}, 1000))))
}

// softBreaks drops each soft line break that joins (see below) says is no
// space, by what a reader sees on either side of it, through code, emphasis
// and links: "为止),\n离开" reads "为止),离开", "です。\n`cancel()`" reads
// "です。<code>cancel()</code>", and "コンテキストと\n`cancel`" keeps its
// space, as the same words on one line would. (goldmark's own East Asian
// line breaks drop a break only between two runs of plain text, and drop
// every break before code or a link in any language: yuin/goldmark#582,
// open at v1.8.7.)
type softBreaks struct{}

func (softBreaks) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	var breaks []*ast.Text
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if n.Kind() == ast.KindCodeSpan {
			return ast.WalkSkipChildren, nil // the code span renders its own breaks
		}
		if t, ok := n.(*ast.Text); ok && entering && t.SoftLineBreak() && !t.HardLineBreak() {
			breaks = append(breaks, t)
		}
		return ast.WalkContinue, nil
	})
	for _, t := range breaks {
		before, ok1 := runeBefore(t, src)
		after, ok2 := runeAfter(t, src)
		if ok1 && ok2 && joins(before, after) {
			t.SetSoftLineBreak(false)
		}
	}
}

// joins reports whether a line break between a and b is no space in Japanese
// or Chinese: between two East Asian characters, and between an East Asian
// character and punctuation, CJK or ASCII ("。", ")", ","), where the prose
// never puts a space either. Between an East Asian character and a Latin
// word, a number or code, the break stays a space, as the prose writes it.
func joins(a, b rune) bool {
	ea, eb := eastAsian(a), eastAsian(b)
	return (ea || eb) && (ea && eb || unicode.IsPunct(a) || unicode.IsPunct(b))
}

// eastAsian reports whether r is a wide East Asian character: Han, kana,
// CJK punctuation, full-width forms.
func eastAsian(r rune) bool {
	w := util.EastAsianWidth(r)
	return w == "W" || w == "F" || util.IsEastAsianWideRune(r)
}

// runeBefore is the last character a reader sees before t's line break.
func runeBefore(t *ast.Text, src []byte) (rune, bool) {
	if r, ok := edgeRune(t, src, false); ok {
		return r, true
	}
	for n := adjacentInline(t, false); n != nil; n = adjacentInline(n, false) {
		if r, ok := edgeRune(n, src, false); ok {
			return r, true
		}
	}
	return 0, false
}

// runeAfter is the first character a reader sees after t's line break.
func runeAfter(t *ast.Text, src []byte) (rune, bool) {
	for n := adjacentInline(t, true); n != nil; n = adjacentInline(n, true) {
		if r, ok := edgeRune(n, src, true); ok {
			return r, true
		}
	}
	return 0, false
}

// edgeRune is the first (or last) character of inline node n as read: code,
// an autolink or an image counts as a Latin word.
func edgeRune(n ast.Node, src []byte, first bool) (rune, bool) {
	var v []byte
	switch n := n.(type) {
	case *ast.Text:
		v = n.Segment.Value(src)
	case *ast.String:
		v = n.Value
	case *ast.CodeSpan, *ast.AutoLink, *ast.Image, *ast.RawHTML:
		return 'a', true
	default:
		c := n.FirstChild()
		if !first {
			c = n.LastChild()
		}
		for c != nil {
			if r, ok := edgeRune(c, src, first); ok {
				return r, true
			}
			if first {
				c = c.NextSibling()
			} else {
				c = c.PreviousSibling()
			}
		}
		return 0, false
	}
	if len(v) == 0 {
		return 0, false
	}
	var r rune
	if first {
		r, _ = utf8.DecodeRune(v)
	} else {
		r, _ = utf8.DecodeLastRune(v)
	}
	return r, true
}

// adjacentInline is the inline node after n (or before it) in reading
// order, leaving the elements n closes or opens (emphasis, a link) but not
// its block; nil at the block's end (or start).
func adjacentInline(n ast.Node, after bool) ast.Node {
	for n != nil {
		s := n.PreviousSibling()
		if after {
			s = n.NextSibling()
		}
		if s != nil {
			return s
		}
		if n = n.Parent(); n == nil || n.Type() != ast.TypeInline {
			return nil
		}
	}
	return nil
}
