package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// BenchmarkDemoEndToEnd measures what a user gets from the real binary on
// the demo fleet (simulator included, in the same process), next to the
// floor measured in the same run: client_golang holding the same series in
// memory and gathering + encoding them per scrape through promhttp.
//
//	scrape-plain / scrape-gzip: one /metrics scrape through HTTP, body read
//	rss-MB: the exporter's RSS once settled after its first refreshes
//	api-requests: requests of every collector's first refresh
//	floor-heap-MB: heap the floor needs to hold the same series
//	peak-growth-%: VmHWM growth over RSS during 20 concurrent scrapes
func BenchmarkDemoEndToEnd(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("desktops=%d", n), func(b *testing.B) {
			e := startExporterB(b, n)
			pid := e.cmd.Process.Pid
			rss := settledRSS(b, pid)
			plain := scrapeBody(b, e.url, false)
			series := strings.Count(string(plain), "\n") - 2*strings.Count(string(plain), "\n# TYPE")
			floor := newFloor(b, plain)
			reqs, total := requestsByOperation(b, plain)
			b.Logf("desktops=%d: API requests of every collector's first refresh (usage includes its daily report walk), by operation: %v", n, reqs)

			b.Run("scrape-plain", func(b *testing.B) {
				for b.Loop() {
					scrapeBody(b, e.url, false)
				}
				b.ReportMetric(float64(len(plain)), "bytes")
				b.ReportMetric(float64(series), "series")
				b.ReportMetric(total, "api-requests")
			})
			b.Run("scrape-gzip", func(b *testing.B) {
				for b.Loop() {
					scrapeBody(b, e.url, true)
				}
			})
			b.Run("floor-plain", func(b *testing.B) {
				for b.Loop() {
					scrapeBody(b, floor.url, false)
				}
			})
			b.Run("floor-gzip", func(b *testing.B) {
				for b.Loop() {
					scrapeBody(b, floor.url, true)
				}
			})
			b.Run("memory", func(b *testing.B) {
				// The peak so far (the refresh's), then 20 concurrent
				// scrapes at a time; and the stricter figure: the peak
				// reset to the steady RSS first.
				peakBefore := procStatusKB(b, pid, "VmHWM")
				_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
				steady := procStatusKB(b, pid, "VmRSS")
				for b.Loop() {
					var wg sync.WaitGroup
					for range 20 {
						wg.Add(1)
						go func() { defer wg.Done(); scrapeBody(b, e.url, false) }()
					}
					wg.Wait()
				}
				peak := procStatusKB(b, pid, "VmHWM")
				b.ReportMetric(float64(rss)/1024, "rss-MB")
				b.ReportMetric(floor.heapMB, "floor-heap-MB")
				b.ReportMetric(float64(rss)/1024/floor.heapMB, "rss/floor-heap")
				b.ReportMetric(100*float64(max(peak, peakBefore)-peakBefore)/float64(peakBefore), "peak-growth-%")
				b.ReportMetric(100*float64(peak-steady)/float64(steady), "over-steady-%")
			})
		})
	}
}

// settledRSS waits until the first refreshes' garbage has gone back to
// the system: the RSS, sampled every 2 s, stays within 2% for three
// samples (at most 2 minutes), and returns it in KiB.
func settledRSS(b *testing.B, pid int) int64 {
	deadline := time.Now().Add(2 * time.Minute)
	last, stable := procStatusKB(b, pid, "VmRSS"), 0
	for stable < 3 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Second)
		cur := procStatusKB(b, pid, "VmRSS")
		if d := cur - last; d*50 <= last && -d*50 <= last {
			stable++
		} else {
			stable = 0
		}
		last = cur
	}
	return last
}

// requestsByOperation sums workspace_api_requests_total by operation.
func requestsByOperation(b *testing.B, text []byte) (map[string]float64, float64) {
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		b.Fatal(err)
	}
	out, total := map[string]float64{}, 0.0
	for _, m := range mfs["workspace_api_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "operation" && m.GetCounter().GetValue() > 0 {
				out[l.GetValue()] += m.GetCounter().GetValue()
				total += m.GetCounter().GetValue()
			}
		}
	}
	return out, total
}

var (
	benchBinaryOnce sync.Once
	benchBinary     string
)

// startExporterB starts the demo binary, built without the race detector
// (TestMain's is), with n desktops for a benchmark.
func startExporterB(b *testing.B, n int) *exporter {
	b.Helper()
	benchBinaryOnce.Do(func() {
		benchBinary = binary + "-bench"
		if out, err := exec.Command("go", "build", "-o", benchBinary, ".").CombinedOutput(); err != nil {
			b.Fatalf("building: %v\n%s", err, out)
		}
	})
	raceBinary := binary
	binary = benchBinary
	defer func() { binary = raceBinary }()
	e := launchExporter(b, nil, "--demo", "--demo.desktops="+strconv.Itoa(n), "--demo.churn-interval=1000h",
		"--demo.refresh-interval=1h")
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(e.url + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return e
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatal("exporter not ready")
	return nil
}

func scrapeBody(b testing.TB, url string, gz bool) []byte {
	req, _ := http.NewRequest(http.MethodGet, url+"/metrics", nil)
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	} else {
		req.Header.Set("Accept-Encoding", "identity")
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			b.Fatal(err)
		}
		r = zr
	}
	body, err := io.ReadAll(r)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	return body
}

func procStatusKB(b testing.TB, pid int, field string) int64 {
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(s), "\n") {
		if strings.HasPrefix(line, field+":") {
			n, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return n
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// floor is client_golang serving the same series from memory: const
// metrics rebuilt per scrape from label values held in memory, as a
// straightforward exporter would.
type floor struct {
	url    string
	heapMB float64
}

type floorSeries struct {
	desc   *prometheus.Desc
	values []string
	value  float64
	typ    prometheus.ValueType
}

type floorCollector struct{ series []floorSeries }

func (floorCollector) Describe(chan<- *prometheus.Desc) {}
func (c floorCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.series {
		ch <- prometheus.MustNewConstMetric(s.desc, s.typ, s.value, s.values...)
	}
}

func newFloor(b *testing.B, text []byte) *floor {
	b.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		b.Fatal(err)
	}
	var c floorCollector
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "workspace_") || name == "workspace_exporter_build_info" {
			continue
		}
		typ := prometheus.GaugeValue
		if mf.GetType() == dto.MetricType_COUNTER {
			typ = prometheus.CounterValue
		}
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			continue
		}
		var names []string
		for _, l := range mf.GetMetric()[0].GetLabel() {
			names = append(names, l.GetName())
		}
		desc := prometheus.NewDesc(name, mf.GetHelp(), names, nil)
		for _, m := range mf.GetMetric() {
			vals := make([]string, len(m.GetLabel()))
			for i, l := range m.GetLabel() {
				vals[i] = strings.Clone(l.GetValue())
			}
			c.series = append(c.series, floorSeries{desc, vals, m.GetGauge().GetValue() + m.GetCounter().GetValue(), typ})
		}
	}
	mfs = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	b.Cleanup(srv.Close)
	heap := float64(after.HeapInuse-before.HeapInuse) / (1 << 20)
	runtime.KeepAlive(c)
	return &floor{url: srv.URL, heapMB: heap}
}
