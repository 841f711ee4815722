package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
	"github.com/asyncplay/asyncplay/web"
)

// runBounds is what stopText needs to know of a run besides its error.
type runBounds struct {
	deadline  time.Duration // the run's deadline
	maxEvents int           // the events a side may record
	// started is whether the side had sent an event: a deadline then
	// stopped it running, where before it had stopped it waiting for its
	// turn to start (the runner's errors for the two are not told apart
	// by type).
	started bool
}

// runtimeNames are the runtimes as stopText's sentences name them, the
// same in every language.
var runtimeNames = map[scenarios.Runtime]string{scenarios.Python: "Python", scenarios.Go: "Go"}

// stopText is the sentence, in lang, that tells a visitor why side rt of a
// run stopped with err. The runtimes' errors are English sentences meant
// for the log: each known kind becomes its sentence in lang, with the
// limit it names. Only what the program itself wrote stays as it is: a
// Python traceback (a SyntaxError's included) follows its localized
// sentence, and a Go panic's value (the scenario's own code panicked, so
// the value is ours, not the visitor's) follows its. An error of no known
// kind gets a sentence that points to the log, where the caller has put it.
func stopText(lang string, rt scenarios.Runtime, err error, b runBounds) string {
	name := runtimeNames[rt]
	var (
		limit  *pyrun.LimitError
		prog   *pyrun.ProgramError
		panicE *scenarios.PanicError
		worker *scenarios.WorkerError
	)
	switch {
	case errors.As(err, &limit):
		return limitText(lang, name, limit)
	case errors.As(err, &prog):
		s := web.T(lang, "stop.exit", name, prog.ExitCode)
		if prog.Signal != "" {
			s = web.T(lang, "stop.signal", name, prog.Signal)
		}
		if prog.Stderr != "" {
			s += "\n" + prog.Stderr
		}
		return s
	case errors.Is(err, pyrun.ErrBadOutput):
		return web.T(lang, "stop.tracer")
	case errors.As(err, &panicE):
		return web.T(lang, "stop.panic", panicE.Value)
	case errors.Is(err, scenarios.ErrPanic):
		return web.T(lang, "stop.panicked")
	case errors.As(err, &worker):
		why := worker.Reason
		if worker.Signal != "" {
			why = worker.Signal
		}
		if why == "" {
			why = fmt.Sprintf("exit status %d", worker.ExitCode)
		}
		return web.T(lang, "stop.worker", why)
	case errors.Is(err, timeline.ErrTooManyEvents):
		return web.T(lang, "stop.events", name, b.maxEvents)
	case errors.Is(err, context.DeadlineExceeded):
		// scenarios.DeadlineError names the Go side's deadline, in a worker
		// or in process; the others are the run's.
		d := b.deadline
		var de *scenarios.DeadlineError
		if errors.As(err, &de) {
			d = de.Deadline
		}
		if !b.started {
			return web.T(lang, "stop.waiting", name, d.Seconds())
		}
		return web.T(lang, "stop.deadline", name, d.Seconds())
	case errors.Is(err, context.Canceled):
		return web.T(lang, "stop.cancelled")
	}
	return web.T(lang, "stop.other", name)
}

// limitText says which of its bounds stopped a Python run, with the bound
// the error carries; the output's size comes as pyrun words it ("1 MiB"),
// and a bound it does not carry is shown as the error words it.
func limitText(lang, name string, e *pyrun.LimitError) string {
	switch e.Reason {
	case pyrun.ErrDeadline:
		if e.Deadline > 0 {
			return web.T(lang, "stop.deadline", name, e.Deadline.Seconds())
		}
	case pyrun.ErrTooManyEvents:
		if e.Events > 0 {
			return web.T(lang, "stop.events", name, e.Events)
		}
	case pyrun.ErrTooMuchOutput:
		size := e.Limit
		if n, ok := strings.CutSuffix(size, " bytes"); ok {
			size = n + " B" // KiB and MiB read the same in every language; bytes do not
		}
		return web.T(lang, "stop.output", name, size)
	}
	return web.T(lang, "stop.limit", name, e.Limit)
}
