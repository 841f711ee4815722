package web

import (
	"fmt"
	"html"
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/asyncplay/asyncplay/scenarios"
)

// tok is a highlighted token as it appears in the output: its class and
// its text, unescaped.
type tok struct{ cls, text string }

var (
	tokenSpan  = regexp.MustCompile(`<span class="([a-z]+)">([^<]*)</span>`)
	numberSpan = regexp.MustCompile(`<span class="num" aria-hidden="true">[0-9-]+</span>`)
	anyTag     = regexp.MustCompile(`<[^>]*>`)
)

// tokens lists the classed spans of highlighted HTML, in order.
func tokens(h string) []tok {
	var out []tok
	for _, m := range tokenSpan.FindAllStringSubmatch(h, -1) {
		if m[1] == "ln" || m[1] == "num" {
			continue
		}
		out = append(out, tok{m[1], html.UnescapeString(m[2])})
	}
	return out
}

// classesOf returns the classes text was given (one per occurrence as a
// whole token).
func classesOf(toks []tok, text string) []string {
	var cls []string
	for _, t := range toks {
		if t.text == text {
			cls = append(cls, t.cls)
		}
	}
	return cls
}

// plainText strips the line numbers and every tag and unescapes what is
// left: the source again.
func plainText(h string) string {
	return html.UnescapeString(anyTag.ReplaceAllString(numberSpan.ReplaceAllString(h, ""), ""))
}

// checkShape checks what every highlight must be: the source again once the
// tags are gone, one line element per line, each well-formed on its own,
// and only known classes.
func checkShape(t *testing.T, name, lang, src string, firstLine int) string {
	t.Helper()
	c, err := Highlight(name, lang, src, firstLine)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	h := string(c.HTML)
	if c.Raw != src || c.Lang != lang || c.Title != name {
		t.Errorf("%s: Code = {%q, %q, Raw %d bytes}; want the arguments back", name, c.Title, c.Lang, len(c.Raw))
	}
	want := src
	if src != "" && !strings.HasSuffix(src, "\n") {
		want += "\n" // the last line gets a newline, as every line does
	}
	if got := plainText(h); got != want {
		t.Errorf("%s: the output's text differs from the source:\n got %q\nwant %q\nhtml %q", name, got, want, h)
	}
	const head, tail = `<pre class="chroma"><code>`, `</code></pre>`
	if !strings.HasPrefix(h, head) || !strings.HasSuffix(h, tail) {
		t.Fatalf("%s: output not wrapped in %s...%s: %q", name, head, tail, h)
	}
	body := strings.TrimSuffix(strings.TrimPrefix(h, head), tail)
	lines := strings.Count(want, "\n")
	if got := strings.Count(body, `<span class="ln"`); got != lines {
		t.Errorf("%s: %d line elements; want %d", name, got, lines)
	}
	parts := strings.Split(body, "\n</span>")
	if parts[len(parts)-1] != "" {
		t.Errorf("%s: text after the last line: %q", name, parts[len(parts)-1])
	}
	for i, p := range parts[:len(parts)-1] {
		n := firstLine + i
		prefix := fmt.Sprintf(`<span class="ln" data-line="%d"><span class="num" aria-hidden="true">%d</span>`, n, n)
		if !strings.HasPrefix(p, prefix) {
			t.Errorf("%s: line %d starts %q; want %q", name, n, p[:min(len(p), len(prefix)+10)], prefix)
			continue
		}
		inner := strings.TrimPrefix(p, prefix)
		if strings.Contains(inner, "\n") {
			t.Errorf("%s: line %d holds a newline: %q", name, n, inner)
		}
		depth := 0
		for rest := inner; rest != ""; {
			i := strings.IndexByte(rest, '<')
			if i < 0 {
				break
			}
			rest = rest[i:]
			switch {
			case strings.HasPrefix(rest, "</span>"):
				depth--
			case strings.HasPrefix(rest, `<span class="`):
				depth++
				if depth > 1 {
					t.Errorf("%s: line %d has nested token spans: %q", name, n, inner)
				}
			default:
				t.Errorf("%s: line %d has an unexpected tag: %q", name, n, inner)
			}
			if depth < 0 {
				t.Errorf("%s: line %d closes a span it did not open: %q", name, n, inner)
				break
			}
			rest = rest[1:]
		}
		if depth != 0 {
			t.Errorf("%s: line %d leaves %d spans open: %q", name, n, depth, inner)
		}
	}
	known := map[string]bool{}
	for _, c := range palette {
		known[c.class] = true
	}
	for _, tk := range tokens(h) {
		if !known[tk.cls] {
			t.Errorf("%s: token %q has class %q, which CodeCSS does not colour", name, tk.text, tk.cls)
		}
		if tk.text == "" {
			t.Errorf("%s: an empty %q span", name, tk.cls)
		}
	}
	return h
}

