package collector

// Scrape benchmarks: the pre-encoded /metrics path against the floor of
// the client_golang way (gather const metrics held in memory and
// text-encode them per scrape), both through HTTP on loopback with a real
// client reading the whole body, in the same run.
//
//	go test -run '^$' -bench 'Scrape' -benchtime 3x ./collector/
//
// ratio_to_floor is ours ns/op over the floor's (the fastest of a few
// floor scrapes, so the ratio errs against us). BenchmarkScrapeRSS reports
// how much 20 concurrent scrapes raise the peak RSS.

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
)

// The fleet's families, shaped as METRICS.md describes the desktops
// collector and the health metrics.
var (
	fleetDesktops = NewFamilyDesc("workspace_desktops",
		"Desktops by status and login status. Every documented combination is present (0 when none); undocumented values the API returns are added.",
		prometheus.GaugeValue, "target", "status", "login_status")
	fleetTasks = NewFamilyDesc("workspace_desktop_tasks",
		"Desktops with an operation in flight, by task status. Every documented task status is present (0 when none).",
		prometheus.GaugeValue, "target", "task_status")
	fleetInfo = NewFamilyDesc("workspace_desktop_info", "Per-desktop attributes for joins on desktop_id. Always 1.",
		prometheus.GaugeValue, "target", "desktop_id", "desktop_name", "user_name", "desktop_type", "pool_id", "availability_zone", "product_id", "os_type")
	fleetStatus = NewFamilyDesc("workspace_desktop_status", "Current status of each desktop (the status label). Always 1.",
		prometheus.GaugeValue, "target", "desktop_id", "status")
	fleetLogin = NewFamilyDesc("workspace_desktop_login_status", "Current login status of each desktop (the login_status label). Always 1.",
		prometheus.GaugeValue, "target", "desktop_id", "login_status")
	fleetTask = NewFamilyDesc("workspace_desktop_task_status", "Task running on a desktop (the task_status label); present only while a task runs. Always 1.",
		prometheus.GaugeValue, "target", "desktop_id", "task_status")
	fleetFolded = NewFamilyDesc("workspace_label_values_folded",
		"Distinct undocumented values of a label folded into \"other\" in the latest data, because more than 20 undocumented values appeared for that label of the target.",
		prometheus.GaugeValue, "target", "collector", "label")
	fleetUp = NewFamilyDesc("workspace_up",
		"1 when the latest refresh of every enabled collector of the target succeeded, 0 otherwise.", prometheus.GaugeValue, "target")
	fleetTargetInfo = NewFamilyDesc("workspace_target_info",
		"Configured targets: the cloud provider, region and project of each. Always 1.",
		prometheus.GaugeValue, "target", "provider", "region", "project_id")
	fleetSuccess = NewFamilyDesc("workspace_collector_success",
		"1 when the latest background refresh of the collector succeeded, 0 when it failed (the last complete data is still served).",
		prometheus.GaugeValue, "target", "collector")
	fleetDuration = NewFamilyDesc("workspace_collector_duration_seconds",
		"Seconds the latest background refresh of the collector took, successful or not.", prometheus.GaugeValue, "target", "collector")
	fleetLastSuccess = NewFamilyDesc("workspace_collector_last_success_timestamp_seconds",
		"Unix time at which the collector's served data was fetched (end of its latest successful refresh).",
		prometheus.GaugeValue, "target", "collector")
)

// sample is one series, as test input for both encoders.
type sample struct {
	d  *FamilyDesc
	v  float64
	lv []string
}

