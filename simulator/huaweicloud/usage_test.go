package huaweicloud

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

const (
	desktopUsagePath = "/v2/{project_id}/statistics/metrics/desktops"
	userUsagePath    = "/v2/{project_id}/statistics/metrics/users"
	statisticsPath   = "/v2/{project_id}/statistics"
	runStatePath     = "/v2/{project_id}/desktops/statistics/run-state"
	loginStatePath   = "/v2/{project_id}/desktops/statistics/login-state"
)

type usageMetric struct {
	Name  string  `json:"metric_name"`
	Value float64 `json:"metric_value"`
}

type usageItemBody struct {
	ResourceID     string        `json:"resource_id"`
	ResourcePoolID *string       `json:"resource_pool_id"`
	ResourceName   string        `json:"resource_name"`
	UserName       string        `json:"username"`
	Metric         []usageMetric `json:"metric"`
}

type usageListBody struct {
	Count *int            `json:"count"`
	Items []usageItemBody `json:"items"`
}

// daysAgo is [start, end) of the UTC day n days before today: n ≥ 2 is a
// reported day whatever the time of day.
func daysAgo(n int) (time.Time, time.Time) {
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	start := today.AddDate(0, 0, -n)
	return start, start.AddDate(0, 0, 1)
}

func usageQuery(start, end time.Time, extra map[string]any) map[string]any {
	q := map[string]any{"start_time": start.Format("2006-01-02T15:04:05Z"), "end_time": end.Format("2006-01-02T15:04:05Z")}
	for k, v := range extra {
		q[k] = v
	}
	return q
}

// usagePage fetches one page of a usage list and wants 200.
func usagePage(t *testing.T, base, path string, query map[string]any) usageListBody {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: path, query: query}))
	if r.status != http.StatusOK {
		t.Fatalf("%s %v: %d %s", path, query, r.status, r.body)
	}
	var lb usageListBody
	if err := json.Unmarshal(r.body, &lb); err != nil {
		t.Fatalf("%s: %v: %s", path, err, r.body)
	}
	return lb
}

// walkUsage walks a usage list with limit 100.
func walkUsage(t *testing.T, base, path string, start, end time.Time) ([]usageItemBody, int) {
	t.Helper()
	var all []usageItemBody
	count := -1
	for offset := 0; ; offset += 100 {
		lb := usagePage(t, base, path, usageQuery(start, end, map[string]any{"offset": strconv.Itoa(offset), "limit": "100"}))
		if lb.Count == nil {
			t.Fatal("no count")
		}
		if count >= 0 && *lb.Count != count {
			t.Fatalf("count changed from %d to %d", count, *lb.Count)
		}
		count = *lb.Count
		all = append(all, lb.Items...)
		if len(lb.Items) < 100 {
			return all, count
		}
	}
}

func metricOf(it usageItemBody, name string) (float64, bool) {
	for _, m := range it.Metric {
		if m.Name == name {
			return m.Value, true
		}
	}
	return 0, false
}

