package collector

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
)

// ExpositionSource provides the exposition a scrape serves: the latest one
// rendered from the background refreshes. The Manager implements it.
type ExpositionSource interface {
	// Exposition returns the latest exposition; nil serves none.
	Exposition() *Exposition
}

// ExpositionFunc adapts a function to ExpositionSource.
type ExpositionFunc func() *Exposition

// Exposition implements ExpositionSource.
func (f ExpositionFunc) Exposition() *Exposition { return f() }

// HandlerOpts configure NewHandler.
type HandlerOpts struct {
	// Logger receives scrape errors: at error level, or at debug level
	// when they only show that the scraper went away (broken pipe,
	// connection reset, request cancelled). Discarded when nil.
	Logger *slog.Logger
	// MaxRequestsInFlight limits the number of scrapes served at once;
	// a scrape over the limit gets 503 Service Unavailable at once, as
	// with promhttp. 0 or less: no limit.
	MaxRequestsInFlight int
	// Registry, when not nil, receives the promhttp_metric_handler_*
	// metrics (requests by code, requests in flight, internal errors),
	// as promhttp.InstrumentMetricHandler and promhttp.HandlerOpts.Registry
	// would register them.
	Registry prometheus.Registerer
}

// NewHandler returns the /metrics handler. Each scrape gathers static (the
// exporter's own live metrics: process, Go, promhttp, API and reload
// instruments, build info), encodes it, and then writes the text of
// src's latest exposition as it is: the bytes rendered once per refresh,
// shared by all scrapes, never copied or re-encoded per scrape.
//
// The answer is always the Prometheus text format (0.0.4), whatever the
// Accept header asks (Prometheus reads the format from Content-Type and
// every scraper understands this one); its escaping parameter is
// negotiated as promhttp does. With Accept-Encoding allowing gzip (as
// promhttp negotiates it) the body is one gzip member: the static part
// compressed per scrape, joined to the exposition's DEFLATE stream, which
// is compressed once per exposition. A name[] query parameter restricts
// the answer to the named families, as with promhttp.
//
// A family of static that src's exposition also holds is dropped from the
// static part (logged once per name): a family must appear once. static
// must therefore not hold the Manager's snapshots as a collector.
// Gathering errors of static are logged and served around
// (promhttp.ContinueOnError). A scraper that goes away stops the writing
// and is logged at debug level only.
func NewHandler(src ExpositionSource, static prometheus.Gatherer, opts HandlerOpts) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if static == nil {
		static = prometheus.Gatherers{}
	}
	h := &scrapeHandler{src: src, static: static, opts: opts, errCnt: prometheus.NewCounterVec(
		prometheus.CounterOpts{
			Name: "promhttp_metric_handler_errors_total",
			Help: "Total number of internal errors encountered by the promhttp metric handler.",
		},
		[]string{"cause"},
	)}
	if opts.MaxRequestsInFlight > 0 {
		h.inFlight = make(chan struct{}, opts.MaxRequestsInFlight)
	}
	if opts.Registry == nil {
		return h
	}
	// As promhttp.HandlerFor: both causes present from the start, and an
	// existing counter (a second handler on the registry) is shared.
	h.errCnt.WithLabelValues("gathering")
	h.errCnt.WithLabelValues("encoding")
	if err := opts.Registry.Register(h.errCnt); err != nil {
		are := &prometheus.AlreadyRegisteredError{}
		if !errors.As(err, are) {
			panic(err)
		}
		h.errCnt = are.ExistingCollector.(*prometheus.CounterVec)
	}
	return promhttp.InstrumentMetricHandler(opts.Registry, h)
}

type scrapeHandler struct {
	src      ExpositionSource
	static   prometheus.Gatherer
	opts     HandlerOpts
	inFlight chan struct{} // nil: no limit
	errCnt   *prometheus.CounterVec
	clashes  sync.Map // names of static families dropped, logged once
}

// emptyExposition is served while the source has none.
var emptyExposition = Render()

// writeChunk bounds each write of the body, so a scraper that went away
// stops the writing within one chunk once its request context ends.
const writeChunk = 256 << 10

