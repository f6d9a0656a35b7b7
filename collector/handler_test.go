package collector

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/workspace-exporter/workspace_exporter/config"
)

var handlerTestDesc = prometheus.NewDesc("workspace_handler_test_row", "A row of the handler test snapshot.", []string{"target", "row"}, nil)

// handlerSnapshot sends rows metrics. With pauseAt > 0, its first Collect
// closes paused after pauseAt rows and waits for the scrape's context to
// end, or at most 10 seconds (then it goes on, and a test expecting
// cancellation fails).
type handlerSnapshot struct {
	rows, pauseAt int
	paused        chan struct{}
	pauseOnce     sync.Once
	emitted       atomic.Int64
}

func newHandlerSnapshot(rows, pauseAt int) *handlerSnapshot {
	return &handlerSnapshot{rows: rows, pauseAt: pauseAt, paused: make(chan struct{})}
}

func (s *handlerSnapshot) Collect(ctx context.Context, ch chan<- prometheus.Metric, target string) {
	for i := range s.rows {
		if s.pauseAt > 0 && i == s.pauseAt {
			s.pauseOnce.Do(func() {
				close(s.paused)
				select {
				case <-ctx.Done():
				case <-time.After(10 * time.Second):
				}
			})
		}
		if ctx.Err() != nil {
			return
		}
		ch <- prometheus.MustNewConstMetric(handlerTestDesc, prometheus.GaugeValue, 1, target, strconv.Itoa(i))
		s.emitted.Add(1)
	}
}

// handlerRunner is a runner of target tg that has (snap != nil) or has not
// finished its first refresh.
func handlerRunner(tg, name string, finished bool, snap Snapshot) *runner {
	r := &runner{target: tg, name: name, interval: time.Hour, logger: slog.New(slog.DiscardHandler),
		now: time.Now, firstDone: make(chan struct{})}
	if finished {
		close(r.firstDone)
		st := &state{attempts: 1}
		if snap != nil {
			st.snap, st.success, st.lastSuccess = snap, true, time.Unix(1700000000, 0)
		}
		r.cur.Store(st)
	}
	return r
}

// handlerManager returns a Manager, created as main creates it, serving the
// given targets without running them, and the registry that holds its
// instruments.
func handlerManager(t *testing.T, targets map[string][]*runner) (*Manager, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewManager(Options{Registerer: WithoutManager(reg)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The fake targets were never started and have no client.
		m.mu.Lock()
		m.targets = nil
		m.mu.Unlock()
		m.Close()
	})
	for name, runners := range targets {
		m.targets = append(m.targets, &target{
			cfg:     config.Target{Name: name, Provider: config.ProviderHuaweiCloud, Region: "ap-southeast-3", ProjectID: "p"},
			runners: runners,
		})
	}
	return m, reg
}

// handlerLogs keeps log records, level and message.
type handlerLogs struct {
	mu      sync.Mutex
	records []string
}

func (l *handlerLogs) Enabled(context.Context, slog.Level) bool { return true }
func (l *handlerLogs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Level.String()+" "+r.Message)
	return nil
}
func (l *handlerLogs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *handlerLogs) WithGroup(string) slog.Handler      { return l }
func (l *handlerLogs) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.records...)
}

func TestHandlerStopsWhenTheClientGoesAway(t *testing.T) {
	snap := newHandlerSnapshot(10000, 100)
	m, reg := handlerManager(t, map[string][]*runner{"a": {handlerRunner("a", "fake", true, snap)}})
	logs := &handlerLogs{}
	exporterReg := prometheus.NewRegistry()
	h := NewHandler(m, prometheus.Gatherers{exporterReg, reg}, HandlerOpts{Logger: slog.New(logs), Registry: exporterReg})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil).WithContext(ctx))
	}()
	select {
	case <-snap.paused:
	case <-time.After(10 * time.Second):
		t.Fatal("the scrape never reached the snapshot")
	}
	cancel() // the scraper goes away
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the handler did not return after its client went away")
	}
	if n := snap.emitted.Load(); n != 100 {
		t.Errorf("emitted %d rows, want the 100 before the client went away, not all 10000", n)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("an abandoned scrape wrote %d bytes", rec.Body.Len())
	}
	got := logs.all()
	if len(got) != 1 || !strings.HasPrefix(got[0], "DEBUG ") {
		t.Errorf("log of an abandoned scrape: %q, want one debug record", got)
	}
	// Nothing was encoded for the dead client, so nothing failed.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics?name[]=promhttp_metric_handler_errors_total", nil))
	if v := handlerCounter(handlerParse(t, rec.Body), "promhttp_metric_handler_errors_total", "cause", "encoding"); v != 0 {
		t.Errorf("promhttp_metric_handler_errors_total{cause=encoding} = %v after an abandoned scrape, want 0", v)
	}
}

