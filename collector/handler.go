package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

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
// exporter's own and process metrics, the Manager's API and reload
// instruments) together with the Manager's snapshots, collected under the
// scrape's request context: when the scraper goes away, the collection
// stops, nothing is encoded, and that is logged at debug level only.
//
// static must not hold m itself (m would be gathered twice): create the
// Manager with Options.Registerer set to WithoutManager(registry).
func NewHandler(m *Manager, static prometheus.Gatherer, opts HandlerOpts) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if static == nil {
		static = prometheus.Gatherers{}
	}
	h := &scrapeHandler{m: m, static: static, opts: opts}
	if opts.MaxRequestsInFlight > 0 {
		h.inFlight = make(chan struct{}, opts.MaxRequestsInFlight)
	}
	if opts.Registry == nil {
		return h
	}
	return promhttp.InstrumentMetricHandler(opts.Registry, h)
}

type scrapeHandler struct {
	m        *Manager
	static   prometheus.Gatherer
	opts     HandlerOpts
	inFlight chan struct{} // nil: no limit
}

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
	scrape := prometheus.NewRegistry()
	scrape.MustRegister(scrapeCollector{m: h.m, ctx: ctx})
	gatherers := prometheus.Gatherers{h.static, scrape}
	errLog := &scrapeErrorLog{log: h.opts.Logger}
	gather := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := gatherers.Gather()
		if ctx.Err() != nil {
			// Nothing to encode for a client that went away.
			errLog.abandoned(ctx.Err())
			return nil, err
		}
		return mfs, err
	})
	// A promhttp handler per scrape is cheap: it only holds options. With
	// Registry set it registers promhttp_metric_handler_errors_total once
	// and finds the existing counter on every later scrape.
	promhttp.HandlerFor(gather, promhttp.HandlerOpts{
		ErrorLog:      errLog,
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      h.opts.Registry,
	}).ServeHTTP(scrapeWriter{ResponseWriter: w, ctx: ctx}, r)
}

// scrapeCollector collects a Manager's snapshots for one scrape. It is an
// unchecked collector, as the Manager is.
type scrapeCollector struct {
	m   *Manager
	ctx context.Context
}

func (scrapeCollector) Describe(chan<- *prometheus.Desc) {}

func (c scrapeCollector) Collect(ch chan<- prometheus.Metric) { c.m.CollectContext(c.ctx, ch) }

// scrapeWriter fails every write once the scrape's context has ended, so
// an abandoned response is not encoded and written to a dead connection.
type scrapeWriter struct {
	http.ResponseWriter
	ctx context.Context
}

func (w scrapeWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w scrapeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// scrapeErrorLog is promhttp's ErrorLog for one scrape: errors that only
// show that the client went away are logged once, at debug level; any
// other error at error level.
type scrapeErrorLog struct {
	log  *slog.Logger
	gone atomic.Bool
}

// Println implements promhttp.Logger.
func (l *scrapeErrorLog) Println(v ...any) {
	msg := strings.TrimSuffix(fmt.Sprintln(v...), "\n")
	var err error
	for _, x := range v {
		if e, ok := x.(error); ok {
			err = e
		}
	}
	if clientGone(err) {
		l.abandoned(msg)
		return
	}
	l.log.Error("Scrape failed", "err", msg)
}

// abandoned logs, once per scrape, that the client went away.
func (l *scrapeErrorLog) abandoned(err any) {
	if l.gone.CompareAndSwap(false, true) {
		l.log.Debug("Scrape abandoned: the client went away", "err", err)
	}
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

// WithoutManager returns a Registerer that passes every registration on to
// r, except that of a *Manager, which it accepts and drops. Give it to
// NewManager as Options.Registerer when the Manager's snapshots are served
// by NewHandler: the Manager's own instruments (API requests, reload
// gauges) still land in r, while its snapshots are collected per scrape,
// under the scrape's context, and not a second time through r.
func WithoutManager(r prometheus.Registerer) prometheus.Registerer {
	return withoutManager{r}
}

type withoutManager struct{ prometheus.Registerer }

func (w withoutManager) Register(c prometheus.Collector) error {
	if _, ok := c.(*Manager); ok {
		return nil
	}
	return w.Registerer.Register(c)
}

func (w withoutManager) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := w.Register(c); err != nil {
			panic(err)
		}
	}
}

func (w withoutManager) Unregister(c prometheus.Collector) bool {
	if _, ok := c.(*Manager); ok {
		return true
	}
	return w.Registerer.Unregister(c)
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