// The usage lists: start_time and end_time mandatory, limit 1..100
// (default 10), offset ≥ 0, each with the API's 400 body; an exact count;
// the lines the report accessors give, in fleet order.
func TestUsageListsParametersAndPaging(t *testing.T) {
	s, base := startSim(t, testOptions(250))
	start, end := daysAgo(2)
	for _, path := range []string{desktopUsagePath, userUsagePath} {
		for _, tc := range []struct {
			query  map[string]any
			code   string
			detail string
		}{
			{map[string]any{"end_time": end.Format(time.RFC3339)}, "WKS.0001", "start_time is mandatory."},
			{map[string]any{"start_time": start.Format(time.RFC3339)}, "WKS.0001", "end_time is mandatory."},
			{usageQuery(start, end, map[string]any{"start_time": "yesterday"}), "WKS.0001", "start_time is invalid."},
			{usageQuery(end, start, nil), "WKS.0001", "end_time must not be earlier than start_time."},
			{usageQuery(start, end, map[string]any{"limit": "0"}), "WKS.0509", ""},
			{usageQuery(start, end, map[string]any{"limit": "101"}), "WKS.0509", ""},
			{usageQuery(start, end, map[string]any{"limit": "ten"}), "WKS.0509", ""},
			{usageQuery(start, end, map[string]any{"offset": "-1"}), "WKS.0508", ""},
		} {
			r := do(t, sdkRequest(t, base, signed{path: path, query: tc.query}))
			var e apiErrorBody
			_ = json.Unmarshal(r.body, &e)
			if r.status != http.StatusBadRequest || e.Code != tc.code || !strings.HasSuffix(e.Detail, tc.detail) || e.Msg == "" {
				t.Errorf("%s %v: %d %s", path, tc.query, r.status, r.body)
			}
		}
		if lb := usagePage(t, base, path, usageQuery(start, end, nil)); len(lb.Items) != 10 {
			t.Errorf("%s: default limit gave %d items", path, len(lb.Items))
		}
	}

	items, count := walkUsage(t, base, desktopUsagePath, start, end)
	report := s.DesktopUsageReport(start, end)
	if count != len(report) || len(items) != count || count < 240 {
		t.Fatalf("desktops: count %d, %d items, report %d", count, len(items), len(report))
	}
	for i, it := range items {
		r := report[i]
		used, okU := metricOf(it, "desktop_usage")
		idle, okI := metricOf(it, "desktop_idle_duration")
		pool := ""
		if it.ResourcePoolID != nil {
			pool = *it.ResourcePoolID
		}
		if it.ResourceID != r.DesktopID || it.ResourceName != r.DesktopName || pool != r.PoolID || !okU || !okI ||
			used != float64(r.UsedSeconds) || idle != float64(r.IdleSeconds) || len(it.Metric) != 2 {
			t.Errorf("desktop %d: %+v, report %+v", i, it, r)
		}
	}
	users, ucount := walkUsage(t, base, userUsagePath, start, end)
	ureport := s.UserUsageReport(start, end)
	if ucount != len(ureport) || len(users) != ucount || ucount == 0 {
		t.Fatalf("users: count %d, %d items, report %d", ucount, len(users), len(ureport))
	}
	for i, it := range users {
		r := ureport[i]
		want := map[string]float64{"user_usage": float64(r.UsedSeconds), "user_login_count": float64(r.Logins),
			"user_login_success_count": float64(r.LoginSuccess), "user_login_fail_count": float64(r.LoginFails)}
		for name, v := range want {
			if got, ok := metricOf(it, name); !ok || got != v {
				t.Errorf("user %s: %s = %v, want %v", it.UserName, name, got, v)
			}
		}
		if it.UserName != r.UserName || r.Logins != r.LoginSuccess+r.LoginFails {
			t.Errorf("user %d: %+v, report %+v", i, it, r)
		}
	}
	if s.Requests(hwspec.OpListDesktopUsage) == 0 || s.Requests(hwspec.OpListUserUsage) == 0 {
		t.Error("requests not counted per operation")
	}
}

// Reports exist for complete days from 02:00 the next day, 180 days back
// for desktops and 30 for users; other ranges are empty (count 0).
func TestUsageReportAvailability(t *testing.T) {
	now := time.Date(2025, 6, 10, 1, 59, 0, 0, time.UTC)
	opts := testOptions(40)
	clock := now
	opts.Now = func() time.Time { return clock }
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) (time.Time, time.Time) {
		a := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return a, a.AddDate(0, 0, 1)
	}
	n := func(start, end time.Time) (int, int) {
		return len(s.DesktopUsageReport(start, end)), len(s.UserUsageReport(start, end))
	}
	// Before 02:00, yesterday is not reported yet; the day before is.
	if d, u := n(day(2025, 6, 9)); d != 0 || u != 0 {
		t.Errorf("yesterday before 02:00: %d %d", d, u)
	}
	if d, u := n(day(2025, 6, 8)); d == 0 || u == 0 {
		t.Errorf("the day before: %d %d", d, u)
	}
	clock = time.Date(2025, 6, 10, 2, 0, 0, 0, time.UTC)
	if d, _ := n(day(2025, 6, 9)); d == 0 {
		t.Error("yesterday after 02:00: empty")
	}
	if d, _ := n(day(2025, 6, 10)); d != 0 {
		t.Error("today: not empty")
	}
	// Less than one day: empty.
	a, _ := day(2025, 6, 8)
	if d, _ := n(a, a.Add(23*time.Hour)); d != 0 {
		t.Error("less than a day: not empty")
	}
	if d, u := n(day(2025, 6, 10-30+1)); d == 0 || u == 0 {
		t.Errorf("29 days ago: %d %d", d, u)
	}
	if d, u := n(day(2025, 5, 10)); d == 0 || u != 0 {
		t.Errorf("31 days ago: %d desktops, %d users (users are kept 30 days)", d, u)
	}
	if d, _ := n(day(2024, 12, 1)); d != 0 {
		t.Errorf("191 days ago: %d desktops", d)
	}
	// A range of days sums usage and reports the idle duration of its
	// last day.
	s1, e1 := day(2025, 6, 7)
	s2, e2 := day(2025, 6, 8)
	one, two, both := s.DesktopUsageReport(s1, e1), s.DesktopUsageReport(s2, e2), s.DesktopUsageReport(s1, e2)
	if len(both) != len(two) {
		t.Fatalf("%d, %d", len(both), len(two))
	}
	byID := map[string]DesktopUsageRow{}
	for _, r := range one {
		byID[r.DesktopID] = r
	}
	for i, r := range both {
		if r.UsedSeconds != byID[r.DesktopID].UsedSeconds+two[i].UsedSeconds || r.IdleSeconds != two[i].IdleSeconds {
			t.Errorf("two days of %s: %+v, days %+v %+v", r.DesktopID, r, byID[r.DesktopID], two[i])
		}
	}
}

