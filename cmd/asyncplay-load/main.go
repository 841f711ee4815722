// Command asyncplay-load puts a classroom load on an asyncplay server and
// prints what it measured beside the targets.
//
//	go run ./cmd/asyncplay-load [-preset 1x500,20x30] [-rooms R -students S]
//
// For each load it builds the server (go build ./cmd/asyncplay into a
// temporary folder, once), starts it as a child process on 127.0.0.1 with
// its per-address limits raised where it has flags for them, creates R
// rooms as their teachers, moves each to the semaphore lesson, opens S
// student sockets in each room, and has every teacher run the scenario
// with fixed delays at once. It prints the delivery latency of the run's
// frames (the time a student read a frame minus the time the room encoded
// it, the message's "sent"), messages per student, sockets closed before
// the run's last frame, and the server's memory and goroutines per socket
// (VmRSS from /proc and go_goroutines from /metrics, before and after the
// sockets opened). Everything is on loopback, so this measures the server
// and not a network; load and server share this machine's CPUs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/asyncplay/asyncplay/cmd/internal/loadkit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "asyncplay-load:", err)
		os.Exit(1)
	}
}

// load is one shape of classroom load.
type load struct {
	rooms, students int
}

func (l load) String() string {
	rooms := "rooms"
	if l.rooms == 1 {
		rooms = "room"
	}
	return fmt.Sprintf("%d %s x %d students", l.rooms, rooms, l.students)
}

// parseLoads reads "RxS,RxS".
func parseLoads(s string) ([]load, error) {
	var out []load
	for p := range strings.SplitSeq(s, ",") {
		r, st, ok := strings.Cut(strings.TrimSpace(p), "x")
		rooms, err1 := strconv.Atoi(r)
		students, err2 := strconv.Atoi(st)
		if !ok || err1 != nil || err2 != nil || rooms < 1 || students < 1 {
			return nil, fmt.Errorf("-preset %q: want ROOMSxSTUDENTS, such as 1x500", p)
		}
		out = append(out, load{rooms, students})
	}
	return out, nil
}

// options are the command's flags.
type options struct {
	loads        []load
	server, dir  string
	pick         string
	params       url.Values
	perAddr      int
	timeout      time.Duration
	settle       time.Duration
	dump         string
	stdout       io.Writer
	tmp          string
	serverFlags  map[string]bool
	extraFlags   []string
	missingFlags []string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("asyncplay-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{stdout: stdout}
	preset := fs.String("preset", "1x500,20x30", "loads to run one after another, each ROOMSxSTUDENTS, comma-separated")
	rooms := fs.Int("rooms", 0, "rooms (with -students, instead of -preset)")
	students := fs.Int("students", 0, "students in each room (with -rooms, instead of -preset)")
	fs.StringVar(&o.server, "server", "", "an asyncplay binary to load (default: go build ./cmd/asyncplay in -dir)")
	fs.StringVar(&o.dir, "dir", ".", "the module to build the server from")
	fs.StringVar(&o.pick, "lesson", "semaphore/semaphore", "the lesson and scenario each teacher picks")
	query := fs.String("params", "downloads=9&limit=3&delays=0.8,0.6,1.0,0.7,0.9,0.5,1.1,0.6,0.8", "the run's parameters, URL-encoded")
	fs.IntVar(&o.perAddr, "per-address", 50, "students dialing from one loopback address (127.0.1.x): the server limits sockets per address")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "the most one load may take")
	fs.DurationVar(&o.settle, "settle", time.Second, "pause before each memory reading")
	fs.StringVar(&o.dump, "dump", "", "write the run's last frame, as a student read it, to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if o.params, err = url.ParseQuery(*query); err != nil {
		return fmt.Errorf("-params: %w", err)
	}
	switch {
	case *rooms > 0 && *students > 0:
		o.loads = []load{{*rooms, *students}}
	case *rooms > 0 || *students > 0:
		return errors.New("-rooms and -students go together")
	default:
		if o.loads, err = parseLoads(*preset); err != nil {
			return err
		}
	}
	if o.perAddr < 1 || o.perAddr > 200 {
		return fmt.Errorf("-per-address %d: want 1 to 200", o.perAddr)
	}
	most := 0
	for _, l := range o.loads {
		most = max(most, l.rooms*l.students)
		if n := (l.rooms*l.students + o.perAddr - 1) / o.perAddr; n > 254 {
			return fmt.Errorf("%v needs %d source addresses at -per-address %d; 254 at most", l, n, o.perAddr)
		}
	}
	if err := raiseFileLimit(uint64(most + 256)); err != nil {
		return err
	}

	if o.tmp, err = os.MkdirTemp("", "asyncplay-load-"); err != nil {
		return err
	}
	defer os.RemoveAll(o.tmp)
	if o.server == "" {
		fmt.Fprintln(stdout, "building ./cmd/asyncplay ...")
		if o.server, err = loadkit.BuildServer(ctx, o.dir, o.tmp); err != nil {
			return err
		}
	}
	if o.serverFlags, err = serverFlags(ctx, o.server); err != nil {
		return err
	}
	for i, l := range o.loads {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		lctx, cancel := context.WithTimeout(ctx, o.timeout)
		err := o.runLoad(lctx, l)
		cancel()
		if err != nil {
			return fmt.Errorf("%v: %w", l, err)
		}
	}
	return nil
}

