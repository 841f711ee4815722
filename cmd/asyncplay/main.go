// Command asyncplay serves the asyncplay lessons, and traces asyncio
// programs from the command line.
//
//	asyncplay [serve] [--addr :8080] [--dev] [--python python3]
//	asyncplay trace [--format text|json|chrome] [--html OUT.html] [--serve] [--virtual] [--timeout D] [--width N] [--set NAME=VALUE]... PROGRAM.py
//	asyncplay export [--server URL] [--lessons a,b] DIR
//	asyncplay version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/server"
	"github.com/asyncplay/asyncplay/static"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var exit exitError
	switch {
	case errors.As(err, &exit):
		os.Exit(int(exit))
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "asyncplay:", err)
		os.Exit(1)
	}
}

// exitError is an exit status whose message has already been printed.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// run wires the program together: parse args, start what they ask for,
// return when it is done or ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "trace" || args[0] == "version" || args[0] == "export" || args[0] == scenarios.WorkerCommand) {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case scenarios.WorkerCommand: // hidden: how serve and export run each Go side
		if err := scenarios.RunWorker(ctx, scenarios.Default(), args, stdout, stderr); err != nil {
			return exitError(1) // RunWorker has said why on stderr
		}
		return nil
	case "trace":
		return trace(ctx, args, stdout, stderr)
	case "export":
		return export(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version())
		return nil
	}
	return serve(ctx, args, stdout, stderr)
}

// envOr is name's value without surrounding spaces, or def when that
// leaves nothing: a blank variable means the default, for text as for
// numbers.
func envOr(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

// envDefaults reads flags' defaults from the environment. A variable that
// is set but cannot be read is not quietly replaced by the default: it is
// kept in errs, and serve refuses to start over it unless its flag was
// given too (a flag wins over its variable).
type envDefaults struct{ errs []envError }

type envError struct {
	name string // the variable, ASYNCPLAY_…
	err  error
}

// check is the first variable that could not be read and whose flag (its
// name without ASYNCPLAY_, lower case, dashes for underscores) was not
// given in fs, or nil.
func (e *envDefaults) check(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, x := range e.errs {
		name := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(x.name, "ASYNCPLAY_"), "_", "-"))
		if !given[name] {
			return x.err
		}
	}
	return nil
}

// envRead is name's value read by parse, or def when name is unset or
// blank; a value parse refuses is kept in e.err, saying it wants want.
func envRead[T any](e *envDefaults, name string, def T, parse func(string) (T, error), want string) T {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return def
	}
	x, err := parse(v)
	if err != nil {
		e.errs = append(e.errs, envError{name, fmt.Errorf("%s=%q: want %s", name, v, want)})
		return def
	}
	return x
}

// Int reads a whole number.
func (e *envDefaults) Int(name string, def int) int {
	return envRead(e, name, def, strconv.Atoi, "a whole number")
}

// Float reads a finite number.
func (e *envDefaults) Float(name string, def float64) float64 {
	return envRead(e, name, def, func(v string) (float64, error) {
		f, err := strconv.ParseFloat(v, 64)
		if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			err = errors.New("not finite")
		}
		return f, err
	}, "a number")
}

// Duration reads a duration such as 90s or 2m.
func (e *envDefaults) Duration(name string, def time.Duration) time.Duration {
	return envRead(e, name, def, time.ParseDuration, "a duration such as 90s or 2m")
}

// atLeast refuses a flag's value below lowest, and atMost one above
// highest, naming the flag, the variable it may have come from, and what
// it takes.
func atLeast[N int | float64 | time.Duration](flag string, v, lowest N, takes string) error {
	if v < lowest {
		return limitError(flag, v, takes)
	}
	return nil
}

func atMost[N int | float64 | time.Duration](flag string, v, highest N, takes string) error {
	if v > highest {
		return limitError(flag, v, takes)
	}
	return nil
}

func limitError(flag string, v any, takes string) error {
	env := "ASYNCPLAY_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
	return fmt.Errorf("--%s %v: want %s (the flag, or %s)", flag, v, takes, env)
}

