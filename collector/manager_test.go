package collector

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// fakeAPI is a desktopLister whose answers the test scripts.
type fakeAPI struct {
	mu       sync.Mutex
	desktops []model.Desktop
	err      error
	calls    int
}

func (f *fakeAPI) ListDesktops(context.Context) ([]model.Desktop, client.WalkStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, client.WalkStats{}, f.err
	}
	return append([]model.Desktop(nil), f.desktops...), client.WalkStats{}, nil
}

func (f *fakeAPI) set(ds []model.Desktop, err error) {
	f.mu.Lock()
	f.desktops, f.err = ds, err
	f.mu.Unlock()
}

// fakeAPI is a provider.Client too.
func (f *fakeAPI) Operations() []string                      { return []string{huaweicloud.OpListDesktopsDetail} }
func (f *fakeAPI) Documented(field string) []string          { return huaweicloud.Spec.Enums[field] }
func (f *fakeAPI) SetCredentials(provider.Credentials) error { return nil }
func (f *fakeAPI) Close()                                    {}

// withFakeProvider makes the huaweicloud provider return the fake for every
// target, recording which targets were built.
func withFakeProvider(t *testing.T, api *fakeAPI) *[]string {
	t.Helper()
	orig, _ := provider.Lookup(huaweicloud.ProviderName)
	var built []string
	var mu sync.Mutex
	provider.Unregister(huaweicloud.ProviderName)
	provider.Register(huaweicloud.ProviderName, func(tc config.Target, _ provider.Credentials, _ provider.Deps) (provider.Client, error) {
		mu.Lock()
		built = append(built, tc.Name)
		mu.Unlock()
		return api, nil
	})
	t.Cleanup(func() {
		provider.Unregister(huaweicloud.ProviderName)
		provider.Register(huaweicloud.ProviderName, orig)
	})
	return &built
}

// hourConfig is one target whose desktops collector alone refreshes
// hourly.
func hourConfig() string {
	return `targets:
  - name: a
    provider: huaweicloud
    region: ap-southeast-3
    project_id: p1
    credentials: {access_key: AK1234567, secret_key: SK1234567}
    collectors: {desktops: {interval: 1h}` + othersDisabled("desktops") + `}
`
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "c.yml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newTestManager(t *testing.T, now func() time.Time) (*Manager, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewManager(Options{Registerer: reg, Now: now, StartSpread: -1})
	if err != nil {
		t.Fatal(err)
	}
	// Tests gather the snapshots through the registry too (Collect);
	// /metrics serves the exposition directly.
	reg.MustRegister(m)
	t.Cleanup(m.Close)
	return m, reg
}

// refreshAll runs one more refresh of every runner, synchronously.
func refreshAll(m *Manager) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, tg := range m.targets {
		for _, r := range tg.runners {
			r.refreshOnce(context.Background())
		}
	}
}

func TestManagerKeepsLastSnapshotOnFailure(t *testing.T) {
	api := &fakeAPI{desktops: testFleet[:3]}
	withFakeProvider(t, api)
	clock := time.Unix(1700000000, 0)
	var clockMu sync.Mutex
	now := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return clock }
	m, reg := newTestManager(t, now)
	path := writeConfig(t, t.TempDir(), hourConfig())
	if err := m.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	self := `
# HELP workspace_up 1 when the latest refresh of every enabled collector of the target succeeded, 0 otherwise.
# TYPE workspace_up gauge
workspace_up{target="a"} %UP%
# HELP workspace_collector_success 1 when the latest background refresh of the collector succeeded, 0 when it failed (the last complete data is still served).
# TYPE workspace_collector_success gauge
workspace_collector_success{collector="desktops",target="a"} %UP%
# HELP workspace_collector_last_success_timestamp_seconds Unix time at which the collector's served data was fetched (end of its latest successful refresh).
# TYPE workspace_collector_last_success_timestamp_seconds gauge
workspace_collector_last_success_timestamp_seconds{collector="desktops",target="a"} 1.7e+09
# HELP workspace_target_info Configured targets: the cloud provider, region and project of each. Always 1.
# TYPE workspace_target_info gauge
workspace_target_info{project_id="p1",provider="huaweicloud",region="ap-southeast-3",target="a"} 1
`
	names := []string{"workspace_up", "workspace_collector_success", "workspace_collector_last_success_timestamp_seconds", "workspace_target_info"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(strings.ReplaceAll(self, "%UP%", "1")), names...); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m, "workspace_desktop_status"); n != 3 {
		t.Fatalf("desktop series %d, want 3", n)
	}

	// A failed refresh: the data stays, the failure shows.
	clockMu.Lock()
	clock = clock.Add(time.Hour)
	clockMu.Unlock()
	api.set(nil, errors.New("HTTP 500 WKS.0002"))
	refreshAll(m)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(strings.ReplaceAll(self, "%UP%", "0")), names...); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m, "workspace_desktop_status"); n != 3 {
		t.Errorf("after a failure the last snapshot must stay: %d series", n)
	}

	// Recovery with a desktop deleted: it disappears.
	api.set(testFleet[:2], nil)
	refreshAll(m)
	if v := testutil.ToFloat64(collectOne(t, m, "workspace_up")); v != 1 {
		t.Errorf("up = %v after recovery", v)
	}
	if n := testutil.CollectAndCount(m, "workspace_desktop_status"); n != 2 {
		t.Errorf("deleted desktop still exported: %d series", n)
	}
}