func TestHandlerSkipsACancelledRequest(t *testing.T) {
	snap := newHandlerSnapshot(10, 0)
	m, reg := handlerManager(t, map[string][]*runner{"a": {handlerRunner("a", "fake", true, snap)}})
	h := NewHandler(m, reg, HandlerOpts{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/metrics", nil).WithContext(ctx))
	if n := snap.emitted.Load(); n != 0 {
		t.Errorf("a request cancelled before it started gathered %d rows", n)
	}
}

func TestHandlerInFlightLimit(t *testing.T) {
	snap := newHandlerSnapshot(1000, 10)
	m, reg := handlerManager(t, map[string][]*runner{"a": {handlerRunner("a", "fake", true, snap)}})
	exporterReg := prometheus.NewRegistry()
	h := NewHandler(m, prometheus.Gatherers{exporterReg, reg}, HandlerOpts{MaxRequestsInFlight: 1, Registry: exporterReg})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/metrics", nil).WithContext(ctx))
	}()
	select {
	case <-snap.paused:
	case <-time.After(10 * time.Second):
		t.Fatal("the first scrape never reached the snapshot")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "Limit of concurrent requests reached (1)") {
		t.Errorf("second scrape while the first runs: %d %q, want 503", rec.Code, rec.Body.String())
	}
	cancel()
	<-done

	// The slot is free again, and the 503 was counted.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape after the first ended: %d", rec.Code)
	}
	mfs := handlerParse(t, rec.Body)
	if v := handlerCounter(mfs, "promhttp_metric_handler_requests_total", "code", "503"); v != 1 {
		t.Errorf("promhttp_metric_handler_requests_total{code=503} = %v, want 1", v)
	}
	if mfs["promhttp_metric_handler_errors_total"] == nil {
		t.Error("promhttp_metric_handler_errors_total missing")
	}
}