type want struct {
	text, cls string // cls "" means: text appears, but never classed
}

func TestHighlightPython(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []want
	}{
		{"async def", "async def main() -> None:\n    await asyncio.sleep(1)\n    print(x)\n",
			[]want{{"async", "k"}, {"def", "k"}, {"main", "nf"}, {"await", "k"}, {"None", "kc"},
				{"asyncio", ""}, {"sleep", ""}, {"print", "nb"}, {"1", "m"}}},
		{"keywords", "for i in range(3):\n    if i is not None and not x or y: continue\n    else: break\nwith a as b: pass\ntry: raise\nexcept E: return\nfinally: yield\n",
			[]want{{"for", "k"}, {"in", "k"}, {"range", "nb"}, {"if", "k"}, {"is", "k"}, {"not", "k"}, {"and", "k"},
				{"or", "k"}, {"continue", "k"}, {"else", "k"}, {"break", "k"}, {"with", "k"}, {"as", "k"}, {"pass", "k"},
				{"try", "k"}, {"raise", "k"}, {"except", "k"}, {"return", "k"}, {"finally", "k"}, {"yield", "k"}}},
		{"more keywords", "import asyncio\nfrom . import x\nglobal g\nnonlocal n\nlambda: 0\nassert x\ndel y\nwhile x: elif_\n",
			[]want{{"import", "k"}, {"from", "k"}, {"global", "k"}, {"nonlocal", "k"}, {"lambda", "k"}, {"assert", "k"},
				{"del", "k"}, {"while", "k"}, {"elif_", ""}}},
		{"constants", "x = [True, False, None]\n", []want{{"True", "kc"}, {"False", "kc"}, {"None", "kc"}}},
		{"builtins", "len(xs); isinstance(e, ValueError)\nraise RuntimeError('no')\nexcept TimeoutError:\nsorted(enumerate(zip(a, b)))\n",
			[]want{{"len", "nb"}, {"isinstance", "nb"}, {"ValueError", "nb"}, {"RuntimeError", "nb"},
				{"TimeoutError", "nb"}, {"sorted", "nb"}, {"enumerate", "nb"}, {"zip", "nb"}}},
		{"attributes are not builtins", "except asyncio.TimeoutError:\nasyncio.sleep\nself.print()\nasyncio.gather()\n",
			[]want{{"TimeoutError", ""}, {"print", ""}, {"asyncio", ""}, {"gather", ""}, {"sleep", ""}}},
		{"keyword argument", "f(type=int, id == 3)\n", []want{{"type", ""}, {"int", "nb"}, {"id", "nb"}}},
		{"class", "class Worker(Base):\n    def __init__(self):\n        pass\n",
			[]want{{"class", "k"}, {"Worker", "nc"}, {"Base", ""}, {"__init__", "nf"}, {"self", ""}}},
		{"decorators", "@dataclass\nclass A: ...\n\n@functools.lru_cache(maxsize=3)\nasync def f(): pass\nx = a @ b\n",
			[]want{{"@dataclass", "nd"}, {"A", "nc"}, {"@functools.lru_cache", "nd"}, {"maxsize", ""}, {"f", "nf"}, {"@", ""}}},
		{"indented decorator", "class A:\n    @property\n    def p(self): ...\n",
			[]want{{"@property", "nd"}, {"p", "nf"}}},
		{"strings", `a = "dq" + 'sq' + "it's" + 'say "hi"' + "esc \" aped"` + "\n",
			[]want{{`"dq"`, "s"}, {`'sq'`, "s"}, {`"it's"`, "s"}, {`'say "hi"'`, "s"}, {`"esc \" aped"`, "s"}}},
		{"prefixes", `r'\d' b"x" f'{y}' rb'\x' BR"z" Rf"{q}" fR'w' u'v' rB"t"` + "\n",
			[]want{{`r'\d'`, "s"}, {`b"x"`, "s"}, {`f'{y}'`, "s"}, {`rb'\x'`, "s"}, {`BR"z"`, "s"},
				{`Rf"{q}"`, "s"}, {`fR'w'`, "s"}, {`u'v'`, "s"}, {`rB"t"`, "s"}}},
		{"raw string keeps an escaped quote", `r"a\"b" + c` + "\n", []want{{`r"a\"b"`, "s"}, {"c", ""}}},
		{"f-strings", `print(f"took {t:.1f}s {x!r:>{w}} {{not}} {d['k']}")` + "\n",
			[]want{{"print", "nb"}, {`f"took {t:.1f}s {x!r:>{w}} {{not}} {d['k']}"`, "s"}}},
		{"f-string reusing its quotes (3.12)", `f"{", ".join(xs)}" + y` + "\n",
			[]want{{`f"{", ".join(xs)}"`, "s"}, {"y", ""}}},
		{"triple-quoted", "doc = \"\"\"one\n\"two\" 'three'\nfour\"\"\"\nx = '''a\n\nb'''\n",
			[]want{{`"""one`, "s"}, {`"two" 'three'`, "s"}, {`four"""`, "s"}, {`x`, ""}, {"'''a", "s"}, {"b'''", "s"}}},
		{"triple-quoted f-string", "f'''{a}\n{b!r}'''\n", []want{{"f'''{a}", "s"}, {"{b!r}'''", "s"}}},
		{"numbers", "n = [10, 1_000, 0xff, 0o17, 0b1010, 1.5, .5, 1e-3, 2j, 1.5E+10J, 0x_FF, 3.]\n",
			[]want{{"10", "m"}, {"1_000", "m"}, {"0xff", "m"}, {"0o17", "m"}, {"0b1010", "m"}, {"1.5", "m"},
				{".5", "m"}, {"1e-3", "m"}, {"2j", "m"}, {"1.5E+10J", "m"}, {"0x_FF", "m"}, {"3.", "m"}}},
		{"names with digits", "x1 = v2\n", []want{{"x1", ""}, {"v2", ""}}},
		{"comments", "# top\nx = 1  # trailing 'quote\n    # indented\n",
			[]want{{"# top", "c"}, {"# trailing 'quote", "c"}, {"# indented", "c"}, {"1", "m"}}},
		{"hash in a string", `x = "# not a comment"` + "\n", []want{{`"# not a comment"`, "s"}}},
		{"soft keywords", "match cmd:\n    case [x, *rest]:\n        pass\n    case _:\n        pass\ntype Pair = tuple[int, int]\n",
			[]want{{"match", "k"}, {"case", "k"}, {"type", "k"}, {"Pair", ""}, {"tuple", "nb"}}},
		{"soft keywords as names", "match = re.match(p, s)\ncase(1)\nprint(type(x))\ntype = 3\n",
			[]want{{"match", ""}, {"case", ""}, {"type", "nb"}}},
		{"unterminated string", "x = 'abc\ny = 1\n", []want{{"'abc", "s"}, {"y", ""}, {"1", "m"}}},
		{"unterminated at the end", `s = "abc`, []want{{`"abc`, "s"}}},
		{"unterminated triple at the end", "s = '''abc\ndef", []want{{"'''abc", "s"}, {"def", "s"}}},
		{"line continuation", "x = 1 + \\\n    2\n", []want{{"1", "m"}, {"2", "m"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := checkShape(t, tc.name, "python", tc.src, 1)
			checkWants(t, h, tc.want)
		})
	}
}

