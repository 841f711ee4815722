package web

import (
	"fmt"
	"go/scanner"
	"go/token"
	"html"
	"html/template"
	"strconv"
	"strings"
	"sync"
)

// Code is source highlighted once, ready for a code pane.
type Code struct {
	Title string
	Lang  string // "python" or "go"
	HTML  template.HTML
	Raw   string
	// First and Last number the lines shown, as in their file: an excerpt
	// (the Go pane shows the scenario's function, not the whole file)
	// starts after line 1.
	First, Last int
}

// Excerpt says whether the code is part of its file, shown from a later
// line than the first.
func (c Code) Excerpt() bool { return c.First > 1 }

// The classes a highlighted token can carry (short names, as the page CSS
// and the tests know them). Text outside any token is left plain.
const (
	clsKeyword = "k"  // keyword
	clsDecl    = "kd" // Go declaration keyword: var const type func package import
	clsType    = "kt" // Go builtin type: int, string, error, ...
	clsConst   = "kc" // constant: true false nil iota; True False None
	clsBuiltin = "nb" // builtin function or exception class
	clsFunc    = "nf" // the name of a function being defined
	clsClass   = "nc" // the name of a class or type being defined
	clsDecor   = "nd" // a decorator, @name.attr
	clsString  = "s"
	clsNumber  = "m"
	clsComment = "c"
)

// maxNestings is how deep strings inside f-strings' expressions are
// followed; deeper quotes are taken as plain characters.
const maxNestings = 16

// span is a highlighted token: src[start:end] gets class cls.
type span struct {
	start, end int
	cls        string
}

// Highlight colours src on the server, one element per line carrying its
// line number in the file (data-line), so a pane can point at the line an
// event came from. Colours come from classes in CodeCSS. Every byte of src
// is in the output once, escaped; a src that does not end in a newline is
// shown as if it did. Code that does not scan (a fragment, a typo) is still
// shown: what cannot be read is left plain.
func Highlight(title, lang, src string, firstLine int) (Code, error) {
	var spans []span
	switch lang {
	case "go":
		spans = goSpans(src)
	case "python":
		spans = pySpans(src)
	default:
		return Code{}, fmt.Errorf("highlight %s: no highlighter for language %q", title, lang)
	}
	lines := strings.Count(src, "\n")
	if !strings.HasSuffix(src, "\n") {
		lines++
	}
	return Code{Title: title, Lang: lang, HTML: template.HTML(render(src, spans, firstLine)), Raw: src,
		First: firstLine, Last: firstLine + lines - 1}, nil
}

// render writes src as lines of HTML, the spans' text in their classes.
// Spans must be in order; one that overlaps the previous is cut (or
// dropped), so that whatever the spans, every byte is written once.
func render(src string, spans []span, firstLine int) string {
	w := lineWriter{n: firstLine}
	w.b.Grow(len(src)*2 + 64)
	w.b.WriteString(`<pre class="chroma"><code>`)
	at := 0
	for _, sp := range spans {
		start, end := max(sp.start, at), min(sp.end, len(src))
		if start >= end {
			continue
		}
		w.text("", src[at:start])
		w.text(sp.cls, src[start:end])
		at = end
	}
	w.text("", src[at:])
	if w.open {
		w.b.WriteString("\n</span>")
	}
	w.b.WriteString(`</code></pre>`)
	return w.b.String()
}

// lineWriter writes text into line elements, opening one when a line has
// something in it and closing it at its newline, so a token that runs over
// lines is split into well-formed pieces.
type lineWriter struct {
	b    strings.Builder
	n    int  // the number of the next line to open
	open bool // a line element is open
}

