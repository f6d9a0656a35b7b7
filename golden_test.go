package main

import (
	"os"
	"slices"
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
	// Issues 8 and 9: the collectors after desktops, their families, and
	// their series in the health and API families.
	for _, name := range issue8Families {
		added[name] = true
	}
	for _, name := range issue9Families {
		added[name] = true
	}
	issue8Series := func(m *dto.Metric) bool {
		for _, l := range m.GetLabel() {
			switch {
			case l.GetName() == "collector" && l.GetValue() != "desktops",
				l.GetName() == "operation" && l.GetValue() != "ListDesktopsDetail":
				return true
			}
		}
		return false
	}
	for _, mf := range cur {
		mf.Metric = slices.DeleteFunc(mf.Metric, issue8Series)
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
	// Counters by failure code have a series per code counted, none
	// before the first failure after priming.
	for _, name := range []string{"workspace_script_run_failures_total", "workspace_scheduled_task_desktop_failures_total"} {
		if _, ok := cur[name]; ok {
			added[name] = true
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

// issue8Families are the families the session domains added (CHANGELOG,
// issue 8). Families ending in _seconds are volatile and not listed.
var issue8Families = []string{
	"workspace_desktops_by_connect_status", "workspace_connected_users", "workspace_connections_fallback",
	"workspace_desktop_connected_user", "workspace_desktop_group_desktops", "workspace_login_state_desktops",
	"workspace_logins_total", "workspace_login_failures_total", "workspace_login_reconnects_total",
	"workspace_login_records_tracked", "workspace_login_records_pending", "workspace_login_users",
	"workspace_usage_desktops_reported", "workspace_usage_idle_desktops", "workspace_usage_users_reported",
	"workspace_usage_active_users", "workspace_usage_login_attempts", "workspace_usage_logins",
	"workspace_statistics_desktops", "workspace_statistics_desktops_by_state", "workspace_run_state_desktops",
}

// issue9Families are the families of the capacity and operations domains
// (CHANGELOG, issue 9). Families ending in _seconds are volatile and not
// listed.
var issue9Families = []string{
	"workspace_alarm_active", "workspace_alarm_series_dropped", "workspace_alarm_statistics",
	"workspace_alarm_statistics_records", "workspace_alarms_active", "workspace_edge_site_status",
	"workspace_followed_job_status", "workspace_followed_job_sub_jobs", "workspace_job_progress", "workspace_jobs",
	"workspace_jobs_finished_total", "workspace_pool_authorized_objects", "workspace_pool_autoscale_enabled",
	"workspace_pool_autoscale_max_auto_created_desktops", "workspace_pool_autoscale_min_idle_desktops",
	"workspace_pool_autoscale_once_auto_created_desktops", "workspace_pool_desktops", "workspace_pool_in_maintenance",
	"workspace_pool_info", "workspace_pool_status", "workspace_pools", "workspace_quota_limit", "workspace_quota_used",
	"workspace_service_access_status", "workspace_service_config_status", "workspace_service_info",
	"workspace_service_locked", "workspace_service_site_status", "workspace_service_status",
	"workspace_service_subscription_progress", "workspace_user_accounts", "workspace_user_group_members",
	"workspace_user_groups", "workspace_users", "workspace_users_flagged", "workspace_users_with_desktops",
	// The job sources beside §4.28: scripts, scheduled tasks, application installations.
	"workspace_app_install_jobs", "workspace_app_install_jobs_by_app", "workspace_app_install_jobs_finished_total",
	"workspace_app_install_jobs_stalled", "workspace_pool_script_task_desktops_total", "workspace_pool_script_tasks",
	"workspace_pool_script_tasks_finished_total", "workspace_scheduled_task_apply_objects",
	"workspace_scheduled_task_info",
	"workspace_scheduled_task_latest_run_failures", "workspace_scheduled_task_run_desktops_total",
	"workspace_scheduled_task_runs_total", "workspace_scheduled_tasks", "workspace_scheduled_tasks_by_schedule",
	"workspace_scheduled_tasks_expired", "workspace_scheduled_tasks_expiring", "workspace_script_runs", "workspace_script_runs_finished_total", "workspace_script_task_desktops_total",
	"workspace_script_tasks", "workspace_script_tasks_finished_total",
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