// fleetSamples returns the series of a target's fleet of n desktops
// (seeded, in API order, not sorted): 3 per desktop, 1 more for the 5%
// with a task, the aggregates and the health metrics.
func fleetSamples(target string, n int, seed uint64) []sample {
	rng := rand.New(rand.NewPCG(seed, 7))
	statuses := []string{"ACTIVE", "ACTIVE", "ACTIVE", "SHUTOFF", "ERROR", "HIBERNATED"}
	logins := []string{"UNREGISTER", "REGISTERED", "CONNECTED", "CONNECTED", "DISCONNECTED"}
	zones := []string{"ap-southeast-3a", "ap-southeast-3b", "ap-southeast-3c"}
	counts := map[[2]string]int{}
	tasks := map[string]int{}
	out := make([]sample, 0, 3*n+n/20+64)
	for i := range n {
		id := fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", rng.Uint32(), rng.Uint32N(1<<16), rng.Uint32N(1<<12), rng.Uint32N(1<<12), rng.Uint64N(1<<48))
		st, ls := statuses[rng.IntN(len(statuses))], logins[rng.IntN(len(logins))]
		counts[[2]string{st, ls}]++
		dtype, pool, osType := "DEDICATED", "", "Windows"
		if i%4 == 0 {
			dtype, pool = "POOLED", fmt.Sprintf("pool-%02d", i%17)
		}
		if i%10 == 0 {
			osType = "Linux"
		}
		out = append(out,
			sample{fleetInfo, 1, []string{target, id, fmt.Sprintf("DESKTOP-%06d", i), fmt.Sprintf("user%06d", rng.IntN(1000000)),
				dtype, pool, zones[i%len(zones)], "workspace.x86.ultimate.large2", osType}},
			sample{fleetStatus, 1, []string{target, id, st}},
			sample{fleetLogin, 1, []string{target, id, ls}})
		if i%20 == 0 {
			ts := desktopTaskStatuses[i%len(desktopTaskStatuses)]
			tasks[ts]++
			out = append(out, sample{fleetTask, 1, []string{target, id, ts}})
		}
	}
	for _, st := range desktopStatuses {
		for _, ls := range desktopLoginStatuses {
			out = append(out, sample{fleetDesktops, float64(counts[[2]string{st, ls}]), []string{target, st, ls}})
		}
	}
	for _, ts := range desktopTaskStatuses {
		out = append(out, sample{fleetTasks, float64(tasks[ts]), []string{target, ts}})
	}
	for _, l := range []string{"status", "login_status", "task_status"} {
		out = append(out, sample{fleetFolded, 0, []string{target, "desktops", l}})
	}
	return append(out,
		sample{fleetUp, 1, []string{target}},
		sample{fleetTargetInfo, 1, []string{target, "huaweicloud", "ap-southeast-3", "0a1b2c3d4e5f60718293a4b5c6d7e8f9"}},
		sample{fleetSuccess, 1, []string{target, "desktops"}},
		sample{fleetDuration, 12.345678, []string{target, "desktops"}},
		sample{fleetLastSuccess, 1.7e9 + 0.123, []string{target, "desktops"}})
}

// familiesOf renders samples with a Builder.
func familiesOf(ss []sample) Families {
	b := NewBuilder()
	for _, s := range ss {
		b.Add(s.d, s.v, s.lv...)
	}
	return b.Families()
}

// promDescs caches a prometheus.Desc per FamilyDesc.
var promDescs sync.Map

func promDescOf(d *FamilyDesc) *prometheus.Desc {
	if pd, ok := promDescs.Load(d); ok {
		return pd.(*prometheus.Desc)
	}
	pd, _ := promDescs.LoadOrStore(d, prometheus.NewDesc(d.Name(), d.Help(), d.LabelNames(), nil))
	return pd.(*prometheus.Desc)
}

// constMetricsOf turns samples into client_golang const metrics.
func constMetricsOf(ss []sample) []prometheus.Metric {
	out := make([]prometheus.Metric, len(ss))
	for i, s := range ss {
		out[i] = prometheus.MustNewConstMetric(promDescOf(s.d), s.d.Type(), s.v, s.lv...)
	}
	return out
}

// metricsCollector is an unchecked collector sending metrics held in
// memory: the cheapest way client_golang can serve them.
type metricsCollector []prometheus.Metric

