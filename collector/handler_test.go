package collector

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/config"
)

// handlerRunner is a runner of target tg that has (snap != nil) or has not
// finished its first refresh.
func handlerRunner(tg, name string, finished bool, snap Snapshot) *runner {
	r := &runner{target: tg, name: name, interval: time.Hour, logger: slog.New(slog.DiscardHandler),
		now: time.Now, firstDone: make(chan struct{})}
	if finished {
		close(r.firstDone)
		st := &state{attempts: 1}
		if snap != nil {
			st.hasData, st.success, st.lastSuccess = true, true, time.Unix(1700000000, 0)
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
	m, err := NewManager(Options{Registerer: reg})
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
			cfg:     config.Target{Name: name, Provider: huaweicloud.ProviderName, Options: &huaweicloud.TargetOptions{Region: "ap-southeast-3", ProjectID: "p"}},
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

// handlerStatic is a deterministic stand-in for the live self-metrics.
func handlerStatic(extra ...prometheus.Collector) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "workspace_handler_static", Help: "A live gauge."})
	g.Set(7)
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "workspace_handler_static_total", Help: "A live counter."}, []string{"op"})
	c.WithLabelValues("x").Add(3)
	reg.MustRegister(g, c)
	reg.MustRegister(extra...)
	return reg
}

// staticText is what promhttp would encode for reg.
func staticText(t *testing.T, reg prometheus.Gatherer) []byte {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func fixedSource(e *Exposition) ExpositionSource {
	return ExpositionFunc(func() *Exposition { return e })
}

// scrapeWith serves one request with the given headers (and query).
func scrapeWith(h http.Handler, query, accept, encoding string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/metrics"+query, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerServesStaticThenExposition(t *testing.T) {
	static := handlerStatic()
	e := Render(familiesOf(hardSamples()))
	h := NewHandler(fixedSource(e), static, HandlerOpts{})
	want := append(staticText(t, static), e.Text()...)

	plain := scrapeWith(h, "", prometheusAccept, "")
	if plain.Code != 200 || !bytes.Equal(plain.Body.Bytes(), want) {
		t.Fatalf("plain scrape: %d\n%s", plain.Code, firstDiff(plain.Body.Bytes(), want))
	}
	if cl := plain.Header().Get("Content-Length"); cl != fmt.Sprint(len(want)) {
		t.Errorf("Content-Length %s, want %d", cl, len(want))
	}
	if ce := plain.Header().Get("Content-Encoding"); ce != "" {
		t.Errorf("plain scrape has Content-Encoding %q", ce)
	}

	zipped := scrapeWith(h, "", prometheusAccept, "gzip")
	if ce := zipped.Header().Get("Content-Encoding"); ce != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", ce)
	}
	if cl := zipped.Header().Get("Content-Length"); cl != fmt.Sprint(zipped.Body.Len()) {
		t.Errorf("Content-Length %s, body %d bytes", cl, zipped.Body.Len())
	}
	// One gzip member, not a concatenation: every reader can decode it.
	if got := gunzipOne(t, zipped.Body.Bytes()); !bytes.Equal(got, want) {
		t.Fatalf("gzip scrape decodes to something else:\n%s", firstDiff(got, want))
	}
	if zipped.Body.Len() >= len(want)/3 {
		t.Errorf("gzip scrape: %d bytes for %d of text", zipped.Body.Len(), len(want))
	}

	// Through HTTP, with the real live metrics and the transport's own
	// gzip handling: Prometheus' text parser reads it all.
	live := staticRegistry()
	srv := httptest.NewServer(NewHandler(fixedSource(Render(familiesOf(fleetSamples("t", 500, 1)))), live, HandlerOpts{Registry: live}))
	defer srv.Close()
	for i := 0; i < 2; i++ { // the second scrape sees the promhttp counters
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !resp.Uncompressed {
			t.Fatalf("read: %v, transparently decompressed: %v", err, resp.Uncompressed)
		}
		mfs := parseText(t, body)
		for _, name := range []string{"workspace_desktop_info", "workspace_up", "go_goroutines", "process_cpu_seconds_total",
			"promhttp_metric_handler_requests_total", "promhttp_metric_handler_errors_total"} {
			if mfs[name] == nil && (i > 0 || name != "promhttp_metric_handler_requests_total") {
				t.Errorf("scrape %d: %s missing", i, name)
			}
		}
	}
}