func (w *lineWriter) text(cls, s string) {
	for s != "" {
		if !w.open {
			num := strconv.Itoa(w.n)
			w.b.WriteString(`<span class="ln" data-line="` + num + `"><span class="num" aria-hidden="true">` + num + `</span>`)
			w.n++
			w.open = true
		}
		part, rest, nl := strings.Cut(s, "\n")
		if part != "" {
			if cls != "" {
				w.b.WriteString(`<span class="` + cls + `">`)
			}
			w.b.WriteString(html.EscapeString(part))
			if cls != "" {
				w.b.WriteString(`</span>`)
			}
		}
		if nl {
			w.b.WriteString("\n</span>")
			w.open = false
		}
		s = rest
	}
}

// Go.

// wordClasses maps the words that have a class of their own (reserved or
// predeclared) to it, per language. It is built on first use, not at
// init: every live run starts this binary as a Go worker, which never
// highlights anything and should not pay for the tables.
type wordClasses struct{ golang, python map[string]string }

var words = sync.OnceValue(func() wordClasses {
	add := func(m map[string]string, cls, list string) map[string]string {
		for _, w := range strings.Fields(list) {
			m[w] = cls
		}
		return m
	}
	g := map[string]string{}
	add(g, clsDecl, "var const type func package import")
	add(g, clsType, `any bool byte comparable complex64 complex128 error float32 float64
		int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr`)
	add(g, clsConst, "true false nil iota")
	add(g, clsBuiltin, `append cap clear close complex copy delete imag len make max min new
		panic print println real recover`)

	py := map[string]string{}
	// Python 3.12's keyword.kwlist, less True, False and None: constants.
	add(py, clsKeyword, `and as assert async await break class continue def del elif else
		except finally for from global if import in is lambda nonlocal not or pass raise
		return try while with yield`)
	add(py, clsConst, "True False None Ellipsis NotImplemented __debug__")
	// Builtin functions and classes, then exceptions and warnings.
	add(py, clsBuiltin, `__import__ abs aiter all anext any ascii bin bool breakpoint bytearray
		bytes callable chr classmethod compile complex delattr dict dir divmod enumerate eval
		exec filter float format frozenset getattr globals hasattr hash help hex id input int
		isinstance issubclass iter len list locals map max memoryview min next object oct open
		ord pow print property range repr reversed round set setattr slice sorted staticmethod
		str sum super tuple type vars zip

		ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup
		BlockingIOError BrokenPipeError BufferError ChildProcessError ConnectionAbortedError
		ConnectionError ConnectionRefusedError ConnectionResetError EOFError EnvironmentError
		Exception ExceptionGroup FileExistsError FileNotFoundError FloatingPointError
		GeneratorExit IOError ImportError IndentationError IndexError InterruptedError
		IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError
		ModuleNotFoundError NameError NotADirectoryError NotImplementedError OSError
		OverflowError PermissionError ProcessLookupError RecursionError ReferenceError
		RuntimeError StopAsyncIteration StopIteration SyntaxError SystemError SystemExit
		TabError TimeoutError TypeError UnboundLocalError UnicodeDecodeError
		UnicodeEncodeError UnicodeError UnicodeTranslateError ValueError ZeroDivisionError

		BytesWarning DeprecationWarning EncodingWarning FutureWarning ImportWarning
		PendingDeprecationWarning ResourceWarning RuntimeWarning SyntaxWarning UnicodeWarning
		UserWarning Warning`)
	return wordClasses{golang: g, python: py}
})

// goTok is a token from go/scanner, by byte offsets into the source.
type goTok struct {
	tok        token.Token
	start, end int
	auto       bool // a semicolon the scanner inserted; not in the source
}

