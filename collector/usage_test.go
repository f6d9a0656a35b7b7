package collector

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

// The documented states of the statistics, from the Huawei spec table the
// collector gets them from.
var testUsageEnums = usageEnums{
	run:    huaweicloud.Spec.Enums[model.FieldRunStateStatistic],
	login:  huaweicloud.Spec.Enums[model.FieldLoginStateStatistic],
	attach: huaweicloud.Spec.Enums[model.FieldAttachStateStatistic],
}

var testPeriod = model.UsagePeriod{Start: time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)}

var testReport = usageReport{
	period: testPeriod,
	desktops: []model.DesktopUsage{
		{DesktopID: "d1", DesktopName: "FIN-01", UsedSeconds: 3600, IdleSeconds: 600, HasUsed: true, HasIdle: true},
		{DesktopID: "d2", DesktopName: "FIN-02", UsedSeconds: 0, IdleSeconds: 7 * 86400, HasUsed: true, HasIdle: true},
		{DesktopID: "d3", DesktopName: "POOL-01", PoolID: "p1", UsedSeconds: 0, IdleSeconds: 30 * 86400, HasUsed: true, HasIdle: true},
		// No valid values: reported, adds nothing, no per-desktop series.
		{DesktopID: "d4", DesktopName: "NEW-01"},
		{DesktopID: "d5", DesktopName: "ENG-01", UsedSeconds: 1800.5, HasUsed: true, IdleSeconds: 7*86400 - 1, HasIdle: true},
	},
	users: []model.UserUsage{
		{UserName: "alice", UsedSeconds: 3600, Logins: 3, LoginSuccesses: 2, LoginFailures: 1, HasUsed: true, HasLogins: true, HasSuccesses: true, HasFailures: true},
		{UserName: "bob", UsedSeconds: 0, Logins: 1, LoginFailures: 1, HasUsed: true, HasLogins: true, HasFailures: true},
		{UserName: "carol"},
	},
}

var testStatistics = model.DesktopStatistics{
	Total:      5,
	RunState:   map[string]int64{"active": 3, "stop": 1, "error": 1},
	LoginState: map[string]int64{"in_use": 1, "ready": 2, "frozen": 2},
	// AttachState not reported: every documented state at 0.
}

var testRunState = map[string]int64{"active": 3, "stop": 1, "error": 1, "hibernated": 0}

