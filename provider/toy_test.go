package provider_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/workspace-exporter/workspace_exporter/collector"
	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// toycloud is a third provider that lives in this test only: one option
// (site), one capability (desktops), three desktops. It goes through the
// configuration, the provider registry and the collector framework
// without any change to collector/.
type toyOptions struct {
	Site string `yaml:"site"`
}

func (o *toyOptions) Validate(v *config.Validation) {
	if o.Site == "" {
		v.Fail("site", "required")
	}
}

func (o *toyOptions) InfoLabels() (region, project string) { return o.Site, "" }

type toyClient struct{ site string }

func (c *toyClient) Operations() []string { return []string{"ListToys"} }
func (c *toyClient) Documented(field string) []string {
	if field == model.FieldDesktopStatus {
		return []string{"UP", "DOWN"}
	}
	return nil
}
func (c *toyClient) SetCredentials(provider.Credentials) error { return nil }
func (c *toyClient) Close()                                    {}
func (c *toyClient) ListDesktops(context.Context) ([]model.Desktop, model.ListStats, error) {
	return []model.Desktop{
		{ID: "t1", ComputerName: c.site + "-1", Status: "UP"},
		{ID: "t2", ComputerName: c.site + "-2", Status: "UP"},
		{ID: "t3", ComputerName: c.site + "-3", Status: "BROKEN"},
	}, model.ListStats{Requests: 1}, nil
}

func init() {
	config.RegisterProvider("toycloud", config.ProviderSchema{
		NewOptions:   func() config.ProviderOptions { return &toyOptions{} },
		Capabilities: []string{model.CapabilityDesktops},
	})
	provider.Register("toycloud", func(t config.Target, _ provider.Credentials, _ provider.Deps) (provider.Client, error) {
		return &toyClient{site: t.Options.(*toyOptions).Site}, nil
	})
}

func TestToyProviderThroughTheFramework(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := collector.NewManager(collector.Options{Registerer: reg, StartSpread: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	reg.MustRegister(m)
	cfg, err := config.Parse([]byte(`targets:
  - name: toy
    provider: toycloud
    site: lab
    collectors: {desktops: {interval: 1h, per_desktop_series: false}}
`), m.ConfigOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP workspace_target_info Configured targets: the cloud provider, region and project of each. Always 1.
# TYPE workspace_target_info gauge
workspace_target_info{project_id="",provider="toycloud",region="lab",target="toy"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "workspace_target_info"); err != nil {
		t.Error(err)
	}
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "workspace_desktops" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "status" {
					got[l.GetValue()] += mt.GetGauge().GetValue()
				}
			}
		}
	}
	// The toy's documented values are present (DOWN at 0), its
	// undocumented one is added.
	if len(got) != 3 || got["UP"] != 2 || got["DOWN"] != 0 || got["BROKEN"] != 1 {
		t.Errorf("workspace_desktops by status: %v", got)
	}
	// A configuration error names the toy's own option.
	_, err = config.Parse([]byte("targets:\n  - name: toy\n    provider: toycloud\n"), m.ConfigOptions())
	if err == nil || !strings.Contains(err.Error(), "site: required") {
		t.Errorf("missing site: %v", err)
	}
}