func TestHighlightGo(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []want
	}{
		{"func", "func downloadAll(ctx context.Context, n int) error {\n\treturn nil\n}\n",
			[]want{{"func", "kd"}, {"downloadAll", "nf"}, {"ctx", ""}, {"context", ""}, {"Context", ""},
				{"int", "kt"}, {"error", "kt"}, {"return", "k"}, {"nil", "kc"}}},
		{"method", "func (s *Server) Handle(w io.Writer) {}\n",
			[]want{{"s", ""}, {"Server", ""}, {"Handle", "nf"}, {"w", ""}}},
		{"generic func", "func Map[T any](xs []T) {}\n", []want{{"Map", "nf"}, {"any", "kt"}}},
		{"func literal", "go func(i int) {\n\tdefer wg.Done()\n}(i)\nf := func() string { return \"\" }\n",
			[]want{{"go", "k"}, {"func", "kd"}, {"int", "kt"}, {"defer", "k"}, {"Done", ""}, {"string", "kt"}}},
		{"concurrency", "ch := make(chan int, 3)\nselect {\ncase v := <-ch:\n\t_ = v\ndefault:\n}\n",
			[]want{{"make", "nb"}, {"chan", "k"}, {"select", "k"}, {"case", "k"}, {"default", "k"}, {"3", "m"}}},
		{"declarations", "package main\n\nimport \"sync\"\n\nvar mu sync.Mutex\nconst n = 3\ntype Job struct{ id int }\n",
			[]want{{"package", "kd"}, {"import", "kd"}, {"var", "kd"}, {"const", "kd"}, {"type", "kd"},
				{"Job", "nc"}, {"struct", "k"}, {`"sync"`, "s"}, {"Mutex", ""}}},
		{"type group", "type (\n\tA int\n\tB struct {\n\t\tx, y int\n\t}\n\tC = map[string]any\n)\n",
			[]want{{"A", "nc"}, {"B", "nc"}, {"C", "nc"}, {"x", ""}, {"y", ""}, {"map", "k"}}},
		{"constants and builtins", "x := []bool{true, false}\n_ = iota\nn := len(x) + cap(x)\nclose(ch); panic(recover())\n",
			[]want{{"true", "kc"}, {"false", "kc"}, {"iota", "kc"}, {"bool", "kt"}, {"len", "nb"},
				{"cap", "nb"}, {"close", "nb"}, {"panic", "nb"}, {"recover", "nb"}}},
		{"a builtin's name as a variable", "len := 3\nx = len\n", []want{{"len", ""}}},
		{"field named like a type", "x.string = y.len(3)\n", []want{{"string", ""}, {"len", ""}}},
		{"numbers", "a := []any{42, 0x1F, 1_000, 3.14, 1e9, 2i, 'x', '\\n'}\n",
			[]want{{"42", "m"}, {"0x1F", "m"}, {"1_000", "m"}, {"3.14", "m"}, {"1e9", "m"}, {"2i", "m"},
				{"'x'", "s"}, {`'\n'`, "s"}}},
		{"raw string across lines", "s := `one\n\n\"two\" <three>\n`\nt := 1\n",
			[]want{{"`one", "s"}, {`"two" <three>`, "s"}, {"`", "s"}, {"t", ""}, {"1", "m"}}},
		{"comments", "// line\nx := 1 /* inline */ + 2\n/* block\n   across */\n",
			[]want{{"// line", "c"}, {"/* inline */", "c"}, {"/* block", "c"}, {"   across */", "c"}, {"2", "m"}}},
		{"comment ends a line without a semicolon", "x := f() // c\ny()\n", []want{{"// c", "c"}}},
		{"fragment with errors", "\t\treturn 'ab\n#x \"open\n`raw\n", []want{{"return", "k"}}},
		{"no trailing newline", "}", nil},
		{"carriage returns", "// a\r\n/* b\r\n*/ s := `x\r\ny`\r\n", []want{{"/* b\r", "c"}, {"*/", "c"}, {"`x\r", "s"}, {"y`", "s"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := checkShape(t, tc.name, "go", tc.src, 7)
			checkWants(t, h, tc.want)
		})
	}
}