// limitFlags are the server flags that would throttle or cap a loopback
// load, with the value to give each: the first name the server has of
// each row is used.
func (o *options) limitFlags(l load) (args, missing []string) {
	big := "1000000"
	for _, row := range []struct {
		names []string
		value string
		why   string
	}{
		{[]string{"rate-limit"}, big, "requests per second per address"},
		// A join rate this high refills the burst at once: no burst flag needed.
		{[]string{"class-join-rate", "room-join-rate"}, big, "class sockets opened per second per address"},
		{[]string{"class-capacity", "room-capacity"}, strconv.Itoa(max(500, l.students)), "students in one class"},
		{[]string{"max-classes", "max-rooms"}, strconv.Itoa(max(100, l.rooms)), "classes at once"},
		{[]string{"max-runs"}, strconv.Itoa(max(2, l.rooms)), "runs at once (each room's run in its own slot)"},
	} {
		i := slices.IndexFunc(row.names, func(n string) bool { return o.serverFlags[n] })
		if i < 0 {
			missing = append(missing, "--"+row.names[0]+" ("+row.why+")")
			continue
		}
		args = append(args, "--"+row.names[i], row.value)
	}
	return args, missing
}

// runLoad starts a server, loads it as l says, and prints the figures.
func (o *options) runLoad(ctx context.Context, l load) error {
	n := l.rooms * l.students
	extra, missing := o.limitFlags(l)
	fmt.Fprintf(o.stdout, "== %v (%d sockets) ==\n", l, n)
	fmt.Fprintf(o.stdout, "server: asyncplay serve %s\n", strings.Join(extra, " "))
	if len(missing) > 0 {
		fmt.Fprintf(o.stdout, "server has no flag for: %s\n", strings.Join(missing, "; "))
	}
	addrs := (n + o.perAddr - 1) / o.perAddr
	fmt.Fprintf(o.stdout, "students dial from %d loopback addresses (127.0.1.1-%d), %d each at most\n", addrs, addrs, o.perAddr)

	srv, err := startServer(ctx, o.server, extra, filepath.Join(o.tmp, fmt.Sprintf("server-%dx%d.log", l.rooms, l.students)))
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			srv.stop()
		}
	}()
	base := "http://" + srv.addr

	teachers := make([]*teacher, l.rooms)
	for i := range teachers {
		if teachers[i], err = newClass(ctx, base, o.pick); err != nil {
			return fmt.Errorf("room %d: %w", i+1, err)
		}
	}

	sleep(ctx, o.settle)
	before, err := o.reading(ctx, srv)
	if err != nil {
		return err
	}
	clients := make([]*http.Client, addrs)
	for i := range clients {
		clients[i] = dialer(net.IPv4(127, 0, 1, byte(i+1)))
	}
	t0 := time.Now()
	students, joinErrs := o.openAll(ctx, teachers, l.students, clients)
	defer func() {
		for _, s := range students {
			s.conn.CloseNow()
			<-s.done
		}
	}()
	joined := 0
	for _, s := range students {
		select {
		case <-s.joined:
			joined++
		case <-s.done:
		case <-ctx.Done():
			return fmt.Errorf("waiting for students to join: %w", ctx.Err())
		}
	}
	joinTime := time.Since(t0)
	sleep(ctx, o.settle)
	after, err := o.reading(ctx, srv)
	if err != nil {
		return err
	}

	runT0 := time.Now()
	var wg sync.WaitGroup
	runErrs := make([]error, len(teachers))
	for i, t := range teachers {
		wg.Go(func() { runErrs[i] = t.run(ctx, o.params) })
	}
	wg.Wait()
	if err := errors.Join(runErrs...); err != nil {
		return err
	}
	for _, s := range students {
		select {
		case <-s.finished:
		case <-s.done:
		case <-ctx.Done():
		}
	}
	runTime := time.Since(runT0)
	for _, s := range students {
		s.conn.CloseNow()
		<-s.done
	}
	stopped = true
	if err := srv.stop(); err != nil {
		fmt.Fprintf(o.stdout, "server stop: %v\n", err)
	}

	if o.dump != "" && len(students) > 0 && students[0].gotLast {
		if err := os.WriteFile(o.dump, students[0].last, 0o644); err != nil {
			return err
		}
	}
	o.report(l, students, joinErrs, joined, joinTime, runTime, before, after)
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
