package lessons

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func known(id string) bool { return id == "semaphore" }

func TestEmbeddedLoads(t *testing.T) {
	c, err := Load(Embedded(), known)
	if err != nil {
		t.Fatalf("Load(Embedded()) = %v", err)
	}
	l := c.Get("semaphore")
	if l == nil {
		t.Fatal(`Get("semaphore") = nil`)
	}
	for _, loc := range Locales {
		if !strings.Contains(string(l.Prose[loc]), "<h2>") {
			t.Errorf("prose in %s has no sections", loc)
		}
	}
}

// TestSectionsInEveryLocale fails when a lesson's prose in one language is
// missing a section the English has: the count of ## headings must match.
func TestSectionsInEveryLocale(t *testing.T) {
	c, err := Load(Embedded(), known)
	if err != nil {
		t.Fatal(err)
	}
	h2 := regexp.MustCompile(`<h2>`)
	for _, l := range c.Lessons {
		want := len(h2.FindAllString(string(l.Prose["en"]), -1))
		for _, loc := range Locales[1:] {
			if got := len(h2.FindAllString(string(l.Prose[loc]), -1)); got != want {
				t.Errorf("%s/%s.md has %d sections; en.md has %d", l.Slug, loc, got, want)
			}
		}
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	good := func() fstest.MapFS {
		return fstest.MapFS{
			"index.json": {Data: []byte(`{"lessons":["semaphore"]}`)},
			"semaphore/lesson.json": {Data: []byte(`{"number":9,"group":"limits","scenarios":["semaphore"],
				"title":{"en":"T","ja":"T"},"summary":{"en":"S","ja":"S"}}`)},
			"semaphore/en.md": {Data: []byte("## A\n")},
			"semaphore/ja.md": {Data: []byte("## A\n")},
		}
	}
	if _, err := Load(good(), known); err != nil {
		t.Fatalf("Load(good) = %v; want nil", err)
	}
	for _, tc := range []struct {
		name   string
		break_ func(fstest.MapFS)
		want   string
	}{
		{"missing translation", func(m fstest.MapFS) { delete(m, "semaphore/ja.md") }, "semaphore/ja.md"},
		{"missing title", func(m fstest.MapFS) {
			m["semaphore/lesson.json"] = &fstest.MapFile{Data: []byte(`{"number":9,"group":"limits","scenarios":["semaphore"],"title":{"en":"T"},"summary":{"en":"S","ja":"S"}}`)}
		}, `semaphore/lesson.json: no title in "ja"`},
		{"unknown scenario", func(m fstest.MapFS) {
			m["semaphore/lesson.json"] = &fstest.MapFile{Data: []byte(`{"number":9,"group":"limits","scenarios":["nope"],"title":{"en":"T","ja":"T"},"summary":{"en":"S","ja":"S"}}`)}
		}, `semaphore/lesson.json: scenario "nope" is not registered`},
		{"unknown field", func(m fstest.MapFS) {
			m["semaphore/lesson.json"] = &fstest.MapFile{Data: []byte(`{"numbr":9}`)}
		}, "semaphore/lesson.json"},
		{"lesson missing", func(m fstest.MapFS) {
			m["index.json"] = &fstest.MapFile{Data: []byte(`{"lessons":["semaphore","gone"]}`)}
		}, "gone/lesson.json"},
		{"no index", func(m fstest.MapFS) { delete(m, "index.json") }, "index.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := good()
			tc.break_(m)
			_, err := Load(fs.FS(m), known)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load = %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestProseEscapesHTML(t *testing.T) {
	m := fstest.MapFS{
		"index.json":            {Data: []byte(`{"lessons":["semaphore"]}`)},
		"semaphore/lesson.json": {Data: []byte(`{"number":9,"group":"limits","scenarios":["semaphore"],"title":{"en":"T","ja":"T"},"summary":{"en":"S","ja":"S"}}`)},
		"semaphore/en.md":       {Data: []byte("<script>alert(1)</script>\n")},
		"semaphore/ja.md":       {Data: []byte("ok\n")},
	}
	c, err := Load(m, known)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(c.Get("semaphore").Prose["en"]); strings.Contains(got, "<script>") {
		t.Errorf("prose = %q; want raw HTML left out", got)
	}
}