// The usage history: deterministic; unassigned desktops never used; a
// desktop that is not ACTIVE unused since its last day, its idle duration
// growing by a day a day; a noticeable share idle for 7 days or more;
// users' lines the sums of their desktops'.
func TestUsageHistory(t *testing.T) {
	opts := testOptions(2000)
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	start, end := daysAgo(2)
	prevStart, prevEnd := daysAgo(3)
	report, prev := s.DesktopUsageReport(start, end), s.DesktopUsageReport(prevStart, prevEnd)
	if !reflect.DeepEqual(report, again.DesktopUsageReport(start, end)) {
		t.Fatal("the report is not deterministic")
	}
	byID := map[string]Desktop{}
	for _, d := range s.Desktops() {
		byID[d.DesktopID] = d
	}
	prevByID := map[string]DesktopUsageRow{}
	for _, r := range prev {
		prevByID[r.DesktopID] = r
	}
	idle7, used, off, offGrowing := 0, 0, 0, 0
	for _, r := range report {
		d := byID[r.DesktopID]
		created, err := time.Parse(timeLayout, d.Created)
		if err != nil {
			t.Fatal(err)
		}
		if r.UsedSeconds < 0 || r.UsedSeconds > 86400 || r.IdleSeconds < 0 || r.IdleSeconds > int64(end.Sub(created)/time.Second)+1 {
			t.Errorf("%s: %+v (created %s)", r.DesktopID, r, d.Created)
		}
		if d.UserName == "" && (r.UsedSeconds != 0 || r.IdleSeconds != int64(end.Sub(created)/time.Second)) {
			t.Errorf("unassigned %s: %+v, want unused since its creation %s", r.DesktopID, r, d.Created)
		}
		if r.UsedSeconds > 0 {
			used++
		}
		if r.IdleSeconds >= 7*86400 {
			idle7++
		}
		if d.Status != statusActive && d.UserName != "" {
			off++
			if p, ok := prevByID[r.DesktopID]; ok && p.UsedSeconds == 0 && r.UsedSeconds == 0 {
				offGrowing++
				if r.IdleSeconds != p.IdleSeconds+86400 {
					t.Errorf("%s (%s): idle %d the day after %d", r.DesktopID, d.Status, r.IdleSeconds, p.IdleSeconds)
				}
			}
		}
	}
	n := len(report)
	t.Logf("%d desktops: %d idle ≥ 7 days, %d used, %d not active of which %d idle for longer", n, idle7, used, off, offGrowing)
	if idle7*100 < 10*n || idle7*100 > 50*n || used*100 < 10*n || offGrowing*2 < off {
		t.Errorf("%d desktops: %d idle ≥ 7 days, %d used, %d not active of which %d idle for longer", n, idle7, used, off, offGrowing)
	}
	sums := map[string]int64{}
	for _, r := range report {
		if u := byID[r.DesktopID].UserName; u != "" {
			sums[u] += r.UsedSeconds
		}
	}
	users := s.UserUsageReport(start, end)
	if len(users) != len(sums) {
		t.Errorf("%d users, %d users with desktops", len(users), len(sums))
	}
	failures := int64(0)
	for _, u := range users {
		if u.UsedSeconds != sums[u.UserName] {
			t.Errorf("user %s: %d s, desktops %d s", u.UserName, u.UsedSeconds, sums[u.UserName])
		}
		if u.UsedSeconds > 0 && u.LoginSuccess == 0 {
			t.Errorf("user %s used desktops without a login", u.UserName)
		}
		failures += u.LoginFails
	}
	if failures == 0 {
		t.Error("no failed logins in the fleet")
	}
}

