package wsconn

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// serve starts an httptest server whose handler accepts a socket with
// Accept and hands it to handle, and returns its ws:// URL. The server
// (and with it every handler) is closed when the test ends.
func serve(t *testing.T, handle func(r *http.Request, c *Conn)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r)
		if err != nil {
			t.Errorf("Accept: %v", err)
			return
		}
		defer c.CloseNow()
		handle(r, c)
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dial(t *testing.T, ctx context.Context, url string, header http.Header, client *http.Client) *Conn {
	t.Helper()
	c, _, err := Dial(ctx, url, header, client)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A text message goes each way; the server closes normally and the
// client's next read carries that code.
func TestRoundTrip(t *testing.T) {
	ctx := testContext(t)
	url := serve(t, func(r *http.Request, c *Conn) {
		b, err := c.Read(r.Context())
		if err != nil {
			t.Errorf("server Read: %v", err)
			return
		}
		if err := c.Write(r.Context(), append([]byte("echo: "), b...)); err != nil {
			t.Errorf("server Write: %v", err)
			return
		}
		c.Close(StatusNormalClosure, "done")
	})
	c := dial(t, ctx, url, nil, nil)
	if err := c.Write(ctx, []byte("hello")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	b, err := c.Read(ctx)
	if err != nil || string(b) != "echo: hello" {
		t.Fatalf("Read = %q, %v; want %q, nil", b, err, "echo: hello")
	}
	_, err = c.Read(ctx)
	if got := CloseStatus(err); got != StatusNormalClosure {
		t.Errorf("CloseStatus(%v) = %d; want %d (%v)", err, got, StatusNormalClosure, StatusNormalClosure)
	}
	if s := StatusNormalClosure.String(); s != "StatusNormalClosure" {
		t.Errorf("StatusNormalClosure.String() = %q", s)
	}
}

// Reader reads a message into the caller's buffer.
func TestReader(t *testing.T) {
	ctx := testContext(t)
	msg := bytes.Repeat([]byte("ab"), 20000) // past the default 32 KiB
	url := serve(t, func(r *http.Request, c *Conn) {
		if err := c.Write(r.Context(), msg); err != nil {
			t.Errorf("server Write: %v", err)
			return
		}
		c.Read(r.Context()) // until the client goes
	})
	c := dial(t, ctx, url, nil, nil)
	c.SetReadLimit(1 << 20)
	r, err := c.Reader(ctx)
	if err != nil {
		t.Fatalf("Reader: %v", err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil || !bytes.Equal(buf.Bytes(), msg) {
		t.Fatalf("read %d bytes, %v; want %d bytes, nil", buf.Len(), err, len(msg))
	}
}

// The read limit lets a message of exactly the limit through, refuses a
// larger one, and closes the socket with 1009 (message too big), which
// the peer sees.
func TestReadLimit(t *testing.T) {
	ctx := testContext(t)
	serverErr := make(chan error, 1)
	url := serve(t, func(r *http.Request, c *Conn) {
		for _, n := range []int{10, 11} {
			if err := c.Write(r.Context(), bytes.Repeat([]byte("x"), n)); err != nil {
				t.Errorf("server Write(%d bytes): %v", n, err)
				return
			}
		}
		_, err := c.Read(r.Context())
		serverErr <- err
	})
	c := dial(t, ctx, url, nil, nil)
	c.SetReadLimit(10)
	if b, err := c.Read(ctx); err != nil || len(b) != 10 {
		t.Fatalf("Read of 10 bytes = %d bytes, %v; want 10, nil", len(b), err)
	}
	if b, err := c.Read(ctx); err == nil {
		t.Fatalf("Read of 11 bytes with a limit of 10 = %d bytes, nil; want an error", len(b))
	}
	select {
	case err := <-serverErr:
		if got := CloseStatus(err); got != 1009 {
			t.Errorf("the server's CloseStatus(%v) = %d; want 1009", err, got)
		}
	case <-ctx.Done():
		t.Fatal("the server never saw the socket close")
	}
}

// CloseStatus gives the code the peer closed with, and -1 for an error
// that is not a close, or none.
func TestCloseStatus(t *testing.T) {
	ctx := testContext(t)
	url := serve(t, func(r *http.Request, c *Conn) {
		c.Close(StatusCode(4321), "going")
	})
	c := dial(t, ctx, url, nil, nil)
	_, err := c.Read(ctx)
	if got := CloseStatus(err); got != 4321 {
		t.Errorf("CloseStatus(%v) = %d; want 4321", err, got)
	}

	held := make(chan struct{})
	url = serve(t, func(r *http.Request, c *Conn) {
		<-held
	})
	c = dial(t, ctx, url, nil, nil)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = c.Read(short)
	close(held)
	if err == nil {
		t.Fatal("Read past its deadline returned no error")
	}
	if got := CloseStatus(err); got != -1 {
		t.Errorf("CloseStatus(%v) = %d; want -1", err, got)
	}
	for _, err := range []error{nil, errors.New("not a close"), io.EOF} {
		if got := CloseStatus(err); got != -1 {
			t.Errorf("CloseStatus(%v) = %d; want -1", err, got)
		}
	}
}

// Dial sends the header with the handshake, through the given client.
func TestDialHeaderAndClient(t *testing.T) {
	ctx := testContext(t)
	got := make(chan http.Header, 1)
	url := serve(t, func(r *http.Request, c *Conn) {
		got <- r.Header.Clone()
		c.Close(StatusNormalClosure, "")
	})
	var dials atomic.Int64
	d := &net.Dialer{Timeout: 5 * time.Second}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return d.DialContext(ctx, network, addr)
	}}}
	h := http.Header{"Cookie": {"asyncplay_student=00ff"}, "X-Test": {"yes"}}
	c := dial(t, ctx, url, h, client)
	c.Read(ctx) // the close
	hdr := <-got
	if hdr.Get("Cookie") != "asyncplay_student=00ff" || hdr.Get("X-Test") != "yes" {
		t.Errorf("the server got Cookie %q, X-Test %q; want the dialed header", hdr.Get("Cookie"), hdr.Get("X-Test"))
	}
	if dials.Load() != 1 {
		t.Errorf("the client dialed %d times; want 1", dials.Load())
	}
}

// A refused handshake returns the server's response with the error.
func TestDialRefused(t *testing.T) {
	ctx := testContext(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	c, resp, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil, nil)
	if err == nil {
		c.CloseNow()
		t.Fatal("Dial to a plain handler succeeded")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("Dial's response = %v; want 403", resp)
	}
}

// CloseRead's context ends when the peer closes.
func TestCloseRead(t *testing.T) {
	ctx := testContext(t)
	ended := make(chan struct{})
	url := serve(t, func(r *http.Request, c *Conn) {
		cctx := c.CloseRead(r.Context())
		if err := c.Write(cctx, []byte("one")); err != nil {
			t.Errorf("server Write: %v", err)
		}
		<-cctx.Done()
		close(ended)
	})
	c := dial(t, ctx, url, nil, nil)
	if b, err := c.Read(ctx); err != nil || string(b) != "one" {
		t.Fatalf("Read = %q, %v; want one", b, err)
	}
	c.Close(StatusNormalClosure, "bye")
	select {
	case <-ended:
	case <-ctx.Done():
		t.Fatal("CloseRead's context outlived the peer's close")
	}
}