func TestHandlerContentNegotiation(t *testing.T) {
	snap := newHandlerSnapshot(3, 0)
	m, reg := handlerManager(t, map[string][]*runner{"a": {handlerRunner("a", "fake", true, snap)}})
	exporterReg := prometheus.NewRegistry()
	srv := httptest.NewServer(NewHandler(m, prometheus.Gatherers{exporterReg, reg}, HandlerOpts{Registry: exporterReg}))
	defer srv.Close()

	for _, gz := range []bool{false, true} {
		for i := 0; i < 2; i++ { // a second scrape re-finds the registered instruments
			req, _ := http.NewRequest("GET", srv.URL, nil)
			if gz {
				// Set by hand, the transport leaves the body compressed.
				req.Header.Set("Accept-Encoding", "gzip")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body io.Reader = resp.Body
			if gz {
				if ce := resp.Header.Get("Content-Encoding"); ce != "gzip" {
					t.Fatalf("Content-Encoding %q, want gzip", ce)
				}
				zr, err := gzip.NewReader(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				body = zr
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
				t.Errorf("Content-Type %q, want the text format", ct)
			}
			mfs := handlerParse(t, body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if n := len(mfs["workspace_handler_test_row"].GetMetric()); n != 3 {
				t.Errorf("gzip=%v: %d rows, want 3", gz, n)
			}
			for _, name := range []string{"workspace_up", "workspace_target_info", "workspace_config_last_reload_successful", "promhttp_metric_handler_requests_total"} {
				if mfs[name] == nil {
					t.Errorf("gzip=%v: %s missing", gz, name)
				}
			}
		}
	}
}

func handlerParse(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("parsing the exposition: %v", err)
	}
	return mfs
}

func handlerCounter(mfs map[string]*dto.MetricFamily, name, label, value string) float64 {
	for _, m := range mfs[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label && l.GetValue() == value {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

func TestClientGone(t *testing.T) {
	for _, tc := range []struct {
		err  error
		gone bool
	}{
		{nil, false},
		{context.Canceled, true},
		{&net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}, true},
		{&net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.ECONNRESET)}, true},
		{fmt.Errorf("flattened: %v", syscall.EPIPE), true},
		{&net.OpError{Op: "write", Net: "tcp", Err: os.ErrDeadlineExceeded}, false}, // --web.write-timeout too short
		{context.DeadlineExceeded, false},
		{errors.New(`collected metric "x" was collected before with the same name and label values`), false},
	} {
		if got := clientGone(tc.err); got != tc.gone {
			t.Errorf("clientGone(%v) = %v, want %v", tc.err, got, tc.gone)
		}
	}
	logs := &handlerLogs{}
	l := &scrapeErrorLog{log: slog.New(logs)}
	l.Println("error encoding and sending metric family:", syscall.EPIPE)
	l.Println("error encoding and sending metric family:", syscall.ECONNRESET)
	l.Println("error gathering metrics:", errors.New("duplicate series"))
	if got := strings.Join(logs.all(), "|"); got != "DEBUG Scrape abandoned: the client went away|ERROR Scrape failed" {
		t.Errorf("log records %q", got)
	}
}

func TestReadyHandler(t *testing.T) {
	get := func(m *Manager) (int, string) {
		rec := httptest.NewRecorder()
		ReadyHandler(m).ServeHTTP(rec, httptest.NewRequest("GET", "/-/ready", nil))
		return rec.Code, rec.Body.String()
	}
	m, _ := handlerManager(t, nil)
	if code, body := get(m); code != 503 || body != "Not ready: no target is configured\n" {
		t.Errorf("no target: %d %q", code, body)
	}

	pending := handlerRunner("a", "desktops", false, nil)
	failed := handlerRunner("b", "desktops", true, nil)
	m, _ = handlerManager(t, map[string][]*runner{"a": {pending}, "b": {failed}})
	code, body := get(m)
	if code != 503 || !strings.HasPrefix(body, "Not ready:") || !strings.Contains(body, "a/desktops") || !strings.Contains(body, "b/desktops") {
		t.Errorf("first refresh running: %d %q", code, body)
	}

	// a's first refresh succeeds: ready, and b is named as having no data.
	close(pending.firstDone)
	pending.cur.Store(&state{snap: newHandlerSnapshot(1, 0), success: true, attempts: 1})
	if code, body := get(m); code != 200 || body != "Ready\nNo data yet (first refresh failed): b/desktops\n" {
		t.Errorf("after the first refreshes: %d %q", code, body)
	}

	// b succeeds later: plain ready.
	failed.cur.Store(&state{snap: newHandlerSnapshot(1, 0), success: true, attempts: 2})
	if code, body := get(m); code != 200 || body != "Ready\n" {
		t.Errorf("all data in: %d %q", code, body)
	}
}

func TestReloadHandler(t *testing.T) {
	var err error
	h := ReloadHandler(func() error { return err })
	for _, tc := range []struct {
		method string
		err    error
		code   int
		body   string
	}{
		{"GET", nil, 405, "requires a POST"},
		{"POST", nil, 200, "Configuration reloaded"},
		{"POST", errors.New(`line 3: unknown key "regoin"`), 500, `Failed to reload the configuration: line 3: unknown key "regoin"`},
	} {
		err = tc.err
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, "/-/reload", nil))
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s with err %v: %d %q", tc.method, tc.err, rec.Code, rec.Body.String())
		}
	}
}