// numCounts are counters decoded without their _num suffix (a key
// without it is kept as it is, and fails the comparisons).
type numCounts map[string]int64

func (n *numCounts) UnmarshalJSON(b []byte) error {
	var m map[string]int64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*n = numCounts{}
	for k, v := range m {
		(*n)[strings.TrimSuffix(k, "_num")] = v
	}
	return nil
}

type statisticsBody struct {
	Total  *int64    `json:"total_num"`
	Attach numCounts `json:"attach_statistics"`
	Run    numCounts `json:"run_state_statistics"`
	Login  numCounts `json:"login_state_statistics"`
	Pools  []struct {
		ID     string    `json:"desktop_pool_id"`
		Name   string    `json:"desktop_pool_name"`
		Total  int64     `json:"total_num"`
		Attach numCounts `json:"attach_statistics"`
		Run    numCounts `json:"run_state_statistics"`
		Login  numCounts `json:"login_state_statistics"`
	} `json:"desktop_pool_statistics"`
}

func usageGetJSON(t *testing.T, base, path string, query map[string]any, v any) {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: path, query: query}))
	if r.status != http.StatusOK {
		t.Fatalf("%s %v: %d %s", path, query, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%s: %v: %s", path, err, r.body)
	}
}

// §4.21.14 and §4.21.13's run states are the fleet's statuses (as §4.3.8
// lists them); §4.21.13's login states are §4.21.15's; its attach states
// the desktops' attach_state; desktop_type narrows them; POOLED adds the
// pools.
func TestStatisticsFollowTheFleet(t *testing.T) {
	s, base := startSim(t, testOptions(3000))
	s.Step()
	ds := s.Desktops()
	run, attach := map[string]int64{}, map[string]int64{}
	for _, d := range ds {
		run[runStateStatistic[d.Status]]++
		attach[attachStatistic[d.AttachState]]++
	}
	var rs numCounts
	usageGetJSON(t, base, runStatePath, nil, &rs)
	wantRun := numCounts{"active": run["active"], "stop": run["stop"], "error": run["error"], "hibernated": run["hibernated"]}
	if !reflect.DeepEqual(rs, wantRun) || run["active"] == 0 || run["stop"] == 0 || run["hibernated"] == 0 || run["error"] == 0 {
		t.Errorf("run-state %v, fleet %v", rs, run)
	}
	var ls numCounts
	usageGetJSON(t, base, loginStatePath, nil, &ls)

	var only statisticsBody
	usageGetJSON(t, base, statisticsPath, nil, &only)
	if only.Total == nil || *only.Total != int64(len(ds)) || only.Run != nil || only.Login != nil || only.Attach != nil || only.Pools != nil {
		t.Errorf("without statistics_type: %+v", only)
	}
	wantAttach := numCounts{"attached": attach["attached"], "unattached": attach["unattached"], "attaching": attach["attaching"], "attach_error": attach["attach_error"]}
	for _, types := range []any{[]string{"run-state", "login-state", "attach-state"}, "run-state,login-state,attach-state"} {
		var all statisticsBody
		usageGetJSON(t, base, statisticsPath, map[string]any{"statistics_type": types}, &all)
		if *all.Total != int64(len(ds)) || !reflect.DeepEqual(all.Run, rs) || !reflect.DeepEqual(all.Login, ls) || !reflect.DeepEqual(all.Attach, wantAttach) {
			t.Errorf("%v: %+v\nrun %v login %v attach %v", types, all, rs, ls, wantAttach)
		}
	}
	var one statisticsBody
	usageGetJSON(t, base, statisticsPath, map[string]any{"statistics_type": "login-state"}, &one)
	if one.Login == nil || one.Run != nil || one.Attach != nil {
		t.Errorf("login-state only: %+v", one)
	}

	types := []string{"run-state", "login-state", "attach-state"}
	var ded, pooled statisticsBody
	usageGetJSON(t, base, statisticsPath, map[string]any{"statistics_type": types, "desktop_type": "DEDICATED"}, &ded)
	usageGetJSON(t, base, statisticsPath, map[string]any{"statistics_type": types, "desktop_type": "POOLED"}, &pooled)
	if *ded.Total+*pooled.Total != int64(len(ds)) || *pooled.Total == 0 || ded.Pools != nil || len(pooled.Pools) == 0 {
		t.Fatalf("dedicated %d, pooled %d (%d pools), fleet %d", *ded.Total, *pooled.Total, len(pooled.Pools), len(ds))
	}
	for k, v := range rs {
		if ded.Run[k]+pooled.Run[k] != v {
			t.Errorf("run state %s: %d + %d != %d", k, ded.Run[k], pooled.Run[k], v)
		}
	}
	for k, v := range wantAttach {
		if ded.Attach[k]+pooled.Attach[k] != v {
			t.Errorf("attach state %s: %d + %d != %d", k, ded.Attach[k], pooled.Attach[k], v)
		}
	}
	for k, v := range ls {
		if ded.Login[k]+pooled.Login[k] != v {
			t.Errorf("login state %s: %d + %d != %d", k, ded.Login[k], pooled.Login[k], v)
		}
	}
	poolDesktops := map[string]int64{}
	for _, d := range ds {
		if d.DesktopType == "POOLED" {
			poolDesktops[d.PoolID]++
		}
	}
	var sum int64
	for _, p := range pooled.Pools {
		var run int64
		for _, v := range p.Run {
			run += v
		}
		if p.Total != poolDesktops[p.ID] || run != p.Total || p.Name == "" || p.Login == nil || p.Attach == nil {
			t.Errorf("pool %s %q: total %d (run states %d), fleet %d", p.ID, p.Name, p.Total, run, poolDesktops[p.ID])
		}
		sum += p.Total
	}
	if sum != *pooled.Total {
		t.Errorf("pools hold %d of %d pooled desktops", sum, *pooled.Total)
	}
	var both statisticsBody
	usageGetJSON(t, base, statisticsPath, map[string]any{"desktop_type": []string{"DEDICATED", "POOLED"}}, &both)
	if *both.Total != int64(len(ds)) || len(both.Pools) != len(pooled.Pools) {
		t.Errorf("both types: %d desktops, %d pools", *both.Total, len(both.Pools))
	}
	for _, q := range []map[string]any{{"statistics_type": "usage"}, {"desktop_type": "POOL"}} {
		r := do(t, sdkRequest(t, base, signed{path: statisticsPath, query: q}))
		if r.status != http.StatusBadRequest || errorCode(t, r) != "WKS.0001" {
			t.Errorf("%v: %d %s", q, r.status, r.body)
		}
	}
}

