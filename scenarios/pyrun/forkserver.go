package pyrun

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// forkServerSource is the fork server (see forkserver.py), run with -c.
//
//go:embed forkserver.py
var forkServerSource string

// forkServerStart bounds a fork server's start-up: its imports and the
// tracer's compilation, 50-100 ms on a quiet machine.
const forkServerStart = 20 * time.Second

// maxRequest is the largest request the fork server reads; a run whose
// command line does not fit starts an interpreter of its own.
const maxRequest = 1 << 16

// errNoForkServer says a run cannot use the fork server and must start an
// interpreter of its own.
var errNoForkServer = errors.New("no fork server")

// forkServer is one interpreter, started on the first run that wants it,
// that forks a child per run (forkserver.py), so that a run starts in a
// millisecond or two rather than in the 50-80 ms of CPU a fresh interpreter
// spends on its imports. It holds no goroutine while no run is starting or
// going; one reads its replies while any is.
type forkServer struct {
	path string

	mu      sync.Mutex
	cmd     *exec.Cmd       // nil until started, and again once it is gone
	conn    *net.UnixConn   // our end of its socket
	failed  error           // why it could not start; runs then exec their own
	nextID  int64           //
	pending map[int64]*fork // runs started and not yet ended
	reading *net.UnixConn   // the socket a goroutine is reading replies from
}

// fork is a run's child of the fork server, as the replies tell of it.
type fork struct {
	started chan forkReply // the pid or the error, once
	ended   chan forkReply // the wait status, once
}

type forkReply struct {
	ID     int64  `json:"id"`
	Ready  bool   `json:"ready"`
	PID    int    `json:"pid"`
	Error  string `json:"error"`
	Status *int   `json:"status"`
}

// forkServers are this process's fork servers, one per interpreter path,
// shared by every Python that Find returns for it.
var forkServers = struct {
	sync.Mutex
	byPath map[string]*forkServer
}{byPath: map[string]*forkServer{}}

func forkServerFor(path string) *forkServer {
	forkServers.Lock()
	defer forkServers.Unlock()
	fs := forkServers.byPath[path]
	if fs == nil {
		fs = &forkServer{path: path, pending: map[int64]*fork{}}
		forkServers.byPath[path] = fs
	}
	return fs
}

// StopForkServers stops this process's fork servers, killing any run still
// going in one; a later run starts its server again. A server calls it
// last, when it has ended its runs; if the process exits without calling
// it, each fork server sees its socket close and does the same.
func StopForkServers() {
	forkServers.Lock()
	all := make([]*forkServer, 0, len(forkServers.byPath))
	for _, fs := range forkServers.byPath {
		all = append(all, fs)
	}
	forkServers.Unlock()
	for _, fs := range all {
		fs.stop()
	}
}

// ForkServerPIDs are the process ids of the fork servers running now, for
// a count of processes that should leave them out.
func ForkServerPIDs() []int {
	forkServers.Lock()
	defer forkServers.Unlock()
	var out []int
	for _, fs := range forkServers.byPath {
		fs.mu.Lock()
		if fs.cmd != nil && fs.cmd.Process != nil {
			out = append(out, fs.cmd.Process.Pid)
		}
		fs.mu.Unlock()
	}
	return out
}

// startLocked starts the fork server and waits for it to say it is ready.
func (fs *forkServer) startLocked() error {
	if fs.failed != nil {
		return fs.failed
	}
	if fs.cmd != nil {
		return nil
	}
	fail := func(err error) error {
		fs.failed = fmt.Errorf("%w: %v", errNoForkServer, err)
		return fs.failed
	}
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	ours, theirs := os.NewFile(uintptr(pair[0]), "forkserver"), os.NewFile(uintptr(pair[1]), "forkserver-child")
	defer theirs.Close()
	c, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		return fail(err)
	}
	conn := c.(*net.UnixConn)
	srcR, srcW, err := os.Pipe()
	if err != nil {
		conn.Close()
		return fail(err)
	}
	cmd := exec.Command(fs.path, "-I", "-c", forkServerSource)
	cmd.Stdin = srcR
	cmd.Stderr = os.Stderr // its own failures; each run's stderr is the run's
	cmd.ExtraFiles = []*os.File{theirs}
	err = cmd.Start()
	srcR.Close()
	if err != nil {
		srcW.Close()
		conn.Close()
		return fail(err)
	}
	// The tracer is larger than a pipe holds: write it while the server reads.
	wrote := make(chan error, 1)
	go func() {
		_, err := srcW.WriteString(tracerSource)
		srcW.Close()
		wrote <- err
	}()
	var ready forkReply
	_ = conn.SetReadDeadline(time.Now().Add(forkServerStart))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	_ = conn.SetReadDeadline(time.Time{})
	if err == nil {
		err = json.Unmarshal(buf[:n], &ready)
	}
	if err == nil && !ready.Ready {
		err = fmt.Errorf("it said %q", buf[:n])
	}
	if werr := <-wrote; err == nil && werr != nil {
		err = werr
	}
	if err != nil {
		conn.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fail(fmt.Errorf("starting %s as a fork server: %v", fs.path, err))
	}
	fs.cmd, fs.conn = cmd, conn
	return nil
}