// goSpans scans Go source (often a fragment of a file) with go/scanner.
// Scan errors are ignored: the scanner goes on past them, and text it
// could not make sense of stays plain.
func goSpans(src string) []span {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, []byte(src), func(token.Position, string) {}, scanner.ScanComments)
	var toks []goTok
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		start := file.Offset(pos)
		t := goTok{tok: tok, start: start, auto: tok == token.SEMICOLON && lit == "\n"}
		t.end = goTokEnd(src, start, tok, lit)
		toks = append(toks, t)
	}
	next := func(i int) token.Token { // the token after i, or EOF
		if i+1 < len(toks) {
			return toks[i+1].tok
		}
		return token.EOF
	}
	table := words().golang
	names := map[int]string{} // token index -> class, for names being declared
	var spans []span
	for i, t := range toks {
		if t.auto {
			continue
		}
		cls := ""
		text := src[t.start:t.end]
		switch {
		case t.tok == token.COMMENT:
			cls = clsComment
		case t.tok == token.STRING || t.tok == token.CHAR:
			cls = clsString
		case t.tok == token.INT || t.tok == token.FLOAT || t.tok == token.IMAG:
			cls = clsNumber
		case t.tok.IsKeyword():
			cls = clsKeyword
			if table[text] == clsDecl {
				cls = clsDecl
			}
			switch t.tok {
			case token.FUNC:
				goFuncName(toks, i, names)
			case token.TYPE:
				goTypeNames(toks, i, names)
			}
		case t.tok == token.IDENT:
			switch w := table[text]; {
			case names[i] != "":
				cls = names[i]
			case i > 0 && toks[i-1].tok == token.PERIOD: // a field or method
			case w == clsType || w == clsConst:
				cls = w
			case w == clsBuiltin && next(i) == token.LPAREN:
				cls = clsBuiltin
			}
		}
		if cls != "" {
			spans = append(spans, span{t.start, t.end, cls})
		}
	}
	return spans
}

// goTokEnd is where the token at start ends. The scanner's literal is the
// token's text except that comments and raw strings lose their carriage
// returns, and operators have none; those are measured in src instead.
func goTokEnd(src string, start int, tok token.Token, lit string) int {
	rest := src[start:]
	switch {
	case tok == token.COMMENT && strings.HasPrefix(rest, "/*"):
		if i := strings.Index(rest[2:], "*/"); i >= 0 {
			return start + 2 + i + 2
		}
		return len(src)
	case tok == token.COMMENT:
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			return start + i
		}
		return len(src)
	case tok == token.STRING && strings.HasPrefix(rest, "`"):
		if i := strings.IndexByte(rest[1:], '`'); i >= 0 {
			return start + 1 + i + 1
		}
		return len(src)
	case tok == token.SEMICOLON && lit == "\n":
		return start
	case tok == token.ILLEGAL:
		return start // left plain, whatever its length
	case lit != "":
		return min(start+len(lit), len(src))
	default:
		return min(start+len(tok.String()), len(src))
	}
}

// goDeclName looks at the token after the keyword at i: a name gets cls;
// a "(" (a method's receiver, a type group) is reported with its index
// for the caller to walk.
func goDeclName(toks []goTok, i int, names map[int]string, cls string) (j int, paren bool) {
	j = i + 1
	if j >= len(toks) {
		return j, false
	}
	if toks[j].tok == token.IDENT {
		names[j] = cls
		return j, false
	}
	return j, toks[j].tok == token.LPAREN
}

// goFuncName marks the name a func keyword at i declares: func Name( or,
// for a method, func (r *T) Name(. A func literal declares none.
func goFuncName(toks []goTok, i int, names map[int]string) {
	j, paren := goDeclName(toks, i, names, clsFunc)
	if !paren {
		return
	}
	depth := 0
	for ; j < len(toks); j++ {
		switch toks[j].tok {
		case token.LPAREN:
			depth++
		case token.RPAREN:
			depth--
		}
		if depth == 0 {
			break
		}
	}
	if j+2 < len(toks) && toks[j+1].tok == token.IDENT && toks[j+2].tok == token.LPAREN {
		names[j+1] = clsFunc
	}
}