func (metricsCollector) Describe(chan<- *prometheus.Desc) {}
func (c metricsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

// referenceText is what client_golang serves for ms: a registry gathering
// them, each family text-encoded by expfmt.
func referenceText(tb testing.TB, ms []prometheus.Metric) []byte {
	tb.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(metricsCollector(ms))
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatalf("client_golang gathering: %v", err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}

// staticRegistry holds what main serves live: process, Go and promhttp
// metrics (the latter registered by NewHandler or promhttp).
func staticRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	return reg
}

// scrapeFixture serves one fleet both ways.
type scrapeFixture struct {
	series        int
	parts         []Families // kept, as the Manager keeps each snapshot's
	expo          *Exposition
	ours, floor   *httptest.Server
	client        *http.Client
	oursStatic    *prometheus.Registry
	floorMetrics  []prometheus.Metric
	floorRegistry *prometheus.Registry
}

// newScrapeFixture builds n desktops (split over 2 targets) and serves
// them pre-encoded and, when withFloor, the client_golang way.
func newScrapeFixture(tb testing.TB, n int, withFloor bool) *scrapeFixture {
	tb.Helper()
	fx := &scrapeFixture{client: &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}}}
	tb.Cleanup(fx.client.CloseIdleConnections)
	a, b := fleetSamples("prod-a", n/2, 1), fleetSamples("prod-b", n-n/2, 2)
	fx.parts = []Families{familiesOf(a), familiesOf(b)}
	fx.expo = Render(fx.parts...)
	fx.expo.Gzip() // as the Manager would, before publishing
	fx.series = fx.expo.Series()
	fx.oursStatic = staticRegistry()
	fx.ours = httptest.NewServer(NewHandler(ExpositionFunc(func() *Exposition { return fx.expo }), fx.oursStatic,
		HandlerOpts{Registry: fx.oursStatic}))
	tb.Cleanup(fx.ours.Close)
	if withFloor {
		fx.floorMetrics = constMetricsOf(append(a, b...))
		fx.floorRegistry = staticRegistry()
		fx.floorRegistry.MustRegister(metricsCollector(fx.floorMetrics))
		fx.floor = httptest.NewServer(promhttp.InstrumentMetricHandler(fx.floorRegistry,
			promhttp.HandlerFor(fx.floorRegistry, promhttp.HandlerOpts{Registry: fx.floorRegistry, ErrorHandling: promhttp.ContinueOnError})))
		tb.Cleanup(fx.floor.Close)
	}
	return fx
}

// scrape GETs url as Prometheus does (its Accept header, gzip when gz)
// and reads the whole body, still compressed; it returns the body size.
func (fx *scrapeFixture) scrape(tb testing.TB, url string, gz bool) int {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Accept", prometheusAccept)
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := fx.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.StatusCode != 200 {
		tb.Fatalf("scrape %s: status %d, %v", url, resp.StatusCode, err)
	}
	return int(n)
}

// prometheusAccept is the Accept header of Prometheus 3 scrapes.
const prometheusAccept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

// fastest returns the shortest of runs scrapes of url.
func (fx *scrapeFixture) fastest(tb testing.TB, url string, gz bool, runs int) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range runs {
		start := time.Now()
		fx.scrape(tb, url, gz)
		best = min(best, time.Since(start))
	}
	return best
}

func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		fx := newScrapeFixture(b, n, true)
		for _, gz := range []bool{false, true} {
			enc := "plain"
			if gz {
				enc = "gzip"
			}
			b.Run(fmt.Sprintf("desktops=%d/%s", n, enc), func(b *testing.B) {
				runs := 3
				if n <= 10000 {
					runs = 10
				}
				fx.scrape(b, fx.floor.URL, gz) // warm both
				fx.scrape(b, fx.ours.URL, gz)
				floor := fx.fastest(b, fx.floor.URL, gz, runs)
				floorBytes := fx.scrape(b, fx.floor.URL, gz)
				runtime.GC()
				b.ReportAllocs()
				var size int
				for b.Loop() {
					size = fx.scrape(b, fx.ours.URL, gz)
				}
				ours := b.Elapsed() / time.Duration(b.N)
				b.ReportMetric(float64(ours)/float64(floor), "ratio_to_floor")
				b.ReportMetric(float64(floor.Nanoseconds()), "floor_ns/op")
				b.ReportMetric(float64(size), "bytes")
				b.ReportMetric(float64(floorBytes), "floor_bytes")
				b.ReportMetric(float64(fx.series), "series")
			})
		}
	}
}

