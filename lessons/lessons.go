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

	"github.com/yuin/goldmark"
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
var Locales = []string{"en", "ja"}

// Lesson is one lesson, ready to render.
type Lesson struct {
	Slug      string
	Number    int
	Group     string
	Scenarios []string
	Title     map[string]string        // by locale
	Summary   map[string]string        // one line, by locale
	Prose     map[string]template.HTML // rendered Markdown, by locale
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
	Number    int               `json:"number"`
	Group     string            `json:"group"`
	Scenarios []string          `json:"scenarios"`
	Title     map[string]string `json:"title"`
	Summary   map[string]string `json:"summary"`
}

// Groups are the parts of the course, in order.
var Groups = []string{"basics", "many", "limits", "blocking", "together"}

// Load reads index.json and each lesson it names from fsys and checks them:
// every locale has a title, a summary and prose; every scenario is one that
// hasScenario knows. An error names the file at fault.
func Load(fsys fs.FS, hasScenario func(id string) bool) (*Catalog, error) {
	var idx indexFile
	if err := readJSON(fsys, "index.json", &idx); err != nil {
		return nil, err
	}
	if len(idx.Lessons) == 0 {
		return nil, errors.New("index.json: no lessons listed")
	}
	c := &Catalog{bySlug: map[string]*Lesson{}}
	md := goldmark.New()
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
			if !hasScenario(id) {
				return nil, fmt.Errorf("%s: scenario %q is not registered", name, id)
			}
		}
		l := &Lesson{Slug: slug, Number: lf.Number, Group: lf.Group, Scenarios: lf.Scenarios,
			Title: lf.Title, Summary: lf.Summary, Prose: map[string]template.HTML{}}
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
			if err := md.Convert(src, &buf); err != nil {
				return nil, fmt.Errorf("%s: %w", prose, err)
			}
			// goldmark escapes raw HTML by default, so the prose holds only
			// what Markdown makes.
			l.Prose[loc] = template.HTML(buf.String())
		}
		c.Lessons = append(c.Lessons, l)
		c.bySlug[slug] = l
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