// goTypeNames marks the names a type keyword at i declares: type Name ...,
// or each spec's name in a type ( ... ) group.
func goTypeNames(toks []goTok, i int, names map[int]string) {
	j, paren := goDeclName(toks, i, names, clsClass)
	if !paren {
		return
	}
	depth, specStart := 0, true
	for ; j < len(toks); j++ {
		switch t := toks[j].tok; {
		case t == token.LPAREN || t == token.LBRACK || t == token.LBRACE:
			depth++
			specStart = depth == 1
			continue
		case t == token.RPAREN || t == token.RBRACK || t == token.RBRACE:
			depth--
			if depth == 0 {
				return
			}
		case t == token.SEMICOLON && depth == 1:
			specStart = true
			continue
		case t == token.IDENT && depth == 1 && specStart:
			names[j] = clsClass
		case t == token.COMMENT:
			continue
		}
		specStart = false
	}
}

// Python.

func isPyIdentByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// pyStringPrefix reports whether word (an identifier just read) followed
// by a quote starts a string: r, b, f, u, rb, br, fr, rf in any case.
func pyStringPrefix(word string) bool {
	switch strings.ToLower(word) {
	case "r", "b", "f", "u", "rb", "br", "fr", "rf":
		return true
	}
	return false
}

// pyScanner splits Python source into spans by hand. It never fails: text
// it does not know stays plain, and a string still open at the end of the
// input ends there.
type pyScanner struct {
	src   string
	i     int
	spans []span
	depth int    // bracket depth, for telling a statement's start
	bol   bool   // no token yet on this line (outside brackets)
	name  string // the class of the next name: after def, nf; after class, nc
	prev  byte   // the last byte of the last token that was not space
	words map[string]string
}

func pySpans(src string) []span {
	p := pyScanner{src: src, bol: true, words: words().python}
	p.run()
	return p.spans
}

func (p *pyScanner) emit(start, end int, cls string) {
	if cls != "" && start < end {
		p.spans = append(p.spans, span{start, end, cls})
	}
	if start < end {
		p.prev = p.src[end-1]
	}
}

func (p *pyScanner) run() {
	src := p.src
	for p.i < len(src) {
		c := src[p.i]
		start := p.i
		switch {
		case c == '\n':
			p.i++
			if p.depth == 0 {
				p.bol = true
			}
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			p.i++
			continue
		case c == '\\' && p.i+1 < len(src) && src[p.i+1] == '\n': // a line continued
			p.i += 2
			continue
		case c == '#':
			end := strings.IndexByte(src[p.i:], '\n')
			if end < 0 {
				end = len(src)
			} else {
				end += p.i
			}
			p.i = end
			p.emit(start, end, clsComment)
			continue // a comment leaves bol, the pending name and prev as they were
		}
		bol := p.bol
		p.bol = false
		pending := p.name
		p.name = ""
		switch {
		case c == '"' || c == '\'':
			p.i = p.stringEnd(p.i, false, 0)
			p.emit(start, p.i, clsString)
		case isDigit(c) || c == '.' && p.i+1 < len(src) && isDigit(src[p.i+1]):
			p.i = p.numberEnd(p.i)
			p.emit(start, p.i, clsNumber)
		case c == '@' && bol:
			p.i = p.decoratorEnd(p.i + 1)
			if p.i == start+1 {
				p.emit(start, p.i, "") // a lone @
			} else {
				p.emit(start, p.i, clsDecor)
			}
		case isPyIdentByte(c):
			for p.i < len(src) && isPyIdentByte(src[p.i]) {
				p.i++
			}
			word := src[start:p.i]
			if p.i < len(src) && (src[p.i] == '"' || src[p.i] == '\'') && pyStringPrefix(word) {
				p.i = p.stringEnd(p.i, strings.ContainsAny(word, "fF"), 0)
				p.emit(start, p.i, clsString)
				break
			}
			p.emit(start, p.i, p.wordClass(word, start, bol, pending))
		default:
			switch c {
			case '(', '[', '{':
				p.depth++
			case ')', ']', '}':
				p.depth = max(p.depth-1, 0)
			}
			p.i++
			p.emit(start, p.i, "")
		}
	}
}

