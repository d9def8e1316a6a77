package app

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/config"
)

// At most n connections are accepted at once; a closed one frees a slot.
func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := limitListener(inner, 2)
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	for range 3 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first := <-accepted
	<-accepted
	select {
	case <-accepted:
		t.Fatal("a third connection was accepted while two were open")
	case <-time.After(200 * time.Millisecond):
	}
	first.Close()
	first.Close() // a second Close frees nothing more
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("the third connection was not accepted once a slot was free")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-accepted; ok {
		t.Error("Accept after Close")
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close = %v, want net.ErrClosed", err)
	}
}

// serveWith serves h through newHTTPServerWith on a free port.
func serveWith(t *testing.T, h http.Handler, lim config.Limits, to timeouts) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := newHTTPServerWith(h, lim, to)
	go func() { _ = hs.Serve(limitListener(l, lim.ConnectionLimit())) }()
	t.Cleanup(func() { _ = hs.Close() })
	return l.Addr().String()
}

func TestNewHTTPServer(t *testing.T) {
	hs := newHTTPServer(http.NotFoundHandler(), config.Limits{})
	if hs.ReadHeaderTimeout != 10*time.Second || hs.ReadTimeout != time.Minute || hs.IdleTimeout != 2*time.Minute ||
		hs.MaxHeaderBytes != 64<<10 || hs.WriteTimeout != 0 {
		t.Errorf("server = %+v", hs)
	}
}

// A client that sends its headers, or its body, too slowly is cut off; a
// log stream outlives the read timeout; a body over the limit is refused
// with a ValidationException.
func TestHTTPServerLimits(t *testing.T) {
	to := timeouts{readHeader: 200 * time.Millisecond, read: 300 * time.Millisecond, write: 500 * time.Millisecond, logWrite: 5 * time.Second, idle: time.Second}
	var cancelled atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("POST /body", func(w http.ResponseWriter, r *http.Request) {
		if _, err := api.ReadBody(r, 0); err != nil {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, err.Error())
		}
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(800 * time.Millisecond) // past t.write
		_, _ = io.WriteString(w, "late")
	})
	mux.HandleFunc("GET /sparkplane/v1/logs/stdout", func(w http.ResponseWriter, r *http.Request) {
		for range 8 { // 800 ms, past the read timeout and t.write
			_, _ = io.WriteString(w, strings.Repeat("x", 10)+"\n")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				cancelled.Store(true)
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	addr := serveWith(t, mux, config.Limits{MaxBodyBytes: 100}, to)

	// Slow headers.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /sparkplane/v1/logs/stdout HTTP/1.1\r\nHost: x\r\n")
	start := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("slow headers: read %v after %s, want the connection closed", err, time.Since(start))
	}

	// A slow body.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_, _ = io.WriteString(c2, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
	_ = c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c2), nil)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 {
			t.Errorf("slow body: %d %s", resp.StatusCode, b)
		}
	}

	// Over the body limit.
	resp, err = http.Post("http://"+addr+"/body", "application/json", strings.NewReader(strings.Repeat("x", 101)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "at most 100 bytes") {
		t.Errorf("body over the limit: %d %s", resp.StatusCode, b)
	}

	// An API call answered after its write deadline: the client gets no answer.
	if resp, err := http.Get("http://" + addr + "/slow"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Errorf("an answer past the write deadline: %d %q", resp.StatusCode, b)
	}

	// A log stream longer than the read timeout and than an API call's
	// write timeout.
	resp, err = http.Get("http://" + addr + "/sparkplane/v1/logs/stdout")
	if err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || strings.Count(string(b), "\n") != 8 || cancelled.Load() {
		t.Errorf("log stream: %d lines, %v, cancelled %v", strings.Count(string(b), "\n"), err, cancelled.Load())
	}
}
