package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asyncplay/asyncplay/cmd/internal/loadkit"
)

// child is a server the bench started: asyncplay itself, or one of the
// bench's own raw baselines.
type child struct {
	name string
	cmd  *exec.Cmd
	addr string // host:port it listens on
	log  *os.File
	done chan struct{}
	err  error
}

var listeningRE = regexp.MustCompile(`listening on http://([^/\s]+)/`)

// startChild runs bin with args and waits until it says where it listens.
// Its stderr (a log line per request, for asyncplay) goes to a file in tmp.
func startChild(ctx context.Context, name, tmp, bin string, args, env []string) (*child, error) {
	logf, err := os.CreateTemp(tmp, name+"-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logf
	cmd.SysProcAttr = childAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: logf, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, out)
		c.err = cmd.Wait()
		close(c.done)
	}()
	select {
	case c.addr = <-addr:
	case <-c.done:
		return nil, fmt.Errorf("%s exited before listening: %v\n%s", name, c.err, c.logTail())
	case <-time.After(30 * time.Second):
		c.stop()
		return nil, fmt.Errorf("%s did not say where it listens within 30 s\n%s", name, c.logTail())
	case <-ctx.Done():
		c.stop()
		return nil, ctx.Err()
	}
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the child to shut down (SIGTERM), then kills it after 15 s.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	c.log.Close()
}

// logTail is the end of the child's stderr, for error messages.
func (c *child) logTail() string {
	b, _ := os.ReadFile(c.log.Name())
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// getText fetches a small text document from a child.
func getText(ctx context.Context, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}

// goroutines reads a child's goroutine count: asyncplay's go_goroutines
// gauge on /metrics, or a raw baseline's /goroutines.
func goroutines(ctx context.Context, c *child) (float64, error) {
	if c.name == "asyncplay" {
		text, err := getText(ctx, "http://"+c.addr+"/metrics")
		if err != nil {
			return 0, err
		}
		if n, ok := loadkit.Metric(text, "go_goroutines"); ok {
			return n, nil
		}
		return 0, errors.New("no go_goroutines on /metrics")
	}
	text, err := getText(ctx, "http://"+c.addr+"/goroutines")
	if err != nil {
		return 0, err
	}
	var n float64
	_, err = fmt.Sscan(strings.TrimSpace(text), &n)
	return n, err
}

var errSkip = errors.New("skipped")

// cpuSeconds is the CPU time a process has used (user and system), from
// /proc/PID/stat, assuming the usual 100 clock ticks a second.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return statCPU(string(b))
}

// statCPU reads utime + stime from a /proc/PID/stat line, in seconds.
func statCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')') // the command may hold spaces
	if i < 0 {
		return 0, fmt.Errorf("bad /proc stat %.40q", stat)
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("bad /proc stat %.40q", stat)
	}
	var ticks float64
	for _, s := range f[11:13] { // fields 14 and 15: utime, stime
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("bad /proc stat %.40q", stat)
		}
		ticks += n
	}
	return ticks / 100, nil
}