// BenchmarkRender: what a publish costs: merging the Families of two
// targets into the exposition, and its gzip form.
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		parts := []Families{familiesOf(fleetSamples("prod-a", n/2, 1)), familiesOf(fleetSamples("prod-b", n-n/2, 2))}
		b.Run(fmt.Sprintf("desktops=%d/text", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Render(parts...)
			}
		})
		b.Run(fmt.Sprintf("desktops=%d/gzip", n), func(b *testing.B) {
			e := Render(parts...)
			b.ReportAllocs()
			for b.Loop() {
				_ = gzipMember(e.Segments())
			}
			b.ReportMetric(float64(len(e.Text())), "text_bytes")
			b.ReportMetric(float64(len(e.Gzip())), "gzip_bytes")
		})
	}
}

// BenchmarkBuild: what a refresh adds: rendering one target's series
// with a Builder.
func BenchmarkBuild(b *testing.B) {
	ss := fleetSamples("prod-a", 100000, 1)
	b.ReportAllocs()
	for b.Loop() {
		familiesOf(ss)
	}
	b.ReportMetric(float64(len(ss)), "series")
}

// BenchmarkScrapeRSS reports how much 20 concurrent scrapes of 100,000
// desktops raise the process's peak RSS over its RSS before them
// (rss_growth_pct), for our handler and, separately, for the floor; each
// in a process state holding only its own data. Not an assertion: RSS
// depends on the machine and the GC.
func BenchmarkScrapeRSS(b *testing.B) {
	for _, way := range []string{"ours", "floor"} {
		for _, gz := range []bool{false, true} {
			enc := "plain"
			if gz {
				enc = "gzip"
			}
			b.Run(way+"/"+enc, func(b *testing.B) {
				fx := newScrapeFixture(b, 100000, way == "floor")
				url := fx.ours.URL
				if way == "floor" {
					url = fx.floor.URL
					fx.parts, fx.expo = nil, Render() // drop ours
				}
				fx.scrape(b, url, gz)
				var growth, peakMB, baseMB float64
				for b.Loop() {
					growth, baseMB, peakMB = measureRSSGrowth(b, func() { concurrentScrapes(b, fx, url, gz, 20) })
				}
				b.ReportMetric(growth, "rss_growth_pct")
				b.ReportMetric(baseMB, "rss_before_MB")
				b.ReportMetric(peakMB, "rss_peak_MB")
				runtime.KeepAlive(fx)
			})
		}
	}
}

func concurrentScrapes(tb testing.TB, fx *scrapeFixture, url string, gz bool, n int) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			fx.scrape(tb, url, gz)
		})
	}
	close(start)
	wg.Wait()
}

// measureRSSGrowth runs f and returns how much the peak RSS during f
// exceeded the RSS before it, in percent, and both in MB. The peak is
// VmHWM after resetting it (clear_refs), or, where that is refused, the
// highest VmRSS sampled every millisecond.
func measureRSSGrowth(tb testing.TB, f func()) (pct, beforeMB, peakMB float64) {
	tb.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	before := procStatusKB(tb, "VmRSS")
	hwmReset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	stop := make(chan struct{})
	sampled := make(chan int)
	go func() {
		peak := 0
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, procStatusKB(tb, "VmRSS"))
			select {
			case <-stop:
				sampled <- peak
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	peak := <-sampled
	if hwmReset {
		peak = max(peak, procStatusKB(tb, "VmHWM"))
	}
	return 100 * float64(peak-before) / float64(before), float64(before) / 1024, float64(peak) / 1024
}

// procStatusKB reads a "kB" field of /proc/self/status.
func procStatusKB(tb testing.TB, field string) int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Skipf("no /proc/self/status: %v", err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				tb.Fatalf("%s: %v", field, err)
			}
			return kb
		}
	}
	tb.Skipf("no %s in /proc/self/status", field)
	return 0
}

// TestScrapeFixtureMatchesFloor: the benchmark compares equal things:
// both ways serve the same fleet series, byte for byte.
func TestScrapeFixtureMatchesFloor(t *testing.T) {
	ss := slices.Concat(fleetSamples("prod-a", 600, 1), fleetSamples("prod-b", 400, 2))
	want := referenceText(t, constMetricsOf(ss))
	got := Render(familiesOf(ss[:700]), familiesOf(ss[700:])).Text()
	if !bytes.Equal(got, want) {
		t.Fatalf("pre-encoded fleet differs from client_golang's:\n%s", firstDiff(got, want))
	}
}
