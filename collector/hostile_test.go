package collector

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// hostileTarget is a Manager with one target "sim" on a simulator of n
// desktops, logging at debug into logs, after its first (clean) refresh.
type hostileTarget struct {
	sim  *hwsim.Simulator
	m    *Manager
	reg  *prometheus.Registry
	logs *lockedBuffer
}

func newHostileTarget(t *testing.T, n int, extra string) *hostileTarget {
	t.Helper()
	return newHostileTargetWith(t, n, func(url string) string {
		return simYAML(url, benchCredentials, hostileAPI, extra)
	})
}

// hostileAPI retries once, quickly.
const hostileAPI = "api: {max_retries: 1, min_backoff: 10ms, max_backoff: 20ms}"

// newHostileTargetWith is newHostileTarget with the configuration yaml
// returns for the simulator's URL; setup runs on the simulator before the
// first refresh.
func newHostileTargetWith(t *testing.T, n int, yaml func(url string) string, setup ...func(*hwsim.Simulator)) *hostileTarget {
	t.Helper()
	sim, url := startSim(t, n)
	for _, f := range setup {
		f(sim)
	}
	h := &hostileTarget{sim: sim, logs: &lockedBuffer{}}
	h.reg = prometheus.NewRegistry()
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := NewManager(Options{Registerer: h.reg, Logger: logger, StartSpread: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	h.reg.MustRegister(m)
	h.m = m
	applyYAML(t, m, yaml(url))
	return h
}

// state returns workspace_collector_success, the number of per-desktop
// status series, and the sum of workspace_desktops.
func (h *hostileTarget) state(t *testing.T) (success float64, perDesktop int, total float64) {
	t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			switch mf.GetName() {
			case "workspace_collector_success":
				success = mt.GetGauge().GetValue()
			case "workspace_desktop_status":
				perDesktop++
			case "workspace_desktops":
				total += mt.GetGauge().GetValue()
			}
		}
	}
	return
}

// exposition is the text a scrape would return.
func (h *hostileTarget) exposition(t *testing.T) string {
	t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// assertNoSecret fails when 8 consecutive characters of a configured
// secret appear in s.
func assertNoSecret(t *testing.T, where, s string) {
	t.Helper()
	for _, sec := range []string{benchAK, benchSK} {
		for i := 0; i+8 <= len(sec); i++ {
			if strings.Contains(s, sec[i:i+8]) {
				t.Errorf("%s shows the secret fragment %q", where, sec[i:i+8])
				return
			}
		}
	}
}

// Each hostile answer either fails the refresh while the last complete
// data stays served, or is skipped and counted; it is never a success with
// wrong data, and no secret fragment reaches the logs, the errors or
// /metrics.
func TestHostileAPIAnswers(t *testing.T) {
	rec, err := simulator.NewRecorder()
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	const n = 1234
	type outcome int
	const (
		fails outcome = iota
		recovers
	)
	cases := []struct {
		name  string
		fault simulator.Fault
		want  outcome
		log   string // a phrase the log must contain
	}{
		{"short first page", simulator.Fault{Kind: simulator.FaultShortPage, Probability: 1, Offsets: []int{0}}, fails, "inconsistent"},
		{"short middle page", simulator.Fault{Kind: simulator.FaultShortPage, Probability: 1, Offsets: []int{500}}, fails, "inconsistent"},
		{"short page once", simulator.Fault{Kind: simulator.FaultShortPage, Count: 1, Offsets: []int{500}}, recovers, "walking it again"},
		{"list missing", simulator.Fault{Kind: simulator.FaultBadList, Probability: 1, Variant: simulator.BadListMissing}, fails, "list is missing"},
		{"list null", simulator.Fault{Kind: simulator.FaultBadList, Probability: 1, Variant: simulator.BadListNull}, fails, "is null"},
		{"list object", simulator.Fault{Kind: simulator.FaultBadList, Probability: 1, Variant: simulator.BadListObject}, fails, "not a list"},
		{"list string", simulator.Fault{Kind: simulator.FaultBadList, Probability: 1, Variant: simulator.BadListString}, fails, "not a list"},
		{"oversized page", simulator.Fault{Kind: simulator.FaultOversizedPage, Probability: 1, Items: 1_000_000}, fails, "more than the 500 items"},
		{"offset ignored", simulator.Fault{Kind: simulator.FaultIgnoreOffset, Probability: 1}, fails, "ignores offset"},
		{"total drifts", simulator.Fault{Kind: simulator.FaultTotalDrift, Probability: 1, Offsets: []int{1000}}, fails, "total changed"},
		{"total drifts once", simulator.Fault{Kind: simulator.FaultTotalDrift, Count: 1, Offsets: []int{1000}}, recovers, "walking it again"},
		{"duplicate", simulator.Fault{Kind: simulator.FaultDuplicate, Probability: 1}, fails, "appears twice"},
		{"redirect", simulator.Fault{Kind: simulator.FaultRedirect, Probability: 1, Location: rec.URL() + "/v2/steal"}, fails, "never follows redirects"},
		{"echo secret, padded, 400", simulator.Fault{Kind: simulator.FaultEchoSecret, Probability: 1, Status: 400}, fails, "HTTP 400"},
		{"echo secret, padded, 500", simulator.Fault{Kind: simulator.FaultEchoSecret, Probability: 1, Status: 500}, fails, "HTTP 500"},
		{"echo secret, start, 401", simulator.Fault{Kind: simulator.FaultEchoSecret, Probability: 1, Status: 401, Variant: simulator.EchoStart}, fails, "HTTP 401"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHostileTarget(t, n, "")
			if ok, per, total := h.state(t); ok != 1 || per != n || total != n {
				t.Fatalf("before: success %v, %d per-desktop series, %v desktops", ok, per, total)
			}
			h.sim.InjectFault(c.fault)
			refreshAll(h.m)
			ok, per, total := h.state(t)
			switch c.want {
			case fails:
				if ok != 0 || per != n || total != n {
					t.Errorf("during the fault: success %v, %d per-desktop series, %v desktops; want a failure serving the last %d", ok, per, total, n)
				}
			case recovers:
				if ok != 1 || per != n || total != n {
					t.Errorf("after a one-off fault: success %v, %d per-desktop series, %v desktops; want all %d", ok, per, total, n)
				}
			}
			logs := h.logs.String()
			if !strings.Contains(logs, c.log) {
				t.Errorf("the log does not say %q:\n%s", c.log, logs)
			}
			assertNoSecret(t, "the log", logs)
			assertNoSecret(t, "/metrics", h.exposition(t))
		})
	}
	for _, r := range rec.Requests() {
		t.Errorf("a request reached the redirect target: %s %s with headers %v", r.Method, r.URL, r.Header)
	}
}