// The shared page faults work on the usage lists.
func TestUsageListFaults(t *testing.T) {
	s, base := startSim(t, testOptions(60))
	start, end := daysAgo(2)
	q := usageQuery(start, end, map[string]any{"limit": "20"})
	real := usagePage(t, base, desktopUsagePath, q)
	s.InjectFault(simulator.Fault{Kind: simulator.FaultShortPage, Operation: hwspec.OpListDesktopUsage, Count: 1, Items: 5})
	if lb := usagePage(t, base, desktopUsagePath, q); len(lb.Items) != 15 || *lb.Count != *real.Count {
		t.Errorf("short page: %d items, count %d", len(lb.Items), *lb.Count)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: hwspec.OpListUserUsage, Count: 1})
	for _, it := range usagePage(t, base, userUsagePath, q).Items {
		for _, m := range it.Metric {
			if m.Name != simulator.FloodPrefix+it.UserName {
				t.Errorf("flooded metric name %q", m.Name)
			}
		}
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListDesktopUsage, Count: 1, Variant: simulator.BadListNull})
	r := do(t, sdkRequest(t, base, signed{path: desktopUsagePath, query: q}))
	if !strings.Contains(string(r.body), `"items":null`) {
		t.Errorf("bad_list null: %s", r.body)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultOversizedPage, Operation: hwspec.OpListUserUsage, Count: 1, Items: 150})
	var big usageListBody
	usageGetJSON(t, base, userUsagePath, q, &big)
	if len(big.Items) != 150 || big.Items[149].UserName != "oversize-00000150" {
		t.Errorf("oversized: %d items", len(big.Items))
	}
	if lb := usagePage(t, base, desktopUsagePath, q); !reflect.DeepEqual(lb, real) {
		t.Error("faults did not expire")
	}
}

