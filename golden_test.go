package main

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// /metrics of `--demo` over a fixed seed is what 0.1.0 served
// (testdata/demo-0.1.0.prom, scraped from commit 72450f4 with the same
// flags) except for the changes CHANGELOG lists.
func TestDemoMetricsMatch010(t *testing.T) {
	golden, err := os.ReadFile("testdata/demo-0.1.0.prom")
	if err != nil {
		t.Fatal(err)
	}
	e := startExporter(t, nil, "--demo", "--demo.desktops=500", "--demo.seed=7",
		"--demo.churn-interval=1000h", "--demo.refresh-interval=1h")
	_, body := e.get(t, "/metrics")
	old, cur := parse(t, string(golden)), parse(t, body)

	// Families whose values are clocks, durations or the process itself.
	volatile := func(name string) bool {
		return strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") || strings.HasPrefix(name, "promhttp_") ||
			strings.HasSuffix(name, "_seconds") || name == "workspace_api_request_duration_seconds" ||
			name == "workspace_config_last_reload_success_timestamp_seconds"
	}
	// The changes CHANGELOG lists.
	added := map[string]bool{
		"workspace_api_invalid_items_total":    true, // issue 6: counters from zero
		"workspace_api_throttled_total":        true, // issue 6: present at 0 from the start
		"workspace_label_values_folded":        true, // issue 6: bounded label values
		"workspace_collector_interval_seconds": true, // issue 7
	}
	ignoredLabels := map[string]map[string]bool{
		"workspace_exporter_build_info": {"version": true},    // issue 6: go build stamps the version
		"workspace_target_info":         {"project_id": true}, // the demo's project ID is random
	}
	for name, mf := range old {
		if volatile(name) {
			continue
		}
		got, ok := cur[name]
		if !ok {
			t.Errorf("%s: served by 0.1.0, missing now", name)
			continue
		}
		if a, b := seriesSet(mf, ignoredLabels[name]), seriesSet(got, ignoredLabels[name]); strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Errorf("%s differs from 0.1.0:\n was %d series, e.g. %v\n now %d series, e.g. %v", name, len(a), first(a), len(b), first(b))
		}
		if mf.GetHelp() != got.GetHelp() || mf.GetType() != got.GetType() {
			t.Errorf("%s: help or type changed", name)
		}
	}
	for name := range cur {
		if _, ok := old[name]; !ok && !volatile(name) && !added[name] {
			t.Errorf("%s is new and not listed as a change", name)
		}
	}
	for name := range added {
		if _, ok := cur[name]; !ok {
			t.Errorf("%s, listed as added, is missing", name)
		}
	}
}

// seriesSet renders a family's series as sorted "labels value" strings.
func seriesSet(mf *dto.MetricFamily, ignore map[string]bool) []string {
	var out []string
	for _, m := range mf.GetMetric() {
		var ls []string
		for _, l := range m.GetLabel() {
			if !ignore[l.GetName()] {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
		}
		sort.Strings(ls)
		v := m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
		out = append(out, strings.Join(ls, ",")+" "+strconv.FormatFloat(v, 'g', -1, 64))
	}
	sort.Strings(out)
	return out
}

func first(s []string) []string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}