// start has the fork server fork a child that runs the tracer with argv
// (the tracer's own arguments) at niceness nice, with stdin, stdout and
// stderr as its fds 0-2. It returns errNoForkServer, wrapped, if the run
// should start an interpreter of its own instead.
func (fs *forkServer) start(argv []string, nice int, stdin, stdout, stderr *os.File) (pid int, ended <-chan forkReply, err error) {
	fs.mu.Lock()
	if err := fs.startLocked(); err != nil {
		fs.mu.Unlock()
		return 0, nil, err
	}
	fs.nextID++
	id := fs.nextID
	req, err := json.Marshal(map[string]any{"argv": argv, "nice": nice, "id": id})
	if err != nil || len(req) > maxRequest {
		fs.mu.Unlock()
		return 0, nil, fmt.Errorf("%w: the command line is too long for it", errNoForkServer)
	}
	f := &fork{started: make(chan forkReply, 1), ended: make(chan forkReply, 1)}
	fs.pending[id] = f
	conn := fs.conn
	if fs.reading != conn {
		fs.reading = conn
		go fs.read(conn)
	}
	fs.mu.Unlock()

	rights := syscall.UnixRights(int(stdin.Fd()), int(stdout.Fd()), int(stderr.Fd()))
	if _, _, err := conn.WriteMsgUnix(req, rights, nil); err != nil {
		fs.mu.Lock()
		fs.lostLocked(conn) // the next run starts a new one
		fs.mu.Unlock()
		return 0, nil, fmt.Errorf("%w: %v", errNoForkServer, err)
	}
	// It answers as soon as it has forked; one that does not is stuck.
	timer := time.NewTimer(forkServerStart)
	defer timer.Stop()
	var r forkReply
	select {
	case r = <-f.started:
	case <-timer.C:
		fs.mu.Lock()
		fs.lostLocked(conn)
		fs.mu.Unlock()
		r = <-f.started
	}
	if r.Error != "" {
		fs.forget(id)
		return 0, nil, fmt.Errorf("the Python fork server could not start the run: %s", r.Error)
	}
	return r.PID, f.ended, nil
}

// forget drops a run that never started, and wakes the reader to end if no
// run is left for it.
func (fs *forkServer) forget(id int64) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	delete(fs.pending, id)
	if len(fs.pending) == 0 && fs.reading != nil && fs.reading == fs.conn {
		_ = fs.conn.SetReadDeadline(time.Now())
	}
}

// read delivers replies to their runs while any run is pending. If the
// fork server goes away, every pending run is told it ended, and the next
// run starts a new server.
func (fs *forkServer) read(conn *net.UnixConn) {
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		var r forkReply
		if err == nil {
			err = json.Unmarshal(buf[:n], &r)
		}
		fs.mu.Lock()
		if errors.Is(err, os.ErrDeadlineExceeded) && fs.conn == conn {
			// forget woke us: end if nothing is pending.
			_ = conn.SetReadDeadline(time.Time{})
			if len(fs.pending) == 0 {
				fs.stopReading(conn)
				fs.mu.Unlock()
				return
			}
			fs.mu.Unlock()
			continue
		}
		if err != nil {
			fs.lostLocked(conn)
			fs.stopReading(conn)
			fs.mu.Unlock()
			return
		}
		f := fs.pending[r.ID]
		switch {
		case f == nil:
		case r.Status != nil:
			delete(fs.pending, r.ID)
			f.ended <- r
		default:
			f.started <- r
		}
		if len(fs.pending) == 0 {
			fs.stopReading(conn)
			fs.mu.Unlock()
			return
		}
		fs.mu.Unlock()
	}
}

// stopReading notes that the goroutine reading conn has ended.
func (fs *forkServer) stopReading(conn *net.UnixConn) {
	if fs.reading == conn {
		fs.reading = nil
	}
}

// lostLocked forgets a fork server whose socket failed: its runs end as
// killed, and the process is reaped.
func (fs *forkServer) lostLocked(conn *net.UnixConn) {
	if fs.conn != conn {
		return
	}
	killed := int(syscall.SIGKILL) // a wait status: killed by SIGKILL
	for id, f := range fs.pending {
		lost := forkReply{ID: id, Error: "the Python fork server went away", Status: &killed}
		select {
		case f.started <- lost:
		default:
		}
		f.ended <- lost
		delete(fs.pending, id)
	}
	conn.Close()
	if fs.cmd != nil {
		_ = fs.cmd.Process.Kill()
		_ = fs.cmd.Wait()
	}
	fs.cmd, fs.conn = nil, nil
}

// stop closes the fork server's socket, which makes it kill its runs and
// exit, and waits for it.
func (fs *forkServer) stop() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.cmd == nil {
		return
	}
	cmd, conn := fs.cmd, fs.conn
	_ = conn.CloseWrite()
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(reapGrace):
		_ = cmd.Process.Kill()
		<-done
	}
	fs.lostLocked(conn)
}