// wordClass is the class of an identifier or keyword at start. A name
// after a dot is an attribute (asyncio.sleep, self.print): plain.
func (p *pyScanner) wordClass(word string, start int, bol bool, pending string) string {
	switch w := p.words[word]; {
	case w == clsConst:
		return clsConst
	case w == clsKeyword:
		switch word {
		case "def":
			p.name = clsFunc
		case "class":
			p.name = clsClass
		}
		return clsKeyword
	case pending != "":
		return pending
	case p.prev == '.':
		return ""
	case bol && p.softKeyword(word, start+len(word)):
		return clsKeyword
	case w == clsBuiltin && !p.keywordArgument(start+len(word)):
		return clsBuiltin
	}
	return ""
}

// softKeyword reports whether word, first on its line, is match, case or
// type used as a keyword: match and case open a block (the line ends in a
// colon), type is followed by a name and then = or [.
func (p *pyScanner) softKeyword(word string, end int) bool {
	line := p.src[end:]
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	switch word {
	case "match", "case":
		if line == "" || !strings.ContainsAny(line[:1], " \t([{'\"-") {
			return false
		}
		t := strings.TrimSpace(line)
		if i := strings.LastIndexByte(t, '#'); i >= 0 && !strings.HasSuffix(t, ":") {
			t = strings.TrimSpace(t[:i])
		}
		return strings.HasSuffix(t, ":")
	case "type":
		t := strings.TrimLeft(line, " \t")
		if len(t) == len(line) || t == "" || !isPyIdentByte(t[0]) || isDigit(t[0]) {
			return false
		}
		n := 0
		for n < len(t) && isPyIdentByte(t[n]) {
			n++
		}
		t = strings.TrimLeft(t[n:], " \t")
		return strings.HasPrefix(t, "[") || strings.HasPrefix(t, "=") && !strings.HasPrefix(t, "==")
	}
	return false
}

// keywordArgument reports whether a name ending at end is followed by a
// single = (as in f(type=int)): then it is not the builtin.
func (p *pyScanner) keywordArgument(end int) bool {
	t := strings.TrimLeft(p.src[end:], " \t")
	return strings.HasPrefix(t, "=") && !strings.HasPrefix(t, "==")
}

// decoratorEnd reads the dotted name after an @ at i.
func (p *pyScanner) decoratorEnd(i int) int {
	src := p.src
	for {
		j := i
		for j < len(src) && isPyIdentByte(src[j]) {
			j++
		}
		if j == i {
			if i > 0 && src[i-1] == '.' {
				return i - 1 // a trailing dot is not part of the name
			}
			return i
		}
		i = j
		if i >= len(src) || src[i] != '.' {
			return i
		}
		i++
	}
}

// numberEnd reads a number at i: 10, 1_000, 0xff, 0o17, 0b1010, 1.5,
// .5, 1e-3, 2j, 1.5E+10J.
func (p *pyScanner) numberEnd(i int) int {
	src := p.src
	digits := func(i int, ok func(byte) bool) int {
		for i < len(src) && (ok(src[i]) || src[i] == '_') {
			i++
		}
		return i
	}
	if src[i] == '0' && i+1 < len(src) && strings.IndexByte("xXoObB", src[i+1]) >= 0 {
		return digits(i+2, func(c byte) bool {
			return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
		})
	}
	i = digits(i, isDigit)
	if i < len(src) && src[i] == '.' {
		i = digits(i+1, isDigit)
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			i = digits(j, isDigit)
		}
	}
	if i < len(src) && (src[i] == 'j' || src[i] == 'J') {
		i++
	}
	return i
}

