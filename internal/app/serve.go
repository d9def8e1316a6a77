package app

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/config"
)

// timeouts of the HTTP server, so that a slow or idle client cannot hold
// a connection (or a goroutine) for ever.
type timeouts struct {
	// readHeader bounds reading a request's headers.
	readHeader time.Duration
	// read bounds reading a whole request, body included (at most
	// security.limits.maxBodyBytes).
	read time.Duration
	// write bounds handling and answering a request: an API call, a log
	// stream.
	write, logWrite time.Duration
	// idle closes a kept-alive connection unused this long.
	idle time.Duration
}

var defaultTimeouts = timeouts{
	readHeader: 10 * time.Second,
	read:       time.Minute,
	write:      2 * time.Minute,
	logWrite:   30 * time.Minute, // a run's log may be large, its reader slow
	idle:       2 * time.Minute,
}

// maxHeaderBytes bounds a request's headers (a SigV4 request needs a few KiB).
const maxHeaderBytes = 64 << 10

// newHTTPServer returns the server of h under lim: request bodies capped
// at lim.BodyLimit() (api.LimitBodies), at most maxHeaderBytes of headers,
// and the default timeouts.
func newHTTPServer(h http.Handler, lim config.Limits) *http.Server {
	return newHTTPServerWith(h, lim, defaultTimeouts)
}

// newHTTPServerWith is newHTTPServer with timeouts t. Write deadlines are
// set per request (deadlines) rather than by the server's WriteTimeout,
// which would cut a log stream as soon as an API call.
func newHTTPServerWith(h http.Handler, lim config.Limits, t timeouts) *http.Server {
	return &http.Server{
		Handler:           deadlines(api.LimitBodies(h, lim.BodyLimit()), t),
		ReadHeaderTimeout: t.readHeader,
		ReadTimeout:       t.read,
		IdleTimeout:       t.idle,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// deadlines sets the write deadline of each request's response: t.logWrite
// for a log stream, t.write otherwise. (The server's ReadTimeout does not
// reach into a handler: net/http clears the read deadline once the body
// is read, so a long log stream is not cancelled by it.)
func deadlines(h http.Handler, t timeouts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := t.write
		if strings.HasPrefix(r.URL.Path, "/sparkplane/") && strings.Contains(r.URL.Path, "/logs/") {
			d = t.logWrite
		}
		// A ResponseWriter without deadlines (a test's) gets none.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
		h.ServeHTTP(w, r)
	})
}

// limitListener returns a listener that has at most n connections open at
// once: Accept waits while n are, so further clients queue in the
// kernel's backlog rather than each costing the server a goroutine and
// buffers.
func limitListener(l net.Listener, n int) net.Listener {
	return &limitedListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

type limitedListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{} // closed by Close: Accept stops waiting
	closeOnce sync.Once
}

func (l *limitedListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitedListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// limitedConn gives its slot back once, when it is closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
