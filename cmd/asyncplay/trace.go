package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"context"

	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// setFlags collects repeated --set NAME=JSON flags.
type setFlags map[string]any

func (s setFlags) String() string { return "" }

func (s setFlags) Set(v string) error {
	name, val, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", v)
	}
	var x any
	if err := json.Unmarshal([]byte(val), &x); err != nil {
		x = val // not JSON: a plain string
	}
	s[name] = x
	return nil
}

// trace runs an asyncio program under the tracer and prints its lanes.
func trace(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("asyncplay trace", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: asyncplay trace [--json | --format text|json|chrome] [--html OUT.html] [--serve] [--virtual] [--timeout D] [--width N] [--set NAME=VALUE]... PROGRAM.py")
		fmt.Fprintln(stderr, "Runs an asyncio program under the tracer and prints one lane per task.")
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "print one JSON object per event instead of the lanes (same as --format json)")
	format := fs.String("format", "text", "what to print: text (the lanes), json (one object per event) or chrome (Trace Event Format, for Perfetto or chrome://tracing)")
	htmlOut := fs.String("html", "", "also write a self-contained HTML file with the timeline player and the source")
	serveIt := fs.Bool("serve", false, "serve that HTML page on a local port (127.0.0.1) until interrupted")
	virtual := fs.Bool("virtual", false, "skip idle waits on a virtual clock (blocking calls still cost their real time)")
	width := fs.Int("width", 72, "columns for the time axis of the lanes")
	timeout := fs.Duration("timeout", 60*time.Second, "stop the program after this long")
	set := setFlags{}
	fs.Var(set, "set", "replace a top-level constant: NAME=VALUE (VALUE as JSON, or a string); repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return flag.ErrHelp
	}
	if *asJSON {
		*format = "json"
	}
	if *format != "text" && *format != "json" && *format != "chrome" {
		return fmt.Errorf("--format %q: want text, json or chrome", *format)
	}
	path := fs.Arg(0)
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	py, err := pyrun.Find(ctx)
	if err != nil {
		return err
	}
	var tl timeline.Timeline
	enc := json.NewEncoder(stdout)
	emit := func(e timeline.Event) {
		if *format == "json" {
			_ = enc.Encode(e)
		}
		tl.Add(e)
	}
	name := filepath.Base(path)
	prog := pyrun.Program{Name: name, Source: src, Set: set}
	runErr := py.Run(ctx, prog, pyrun.Options{Virtual: *virtual, Deadline: *timeout}, emit)
	if runErr == nil && !usedAsyncio(&tl) {
		runErr = fmt.Errorf("%s ran, but never started an asyncio event loop (no task was traced): the tracer follows asyncio.run(...)", name)
	}
	switch *format {
	case "text":
		v := tl.At(tl.Last())
		fmt.Fprint(stdout, timeline.Text(v, timeline.Step(v.Now, *width)))
		fmt.Fprintf(stdout, "\n%s\n%d lanes, %d events, %.3f s\n", timeline.Legend, len(v.Lanes), v.Events, v.Now.Seconds())
	case "chrome":
		if err := chromeTrace(stdout, &tl); err != nil {
			return err
		}
	}
	if *htmlOut != "" || *serveIt {
		status, errText := "finished", ""
		if runErr != nil {
			status, errText = "failed", runErr.Error()
		}
		page, err := standaloneHTML(name, src, &tl, "CPython "+py.Version, status, errText)
		if err != nil {
			return err
		}
		if *htmlOut != "" {
			if err := os.WriteFile(*htmlOut, page, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "wrote %s (%d events; open it in a browser)\n", *htmlOut, tl.Len())
		}
		if *serveIt {
			if err := serveHTML(ctx, page, stdout); err != nil {
				return err
			}
		}
	}
	return runErr
}