const usageAggregates = `
# HELP workspace_usage_period_start_timestamp_seconds Start (inclusive, Unix time) of the period the workspace_usage_* series report on: the latest complete day (UTC) the provider's daily usage report covers.
# TYPE workspace_usage_period_start_timestamp_seconds gauge
workspace_usage_period_start_timestamp_seconds{target="t"} 1.7414784e+09
# HELP workspace_usage_period_end_timestamp_seconds End (exclusive, Unix time) of the period the workspace_usage_* series report on.
# TYPE workspace_usage_period_end_timestamp_seconds gauge
workspace_usage_period_end_timestamp_seconds{target="t"} 1.7415648e+09
# HELP workspace_usage_desktops_reported Desktops in the daily usage report of the period.
# TYPE workspace_usage_desktops_reported gauge
workspace_usage_desktops_reported{target="t"} 5
# HELP workspace_usage_desktops_used_seconds Seconds the desktops were used in the period, summed over the desktops of the daily report.
# TYPE workspace_usage_desktops_used_seconds gauge
workspace_usage_desktops_used_seconds{target="t"} 5400.5
# HELP workspace_usage_idle_desktops Desktops of the daily report idle for at least min_idle_days days (idle duration as of the period's end).
# TYPE workspace_usage_idle_desktops gauge
workspace_usage_idle_desktops{min_idle_days="7",target="t"} 2
# HELP workspace_usage_users_reported Users in the daily usage report of the period.
# TYPE workspace_usage_users_reported gauge
workspace_usage_users_reported{target="t"} 3
# HELP workspace_usage_active_users Users of the daily report with a usage above zero in the period.
# TYPE workspace_usage_active_users gauge
workspace_usage_active_users{target="t"} 1
# HELP workspace_usage_users_used_seconds Seconds of desktop use in the period, summed over the users of the daily report (sessions on several desktops at once add up).
# TYPE workspace_usage_users_used_seconds gauge
workspace_usage_users_used_seconds{target="t"} 3600
# HELP workspace_usage_login_attempts Login attempts in the period, summed over the users of the daily report.
# TYPE workspace_usage_login_attempts gauge
workspace_usage_login_attempts{target="t"} 4
# HELP workspace_usage_logins Logins in the period by result (success, failure), summed over the users of the daily report.
# TYPE workspace_usage_logins gauge
workspace_usage_logins{result="failure",target="t"} 2
workspace_usage_logins{result="success",target="t"} 2
# HELP workspace_statistics_desktops Desktops now, as the provider's pre-aggregated desktop statistics count them.
# TYPE workspace_statistics_desktops gauge
workspace_statistics_desktops{target="t"} 5
# HELP workspace_statistics_desktops_by_state Desktops now by state, per category (run_state, login_state, attach_state), as the provider's pre-aggregated desktop statistics count them. Every documented state is present (0 when none or not reported).
# TYPE workspace_statistics_desktops_by_state gauge
workspace_statistics_desktops_by_state{category="attach_state",state="attach_error",target="t"} 0
workspace_statistics_desktops_by_state{category="attach_state",state="attached",target="t"} 0
workspace_statistics_desktops_by_state{category="attach_state",state="attaching",target="t"} 0
workspace_statistics_desktops_by_state{category="attach_state",state="unattached",target="t"} 0
workspace_statistics_desktops_by_state{category="login_state",state="disconnected",target="t"} 0
workspace_statistics_desktops_by_state{category="login_state",state="frozen",target="t"} 2
workspace_statistics_desktops_by_state{category="login_state",state="in_use",target="t"} 1
workspace_statistics_desktops_by_state{category="login_state",state="ready",target="t"} 2
workspace_statistics_desktops_by_state{category="login_state",state="unable_to_connect",target="t"} 0
workspace_statistics_desktops_by_state{category="login_state",state="unregistered",target="t"} 0
workspace_statistics_desktops_by_state{category="run_state",state="active",target="t"} 3
workspace_statistics_desktops_by_state{category="run_state",state="error",target="t"} 1
workspace_statistics_desktops_by_state{category="run_state",state="hibernated",target="t"} 0
workspace_statistics_desktops_by_state{category="run_state",state="stop",target="t"} 1
# HELP workspace_run_state_desktops Desktops now by running state, as the provider's running status statistics count them. Every documented state is present (0 when none or not reported).
# TYPE workspace_run_state_desktops gauge
workspace_run_state_desktops{state="active",target="t"} 3
workspace_run_state_desktops{state="error",target="t"} 1
workspace_run_state_desktops{state="hibernated",target="t"} 0
workspace_run_state_desktops{state="stop",target="t"} 1
`

var usageAggregateNames = []string{
	"workspace_usage_period_start_timestamp_seconds", "workspace_usage_period_end_timestamp_seconds",
	"workspace_usage_desktops_reported", "workspace_usage_desktops_used_seconds", "workspace_usage_idle_desktops",
	"workspace_usage_users_reported", "workspace_usage_active_users", "workspace_usage_users_used_seconds",
	"workspace_usage_login_attempts", "workspace_usage_logins",
	"workspace_statistics_desktops", "workspace_statistics_desktops_by_state", "workspace_run_state_desktops",
}

const usagePerDesktop = `
# HELP workspace_usage_desktop_used_seconds Seconds the desktop was used in the period (per_desktop_series).
# TYPE workspace_usage_desktop_used_seconds gauge
workspace_usage_desktop_used_seconds{desktop_id="d1",desktop_name="FIN-01",target="t"} 3600
workspace_usage_desktop_used_seconds{desktop_id="d2",desktop_name="FIN-02",target="t"} 0
workspace_usage_desktop_used_seconds{desktop_id="d3",desktop_name="POOL-01",target="t"} 0
workspace_usage_desktop_used_seconds{desktop_id="d5",desktop_name="ENG-01",target="t"} 1800.5
# HELP workspace_usage_desktop_idle_seconds Seconds the desktop has been idle, as of the period's end (per_desktop_series).
# TYPE workspace_usage_desktop_idle_seconds gauge
workspace_usage_desktop_idle_seconds{desktop_id="d1",desktop_name="FIN-01",target="t"} 600
workspace_usage_desktop_idle_seconds{desktop_id="d2",desktop_name="FIN-02",target="t"} 604800
workspace_usage_desktop_idle_seconds{desktop_id="d3",desktop_name="POOL-01",target="t"} 2.592e+06
workspace_usage_desktop_idle_seconds{desktop_id="d5",desktop_name="ENG-01",target="t"} 604799
`