// TestHandlerNegotiatesAsPromhttp: Content-Type (the text format, its
// escaping parameter), Content-Encoding and Vary are what promhttp
// answers when it offers the text format only; for Accept headers asking
// for other formats (protobuf, OpenMetrics) promhttp would answer those,
// and the handler answers text, which Prometheus reads from Content-Type.
func TestHandlerNegotiatesAsPromhttp(t *testing.T) {
	static := handlerStatic()
	h := NewHandler(fixedSource(Render(familiesOf(hardSamples()))), static, HandlerOpts{})
	ref := promhttp.HandlerFor(static, promhttp.HandlerOpts{AcceptedFormats: []expfmt.Format{expfmt.FmtText}})
	accepts := []string{
		"",
		prometheusAccept,
		// Prometheus 3 with native histograms (protobuf first).
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6," + prometheusAccept,
		// Prometheus 2.
		"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		"application/openmetrics-text;version=1.0.0",
		"text/plain",
		"text/plain;version=0.0.4;escaping=allow-utf-8",
		"text/plain;version=0.0.4;escaping=values",
		"*/*",
		"application/json",
	}
	encodings := []string{"", "gzip", "identity", "*", "gzip;q=0", "gzip, identity", "identity;q=0.5, gzip", "gzip;q=0.5, identity;q=0.6",
		"br, deflate", "deflate, gzip;q=1.0, *;q=0.5", "gzip;q=bad", "zstd, gzip"}
	for _, accept := range accepts {
		for _, enc := range encodings {
			got, want := scrapeWith(h, "", accept, enc), scrapeWith(ref, "", accept, enc)
			for _, k := range []string{"Content-Type", "Content-Encoding"} {
				if got.Header().Get(k) != want.Header().Get(k) {
					t.Errorf("Accept %q, Accept-Encoding %q: %s %q, promhttp %q", accept, enc, k, got.Header().Get(k), want.Header().Get(k))
				}
			}
			if g, w := got.Header().Values("Vary"), want.Header().Values("Vary"); fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("Vary %q, promhttp %q", g, w)
			}
		}
	}
}

func TestHandlerDropsStaticFamiliesOfTheExposition(t *testing.T) {
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "test_c", Help: "A live family with the exposition's name."})
	static := handlerStatic(up)
	logs := &handlerLogs{}
	e := Render(familiesOf(hardSamples()))
	h := NewHandler(fixedSource(e), static, HandlerOpts{Logger: slog.New(logs)})
	for range 3 {
		for _, enc := range []string{"", "gzip"} {
			rec := scrapeWith(h, "", "", enc)
			body := rec.Body.Bytes()
			if enc == "gzip" {
				body = gunzipOne(t, body)
			}
			mfs := parseText(t, body) // a family written twice would not parse
			if got, want := len(mfs["test_c"].GetMetric()), len(hardValues); got != want {
				t.Errorf("test_c has %d series, want the exposition's %d", got, want)
			}
			if mfs["workspace_handler_static"] == nil {
				t.Error("the other live families are dropped too")
			}
		}
	}
	if got := logs.all(); len(got) != 1 || !strings.HasPrefix(got[0], "ERROR ") {
		t.Errorf("log: %q, want one error record", got)
	}
}

func TestHandlerNameFilter(t *testing.T) {
	static := handlerStatic()
	e := Render(familiesOf(hardSamples()))
	h := NewHandler(fixedSource(e), static, HandlerOpts{})
	for _, enc := range []string{"", "gzip"} {
		rec := scrapeWith(h, "?name[]=test_b_total&name[]=workspace_handler_static&name[]=absent", "", enc)
		body := rec.Body.Bytes()
		if enc == "gzip" {
			body = gunzipOne(t, body)
		}
		want := "# HELP workspace_handler_static A live gauge.\n# TYPE workspace_handler_static gauge\nworkspace_handler_static 7\n" +
			"# HELP test_b_total \n# TYPE test_b_total counter\ntest_b_total 42\n"
		if string(body) != want {
			t.Errorf("%q: got\n%s\nwant\n%s", enc, body, want)
		}
	}
}

