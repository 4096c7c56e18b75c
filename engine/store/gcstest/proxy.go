package gcstest

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proxy is a real HTTP reverse proxy on loopback in front of the
// emulator, which records every request that passes through it, so that a
// test can count what a client asked the store for: downloads, ranged
// reads, uploads.
type Proxy struct {
	// Host is the proxy's address, 127.0.0.1:PORT; point
	// STORAGE_EMULATOR_HOST at it (Proxy does) to go through it.
	Host string

	mu       sync.Mutex
	reqs     []Request
	rate     int // bytes per second of each download's body; 0: no limit
	inFlight int // downloads being served
	maxIn    int // the most downloads served at once
}

// Request is one request the proxy passed on.
type Request struct {
	Method string
	// Path is the URL's path, e.g. /download/storage/v1/b/BUCKET/o/KEY.
	Path string
	// Query is the URL's query, e.g. alt=media.
	Query string
	// Range is the Range header, e.g. bytes=0-1048575, or "".
	Range string
}

// Download reports whether the request reads an object's content (as
// opposed to its metadata, a listing or an upload).
func (r Request) Download() bool {
	return r.Method == http.MethodGet && (strings.HasPrefix(r.Path, "/download/") || strings.Contains(r.Query, "alt=media") ||
		!strings.HasPrefix(r.Path, "/storage/") && !strings.HasPrefix(r.Path, "/upload/"))
}

// Proxy starts a proxy in front of the emulator, sets
// STORAGE_EMULATOR_HOST to it for the rest of the test, and stops it when
// the test ends.
func (s *Server) Proxy(t testing.TB) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("gcstest: proxy: %v", err)
	}
	p := &Proxy{Host: l.Addr().String()}
	target := &url.URL{Scheme: "http", Host: s.Host}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = s.Host // the emulator routes by the host it was told is its own
	}, ErrorLog: log.New(io.Discard, "", 0)} // a stopped emulator is a 502, as a test means it
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Range: r.Header.Get("Range")}
		p.mu.Lock()
		p.reqs = append(p.reqs, req)
		rate := p.rate
		if req.Download() {
			p.inFlight++
			p.maxIn = max(p.maxIn, p.inFlight)
		}
		p.mu.Unlock()
		if req.Download() {
			defer func() {
				p.mu.Lock()
				p.inFlight--
				p.mu.Unlock()
			}()
			if rate > 0 {
				w = &slowWriter{ResponseWriter: w, rate: rate, start: time.Now()}
			}
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	t.Setenv("STORAGE_EMULATOR_HOST", p.Host)
	return p
}

// Requests returns the requests passed on so far, in order.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.reqs...)
}

// Downloads returns the requests so far that read an object's content.
func (p *Proxy) Downloads() []Request {
	var out []Request
	for _, r := range p.Requests() {
		if r.Download() {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets the requests recorded so far, and the most downloads
// served at once.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = nil
	p.maxIn = p.inFlight
}

// Limit makes every download that starts from now on pass at most
// bytesPerSecond bytes a second to the client, as one stream from a
// remote store carries a fraction of a machine's bandwidth; 0 lifts the
// limit.
func (p *Proxy) Limit(bytesPerSecond int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = bytesPerSecond
}

// MostAtOnce is the largest number of downloads the proxy served at the
// same time since it started or was Reset.
func (p *Proxy) MostAtOnce() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxIn
}

// slowWriter passes a response's body on at a bounded rate.
type slowWriter struct {
	http.ResponseWriter
	rate  int
	start time.Time
	sent  int
}

func (s *slowWriter) Write(b []byte) (int, error) {
	var n int
	for len(b) > 0 {
		part := b[:min(len(b), 16<<10)]
		c, err := s.ResponseWriter.Write(part)
		n += c
		s.sent += c
		if err != nil {
			return n, err
		}
		b = b[c:]
		due := s.start.Add(time.Duration(s.sent) * time.Second / time.Duration(s.rate))
		time.Sleep(time.Until(due))
	}
	return n, nil
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (s *slowWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