var (
	staticBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	// staticFlate compresses the static part of gzip answers; it is small
	// and changes every scrape, so speed wins.
	staticFlate = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
		return w
	}}
	gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}
)

func (h *scrapeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.inFlight != nil {
		select {
		case h.inFlight <- struct{}{}:
			defer func() { <-h.inFlight }()
		default:
			http.Error(w, fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", h.opts.MaxRequestsInFlight),
				http.StatusServiceUnavailable)
			return
		}
	}
	ctx := r.Context()
	if err := ctx.Err(); err != nil {
		h.opts.Logger.Debug("Scrape abandoned before it started: the client went away", "err", err)
		return
	}
	e := h.src.Exposition()
	if e == nil {
		e = emptyExposition
	}
	var filter map[string]bool
	if r.URL != nil {
		if names := r.URL.Query()["name[]"]; len(names) > 0 {
			filter = make(map[string]bool, len(names))
			for _, n := range names {
				filter[n] = true
			}
		}
	}

	mfs, err := h.static.Gather()
	if err != nil {
		h.opts.Logger.Error("Scrape: gathering the exporter's own metrics failed; serving the rest", "err", err)
		h.errCnt.WithLabelValues("gathering").Inc()
		if len(mfs) == 0 && e.Series() == 0 {
			httpError(w, err)
			return
		}
	}
	format := expfmt.NegotiateAccept(r.Header, expfmt.FmtText)
	static := getBuffer()
	defer putBuffer(static)
	enc := expfmt.NewEncoder(static, format)
	for _, mf := range mfs {
		name := mf.GetName()
		if filter != nil && !filter[name] {
			continue
		}
		if e.Has(name) {
			if _, logged := h.clashes.LoadOrStore(name, true); !logged {
				h.opts.Logger.Error("A metric family is both live and in the published exposition; the live one is dropped", "family", name)
			}
			continue
		}
		if err := enc.Encode(mf); err != nil {
			h.opts.Logger.Error("Scrape: encoding a metric family failed", "family", name, "err", err)
			h.errCnt.WithLabelValues("encoding").Inc()
		}
	}

	text := append([][]byte{static.Bytes()}, e.Segments()...)
	if filter != nil {
		text = text[:1]
		for _, s := range e.index {
			if filter[s.name] {
				text = append(text, e.segs[s.start:s.end]...)
			}
		}
	}
	gz := acceptsGzip(r)
	body := text
	if gz {
		zbuf := getBuffer()
		defer putBuffer(zbuf)
		if filter != nil {
			body = [][]byte{gzipPieces(zbuf, text)}
		} else {
			body = gzipWithExposition(zbuf, static.Bytes(), e)
		}
	}

	header := w.Header()
	header.Set("Content-Type", string(format))
	header.Add("Vary", "Accept")
	header.Add("Vary", "Accept-Encoding")
	if gz {
		header.Set("Content-Encoding", "gzip")
	}
	size := 0
	for _, b := range body {
		size += len(b)
	}
	header.Set("Content-Length", strconv.Itoa(size))
	if err := writeBody(ctx, w, body); err != nil {
		if clientGone(err) || ctx.Err() != nil {
			h.opts.Logger.Debug("Scrape abandoned: the client went away", "err", err)
			return
		}
		h.opts.Logger.Error("Scrape: writing the response failed", "err", err)
		h.errCnt.WithLabelValues("encoding").Inc()
	}
}

func getBuffer() *bytes.Buffer {
	b := staticBufs.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

// putBuffer keeps b for another scrape, unless a filtered gzip answer made
// it big.
func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		staticBufs.Put(b)
	}
}

// writeBody writes the pieces in chunks of at most writeChunk bytes,
// stopping at the first error or once ctx has ended.
func writeBody(ctx context.Context, w io.Writer, pieces [][]byte) error {
	for _, p := range pieces {
		for len(p) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(len(p), writeChunk)
			if _, err := w.Write(p[:n]); err != nil {
				return err
			}
			p = p[n:]
		}
	}
	return nil
}