// goWorker is the command line that runs one Go side in a process of its
// own: this executable, as a worker. A panic on any goroutine of a scenario
// then ends that run and not the server.
func goWorker() ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this executable to run the Go side in: %w", err)
	}
	return []string{exe, scenarios.WorkerCommand}, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("asyncplay serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage:
  asyncplay [serve] [flags]   serve the lessons (the default command; flags below)
  asyncplay trace [flags] PROGRAM.py
                              trace an asyncio program here (asyncplay trace --help)
  asyncplay export [flags] DIR
                              write the site as static files (asyncplay export --help)
  asyncplay version           say which build this is

Flags of serve (most also read from the ASYNCPLAY_ variable each names):
`)
		fs.PrintDefaults()
	}
	var env envDefaults
	addr := fs.String("addr", envOr("ASYNCPLAY_ADDR", ":8080"), "address to listen on (env ASYNCPLAY_ADDR)")
	dev := fs.Bool("dev", false, "read lessons from ./lessons/content on every request, so edits show on refresh")
	python := fs.String("python", envOr("ASYNCPLAY_PYTHON", ""), "python3 to run the Python side (env ASYNCPLAY_PYTHON; default python3 on PATH)")
	slots := fs.Int("max-runs", env.Int("ASYNCPLAY_MAX_RUNS", 0), "runs at once in all, each with one Python process (within --max-python); past it visitors wait in line (env ASYNCPLAY_MAX_RUNS; default 0: CPU cores, at least 2)")
	starting := fs.Int("max-starting", env.Int("ASYNCPLAY_MAX_STARTING", 0), "processes of each runtime (Go workers, Python interpreters) starting at once; runs arriving together start in turn, so their start-ups do not take the CPU from runs already going (env ASYNCPLAY_MAX_STARTING; default 0: half the CPU cores, at least 1)")
	nice := fs.Int("python-nice", env.Int("ASYNCPLAY_PYTHON_NICE", 10), "niceness (0-19) of each run's Python process, so a crowd of runs cannot starve the server that sends everyone's frames; 0 keeps it at the server's (env ASYNCPLAY_PYTHON_NICE)")
	maxPython := fs.Int("max-python", env.Int("ASYNCPLAY_MAX_PYTHON", 0), "Python interpreters alive at once, for runs and visitors' own programs; below --max-runs, runs' Python sides wait their turn while their Go sides go on (env ASYNCPLAY_MAX_PYTHON; default 0: the same as --max-runs)")
	perIP := fs.Int("max-runs-per-client", env.Int("ASYNCPLAY_MAX_RUNS_PER_CLIENT", 2), "runs at once from one address (env ASYNCPLAY_MAX_RUNS_PER_CLIENT)")
	sockets := fs.Int("max-sockets-per-client", env.Int("ASYNCPLAY_MAX_SOCKETS_PER_CLIENT", 8), "run WebSockets open at once from one address (env ASYNCPLAY_MAX_SOCKETS_PER_CLIENT)")
	rate := fs.Float64("rate-limit", env.Float("ASYNCPLAY_RATE_LIMIT", 20), "requests per second from one address, in bursts of up to 5 seconds' worth; static files are not counted (env ASYNCPLAY_RATE_LIMIT)")
	keep := fs.Int("keep-runs", env.Int("ASYNCPLAY_KEEP_RUNS", 500), "finished runs kept for replay and moment links (env ASYNCPLAY_KEEP_RUNS)")
	keepMiB := fs.Int("keep-runs-mib", env.Int("ASYNCPLAY_KEEP_RUNS_MIB", 64), "memory for the finished runs kept, in MiB; the oldest go first (env ASYNCPLAY_KEEP_RUNS_MIB)")
	deadline := fs.Duration("run-deadline", env.Duration("ASYNCPLAY_RUN_DEADLINE", scenarios.DefaultDeadline), "longest a run may take from leaving the line, its processes' wait for their turn to start included; then it is stopped and says so (env ASYNCPLAY_RUN_DEADLINE)")
	maxEvents := fs.Int("run-max-events", env.Int("ASYNCPLAY_RUN_MAX_EVENTS", scenarios.DefaultMaxEvents), "events one side of a run may record before it is stopped (env ASYNCPLAY_RUN_MAX_EVENTS)")
	var h server.HTTPTimeouts
	fs.DurationVar(&h.ReadHeader, "http-header-timeout", env.Duration("ASYNCPLAY_HTTP_HEADER_TIMEOUT", server.DefaultReadHeaderTimeout), "longest a client may take to send a request's headers; a trickle is cut off (env ASYNCPLAY_HTTP_HEADER_TIMEOUT)")
	fs.DurationVar(&h.Read, "http-read-timeout", env.Duration("ASYNCPLAY_HTTP_READ_TIMEOUT", server.DefaultReadTimeout), "longest a client may take to send a whole request (env ASYNCPLAY_HTTP_READ_TIMEOUT)")
	fs.DurationVar(&h.Write, "http-write-timeout", env.Duration("ASYNCPLAY_HTTP_WRITE_TIMEOUT", server.DefaultWriteTimeout), "longest from a request's headers to the end of its answer; WebSockets are free of it once upgraded (env ASYNCPLAY_HTTP_WRITE_TIMEOUT)")
	fs.DurationVar(&h.Idle, "http-idle-timeout", env.Duration("ASYNCPLAY_HTTP_IDLE_TIMEOUT", server.DefaultIdleTimeout), "how long a keep-alive connection may sit idle between requests (env ASYNCPLAY_HTTP_IDLE_TIMEOUT)")
	fs.DurationVar(&h.Shutdown, "shutdown-grace", env.Duration("ASYNCPLAY_SHUTDOWN_GRACE", server.DefaultShutdownGrace), "on SIGTERM, how long requests under way may take to finish before the server exits anyway (env ASYNCPLAY_SHUTDOWN_GRACE)")
	ownCode := fs.Bool("allow-own-code", false, "let visitors trace programs they type (page /{lang}/own); the server then listens on loopback only")
	embed := fs.String("embed-origins", envOr("ASYNCPLAY_EMBED_ORIGINS", ""), "comma-separated sites allowed to embed scenarios in an iframe, e.g. https://docs.example.com (env ASYNCPLAY_EMBED_ORIGINS)")
	classSetup := classFlags(fs, &env)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%q is not a command or a flag: the commands are serve (the default), trace, export and version (see asyncplay --help)", fs.Arg(0))
	}
	if err := env.check(fs); err != nil {
		return err
	}
	for _, err := range []error{
		atLeast("max-runs", *slots, 0, "1 or more, or 0 for the default (the CPU cores, at least 2)"),
		atLeast("max-python", *maxPython, 0, "1 or more, or 0 for the same as --max-runs"),
		atLeast("max-runs-per-client", *perIP, 1, "1 or more"),
		atLeast("max-sockets-per-client", *sockets, 1, "1 or more"),
		atLeast("rate-limit", *rate, 0.1, "0.1 or more requests a second"),
		atMost("rate-limit", *rate, 1e9, "at most a billion requests a second"),
		atLeast("keep-runs", *keep, 1, "1 or more"),
		atLeast("keep-runs-mib", *keepMiB, 1, "1 or more"),
		atMost("keep-runs-mib", *keepMiB, 1<<20, "at most 1048576 (a TiB)"),
		atLeast("run-deadline", *deadline, time.Second, "a second or more"),
		atLeast("run-max-events", *maxEvents, 100, "100 or more"),
		atLeast("http-header-timeout", h.ReadHeader, time.Second, "a second or more"),
		atLeast("http-read-timeout", h.Read, time.Second, "a second or more"),
		atLeast("http-write-timeout", h.Write, time.Second, "a second or more"),
		atLeast("http-idle-timeout", h.Idle, time.Second, "a second or more"),
		atLeast("shutdown-grace", h.Shutdown, time.Second, "a second or more"),
		atLeast("python-nice", *nice, 0, "0 (the server's priority) to 19 (the lowest)"),
		atMost("python-nice", *nice, 19, "0 (the server's priority) to 19 (the lowest)"),
		atLeast("max-starting", *starting, 0, "1 or more, or 0 for the default (half the CPU cores)"),
	} {
		if err != nil {
			return err
		}
	}
	origins, err := server.ParseOrigins(*embed)
	if err != nil {
		return err
	}
	if *ownCode && h.Write < server.OwnCodeLongest+5*time.Second {
		return fmt.Errorf("--http-write-timeout %v: with --allow-own-code, want %v or more, as tracing a visitor's program may take %v", h.Write, server.OwnCodeLongest+5*time.Second, server.OwnCodeLongest)
	}
	if *ownCode {
		host, port, err := net.SplitHostPort(*addr)
		if err != nil {
			return fmt.Errorf("--addr %q: %w", *addr, err)
		}
		switch ip := net.ParseIP(host); {
		case host == "" || (ip != nil && ip.IsUnspecified()):
			*addr = net.JoinHostPort("127.0.0.1", port)
		case host == "localhost" || (ip != nil && ip.IsLoopback()):
		default:
			return fmt.Errorf("--allow-own-code runs visitors' programs, so it listens on loopback only; --addr %q is not a loopback address", *addr)
		}
		fmt.Fprintf(stdout, "--allow-own-code: visitors' own programs run on this machine; listening on loopback only (%s)\n", *addr)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg := server.Config{PythonNice: *nice, MaxStarting: *starting, Logger: log, Lessons: lessons.Embedded(), Static: static.FS(),
		RunSlots: *slots, RunsPerIP: *perIP, MaxRuns: *keep, MaxRunBytes: *keepMiB << 20, EmbedOrigins: origins, AllowOwnCode: *ownCode,
		RunDeadline: *deadline, RunMaxEvents: *maxEvents, MaxPython: *maxPython, HTTP: h,
		SocketsPerIP: *sockets, RequestsPerSecond: *rate, RequestBurst: int(math.Ceil(*rate * 5))}
	if blob := os.Getenv("ASYNCPLAY_BENCH_BLOB"); blob != "" {
		// asyncplay-bench's static baseline: these bytes at /bench/blob.
		b, err := os.ReadFile(blob)
		if err != nil {
			return fmt.Errorf("ASYNCPLAY_BENCH_BLOB: %w", err)
		}
		cfg.BenchBlob = b
	}
	if *dev {
		cfg.Dev = true
		cfg.Lessons = os.DirFS("lessons/content")
	}
	if *python != "" {
		os.Setenv("ASYNCPLAY_PYTHON", *python)
	}
	findCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	py, err := pyrun.Find(findCtx)
	cancel()
	if err != nil {
		log.Warn("the Python side is off: pages will say so and run Go only", "reason", err)
		cfg.NoPython = err
	} else {
		cfg.Python = &py
		log.Info("python found", "path", py.Path, "version", py.Version)
	}
	closeClass, err := classSetup(&cfg)
	if err != nil {
		return err
	}
	defer closeClass()
	if cfg.GoWorker, err = goWorker(); err != nil {
		return err
	}
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "asyncplay %s listening on http://%s/\n", version(), displayAddr(ln.Addr()))
	return srv.Serve(ctx, ln)
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		if ok {
			return fmt.Sprintf("localhost:%d", tcp.Port)
		}
	}
	return a.String()
}

// version names this build: the module version and, when the build was
// stamped with its commit, the commit (with +dirty for uncommitted
// changes), then the Go release it was built with.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if len(rev) >= 12 && !strings.Contains(v, rev[:12]) {
		v += " " + rev[:12]
		if modified == "true" {
			v += "+dirty"
		}
	}
	return v + " " + info.GoVersion
}