func checkWants(t *testing.T, h string, wants []want) {
	t.Helper()
	toks := tokens(h)
	for _, w := range wants {
		got := classesOf(toks, w.text)
		if w.cls == "" {
			if len(got) > 0 {
				t.Errorf("%q highlighted as %v; want it plain\n%s", w.text, got, h)
			} else if !strings.Contains(plainText(h), w.text) {
				t.Errorf("%q missing from the output\n%s", w.text, h)
			}
			continue
		}
		found := false
		for _, c := range got {
			found = found || c == w.cls
		}
		if !found {
			t.Errorf("%q has classes %v; want %q\n%s", w.text, got, w.cls, h)
		}
	}
}

func TestHighlightEscapes(t *testing.T) {
	for _, tc := range []struct{ lang, src string }{
		{"python", "if a < b and c > d & e: s = \"<b>&amp;</b>\" + 'it\\'s' # <!-- & -->\n"},
		{"go", "if a < b && c > d { s := \"<script>&</script>\" + `'\"` } // <i>\n"},
	} {
		h := checkShape(t, tc.lang, tc.lang, tc.src, 1)
		body := numberSpan.ReplaceAllString(h, "")
		text := anyTag.ReplaceAllString(body, "")
		for _, c := range []string{"<", ">", `"`, "'"} {
			if strings.Contains(text, c) {
				t.Errorf("%s: %q left unescaped in %q", tc.lang, c, text)
			}
		}
		if strings.Contains(html.UnescapeString(text), "&amp;") != strings.Contains(tc.src, "&amp;") {
			t.Errorf("%s: & escaped wrongly: %q", tc.lang, text)
		}
		if strings.Contains(strings.ReplaceAll(text, "&amp;", ""), "&a") {
			t.Errorf("%s: a bare & in %q", tc.lang, text)
		}
		if tc.lang == "python" && !strings.Contains(h, `<span class="s">&#34;&lt;b&gt;&amp;amp;&lt;/b&gt;&#34;</span>`) {
			t.Errorf("python: the string is not escaped as one token:\n%s", h)
		}
	}
}