// stringEnd reads a string whose opening quote is at i and returns where
// it ends: after its closing quote, at the newline that ends an
// unterminated one-line string, or at the end of the input. A backslash
// always keeps the next byte in the string (even in a raw string, where it
// stays a backslash but a quote after it still does not close). In an
// f-string, the {expressions} may hold strings of their own, even in the
// same quotes (Python 3.12); nest counts how deep that goes.
func (p *pyScanner) stringEnd(i int, fstring bool, nest int) int {
	src := p.src
	q := src[i]
	triple := strings.HasPrefix(src[i:], strings.Repeat(string(q), 3))
	if triple {
		i += 3
	} else {
		i++
	}
	braces := 0 // inside an f-string's {expression}
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\\':
			i += 2
			continue
		case c == '\n' && !triple:
			return i
		case fstring && c == '{' && braces == 0 && i+1 < len(src) && src[i+1] == '{':
			i += 2 // {{ is a brace
			continue
		case fstring && c == '{':
			braces++
		case fstring && c == '}' && braces > 0:
			braces--
		case braces > 0 && (c == '"' || c == '\'') && nest < maxNestings:
			j := i
			for j > 0 && isPyIdentByte(src[j-1]) && pyStringPrefix(src[j-1:i]) {
				j--
			}
			inner := strings.ContainsAny(src[j:i], "fF")
			i = p.stringEnd(i, inner, nest+1)
			continue
		case c == q && braces == 0:
			if !triple {
				return i + 1
			}
			if strings.HasPrefix(src[i:], strings.Repeat(string(q), 3)) {
				return i + 3
			}
		}
		i++
	}
	return len(src)
}

// The stylesheet. Colours are custom properties on .chroma, so the dark
// palette can come from the reader's preference or from a theme an embed
// forces (html.theme-light, html.theme-dark; see app.css). The projector
// theme only changes sizes, which app.css does.

type colour struct {
	class, name string // a token class; the custom property's name
	light, dark string
	italic      bool
}

var palette = []colour{
	{class: "k", name: "keyword", light: "#cf222e", dark: "#ff7b72"},
	{class: "kd", name: "keyword", light: "#cf222e", dark: "#ff7b72"},
	{class: "kt", name: "type", light: "#953800", dark: "#ffa657"},
	{class: "kc", name: "constant", light: "#0550ae", dark: "#79c0ff"},
	{class: "nb", name: "builtin", light: "#1a7f37", dark: "#7ee787"},
	{class: "nf", name: "function", light: "#8250df", dark: "#d2a8ff"},
	{class: "nc", name: "class", light: "#953800", dark: "#ffa657"},
	{class: "nd", name: "decorator", light: "#8250df", dark: "#d2a8ff"},
	{class: "s", name: "string", light: "#0a3069", dark: "#a5d6ff"},
	{class: "m", name: "number", light: "#0550ae", dark: "#79c0ff"},
	{class: "c", name: "comment", light: "#59636e", dark: "#8b949e", italic: true},
}

// CodeCSS is the stylesheet for highlighted code: a light theme, and a dark
// one under prefers-color-scheme.
func CodeCSS() (string, error) {
	vars := func(dark bool) string {
		var b strings.Builder
		seen := map[string]bool{}
		for _, c := range palette {
			if seen[c.name] {
				continue
			}
			seen[c.name] = true
			v := c.light
			if dark {
				v = c.dark
			}
			fmt.Fprintf(&b, " --code-%s: %s;", c.name, v)
		}
		return b.String()
	}
	var b strings.Builder
	b.WriteString("/* Highlighted code (web/code.go): light colours, dark ones when the reader prefers them or an embed forces them. */\n")
	b.WriteString(".chroma {" + vars(false) + " }\n")
	b.WriteString("@media (prefers-color-scheme: dark) {\n  .chroma {" + vars(true) + " }\n}\n")
	b.WriteString("html.theme-light .chroma {" + vars(false) + " }\n")
	b.WriteString("html.theme-dark .chroma {" + vars(true) + " }\n")
	for _, c := range palette {
		fmt.Fprintf(&b, ".chroma .%s { color: var(--code-%s);", c.class, c.name)
		if c.italic {
			b.WriteString(" font-style: italic;")
		}
		b.WriteString(" }\n")
	}
	return b.String(), nil
}
