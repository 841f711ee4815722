package web

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
)

// Code is source highlighted once, ready for a code pane.
type Code struct {
	Title string
	Lang  string // "python" or "go"
	HTML  template.HTML
	Raw   string
}

// Highlight colours src on the server with chroma, one element per line
// carrying its line number in the file (data-line), so a pane can point at
// the line an event came from. Colours come from classes in CodeCSS.
func Highlight(title, lang, src string, firstLine int) (Code, error) {
	lexer := lexers.Get(lang)
	if lexer == nil {
		return Code{}, fmt.Errorf("highlight %s: no lexer for %q", title, lang)
	}
	it, err := chroma.Coalesce(lexer).Tokenise(nil, src)
	if err != nil {
		return Code{}, fmt.Errorf("highlight %s: %w", title, err)
	}
	f := chromahtml.New(chromahtml.WithClasses(true), chromahtml.PreventSurroundingPre(true))
	var b strings.Builder
	b.WriteString(`<pre class="chroma"><code>`)
	for i, line := range chroma.SplitTokensIntoLines(it.Tokens()) {
		n := firstLine + i
		fmt.Fprintf(&b, `<span class="ln" data-line="%d"><span class="num" aria-hidden="true">%d</span>`, n, n)
		// The line's own newline goes; one is added after the span.
		if k := len(line) - 1; k >= 0 {
			line[k].Value = strings.TrimSuffix(line[k].Value, "\n")
		}
		var buf bytes.Buffer
		if err := f.Format(&buf, styles.Fallback, chroma.Literator(line...)); err != nil {
			return Code{}, fmt.Errorf("highlight %s: %w", title, err)
		}
		b.WriteString(buf.String())
		b.WriteString("\n</span>")
	}
	b.WriteString(`</code></pre>`)
	return Code{Title: title, Lang: lang, HTML: template.HTML(b.String()), Raw: src}, nil
}

// CodeCSS is the stylesheet for highlighted code: a light theme, and a dark
// one under prefers-color-scheme.
func CodeCSS() (string, error) {
	f := chromahtml.New(chromahtml.WithClasses(true))
	var light, dark bytes.Buffer
	if err := f.WriteCSS(&light, styles.Get("github")); err != nil {
		return "", err
	}
	if err := f.WriteCSS(&dark, styles.Get("github-dark")); err != nil {
		return "", err
	}
	return light.String() + "\n@media (prefers-color-scheme: dark) {\n" + dark.String() + "\n}\n", nil
}