func TestHighlightUnknownLanguage(t *testing.T) {
	_, err := Highlight("notes.rb", "ruby", "puts 1\n", 1)
	if err == nil || !strings.Contains(err.Error(), "notes.rb") || !strings.Contains(err.Error(), "ruby") {
		t.Errorf("Highlight(ruby) error = %v; want one naming the file and the language", err)
	}
}

// TestHighlightSnippets: every scenario's shown code, and every source file
// the scenarios embed, comes back whole, and the shown code is coloured.
func TestHighlightSnippets(t *testing.T) {
	all := scenarios.Default().All()
	if len(all) == 0 {
		t.Fatal("no scenarios")
	}
	for _, sc := range all {
		py, gs := sc.PythonSource(), sc.GoSource()
		ph := checkShape(t, sc.ID+"/"+py.Name, "python", py.Code, py.FirstLine)
		gh := checkShape(t, sc.ID+"/"+gs.Name, "go", gs.Code, gs.FirstLine)
		for _, c := range []struct {
			h, lang string
			classes []string
		}{{ph, "python", []string{"k", "nf"}}, {gh, "go", []string{"kd", "nf"}}} {
			seen := map[string]bool{}
			for _, tk := range tokens(c.h) {
				seen[tk.cls] = true
			}
			for _, cls := range c.classes {
				if !seen[cls] {
					t.Errorf("%s %s: no %q token", sc.ID, c.lang, cls)
				}
			}
		}
		err := fs.WalkDir(sc.Files, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			lang := ""
			switch {
			case strings.HasSuffix(name, ".py"):
				lang = "python"
			case strings.HasSuffix(name, ".go"):
				lang = "go"
			default:
				return nil
			}
			b, err := fs.ReadFile(sc.Files, name)
			if err != nil {
				return err
			}
			checkShape(t, sc.ID+"/"+name, lang, string(b), 1)
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", sc.ID, err)
		}
	}
}

func FuzzHighlight(f *testing.F) {
	for _, s := range []string{
		"", "\n", "x", "async def f():\n    await g()\n",
		"s = '''a\nb", `f"{"x"}"`, `f"{`, `f'{f'{f'{`, "@a.b.\n", "0x", "1e+", ".5j", "r'\\", "#",
		"match x:\n    case 1: pass\n", "type X[T] = list[T]\n",
		"package p\n\nfunc (r *T) M() {}\n", "`raw\n\nstill", "/* open", "x := 'ab\n", "\xef\xbb\xbfpackage p",
		"a\x00b \xff\xfe 'é' \"\\\n", "func(", "type (\n\tA", "\r\n\r", "<&>\"'",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, src string, goLang bool) {
		lang := "python"
		if goLang {
			lang = "go"
		}
		checkShape(t, "fuzz", lang, src, 1)
	})
}

// TestCodeCSS: a rule for every class, and readable colours on the panes'
// backgrounds in both themes.
func TestCodeCSS(t *testing.T) {
	css, err := CodeCSS()
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{".chroma {", "@media (prefers-color-scheme: dark)", "html.theme-dark .chroma", "html.theme-light .chroma"} {
		if !strings.Contains(css, part) {
			t.Errorf("CodeCSS lacks %q", part)
		}
	}
	if strings.Count(css, "{") != strings.Count(css, "}") {
		t.Errorf("CodeCSS has unbalanced braces:\n%s", css)
	}
	for _, c := range palette {
		if !strings.Contains(css, ".chroma ."+c.class+" {") {
			t.Errorf("CodeCSS has no rule for .%s", c.class)
		}
		// Panes are white (or the page's off-white) in the light theme; in
		// the dark one, the pane's #1c2026 or GitHub's #0d1117.
		for _, bg := range []string{"#ffffff", "#fbfaf7"} {
			if r := contrast(c.light, bg); r < 4.5 {
				t.Errorf(".%s light %s on %s: contrast %.2f; want >= 4.5", c.class, c.light, bg, r)
			}
		}
		for _, bg := range []string{"#0d1117", "#1c2026", "#15181c"} {
			if r := contrast(c.dark, bg); r < 4.5 {
				t.Errorf(".%s dark %s on %s: contrast %.2f; want >= 4.5", c.class, c.dark, bg, r)
			}
		}
	}
}

// contrast is the WCAG contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	lum := func(hex string) float64 {
		var ch [3]float64
		for i := range ch {
			v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
			c := float64(v) / 255
			if c <= 0.03928 {
				ch[i] = c / 12.92
			} else {
				ch[i] = math.Pow((c+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2]
	}
	la, lb := lum(a), lum(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}