// collectOne returns a collector of the single series of a metric name.
func collectOne(t *testing.T, c prometheus.Collector, name string) prometheus.Collector {
	t.Helper()
	ch := make(chan prometheus.Metric, 1000)
	c.Collect(ch)
	close(ch)
	for m := range ch {
		if strings.Contains(m.Desc().String(), `"`+name+`"`) {
			return constCollector{m}
		}
	}
	t.Fatalf("no %s", name)
	return nil
}

type constCollector struct{ m prometheus.Metric }

func (c constCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.m.Desc() }
func (c constCollector) Collect(ch chan<- prometheus.Metric) { ch <- c.m }

func TestManagerPanicIsAFailure(t *testing.T) {
	r := &runner{name: "x", interval: time.Hour, logger: slog.New(slog.DiscardHandler), now: time.Now, firstDone: make(chan struct{}),
		refresh: func(context.Context) (Snapshot, error) { panic("boom") }}
	r.refreshOnce(context.Background())
	if st := r.cur.Load(); st == nil || st.success || st.hasData {
		t.Fatalf("state after panic: %+v", st)
	}
}

func TestReload(t *testing.T) {
	api := &fakeAPI{desktops: testFleet[:1]}
	built := withFakeProvider(t, api)
	m, reg := newTestManager(t, nil)
	dir := t.TempDir()
	path := writeConfig(t, dir, hourConfig())
	if err := m.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	reloadOK := func() float64 {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() == "workspace_config_last_reload_successful" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		return -1
	}
	if reloadOK() != 1 {
		t.Fatal("reload gauge not 1 after a good load")
	}
	// Unchanged target: kept, not rebuilt.
	if err := m.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if len(*built) != 1 {
		t.Errorf("unchanged target rebuilt: %v", *built)
	}
	// A bad file: error, old config kept, gauge 0.
	writeConfig(t, dir, "targets:\n  - name: a\n    bogus: 1\n")
	err := m.LoadFile(path)
	if err == nil || !strings.Contains(err.Error(), `unknown key "bogus"`) {
		t.Fatalf("bad reload: %v", err)
	}
	if reloadOK() != 0 {
		t.Error("reload gauge not 0 after a bad load")
	}
	if n := testutil.CollectAndCount(m, "workspace_target_info"); n != 1 {
		t.Errorf("old target lost: %d", n)
	}
	// A second target and a changed first one: both built.
	writeConfig(t, dir, strings.Replace(hourConfig(), "p1", "p2", 1)+strings.Replace(strings.SplitN(hourConfig(), "\n", 2)[1], "name: a", "name: b", 1))
	if err := m.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if strings.Join(*built, ",") != "a,a,b" || reloadOK() != 1 {
		t.Errorf("built %v", *built)
	}
	if n := testutil.CollectAndCount(m, "workspace_target_info"); n != 2 {
		t.Errorf("targets after reload: %d", n)
	}
}

func TestCollectorRegistryIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../METRICS.md")
	if err != nil {
		t.Fatalf("METRICS.md: %v", err)
	}
	var names []string
	for _, r := range registry {
		for _, d := range r.Families {
			names = append(names, d.Name())
		}
	}
	for _, d := range healthFamilies {
		names = append(names, d.Name())
	}
	for _, name := range names {
		if !strings.Contains(string(doc), "### `"+name+"`") {
			t.Errorf("metric %s is not documented in METRICS.md", name)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
