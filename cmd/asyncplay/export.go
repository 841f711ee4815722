package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/server"
	"github.com/asyncplay/asyncplay/static"
)

// export writes the site as static files (see server.Export).
func export(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("asyncplay export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: asyncplay export [--server URL] [--lessons slug,slug] DIR")
		fmt.Fprintln(stderr, "Writes every lesson in every language as static files, with recorded runs that replay with no server.")
		fs.PrintDefaults()
	}
	serverURL := fs.String("server", "", "a running asyncplay the pages offer live runs on (without it, recordings only)")
	only := fs.String("lessons", "", "comma-separated lesson slugs to export (default: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return flag.ErrHelp
	}
	if *serverURL != "" && !strings.HasPrefix(*serverURL, "http://") && !strings.HasPrefix(*serverURL, "https://") {
		return fmt.Errorf("--server %q: want an http:// or https:// address", *serverURL)
	}
	py, err := pyrun.Find(ctx)
	if err != nil {
		return fmt.Errorf("export records the Python side too: %w", err)
	}
	worker, err := goWorker()
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Lessons: lessons.Embedded(), Static: static.FS(), Python: &py, GoWorker: worker})
	if err != nil {
		return err
	}
	defer srv.Close()
	var slugs []string
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			slugs = append(slugs, s)
		}
	}
	start := time.Now()
	if err := srv.Export(ctx, fs.Arg(0), server.ExportOptions{ServerURL: *serverURL, Lessons: slugs, Progress: stdout}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported to %s in %.1f s; open %s/index.html\n", fs.Arg(0), time.Since(start).Seconds(), fs.Arg(0))
	return nil
}