const usagePerUser = `
# HELP workspace_usage_user_used_seconds Seconds the user used desktops in the period (per_user_series).
# TYPE workspace_usage_user_used_seconds gauge
workspace_usage_user_used_seconds{target="t",user_name="alice"} 3600
workspace_usage_user_used_seconds{target="t",user_name="bob"} 0
# HELP workspace_usage_user_logins The user's logins in the period by result (success, failure) (per_user_series).
# TYPE workspace_usage_user_logins gauge
workspace_usage_user_logins{result="failure",target="t",user_name="alice"} 1
workspace_usage_user_logins{result="failure",target="t",user_name="bob"} 1
workspace_usage_user_logins{result="success",target="t",user_name="alice"} 2
`

var (
	perDesktopNames = []string{"workspace_usage_desktop_used_seconds", "workspace_usage_desktop_idle_seconds"}
	perUserNames    = []string{"workspace_usage_user_used_seconds", "workspace_usage_user_logins"}
)

func TestUsageSnapshot(t *testing.T) {
	s := newUsageSnapshot(testReport, testStatistics, testRunState, testUsageEnums, &UsageOptions{IdleDays: 7, PerDesktopSeries: true, PerUserSeries: true})
	c := snapCollector{s, "t"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(usageAggregates), usageAggregateNames...); err != nil {
		t.Error(err)
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(usagePerDesktop), perDesktopNames...); err != nil {
		t.Error(err)
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(usagePerUser), perUserNames...); err != nil {
		t.Error(err)
	}
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// idle_days sets the threshold and the label.
func TestUsageIdleDays(t *testing.T) {
	for _, tc := range []struct {
		days, want int
		label      string
	}{{1, 3, "1"}, {7, 2, "7"}, {8, 1, "8"}, {30, 1, "30"}, {31, 0, "31"}, {180, 0, "180"}} {
		s := newUsageSnapshot(testReport, testStatistics, testRunState, testUsageEnums, &UsageOptions{IdleDays: tc.days})
		want := `
# HELP workspace_usage_idle_desktops Desktops of the daily report idle for at least min_idle_days days (idle duration as of the period's end).
# TYPE workspace_usage_idle_desktops gauge
workspace_usage_idle_desktops{min_idle_days="` + tc.label + `",target="t"} ` + itoa(tc.want) + "\n"
		if err := testutil.CollectAndCompare(snapCollector{s, "t"}, strings.NewReader(want), "workspace_usage_idle_desktops"); err != nil {
			t.Errorf("idle_days %d: %v", tc.days, err)
		}
	}
}

// The per-desktop and per-user switches add exactly their families, and
// leave the rest alone.
func TestUsageSwitches(t *testing.T) {
	render := func(o UsageOptions) map[string]int {
		o.IdleDays = 7
		b := NewBuilder()
		newUsageSnapshot(testReport, testStatistics, testRunState, testUsageEnums, &o).Render(b, "t")
		out := map[string]int{}
		for _, mf := range parseText(t, Render(b.Families()).Text()) {
			out[mf.GetName()] = len(mf.GetMetric())
		}
		return out
	}
	base := render(UsageOptions{})
	for _, name := range append(append([]string(nil), perDesktopNames...), perUserNames...) {
		if _, ok := base[name]; ok {
			t.Errorf("%s present with both switches off", name)
		}
	}
	for _, tc := range []struct {
		o     UsageOptions
		added map[string]int
	}{
		{UsageOptions{PerDesktopSeries: true}, map[string]int{perDesktopNames[0]: 4, perDesktopNames[1]: 4}},
		{UsageOptions{PerUserSeries: true}, map[string]int{perUserNames[0]: 2, perUserNames[1]: 3}},
		{UsageOptions{PerDesktopSeries: true, PerUserSeries: true}, map[string]int{perDesktopNames[0]: 4, perDesktopNames[1]: 4, perUserNames[0]: 2, perUserNames[1]: 3}},
	} {
		got := render(tc.o)
		for name, n := range got {
			want, added := tc.added[name]
			if !added {
				want = base[name]
			}
			if n != want {
				t.Errorf("%+v: %s has %d series, want %d", tc.o, name, n, want)
			}
		}
		if len(got) != len(base)+len(tc.added) {
			t.Errorf("%+v: %d families, want %d", tc.o, len(got), len(base)+len(tc.added))
		}
	}
}

// Undocumented states fold beyond MaxUndocumentedValues, counted in
// workspace_label_values_folded; documented ones never fold.
func TestUsageStatesFold(t *testing.T) {
	run := map[string]int64{"active": 1}
	for i := range MaxUndocumentedValues + 5 {
		run["state"+itoa(100+i)] = int64(i + 1)
	}
	s := newUsageSnapshot(usageReport{period: testPeriod}, model.DesktopStatistics{RunState: run}, run, testUsageEnums, &UsageOptions{IdleDays: 7})
	c := snapCollector{s, "t"}
	if n := testutil.CollectAndCount(c, "workspace_run_state_desktops"); n != 4+MaxUndocumentedValues+1 {
		t.Errorf("%d run state series", n)
	}
	want := `
# HELP workspace_label_values_folded Distinct undocumented values of a label folded into "other" in the latest data, because more than 20 undocumented values appeared for that label of the target.
# TYPE workspace_label_values_folded gauge
workspace_label_values_folded{collector="usage",label="run_state",target="t"} 5
workspace_label_values_folded{collector="usage",label="statistics_attach_state",target="t"} 0
workspace_label_values_folded{collector="usage",label="statistics_login_state",target="t"} 0
workspace_label_values_folded{collector="usage",label="statistics_run_state",target="t"} 5
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "workspace_label_values_folded"); err != nil {
		t.Error(err)
	}
	// The 5 least frequent (1..5) fold: other = 15, in both families.
	b := NewBuilder()
	s.Render(b, "t")
	text := string(Render(b.Families()).Text())
	for _, line := range []string{`workspace_run_state_desktops{state="other",target="t"} 15`,
		`workspace_statistics_desktops_by_state{category="run_state",state="other",target="t"} 15`,
		`workspace_run_state_desktops{state="state105",target="t"} 6`} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("no %s in:\n%s", line, text)
		}
	}
	if strings.Contains(text, `state="state104"`) {
		t.Error("a folded value is exported")
	}
}

// usageEnv is a simulated fleet behind a recording server, and a signed
// client of it.
type usageEnv struct {
	sim *hwsim.Simulator
	cl  *huaweicloud.Client
	mu  sync.Mutex
	// queries are the queries of the requests, by operation path suffix.
	queries map[string][]url.Values
}

func startUsageEnv(t *testing.T, n int) *usageEnv {
	t.Helper()
	sim, err := hwsim.New(hwsim.Options{ProjectID: benchProject, Credentials: []simulator.Credential{{AccessKey: benchAK, SecretKey: benchSK}}, Desktops: n, Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	e := &usageEnv{sim: sim, queries: map[string][]url.Values{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		for _, suffix := range []string{"/statistics/metrics/desktops", "/statistics/metrics/users"} {
			if strings.HasSuffix(r.URL.Path, suffix) {
				e.queries[suffix] = append(e.queries[suffix], r.URL.Query())
			}
		}
		e.mu.Unlock()
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); sim.Close() })
	e.cl, err = huaweicloud.New(huaweicloud.Config{Endpoint: srv.URL, ProjectID: benchProject, AccessKey: benchAK, SecretKey: benchSK, MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// refresh builds a usage collector with o and runs one refresh, returning
// the rendered families by name.
func (e *usageEnv) refresh(t *testing.T, refresh RefreshFunc) map[string]*dto.MetricFamily {
	t.Helper()
	snap, err := refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b := NewBuilder()
	snap.Render(b, "sim")
	return parseText(t, Render(b.Families()).Text())
}

func (e *usageEnv) collector(t *testing.T, o UsageOptions) RefreshFunc {
	t.Helper()
	r, err := newUsageCollector(e.cl, &o, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// value is the value of the series of family name with the given labels
// (besides target); ok is false when there is none.
func value(mfs map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		if have["target"] != "sim" || len(have) != 1+len(labels)/2 {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}

// want checks one series' value.
func want(t *testing.T, mfs map[string]*dto.MetricFamily, v float64, name string, labels ...string) {
	t.Helper()
	got, ok := value(mfs, name, labels...)
	if !ok || got != v {
		t.Errorf("%s%v = %v (present %v), want %v", name, labels, got, ok, v)
	}
}

// attachStatistic is the simulator's documented mapping of §4.3.8
// attach_state to §4.21.13's attach_statistics counters.
var attachStatistic = map[string]string{"ATTACHED": "attached", "UNATTACH": "unattached", "DEATTACHED": "unattached", "ATTACHING": "attaching", "ATTACHFAIL": "attach_error"}

// runStatistic maps §4.3.8 statuses to §4.21.14's counters.
var runStatistic = map[string]string{"ACTIVE": "active", "SHUTOFF": "stop", "ERROR": "error", "HIBERNATED": "hibernated"}

// Every family of the usage collector against a seeded simulated fleet,
// the expected values computed from the simulator's own views: its usage
// report accessors, its desktop list (§4.3.8) for the run and attach
// states and the fleet size, and its §4.21.15 answer for the login states.
func TestUsageCollectorAgainstSimulator(t *testing.T) {
	e := startUsageEnv(t, 650)
	clock := time.Now()
	mfs := e.refresh(t, e.collector(t, UsageOptions{IdleDays: 7, PerDesktopSeries: true, PerUserSeries: true, now: func() time.Time { return clock }}))

	// The period: the client's, the one the simulator was asked for, the
	// one the companions say.
	p := huaweicloud.UsagePeriodAt(clock)
	for suffix, qs := range e.queries {
		if len(qs) == 0 {
			t.Errorf("%s: not asked", suffix)
		}
		for _, q := range qs {
			if q.Get("start_time") != p.Start.Format(time.RFC3339) || q.Get("end_time") != p.End.Format(time.RFC3339) || q.Get("limit") != "100" {
				t.Errorf("%s asked %v, want period %v", suffix, q, p)
			}
		}
	}
	if len(e.queries) != 2 || len(e.queries["/statistics/metrics/desktops"]) < 7 {
		t.Errorf("queries %v", e.queries)
	}
	want(t, mfs, float64(p.Start.Unix()), "workspace_usage_period_start_timestamp_seconds")
	want(t, mfs, float64(p.End.Unix()), "workspace_usage_period_end_timestamp_seconds")

	report := e.sim.DesktopUsageReport(p.Start, p.End)
	var used float64
	idle := 0
	for _, r := range report {
		used += float64(r.UsedSeconds)
		if r.IdleSeconds >= 7*86400 {
			idle++
		}
		want(t, mfs, float64(r.UsedSeconds), "workspace_usage_desktop_used_seconds", "desktop_id", r.DesktopID, "desktop_name", r.DesktopName)
		want(t, mfs, float64(r.IdleSeconds), "workspace_usage_desktop_idle_seconds", "desktop_id", r.DesktopID, "desktop_name", r.DesktopName)
	}
	if len(report) < 600 || used == 0 || idle == 0 {
		t.Fatalf("a degenerate report: %d desktops, %v s, %d idle", len(report), used, idle)
	}
	want(t, mfs, float64(len(report)), "workspace_usage_desktops_reported")
	want(t, mfs, used, "workspace_usage_desktops_used_seconds")
	want(t, mfs, float64(idle), "workspace_usage_idle_desktops", "min_idle_days", "7")
	if n := len(mfs["workspace_usage_desktop_used_seconds"].GetMetric()) + len(mfs["workspace_usage_desktop_idle_seconds"].GetMetric()); n != 2*len(report) {
		t.Errorf("%d per-desktop series for %d desktops", n, len(report))
	}

	users := e.sim.UserUsageReport(p.Start, p.End)
	var uUsed, attempts, ok, failed float64
	active := 0
	for _, u := range users {
		uUsed += float64(u.UsedSeconds)
		attempts += float64(u.Logins)
		ok += float64(u.LoginSuccess)
		failed += float64(u.LoginFails)
		if u.UsedSeconds > 0 {
			active++
		}
		want(t, mfs, float64(u.UsedSeconds), "workspace_usage_user_used_seconds", "user_name", u.UserName)
		want(t, mfs, float64(u.LoginSuccess), "workspace_usage_user_logins", "user_name", u.UserName, "result", "success")
		want(t, mfs, float64(u.LoginFails), "workspace_usage_user_logins", "user_name", u.UserName, "result", "failure")
	}
	if len(users) == 0 || active == 0 || failed == 0 {
		t.Fatalf("a degenerate user report: %d users, %d active, %v failures", len(users), active, failed)
	}
	want(t, mfs, float64(len(users)), "workspace_usage_users_reported")
	want(t, mfs, float64(active), "workspace_usage_active_users")
	want(t, mfs, uUsed, "workspace_usage_users_used_seconds")
	want(t, mfs, attempts, "workspace_usage_login_attempts")
	want(t, mfs, ok, "workspace_usage_logins", "result", "success")
	want(t, mfs, failed, "workspace_usage_logins", "result", "failure")
	if n := len(mfs["workspace_usage_user_used_seconds"].GetMetric()); n != len(users) {
		t.Errorf("%d per-user usage series for %d users", n, len(users))
	}

	// Current counts: §4.21.14 == §4.21.13 run_state == §4.3.8 statuses;
	// §4.21.13 login_state == §4.21.15; attach_state from §4.3.8.
	ds := e.sim.Desktops()
	run, attach := map[string]float64{}, map[string]float64{}
	for _, d := range ds {
		run[runStatistic[d.Status]]++
		attach[attachStatistic[d.AttachState]]++
	}
	login, err := e.cl.LoginStateStatistics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want(t, mfs, float64(len(ds)), "workspace_statistics_desktops")
	for _, st := range testUsageEnums.run {
		want(t, mfs, run[st], "workspace_run_state_desktops", "state", st)
		want(t, mfs, run[st], "workspace_statistics_desktops_by_state", "category", "run_state", "state", st)
	}
	for _, st := range testUsageEnums.login {
		want(t, mfs, float64(login[st]), "workspace_statistics_desktops_by_state", "category", "login_state", "state", st)
	}
	for _, st := range testUsageEnums.attach {
		want(t, mfs, attach[st], "workspace_statistics_desktops_by_state", "category", "attach_state", "state", st)
	}
	if run["active"] == 0 || run["stop"] == 0 || login["in_use"] == 0 || attach["attached"] == 0 || attach["unattached"] == 0 {
		t.Errorf("a degenerate fleet: run %v login %v attach %v", run, login, attach)
	}
	for _, name := range []string{"workspace_run_state_desktops", "workspace_statistics_desktops_by_state"} {
		if n := len(mfs[name].GetMetric()); n != map[bool]int{true: 4, false: 13}[name == "workspace_run_state_desktops"] {
			t.Errorf("%s: %d series (an undocumented state?)", name, n)
		}
	}
}

// idle_days moves the threshold of workspace_usage_idle_desktops and its
// label; the per-desktop and per-user switches add exactly their families.
func TestUsageOptionsAgainstSimulator(t *testing.T) {
	e := startUsageEnv(t, 400)
	clock := time.Now()
	now := func() time.Time { return clock }
	p := huaweicloud.UsagePeriodAt(clock)
	report := e.sim.DesktopUsageReport(p.Start, p.End)
	counts := map[int]float64{}
	for _, days := range []int{1, 7, 30, 180} {
		for _, r := range report {
			if r.IdleSeconds >= int64(days)*86400 {
				counts[days]++
			}
		}
		mfs := e.refresh(t, e.collector(t, UsageOptions{IdleDays: days, now: now}))
		want(t, mfs, counts[days], "workspace_usage_idle_desktops", "min_idle_days", strconv.Itoa(days))
		if n := len(mfs["workspace_usage_idle_desktops"].GetMetric()); n != 1 {
			t.Errorf("idle_days %d: %d series", days, n)
		}
	}
	if !(counts[1] > counts[7] && counts[7] > counts[30] && counts[30] > 0) {
		t.Errorf("idle counts do not fall with the threshold: %v", counts)
	}

	families := func(o UsageOptions) map[string]int {
		o.IdleDays, o.now = 7, now
		out := map[string]int{}
		for name, mf := range e.refresh(t, e.collector(t, o)) {
			out[name] = len(mf.GetMetric())
		}
		return out
	}
	base := families(UsageOptions{})
	desk := families(UsageOptions{PerDesktopSeries: true})
	user := families(UsageOptions{PerUserSeries: true})
	for name, n := range base {
		if desk[name] != n || user[name] != n {
			t.Errorf("%s: %d series, %d with per-desktop series, %d with per-user series", name, n, desk[name], user[name])
		}
	}
	added := func(m map[string]int) []string {
		var out []string
		for name := range m {
			if _, ok := base[name]; !ok {
				out = append(out, name)
			}
		}
		sort.Strings(out)
		return out
	}
	if got := added(desk); !slices.Equal(got, []string{"workspace_usage_desktop_idle_seconds", "workspace_usage_desktop_used_seconds"}) {
		t.Errorf("per_desktop_series adds %v", got)
	}
	if got := added(user); !slices.Equal(got, []string{"workspace_usage_user_logins", "workspace_usage_user_used_seconds"}) {
		t.Errorf("per_user_series adds %v", got)
	}
}

// Within one period the daily lists are read once: a second refresh the
// same day sends no §4.21.9/§4.21.10 request (the statistics are read
// again); the next day walks them again. An empty report is read again.
func TestUsageReportReusedWithinThePeriod(t *testing.T) {
	e := startUsageEnv(t, 250)
	now := time.Now().UTC()
	// Noon two days ago: the period is the day before, a day the
	// simulator reports whatever the time of day.
	clock := time.Date(now.Year(), now.Month(), now.Day()-2, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	refresh := e.collector(t, UsageOptions{IdleDays: 7, now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }})
	set := func(t time.Time) { mu.Lock(); clock = t; mu.Unlock() }
	requests := func() [4]int64 {
		return [4]int64{e.sim.Requests(hwspec.OpListDesktopUsage), e.sim.Requests(hwspec.OpListUserUsage),
			e.sim.Requests(hwspec.OpShowDesktopStatistics), e.sim.Requests(hwspec.OpShowRunStateStatistics)}
	}
	start := func(mfs map[string]*dto.MetricFamily) time.Time {
		v, _ := value(mfs, "workspace_usage_period_start_timestamp_seconds")
		return time.Unix(int64(v), 0).UTC()
	}

	first := e.refresh(t, refresh)
	r1 := requests()
	if r1[0] != 3 || r1[1] == 0 || r1[2] != 3 || r1[3] != 1 {
		t.Fatalf("first refresh: requests %v", r1)
	}
	set(clock.Add(time.Hour))
	second := e.refresh(t, refresh)
	r2 := requests()
	if r2[0] != r1[0] || r2[1] != r1[1] || r2[2] != r1[2]+3 || r2[3] != r1[3]+1 {
		t.Errorf("second refresh of the day: requests %v after %v", r2, r1)
	}
	for _, name := range []string{"workspace_usage_desktops_reported", "workspace_usage_desktops_used_seconds", "workspace_usage_users_used_seconds", "workspace_usage_period_start_timestamp_seconds"} {
		a, _ := value(first, name)
		b, _ := value(second, name)
		if a != b || a == 0 {
			t.Errorf("%s: %v, then %v from the reused report", name, a, b)
		}
	}
	set(clock.Add(23 * time.Hour)) // the next day
	third := e.refresh(t, refresh)
	r3 := requests()
	if r3[0] != r2[0]+3 || r3[1] <= r2[1] {
		t.Errorf("next day: requests %v after %v", r3, r2)
	}
	if s1, s3 := start(first), start(third); s3.Sub(s1) != 24*time.Hour {
		t.Errorf("period start %s, the next day %s", s1, s3)
	}

	// Past the 180 days kept: empty, and read again at the next refresh.
	set(clock.AddDate(0, 0, -200))
	empty := e.refresh(t, refresh)
	want(t, empty, 0, "workspace_usage_desktops_reported")
	r4 := requests()
	set(clock.Add(time.Hour))
	e.refresh(t, refresh)
	if r5 := requests(); r5[0] != r4[0]+1 || r5[1] != r4[1]+1 {
		t.Errorf("an empty report was not read again: %v after %v", r5, r4)
	}
}

// Any of the four reads failing fails the refresh.
func TestUsageRefreshFailsOnAnyRead(t *testing.T) {
	for _, op := range []string{hwspec.OpListDesktopUsage, hwspec.OpListUserUsage, hwspec.OpShowDesktopStatistics, hwspec.OpShowRunStateStatistics} {
		t.Run(op, func(t *testing.T) {
			e := startUsageEnv(t, 30)
			refresh := e.collector(t, UsageOptions{IdleDays: 7})
			e.sim.InjectFault(simulator.Fault{Kind: simulator.FaultServerError, Operation: op, Probability: 1, Status: 503})
			if snap, err := refresh(context.Background()); err == nil || snap != nil || !strings.Contains(err.Error(), op) {
				t.Errorf("snapshot %v, err %v", snap, err)
			}
			e.sim.ClearFaults()
			if _, err := refresh(context.Background()); err != nil {
				t.Errorf("after the fault: %v", err)
			}
		})
	}
}

// The options come from the collector's block of the configuration,
// checked strictly; the collector runs by default.
func TestUsageConfiguration(t *testing.T) {
	_, url := startSim(t, 50)
	m, reg := newTestManager(t, nil)
	target := func(collectors string) string {
		return fmt.Sprintf(`targets:
  - name: sim
    provider: huaweicloud
    region: ap-southeast-3
    project_id: %s
    endpoint: %s
    credentials: %s
    collectors: {%s}
`, benchProject, url, benchCredentials, collectors)
	}
	applyYAML(t, m, target("usage: {idle_days: 3, per_user_series: true}"))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		byName[mf.GetName()] = mf
	}
	want(t, byName, 1, "workspace_collector_success", "collector", "usage")
	if _, ok := value(byName, "workspace_usage_idle_desktops", "min_idle_days", "3"); !ok || len(byName["workspace_usage_idle_desktops"].GetMetric()) != 1 {
		t.Error("no workspace_usage_idle_desktops{min_idle_days=\"3\"} alone")
	}
	if len(byName["workspace_usage_user_used_seconds"].GetMetric()) == 0 {
		t.Error("per_user_series: true gave no per-user series")
	}
	if byName["workspace_usage_desktop_used_seconds"] != nil {
		t.Error("per_desktop_series is off by default")
	}

	// Enabled by default, with its default interval.
	applyYAML(t, m, target("desktops: {interval: 1h}"))
	if mfs, err = reg.Gather(); err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		byName[mf.GetName()] = mf
	}
	want(t, byName, 3600, "workspace_collector_interval_seconds", "collector", "usage")

	for _, bad := range []string{"idle_days: 0", "idle_days: 181", "idle_days: seven", "idle_day: 7"} {
		_, err := config.Parse([]byte(target("usage: {"+bad+"}")), m.ConfigOptions())
		if err == nil || !strings.Contains(err.Error(), "idle_day") {
			t.Errorf("%s: err %v", bad, err)
		}
	}
}

// Hostile report answers end to end: undocumented metric names (the
// simulator's enum_flood) and junk elements are skipped, never fatal;
// a missing or null list fails the refresh.
func TestUsageHostileReports(t *testing.T) {
	e := startUsageEnv(t, 120)
	clock := time.Now()
	p := huaweicloud.UsagePeriodAt(clock)
	o := UsageOptions{IdleDays: 7, PerDesktopSeries: true, now: func() time.Time { return clock }}
	desktops, users := len(e.sim.DesktopUsageReport(p.Start, p.End)), len(e.sim.UserUsageReport(p.Start, p.End))

	e.sim.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: hwspec.OpListDesktopUsage, Probability: 1})
	e.sim.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: hwspec.OpListUserUsage, Probability: 1})
	mfs := e.refresh(t, e.collector(t, o))
	want(t, mfs, float64(desktops), "workspace_usage_desktops_reported")
	want(t, mfs, 0, "workspace_usage_desktops_used_seconds")
	want(t, mfs, 0, "workspace_usage_idle_desktops", "min_idle_days", "7")
	want(t, mfs, float64(users), "workspace_usage_users_reported")
	want(t, mfs, 0, "workspace_usage_active_users")
	if mfs["workspace_usage_desktop_used_seconds"] != nil {
		t.Error("per-desktop series for values that were not read")
	}
	e.sim.ClearFaults()

	e.sim.InjectFault(simulator.Fault{Kind: simulator.FaultJunkItems, Operation: hwspec.OpListDesktopUsage, Count: 1, Items: 3})
	mfs = e.refresh(t, e.collector(t, o))
	want(t, mfs, float64(desktops-3), "workspace_usage_desktops_reported")
	e.sim.ClearFaults()

	for _, variant := range []string{simulator.BadListMissing, simulator.BadListNull, simulator.BadListString} {
		e.sim.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListUserUsage, Count: 1, Variant: variant})
		if _, err := e.collector(t, o)(context.Background()); err == nil || !strings.Contains(err.Error(), `"items"`) {
			t.Errorf("bad list %s: %v", variant, err)
		}
	}
}