func TestHandlerInFlightLimit(t *testing.T) {
	exporterReg := prometheus.NewRegistry()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	blocking := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		once.Do(func() {
			close(entered)
			<-release
		})
		return nil, nil
	})
	h := NewHandler(fixedSource(Render(familiesOf(hardSamples()))), prometheus.Gatherers{exporterReg, blocking},
		HandlerOpts{MaxRequestsInFlight: 1, Registry: exporterReg})
	done := make(chan struct{})
	go func() {
		defer close(done)
		scrapeWith(h, "", "", "")
	}()
	<-entered
	if rec := scrapeWith(h, "", "", ""); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "Limit of concurrent requests reached (1)") {
		t.Errorf("second scrape while the first runs: %d %q, want 503", rec.Code, rec.Body.String())
	}
	close(release)
	<-done

	// The slot is free again, and the 503 was counted.
	rec := scrapeWith(h, "", "", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape after the first ended: %d", rec.Code)
	}
	mfs := handlerParse(t, rec.Body)
	if v := handlerCounter(mfs, "promhttp_metric_handler_requests_total", "code", "503"); v != 1 {
		t.Errorf("promhttp_metric_handler_requests_total{code=503} = %v, want 1", v)
	}
	if v := handlerCounter(mfs, "promhttp_metric_handler_errors_total", "cause", "encoding"); v != 0 {
		t.Errorf("promhttp_metric_handler_errors_total{cause=encoding} = %v, want 0", v)
	}
	if mfs["promhttp_metric_handler_requests_in_flight"] == nil {
		t.Error("promhttp_metric_handler_requests_in_flight missing")
	}
	// A second handler on the same registry shares the counters.
	NewHandler(fixedSource(nil), nil, HandlerOpts{Registry: exporterReg})
}

func TestHandlerContinuesOnGatheringErrors(t *testing.T) {
	exporterReg := prometheus.NewRegistry()
	failing := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return nil, errors.New("a live collector failed") })
	logs := &handlerLogs{}
	e := Render(familiesOf(hardSamples()))
	h := NewHandler(fixedSource(e), prometheus.Gatherers{handlerStatic(), exporterReg, failing},
		HandlerOpts{Logger: slog.New(logs), Registry: exporterReg})
	scrapeWith(h, "", "", "") // counted after its gathering: seen by the next scrape
	rec := scrapeWith(h, "", "", "")
	mfs := handlerParse(t, rec.Body)
	if rec.Code != 200 || mfs["workspace_handler_static"] == nil || mfs["test_a"] == nil {
		t.Fatalf("%d, families %d: want the rest served", rec.Code, len(mfs))
	}
	if v := handlerCounter(mfs, "promhttp_metric_handler_errors_total", "cause", "gathering"); v != 1 {
		t.Errorf("promhttp_metric_handler_errors_total{cause=gathering} = %v, want 1", v)
	}
	if got := logs.all(); len(got) != 2 || !strings.HasPrefix(got[0], "ERROR ") {
		t.Errorf("log: %q", got)
	}
	// Nothing at all to serve: 500, as promhttp.
	rec = scrapeWith(NewHandler(fixedSource(nil), failing, HandlerOpts{}), "", "", "gzip")
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "a live collector failed") || rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("nothing gathered: %d %q", rec.Code, rec.Body.String())
	}
}

func TestHandlerSkipsACancelledRequest(t *testing.T) {
	var asked atomic.Bool
	h := NewHandler(ExpositionFunc(func() *Exposition { asked.Store(true); return nil }), handlerStatic(), HandlerOpts{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil).WithContext(ctx))
	if asked.Load() || rec.Body.Len() != 0 {
		t.Errorf("a request cancelled before it started was served (%d bytes)", rec.Body.Len())
	}
}

// bigExposition renders about size bytes of series, and stands in a
// gzip form as big (never decoded: the client goes away).
func bigExposition(size int) *Exposition {
	d := NewFamilyDesc("test_big", "Many long series.", prometheus.GaugeValue, "target", "row", "pad")
	b := NewBuilder()
	pad := strings.Repeat("p", 2000)
	for i := 0; i*2040 < size; i++ {
		b.Add(d, float64(i), "t", fmt.Sprintf("%09d", i), pad)
	}
	e := Render(b.Families())
	e.gzOnce.Do(func() { e.gz = appendGzipTrailer(append(slices.Clone(gzipHeader), make([]byte, size)...), 0, 0) })
	return e
}

// countingWriter counts what a handler wrote.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}

