package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asyncplay/asyncplay/cmd/internal/loadkit"
)

// serverFlags lists the flags bin's serve command has (read from its -h).
func serverFlags(ctx context.Context, bin string) (map[string]bool, error) {
	out, _ := exec.CommandContext(ctx, bin, "serve", "-h").CombinedOutput() // -h exits 2
	flags := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if name, ok := strings.CutPrefix(line, "-"); ok {
			name, _, _ = strings.Cut(name, " ")
			flags[strings.TrimLeft(name, "-")] = true
		}
	}
	if !flags["addr"] {
		return nil, fmt.Errorf("%s serve -h lists no -addr flag:\n%s", bin, out)
	}
	return flags, nil
}

// child is the server under load, running as a child process.
type child struct {
	cmd  *exec.Cmd
	addr string // 127.0.0.1:port
	log  string // its output
	done chan struct{}
	err  error // how it ended, once done is closed
}

// freePort asks the kernel for a loopback port nobody uses now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer runs bin serve on a free loopback port with extra flags, its
// output in logPath, and waits until it answers /healthz.
func startServer(ctx context.Context, bin string, extra []string, logPath string) (*child, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr}, extra...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its Python and Go workers go with it
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	c := &child{cmd: cmd, addr: addr, log: logPath, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
		select {
		case <-c.done:
			return nil, fmt.Errorf("the server ended before it was ready (%v); its log: %s", c.err, logPath)
		case <-ctx.Done():
			c.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("the server was not ready within 30 s; its log: %s", logPath)
		}
	}
}

// stop asks the server to shut down, and kills its process group if it
// has not within ten seconds.
func (c *child) stop() error {
	_ = c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
		return errors.New("the server did not shut down within 10 s; killed")
	}
	var exit *exec.ExitError
	if c.err != nil && !errors.As(c.err, &exit) {
		return c.err
	}
	return nil
}

// rssKB is the server's resident memory in KiB (VmRSS in /proc).
func (c *child) rssKB() (int64, error) {
	return loadkit.RSSKB(c.cmd.Process.Pid)
}

// goroutines reads go_goroutines from the server's /metrics; ok is false
// when it has no such line.
func (c *child) goroutines(ctx context.Context) (n float64, ok bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.addr+"/metrics", nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, false, err
	}
	n, ok = loadkit.Metric(string(b), "go_goroutines")
	return n, ok, nil
}
