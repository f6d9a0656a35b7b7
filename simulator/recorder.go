package simulator

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxRecorded bounds the requests a Recorder keeps.
const maxRecorded = 1000

// RecordedRequest is a request a Recorder received.
type RecordedRequest struct {
	Method string
	// URL is the request target, e.g. "/v2/p/desktops/detail?limit=10".
	URL    string
	Header http.Header
	Host   string
}

// Recorder is an HTTP server on loopback that records the requests it
// receives and answers each with 200 and {"desktops":[],"total_count":0}.
// Point a redirect fault at it to see what a client sends after following
// a redirect. It keeps the first 1000 requests. All methods are safe for
// concurrent use.
type Recorder struct {
	url string
	srv *http.Server

	mu   sync.Mutex
	reqs []RecordedRequest
}

// NewRecorder starts a Recorder on 127.0.0.1 at a free port.
func NewRecorder() (*Recorder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("simulator: recorder: %w", err)
	}
	rec := &Recorder{url: "http://" + ln.Addr().String()}
	rec.srv = &http.Server{
		Handler:           http.HandlerFunc(rec.serve),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { _ = rec.srv.Serve(ln) }()
	return rec, nil
}

func (rec *Recorder) serve(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	if len(rec.reqs) < maxRecorded {
		rec.reqs = append(rec.reqs, RecordedRequest{Method: r.Method, URL: r.URL.String(), Header: r.Header.Clone(), Host: r.Host})
	}
	rec.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"desktops":[],"total_count":0}`)
}

// URL returns the Recorder's base URL, e.g. "http://127.0.0.1:41234".
func (rec *Recorder) URL() string { return rec.url }

// Requests returns copies of the requests received so far, oldest first.
func (rec *Recorder) Requests() []RecordedRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := make([]RecordedRequest, len(rec.reqs))
	for i, r := range rec.reqs {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// Close stops the Recorder and closes its connections.
func (rec *Recorder) Close() error {
	err := rec.srv.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