// gzipWithExposition returns the pieces of one gzip member holding static
// followed by e's text: the gzip header and static's DEFLATE blocks
// (ended by a sync flush, so byte-aligned and not final) in buf, then e's
// precomputed DEFLATE stream, then the trailer of the whole.
func gzipWithExposition(buf *bytes.Buffer, static []byte, e *Exposition) [][]byte {
	stream, crc, n := e.deflate()
	buf.Write(gzipHeader)
	if len(static) > 0 {
		zw := staticFlate.Get().(*flate.Writer)
		zw.Reset(buf)
		_, _ = zw.Write(static) // a bytes.Buffer does not fail
		_ = zw.Flush()
		staticFlate.Put(zw)
	}
	var trailer [8]byte
	buf.Write(appendGzipTrailer(trailer[:0], crc32Combine(crc32.ChecksumIEEE(static), crc, n), len(static)+n))
	b := buf.Bytes()
	return [][]byte{b[:len(b)-8], stream, b[len(b)-8:]}
}

// gzipPieces compresses the concatenated pieces into buf as one gzip
// member (the name[] path: no precomputed stream fits).
func gzipPieces(buf *bytes.Buffer, pieces [][]byte) []byte {
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(buf)
	for _, p := range pieces {
		_, _ = zw.Write(p)
	}
	_ = zw.Close()
	gzipWriters.Put(zw)
	return buf.Bytes()
}

// acceptsGzip negotiates the content encoding as promhttp does, offering
// identity and gzip: gzip when an Accept-Encoding clause for gzip (or *)
// has a higher, non-zero quality than every clause for identity (or *).
func acceptsGzip(r *http.Request) bool {
	qIdentity, qGzip := -1.0, -1.0
	for _, line := range r.Header.Values("Accept-Encoding") {
		for _, clause := range strings.Split(line, ",") {
			coding, params, _ := strings.Cut(clause, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			q := 1.0
			if params = strings.TrimSpace(params); params != "" {
				v, ok := strings.CutPrefix(params, "q=")
				if !ok {
					continue
				}
				var err error
				if q, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil || q < 0 || q > 1 {
					continue
				}
			}
			if coding == "identity" || coding == "*" {
				qIdentity = max(qIdentity, q)
			}
			if coding == "gzip" || coding == "*" {
				qGzip = max(qGzip, q)
			}
		}
	}
	return qGzip > qIdentity && qGzip > 0
}

// httpError answers 500 as promhttp does when nothing could be gathered.
func httpError(w http.ResponseWriter, err error) {
	w.Header().Del("Content-Encoding")
	http.Error(w, "An error has occurred while serving metrics:\n\n"+err.Error(), http.StatusInternalServerError)
}

// clientGone reports whether err only shows that the scraper went away:
// its request was cancelled or its connection closed or reset.
func clientGone(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed) {
		return true
	}
	// Some writers flatten the error chain into text.
	s := err.Error()
	return strings.Contains(s, "broken pipe") || strings.Contains(s, "connection reset by peer")
}

// ReadyHandler serves /-/ready from m.Readiness: 200 once every enabled
// collector of every target has finished its first refresh attempt, 503
// before that (and while no target is configured). The body names the
// collectors that have no data to serve yet, as "target/collector".
func ReadyHandler(m *Manager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		ready, noData := m.Readiness()
		var body strings.Builder
		switch {
		case ready:
			body.WriteString("Ready\n")
			if len(noData) > 0 {
				fmt.Fprintf(&body, "No data yet (first refresh failed): %s\n", strings.Join(noData, ", "))
			}
		case len(noData) == 0:
			body.WriteString("Not ready: no target is configured\n")
		default:
			body.WriteString("Not ready: the first refresh of every collector has not finished yet\n")
			fmt.Fprintf(&body, "No data yet: %s\n", strings.Join(noData, ", "))
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write([]byte(body.String()))
	})
}

// ReloadHandler serves /-/reload: a POST calls reload (which logs its
// outcome) and answers 200, or 500 with the error; any other method gets
// 405 Method Not Allowed.
func ReloadHandler(reload func() error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "This endpoint requires a POST request.", http.StatusMethodNotAllowed)
			return
		}
		if err := reload(); err != nil {
			http.Error(w, fmt.Sprintf("Failed to reload the configuration: %s", err), http.StatusInternalServerError)
			return
		}
		_, _ = fmt.Fprintln(w, "Configuration reloaded")
	})
}