func TestHandlerStopsWhenTheClientGoesAway(t *testing.T) {
	e := bigExposition(50 << 20)
	logs := &handlerLogs{}
	exporterReg := prometheus.NewRegistry()
	h := NewHandler(fixedSource(e), exporterReg, HandlerOpts{Logger: slog.New(logs), Registry: exporterReg})
	var written atomic.Int64
	done := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { done <- struct{}{} }()
		h.ServeHTTP(countingWriter{w, &written}, r)
	}))
	defer srv.Close()

	for _, enc := range []string{"identity", "gzip"} {
		written.Store(0)
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: %s\r\n\r\n", enc)
		if _, err := io.CopyN(io.Discard, bufio.NewReader(conn), 64<<10); err != nil {
			t.Fatal(err)
		}
		conn.Close() // the scraper goes away
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("the handler did not return after its client went away")
		}
		total := len(e.Text())
		if enc == "gzip" {
			total = len(e.Gzip())
		}
		if n := written.Load(); n >= int64(total) {
			t.Errorf("%s: wrote all %d bytes to a client that went away", enc, n)
		} else {
			t.Logf("%s: stopped after %d of %d bytes", enc, n, total)
		}
	}
	for _, r := range logs.all() {
		if !strings.HasPrefix(r, "DEBUG ") {
			t.Errorf("log record %q: a client going away is logged at debug level only", r)
		}
	}
	rec := scrapeWith(h, "?name[]=promhttp_metric_handler_errors_total", "", "")
	if v := handlerCounter(handlerParse(t, rec.Body), "promhttp_metric_handler_errors_total", "cause", "encoding"); v != 0 {
		t.Errorf("promhttp_metric_handler_errors_total{cause=encoding} = %v after abandoned scrapes, want 0", v)
	}
}

// discardWriter is a ResponseWriter that keeps nothing but where the
// biggest write came from.
type discardWriter struct {
	h       http.Header
	biggest []byte
	n       int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(int)     {}
func (w *discardWriter) Write(p []byte) (int, error) {
	if len(p) > len(w.biggest) {
		w.biggest = p
	}
	w.n += len(p)
	return len(p), nil
}

// within reports whether p lies in the memory of b.
func within(p, b []byte) bool {
	if len(p) == 0 || len(b) == 0 {
		return false
	}
	start, end := uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))+uintptr(len(b))
	q := uintptr(unsafe.Pointer(unsafe.SliceData(p)))
	return q >= start && q+uintptr(len(p)) <= end
}

// TestConcurrentScrapesShareTheExposition: 20 concurrent scrapes of a
// 100,000-series exposition write its bytes as they are (no copy) and
// allocate little beyond the static part, which here is empty.
func TestConcurrentScrapesShareTheExposition(t *testing.T) {
	e := Render(familiesOf(fleetSamples("t", 33300, 1)))
	if e.Series() < 100000 {
		t.Fatalf("%d series", e.Series())
	}
	e.Gzip()
	h := NewHandler(fixedSource(e), nil, HandlerOpts{})
	scrape := func(gz bool) *discardWriter {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, req)
		return w
	}
	for _, gz := range []bool{false, true} {
		run := func() []*discardWriter {
			ws := make([]*discardWriter, 20)
			var wg sync.WaitGroup
			for i := range ws {
				wg.Go(func() { ws[i] = scrape(gz) })
			}
			wg.Wait()
			return ws
		}
		run() // fill the pools
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ws := run()
		runtime.ReadMemStats(&after)
		shared, size := e.Segments(), e.Size()
		if gz {
			shared, size = [][]byte{e.Gzip()}, len(e.Gzip())
		}
		for _, w := range ws {
			fromShared := false
			for _, seg := range shared {
				fromShared = fromShared || within(w.biggest, seg)
			}
			if !fromShared || w.n < size {
				t.Fatalf("gzip=%v: a scrape wrote %d bytes, not from the shared exposition", gz, w.n)
			}
		}
		perScrape := (after.TotalAlloc - before.TotalAlloc) / 20
		t.Logf("gzip=%v: %d bytes allocated per scrape of %d bytes", gz, perScrape, len(shared))
		if perScrape > 32<<10 {
			t.Errorf("gzip=%v: %d bytes allocated per scrape (the body is %d bytes)", gz, perScrape, len(shared))
		}
		if allocs := testing.AllocsPerRun(5, func() { scrape(gz) }); allocs > 60 {
			t.Errorf("gzip=%v: %v allocations per scrape", gz, allocs)
		}
	}
}

func handlerParse(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return parseText(t, b)
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
	pending.cur.Store(&state{hasData: true, success: true, attempts: 1})
	if code, body := get(m); code != 200 || body != "Ready\nNo data yet (first refresh failed): b/desktops\n" {
		t.Errorf("after the first refreshes: %d %q", code, body)
	}

	// b succeeds later: plain ready.
	failed.cur.Store(&state{hasData: true, success: true, attempts: 2})
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
