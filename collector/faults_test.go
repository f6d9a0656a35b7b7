package collector

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

// Each injected fault, when it outlasts the client's retries, marks the
// collector failed while the exporter keeps serving the last complete
// data; when the fault clears, the next refresh recovers. This runs the
// real signing client against the simulator.
func TestFaultsKeepServingAndRecover(t *testing.T) {
	faults := []simulator.Fault{
		{Kind: simulator.FaultThrottle, Probability: 1, RetryAfter: time.Second},
		{Kind: simulator.FaultServerError, Probability: 1, Status: 503},
		{Kind: simulator.FaultMalformed, Probability: 1},
		{Kind: simulator.FaultTruncated, Probability: 1},
		{Kind: simulator.FaultTimeout, Probability: 1, Latency: 5 * time.Second},
		{Kind: simulator.FaultLatency, Probability: 1, Latency: time.Second}, // slower than the 300ms request timeout
	}
	for _, f := range faults {
		t.Run(string(f.Kind), func(t *testing.T) {
			sim, m, reg := startSimTarget(t, 120, "api: {timeout: 300ms, max_retries: 1, min_backoff: 10ms, max_backoff: 50ms, page_size: 50}", nil)
			status := func() (up, success float64, desktops int) {
				mfs, err := reg.Gather()
				if err != nil {
					t.Fatal(err)
				}
				for _, mf := range mfs {
					for _, mt := range mf.GetMetric() {
						switch mf.GetName() {
						case "workspace_up":
							up = mt.GetGauge().GetValue()
						case "workspace_collector_success":
							success = mt.GetGauge().GetValue()
						case "workspace_desktop_status":
							desktops++
						}
					}
				}
				return
			}
			if up, ok, n := status(); up != 1 || ok != 1 || n != 120 {
				t.Fatalf("before the fault: up %v success %v desktops %d", up, ok, n)
			}
			sim.InjectFault(f)
			refreshAll(m)
			if up, ok, n := status(); up != 0 || ok != 0 || n != 120 {
				t.Errorf("during the fault: up %v success %v desktops %d; want 0, 0 and the last 120", up, ok, n)
			}
			if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
				t.Errorf("lint during the fault: %v %v", problems, err)
			}
			sim.ClearFaults()
			refreshAll(m)
			if up, ok, n := status(); up != 1 || ok != 1 || n != 120 {
				t.Errorf("after recovery: up %v success %v desktops %d", up, ok, n)
			}
			if f.Kind == simulator.FaultThrottle {
				if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP workspace_api_throttled_total Requests the cloud API throttled (HTTP 429 or APIGW.0308), by operation.
# TYPE workspace_api_throttled_total counter
`+perOperation("workspace_api_throttled_total", map[string]int{hwspec.OpListDesktopsDetail: 2})), "workspace_api_throttled_total"); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// The seeds' example responses, served verbatim by the simulator, go
// through the signed client and the collector into metrics.
func TestSeedExamplesEndToEnd(t *testing.T) {
	body := mustRead(t, "../client/huaweicloud/testdata/desktops_detail_seed002.json")
	_, m, _ := startSimTarget(t, 0, "", func(sim *hwsim.Simulator) {
		sim.ServeVerbatim(hwspec.OpListDesktopsDetail, 200, body)
	})
	want := `
# HELP workspace_desktop_info Per-desktop attributes for joins on desktop_id. Always 1.
# TYPE workspace_desktop_info gauge
workspace_desktop_info{availability_zone="cn-north-5a",desktop_id="21616aa6-061d-4b2f-bd83-b230d7a9a14c",desktop_name="CHENMIN01",desktop_type="DEDICATED",os_type="Linux",pool_id="",product_id="workspace.k.large2.uosv20pro",target="sim",user_name="chenmin"} 1
workspace_desktop_info{availability_zone="cn-north-5a",desktop_id="e7a27bad-323f-4ec8-9afe-e53d00171ba9",desktop_name="HJG01",desktop_type="DEDICATED",os_type="Linux",pool_id="",product_id="workspace.k.large4.uosv20pro",target="sim",user_name="hjg"} 1
`
	if err := testutil.CollectAndCompare(m, strings.NewReader(want), "workspace_desktop_info"); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(collectOne(t, m, "workspace_up")); got != 1 {
		t.Errorf("up = %v", got)
	}
}

// perOperation renders the series of an API counter of target "sim" that
// is present for every operation of the spec table: values by operation,
// 0 for the others.
func perOperation(name string, values map[string]int) string {
	var b strings.Builder
	for _, op := range hwspec.Spec.OperationNames() {
		fmt.Fprintf(&b, "%s{operation=%q,target=\"sim\"} %d\n", name, op, values[op])
	}
	return b.String()
}

// simYAML is a configuration with one target "sim" at url, signing with
// credentials (a YAML flow mapping); targetExtra is added to the target,
// collectorExtra to the desktops collector's settings.
func simYAML(url, credentials, targetExtra, collectorExtra string) string {
	return fmt.Sprintf(`targets:
  - name: sim
    provider: huaweicloud
    region: ap-southeast-3
    project_id: %s
    endpoint: %s
    credentials: %s
    collectors: {desktops: {interval: 1h%s}%s}
    %s
`, benchProject, url, credentials, collectorExtra, othersDisabled("desktops"), targetExtra)
}

// simYAMLCollectors is simYAML with the collectors mapping's content
// given, e.g. "desktops: {interval: 1h}, logins: {interval: 1h}" plus
// othersDisabled("desktops", "logins").
func simYAMLCollectors(url, credentials, targetExtra, collectors string) string {
	return fmt.Sprintf(`targets:
  - name: sim
    provider: huaweicloud
    region: ap-southeast-3
    project_id: %s
    endpoint: %s
    credentials: %s
    collectors: {%s}
    %s
`, benchProject, url, credentials, collectors, targetExtra)
}

// othersDisabled is the YAML that disables every registered collector
// but those kept, for tests of some collectors: ", a: {enabled: false}, …".
func othersDisabled(keep ...string) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(registry)) {
		if !slices.Contains(keep, name) {
			fmt.Fprintf(&b, ", %s: {enabled: false}", name)
		}
	}
	return b.String()
}

// benchCredentials are the simulator's keys as a credentials mapping.
var benchCredentials = fmt.Sprintf("{access_key: %s, secret_key: %s}", benchAK, benchSK)

// waitReady waits for the first refresh of every collector.
func waitReady(t *testing.T, m *Manager) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}

// applyYAML applies a configuration and waits for its first refresh.
func applyYAML(t *testing.T, m *Manager, yaml string) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), m.ConfigOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	waitReady(t, m)
}

// startSimTarget starts a simulator with n desktops and a Manager with one
// target "sim" pointing at it (extra is added to the target's YAML), and
// waits for the first refresh. prepare runs before the first refresh.
func startSimTarget(t *testing.T, n int, extra string, prepare func(*hwsim.Simulator)) (*hwsim.Simulator, *Manager, *prometheus.Registry) {
	t.Helper()
	sim, url := startSim(t, n)
	if prepare != nil {
		prepare(sim)
	}
	m, reg := newTestManager(t, nil)
	applyYAML(t, m, simYAML(url, benchCredentials, extra, ""))
	return sim, m, reg
}

// checkCollectorOptions parses a configuration whose one target sets the
// named collector's options to each case's YAML flow mapping: an empty
// want means valid (and then ok, when given, must accept the decoded
// options), else the error must contain want.
func checkCollectorOptions(t *testing.T, name string, cases map[string]string, ok func(opts any) bool) {
	t.Helper()
	for opts, want := range cases {
		yaml := `targets:
  - name: a
    provider: huaweicloud
    region: ap-southeast-3
    project_id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9
    credentials: {access_key: AK1234567, secret_key: SK1234567}
    collectors: {` + name + `: ` + opts + `}
`
		cfg, err := config.Parse([]byte(yaml), config.Options{})
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", opts, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want one containing %q", opts, err, want)
		case want == "" && ok != nil && !ok(cfg.Targets[0].Collectors[name].Options):
			t.Errorf("%s: options %+v", opts, cfg.Targets[0].Collectors[name].Options)
		}
	}
}