// Junk elements are skipped and counted, never exported.
func TestJunkItemsAreSkippedAndCounted(t *testing.T) {
	h := newHostileTarget(t, 1234, "")
	h.sim.InjectFault(simulator.Fault{Kind: simulator.FaultJunkItems, Probability: 1, Items: 7, Offsets: []int{500}})
	refreshAll(h.m)
	ok, per, total := h.state(t)
	if ok != 1 || per != 1234-7 || total != 1234-7 {
		t.Errorf("success %v, %d per-desktop series, %v desktops; want 1227 after skipping 7", ok, per, total)
	}
	if err := testutil.GatherAndCompare(h.reg, strings.NewReader(`
# HELP workspace_api_invalid_items_total List elements the cloud API returned that were skipped because they were not objects or lacked a valid ID, by operation.
# TYPE workspace_api_invalid_items_total counter
`+perOperation("workspace_api_invalid_items_total", map[string]int{hwspec.OpListDesktopsDetail: 7})), "workspace_api_invalid_items_total"); err != nil {
		t.Error(err)
	}
	if logs := h.logs.String(); strings.Count(logs, "skipped list elements") != 1 {
		t.Errorf("want one log line for the refresh:\n%s", logs)
	}
}

// An API that invents a new status for every desktop cannot grow the
// aggregate series: without per-desktop series the count is the same for
// 300 and 3,000 desktops.
func TestEnumFloodIsBounded(t *testing.T) {
	series := map[int]int{}
	for _, n := range []int{300, 3000} {
		h := newHostileTarget(t, n, ", per_desktop_series: false")
		h.sim.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Probability: 1})
		refreshAll(h.m)
		ok, _, total := h.state(t)
		if ok != 1 || total != float64(n) {
			t.Fatalf("%d: success %v, %v desktops", n, ok, total)
		}
		series[n] = testutil.CollectAndCount(h.m)
		if logs := h.logs.String(); !strings.Contains(logs, "undocumented values") || !strings.Contains(logs, "FLOOD_") {
			t.Errorf("folding not logged with examples:\n%s", logs)
		}
		if problems, err := testutil.CollectAndLint(h.m); err != nil || len(problems) > 0 {
			t.Errorf("lint: %v %v", problems, err)
		}
		want := fmt.Sprintf(`
# HELP workspace_label_values_folded Distinct undocumented values of a label folded into "other" in the latest data, because more than 20 undocumented values appeared for that label of the target.
# TYPE workspace_label_values_folded gauge
workspace_label_values_folded{collector="desktops",label="login_status",target="sim"} %d
workspace_label_values_folded{collector="desktops",label="status",target="sim"} %d
workspace_label_values_folded{collector="desktops",label="task_status",target="sim"} %d
`, n-MaxUndocumentedValues, n-MaxUndocumentedValues, n-MaxUndocumentedValues)
		if err := testutil.CollectAndCompare(h.m, strings.NewReader(want), "workspace_label_values_folded"); err != nil {
			t.Error(err)
		}
	}
	if series[300] != series[3000] || series[300] > 2000 {
		t.Errorf("series: %v; want the same bounded count for both fleet sizes", series)
	}
}
