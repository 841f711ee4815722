package lessons

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// anyScenario accepts every scenario id: the embedded content is checked
// against the real registry by the server's tests.
func anyScenario(string) ([]string, bool) { return nil, true }

func known(id string) ([]string, bool) {
	if id == "semaphore" {
		return []string{"limit"}, true
	}
	return nil, false
}

func TestEmbeddedLoads(t *testing.T) {
	c, err := Load(Embedded(), anyScenario)
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
	c, err := Load(Embedded(), anyScenario)
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

const goodLesson = `{"number":9,"group":"limits","scenarios":["semaphore"],
	"title":{"en":"T","ja":"T","zh":"T"},"summary":{"en":"S","ja":"S","zh":"S"},
	"params":{"limit":{"label":{"en":"L","ja":"L","zh":"L"},"help":{"en":"H","ja":"H","zh":"H"}}},
	"quiz":[{"id":"q","scenario":"semaphore","question":{"en":"Q","ja":"Q","zh":"Q"},"answer":{"en":"A","ja":"A","zh":"A"}}]}`

func goodFS() fstest.MapFS {
	return fstest.MapFS{
		"index.json":            {Data: []byte(`{"lessons":["semaphore"]}`)},
		"semaphore/lesson.json": {Data: []byte(goodLesson)},
		"semaphore/en.md":       {Data: []byte("## A\n")},
		"semaphore/ja.md":       {Data: []byte("## A\n")},
		"semaphore/zh.md":       {Data: []byte("## A\n")},
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	if _, err := Load(goodFS(), known); err != nil {
		t.Fatalf("Load(good) = %v; want nil", err)
	}
	lesson := func(old, new string) func(fstest.MapFS) {
		return func(m fstest.MapFS) {
			m["semaphore/lesson.json"] = &fstest.MapFile{Data: []byte(strings.Replace(goodLesson, old, new, 1))}
		}
	}
	for _, tc := range []struct {
		name   string
		change func(fstest.MapFS)
		want   string
	}{
		{"missing translation", func(m fstest.MapFS) { delete(m, "semaphore/zh.md") }, "semaphore/zh.md"},
		{"missing title", lesson(`"title":{"en":"T","ja":"T","zh":"T"}`, `"title":{"en":"T","ja":"T"}`), `semaphore/lesson.json: no title in "zh"`},
		{"unknown scenario", lesson(`"scenarios":["semaphore"]`, `"scenarios":["nope"]`), `semaphore/lesson.json: scenario "nope" is not registered`},
		{"unlabelled parameter", lesson(`"params":{"limit"`, `"params":{"limits"`), `no label for parameter "limit"`},
		{"parameter help missing in ja", lesson(`"help":{"en":"H","ja":"H"`, `"help":{"en":"H","ja":""`), `parameter "limit" has no label or help in "ja"`},
		{"quiz without answer", lesson(`"answer":{"en":"A","ja":"A","zh":"A"}`, `"answer":{"en":"A"}`), `quiz question "q" has no question or answer in "ja"`},
		{"quiz on another scenario", lesson(`"id":"q","scenario":"semaphore"`, `"id":"q","scenario":"lock"`), "quiz question 1"},
		{"see also nowhere", lesson(`"number":9,`, `"number":9,"see_also":["gone"],`), `see_also "gone"`},
		{"unknown field", lesson(`"number":9`, `"numbr":9`), "semaphore/lesson.json"},
		{"bad group", lesson(`"group":"limits"`, `"group":"misc"`), `group "misc"`},
		{"lesson missing", func(m fstest.MapFS) {
			m["index.json"] = &fstest.MapFile{Data: []byte(`{"lessons":["semaphore","gone"]}`)}
		}, "gone/lesson.json"},
		{"no index", func(m fstest.MapFS) { delete(m, "index.json") }, "index.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := goodFS()
			tc.change(m)
			_, err := Load(fs.FS(m), known)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load = %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestProseEscapesHTML(t *testing.T) {
	m := goodFS()
	m["semaphore/en.md"] = &fstest.MapFile{Data: []byte("<script>alert(1)</script>\n")}
	c, err := Load(m, known)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(c.Get("semaphore").Prose["en"]); strings.Contains(got, "<script>") {
		t.Errorf("prose = %q; want raw HTML left out", got)
	}
}

func TestPrevNext(t *testing.T) {
	m := goodFS()
	m["index.json"] = &fstest.MapFile{Data: []byte(`{"lessons":["semaphore","second"]}`)}
	for _, f := range []string{"lesson.json", "en.md", "ja.md", "zh.md"} {
		m["second/"+f] = m["semaphore/"+f]
	}
	c, err := Load(m, known)
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Get("semaphore"), c.Get("second")
	if a.Prev != nil || a.Next != b || b.Prev != a || b.Next != nil {
		t.Errorf("prev/next = %v %v %v %v; want semaphore <-> second", a.Prev, a.Next, b.Prev, b.Next)
	}
}