// Desktops installed with SetDesktops have a usage history too: their
// created time when it parses (else a year old), their own draws, and
// undocumented statuses and attach states counted in no state.
func TestUsageOfCustomDesktops(t *testing.T) {
	s, err := New(testOptions(0))
	if err != nil {
		t.Fatal(err)
	}
	start, end := daysAgo(2)
	created := start.AddDate(0, 0, -30).Format(timeLayout)
	s.SetDesktops([]Desktop{
		{DesktopID: "a", ComputerName: "A", UserName: "ann", Status: statusActive, AttachState: attachAttached, Created: created},
		{DesktopID: "b", ComputerName: "B", UserName: "ann", Status: statusShutoff, AttachState: attachAttached},
		{DesktopID: "c", ComputerName: "C", Status: "BUILD", AttachState: "WEIRD", DesktopType: "POOLED", PoolID: "pool-x", Created: "not a time"},
		{DesktopID: "d", ComputerName: "D", Status: statusActive, Created: start.Add(12 * time.Hour).Format(timeLayout)},
	})
	report := s.DesktopUsageReport(start, end)
	if len(report) != 4 || report[2].PoolID != "pool-x" || report[0].PoolID != "" {
		t.Fatalf("report %+v", report)
	}
	// No created time: a year before today, 364 days before the end of
	// the day before yesterday.
	if r := report[2]; r.UsedSeconds != 0 || r.IdleSeconds != 364*86400 {
		t.Errorf("unassigned, a year old: %+v", r)
	}
	if r := report[3]; r.UsedSeconds != 0 || r.IdleSeconds != 12*3600 {
		t.Errorf("created at noon, unassigned: %+v", r)
	}
	if report[0].IdleSeconds > 30*86400+86400 {
		t.Errorf("created 30 days ago, idle %d s", report[0].IdleSeconds)
	}
	users := s.UserUsageReport(start, end)
	if len(users) != 1 || users[0].UserName != "ann" || users[0].UsedSeconds != report[0].UsedSeconds+report[1].UsedSeconds {
		t.Errorf("users %+v, desktops %+v", users, report)
	}
	if reflect.DeepEqual(report[0], report[1]) {
		t.Error("two custom desktops share their draws")
	}
	_, base := startSimWith(t, s)
	var rs numCounts
	usageGetJSON(t, base, runStatePath, nil, &rs)
	if !reflect.DeepEqual(rs, numCounts{"active": 2, "stop": 1, "error": 0, "hibernated": 0}) {
		t.Errorf("run state %v", rs)
	}
	var st statisticsBody
	usageGetJSON(t, base, statisticsPath, map[string]any{"statistics_type": "attach-state", "desktop_type": "POOLED"}, &st)
	if *st.Total != 1 || len(st.Pools) != 1 || st.Pools[0].ID != "pool-x" || st.Pools[0].Name != "" || st.Attach["attached"] != 0 {
		t.Errorf("pooled statistics %+v", st)
	}
}

// A day's report is fixed once served: desktops deleted and created by
// later steps leave it as it was, so a walk across churn is consistent.
func TestUsageReportIsStableUnderChurn(t *testing.T) {
	s, err := New(testOptions(2000))
	if err != nil {
		t.Fatal(err)
	}
	start, end := daysAgo(2)
	desktops, users := s.DesktopUsageReport(start, end), s.UserUsageReport(start, end)
	if len(desktops) == 0 || len(users) == 0 {
		t.Fatalf("empty report: %d desktops, %d users", len(desktops), len(users))
	}
	before := map[string]bool{}
	for _, d := range s.Desktops() {
		before[d.DesktopID] = true
	}
	for range 200 {
		s.Step()
	}
	deleted := 0
	after := map[string]bool{}
	for _, d := range s.Desktops() {
		after[d.DesktopID] = true
	}
	for id := range before {
		if !after[id] {
			deleted++
		}
	}
	if deleted == 0 {
		t.Fatal("200 steps deleted no desktop: the test proves nothing")
	}
	if !reflect.DeepEqual(desktops, s.DesktopUsageReport(start, end)) || !reflect.DeepEqual(users, s.UserUsageReport(start, end)) {
		t.Errorf("the report of a past day changed after %d desktops were deleted", deleted)
	}
}
