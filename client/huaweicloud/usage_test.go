package huaweicloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The seed's example responses of the four usage operations decode (see
// testdata/README.md): the usage lists carry the placeholder count 0
// beside one item and the placeholder metric name "desktop_state", which
// is skipped, not fatal.
func TestUsageSeedExamples(t *testing.T) {
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	dp, err := DecodeDesktopUsagePage(read("list_desktop_usage_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	wantD := []model.DesktopUsage{{DesktopID: "xxx-xxx-xxx", DesktopName: "xxxx", PoolID: "xxx-xxx-xxx"}}
	if !reflect.DeepEqual(dp.Items, wantD) || dp.Total != 0 || !dp.TotalKnown || dp.Invalid != 0 || dp.SkippedMetrics != 1 || dp.BadValues != 0 {
		t.Errorf("§4.21.9 example: %+v", dp)
	}
	up, err := DecodeUserUsagePage(read("list_user_usage_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(up.Items, []model.UserUsage{{UserName: "xxxx"}}) || up.Total != 0 || !up.TotalKnown || up.SkippedMetrics != 1 {
		t.Errorf("§4.21.10 example: %+v", up)
	}
	st, err := DecodeDesktopStatistics(read("show_desktop_statistics_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st, model.DesktopStatistics{Total: 1}) {
		t.Errorf("§4.21.13 example: %+v", st)
	}
	rs, err := DecodeRunStateStatistics(read("show_run_state_statistics_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"stop": 0, "active": 5, "error": 0, "hibernated": 0}; !reflect.DeepEqual(rs, want) {
		t.Errorf("§4.21.14 example: %v, want %v", rs, want)
	}
	for k := range rs {
		if !usageContains(Spec.Enums[model.FieldRunStateStatistic], k) {
			t.Errorf("key %q is not an hwspec enum value", k)
		}
	}
}

func usageContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestUsagePeriod(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	cet := time.FixedZone("CET", 3600)
	cases := []struct {
		now        time.Time
		start, end string
	}{
		{time.Date(2025, 3, 10, 2, 30, 0, 0, time.UTC), "2025-03-09", "2025-03-10"},
		{time.Date(2025, 3, 10, 23, 59, 59, 0, time.UTC), "2025-03-09", "2025-03-10"},
		{time.Date(2025, 3, 10, 2, 29, 59, 999, time.UTC), "2025-03-08", "2025-03-09"},
		{time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC), "2025-03-08", "2025-03-09"},
		// 03:00 CET is 02:00 UTC: still before the report.
		{time.Date(2025, 3, 10, 3, 0, 0, 0, cet), "2025-03-08", "2025-03-09"},
		{time.Date(2025, 1, 1, 3, 0, 0, 0, time.UTC), "2024-12-31", "2025-01-01"},
		{time.Date(2024, 3, 1, 1, 0, 0, 0, time.UTC), "2024-02-28", "2024-02-29"},
	}
	var c Client
	for _, tc := range cases {
		p := c.UsagePeriod(tc.now)
		if !p.Start.Equal(day(tc.start)) || !p.End.Equal(day(tc.end)) || p.Start.Location() != time.UTC {
			t.Errorf("UsagePeriod(%s) = [%s, %s), want [%s, %s)", tc.now, p.Start, p.End, tc.start, tc.end)
		}
	}
}

// usageServer answers the usage operations from a handler per path
// suffix, recording every request.
type usageServer struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (u *usageServer) start(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.reqs = append(u.reqs, r)
		u.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (u *usageServer) queries(path string) []url.Values {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []url.Values
	for _, r := range u.reqs {
		if strings.HasSuffix(r.URL.Path, path) {
			out = append(out, r.URL.Query())
		}
	}
	return out
}

// desktopItems renders n DesktopMetric items from first on.
func desktopItems(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"resource_id":"d%d","resource_name":"DESK-%d","metric":[{"metric_name":"desktop_usage","metric_value":%d},{"metric_name":"desktop_idle_duration","metric_value":%d}]}`, first+i, first+i, first+i, 2*(first+i))
	}
	return b.String()
}

// The lists are walked with limit 100 over the period, start_time and
// end_time in RFC 3339 UTC; the placeholder count 0 makes the walk read
// on to a short page.
func TestDesktopUsageWalk(t *testing.T) {
	var u usageServer
	srvURL := u.start(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("offset") {
		case "0":
			fmt.Fprintf(w, `{"count":0,"items":[%s]}`, desktopItems(0, 100))
		case "100":
			fmt.Fprintf(w, `{"count":0,"items":[%s]}`, desktopItems(100, 5))
		default:
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error_code":"WKS.0001","error_msg":"bad offset"}`)
		}
	})
	c, _, _ := newTestClient(t, srvURL, nil)
	p := model.UsagePeriod{Start: time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)}
	ds, stats, err := c.DesktopUsage(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 105 || stats.Requests != 2 || stats.Total != -1 {
		t.Fatalf("%d desktops, stats %+v", len(ds), stats)
	}
	if d := ds[104]; d.DesktopID != "d104" || d.DesktopName != "DESK-104" || d.UsedSeconds != 104 || d.IdleSeconds != 208 || !d.HasUsed || !d.HasIdle {
		t.Errorf("last desktop %+v", d)
	}
	qs := u.queries("/statistics/metrics/desktops")
	if len(qs) != 2 {
		t.Fatalf("%d requests", len(qs))
	}
	for i, q := range qs {
		want := url.Values{"start_time": {"2025-03-09T00:00:00Z"}, "end_time": {"2025-03-10T00:00:00Z"}, "limit": {"100"}, "offset": {fmt.Sprint(100 * i)}}
		if !reflect.DeepEqual(q, want) {
			t.Errorf("request %d: %v, want %v", i, q, want)
		}
	}
}

func TestUserUsageWalk(t *testing.T) {
	var u usageServer
	srvURL := u.start(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"count":2,"items":[
		 {"username":"alice","metric":[{"metric_name":"user_usage","metric_value":3600.5},{"metric_name":"user_login_count","metric_value":3},
		   {"metric_name":"user_login_success_count","metric_value":2},{"metric_name":"user_login_fail_count","metric_value":1},{"metric_name":"desktop_state","metric_value":10}]},
		 {"username":"bob","metric":[{"metric_name":"user_usage","metric_value":"0"}]}]}`)
	})
	c, _, _ := newTestClient(t, srvURL, nil)
	us, stats, err := c.UserUsage(context.Background(), UsagePeriodAt(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	want := []model.UserUsage{
		{UserName: "alice", UsedSeconds: 3600.5, Logins: 3, LoginSuccesses: 2, LoginFailures: 1, HasUsed: true, HasLogins: true, HasSuccesses: true, HasFailures: true},
		{UserName: "bob", HasUsed: true},
	}
	if !reflect.DeepEqual(us, want) || stats.Requests != 1 || stats.Total != 2 {
		t.Errorf("users %+v stats %+v", us, stats)
	}
	if qs := u.queries("/statistics/metrics/users"); len(qs) != 1 || qs[0].Get("limit") != "100" || qs[0].Get("start_time") == "" || qs[0].Get("end_time") == "" {
		t.Errorf("queries %v", qs)
	}
}

// Metric entries: undocumented names and non-objects are skipped and
// counted; values that are not finite numbers ≥ 0 are absent; numeric
// strings are read; of a repeated metric the last valid value wins.
func TestUsageMetricValues(t *testing.T) {
	body := `{"count":"7","items":[
	 {"resource_id":"a","metric":[{"metric_name":"desktop_usage","metric_value":-1},{"metric_name":"desktop_idle_duration","metric_value":"NaN"}]},
	 {"resource_id":"b","metric":[{"metric_name":"desktop_usage","metric_value":1e400},{"metric_name":"desktop_idle_duration","metric_value":"Infinity"}]},
	 {"resource_id":"c","metric":[{"metric_name":"desktop_usage","metric_value":"12.5"},{"metric_name":"desktop_idle_duration","metric_value":" 7 "}]},
	 {"resource_id":"d","metric":[{"metric_name":"desktop_usage","metric_value":5},{"metric_name":"desktop_usage","metric_value":6},{"metric_name":"desktop_usage","metric_value":null}]},
	 {"resource_id":"e","metric":[42,"x",null,[],{"metric_name":7,"metric_value":1},{"metric_name":"DESKTOP_USAGE","metric_value":1},{"metric_name":"cpu","metric_value":1}]},
	 {"resource_id":"f","metric":{"metric_name":"desktop_usage","metric_value":1}},
	 {"resource_id":"g","metric":[{"metric_name":"desktop_usage","metric_value":true},{"metric_name":"desktop_idle_duration","metric_value":{"v":1}},{"metric_name":"desktop_usage"},{"metric_name":"desktop_idle_duration","metric_value":"0x10"}]},
	 {"resource_id":"h","metric":[{"metric_name":"desktop_usage","metric_value":-0.0}]}
	]}`
	p, err := DecodeDesktopUsagePage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	type v struct {
		used, idle       float64
		hasUsed, hasIdle bool
	}
	want := map[string]v{
		"a": {}, "b": {}, "c": {12.5, 7, true, true}, "d": {6, 0, true, false}, "e": {}, "f": {}, "g": {}, "h": {0, 0, true, false},
	}
	if len(p.Items) != len(want) {
		t.Fatalf("%d items", len(p.Items))
	}
	for _, d := range p.Items {
		if got := (v{d.UsedSeconds, d.IdleSeconds, d.HasUsed, d.HasIdle}); got != want[d.DesktopID] {
			t.Errorf("%s: %+v, want %+v", d.DesktopID, got, want[d.DesktopID])
		}
	}
	// e: 42, "x", null, [], a numeric name, an upper-case name, cpu.
	if p.SkippedMetrics != 7 {
		t.Errorf("skipped %d metrics, want 7", p.SkippedMetrics)
	}
	// a: 2, b: 2, d: 1 (null), g: 4.
	if p.BadValues != 9 {
		t.Errorf("%d bad values, want 9", p.BadValues)
	}
	if !p.TotalKnown || p.Total != 7 {
		t.Errorf("total %d %v", p.Total, p.TotalKnown)
	}
}

// Hostile list answers: the list missing, null, of the wrong type or
// repeated, a page longer than asked for, broken JSON: each is an error;
// elements that are not objects or lack an ID are skipped and counted;
// label values are bounded, valid UTF-8 and free of secrets.
func TestUsageHostileLists(t *testing.T) {
	long := strings.Repeat("n", 10_000)
	for _, tc := range []struct {
		name, body, err string
	}{
		{"missing", `{"count":1}`, `"items" list is missing`},
		{"null", `{"count":1,"items":null}`, `"items" is null, not a list`},
		{"object", `{"items":{"resource_id":"a"}}`, `"items" is an object, not a list`},
		{"string", `{"items":"[]"}`, `"items" is a string, not a list`},
		{"repeated", `{"items":[],"items":[]}`, `"items" appears twice`},
		{"not an object", `[{"items":[]}]`, `not a JSON object`},
		{"oversized", `{"items":[` + desktopItems(0, 101) + `]}`, `more than the 100 items`},
		{"broken", `{"items":[{"resource_id":"a"`, `ends early`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeDesktopUsagePage([]byte(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err = %v, want %q", err, tc.err)
			}
			_, err = DecodeUserUsagePage([]byte(strings.ReplaceAll(tc.body, "resource_id", "username")))
			if err == nil {
				t.Error("user list: no error")
			}
		})
	}
	p, err := DecodeDesktopUsagePage([]byte(`{"items":[1,"x",null,[],{},{"resource_id":""},{"resource_id":7},{"resource_id":"` + long + `"},
	 {"resource_id":"ok","resource_name":"` + long + `","resource_pool_id":"\ud800"},{"resource_id":"bad\u0001id"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	// {"resource_id":7} is the desktop "7", as desktop IDs are read.
	if len(p.Items) != 2 || p.Invalid != 8 {
		t.Fatalf("items %+v invalid %d", p.Items, p.Invalid)
	}
	d := p.Items[1]
	if len(d.DesktopName) > client.MaxLabelLen || d.PoolID != "\uFFFD" {
		t.Errorf("labels not bounded or not valid UTF-8: %d bytes, pool %q", len(d.DesktopName), d.PoolID)
	}

	// Through the client: a secret in a name is redacted; two items with
	// one ID make the walk inconsistent, walked again, then an error.
	var u usageServer
	srvURL := u.start(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/users") {
			fmt.Fprint(w, `{"count":2,"items":[{"username":"a"},{"username":"a"}]}`)
			return
		}
		fmt.Fprint(w, `{"count":1,"items":[{"resource_id":"d1","resource_name":"x`+testSK+`y","resource_pool_id":"`+testAK+`"}]}`)
	})
	c, _, _ := newTestClient(t, srvURL, nil)
	ds, _, err := c.DesktopUsage(context.Background(), UsagePeriodAt(time.Now()))
	if err != nil || len(ds) != 1 {
		t.Fatalf("%v %v", ds, err)
	}
	if strings.Contains(ds[0].DesktopName+ds[0].PoolID, testSK[:client.FragmentLen]) || strings.Contains(ds[0].PoolID, testAK[:client.FragmentLen]) {
		t.Errorf("secret in labels: %+v", ds[0])
	}
	_, stats, err := c.UserUsage(context.Background(), UsagePeriodAt(time.Now()))
	var inc *client.InconsistentError
	if !errors.As(err, &inc) || stats.Walks != 2 {
		t.Errorf("duplicate users: err %v, stats %+v", err, stats)
	}
}

// Statistics answers: counters as integers or numeric strings, unreadable
// ones absent, negative ones an error naming the field, total_num
// required, undocumented counters kept (bounded), other shapes errors.
func TestUsageStatisticsDecoding(t *testing.T) {
	st, err := DecodeDesktopStatistics([]byte(`{"total_num":"12","TOTAL_NUM":12,
	 "run_state_statistics":{"active_num":7,"stop_num":"3","error_num":1.5,"hibernated_num":null,"frozen_num":2,"total_num":99,"note":"x"},
	 "login_state_statistics":null,
	 "attach_statistics":[1,2],
	 "desktop_pool_statistics":[{"desktop_pool_id":"p","total_num":-1}],
	 "unexpected":{"a":[1,2,3]}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := model.DesktopStatistics{Total: 12, RunState: map[string]int64{"active": 7, "stop": 3, "frozen": 2}}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("got %+v\nwant %+v", st, want)
	}
	for _, tc := range []struct{ body, err string }{
		{`{"run_state_statistics":{"active_num":1}}`, "total_num is missing"},
		{`{"total_num":null}`, "total_num is not a count"},
		{`{"total_num":"many"}`, "total_num is not a count"},
		{`{"total_num":-1}`, "total_num is -1, a negative count"},
		{`{"total_num":1,"attach_statistics":{"attached_num":-2}}`, "attach_statistics.attached_num is -2, a negative count"},
		{`{"total_num":1,"login_state_statistics":{"in_use_num":"-4"}}`, "login_state_statistics.in_use_num is -4"},
		{`[]`, "the body is an array, not a JSON object"},
		{`null`, "the body is null, not a JSON object"},
		{`"x"`, "the body is a string"},
		{`{"total_num":1`, "invalid JSON"},
		{``, "empty body"},
		{`{"total_num":1}{}`, "invalid JSON"},
		{`{"total_num":1,"pad":"` + strings.Repeat("x", maxObjectBody) + `"}`, "over 1048576 bytes"},
	} {
		if _, err := DecodeDesktopStatistics([]byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%.60s: err %v, want %q", tc.body, err, tc.err)
		}
	}
	rs, err := DecodeRunStateStatistics([]byte(`{"active_num":5}`))
	if err != nil || !reflect.DeepEqual(rs, map[string]int64{"active": 5}) {
		t.Errorf("partial run state: %v %v", rs, err)
	}
	if _, err := DecodeRunStateStatistics([]byte(`{"stop_num":0,"error_num":-1}`)); err == nil || !strings.Contains(err.Error(), "error_num is -1") {
		t.Errorf("negative run state: %v", err)
	}
	// Undocumented counters are bounded.
	var b strings.Builder
	b.WriteString(`{"active_num":1`)
	for i := range 1000 {
		fmt.Fprintf(&b, `,"state%d_num":1`, i)
	}
	b.WriteString(`}`)
	rs, err = DecodeRunStateStatistics([]byte(b.String()))
	if err != nil || len(rs) != 1+maxUsageUndocumentedCounters || rs["active"] != 1 {
		t.Errorf("%d counters, err %v", len(rs), err)
	}
}

// The statistics requests: §4.21.13 once per statistics_type, each
// category from the answer that asked for it; §4.21.14 without a query.
// Invalid answers are not retried; broken ones are.
func TestUsageStatisticsRequests(t *testing.T) {
	var u usageServer
	srvURL := u.start(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/run-state") {
			fmt.Fprint(w, `{"stop_num":1,"active_num":2,"error_num":3,"hibernated_num":4}`)
			return
		}
		total := map[string]int{"run-state": 10, "login-state": 11, "attach-state": 12}[r.URL.Query().Get("statistics_type")]
		// Every answer carries every category, with the total as a
		// marker of which answer it is.
		fmt.Fprintf(w, `{"total_num":%d,"run_state_statistics":{"active_num":%d},"login_state_statistics":{"in_use_num":%d},"attach_statistics":{"attached_num":%d}}`, total, total, total, total)
	})
	c, _, _ := newTestClient(t, srvURL, nil)
	st, err := c.DesktopStatistics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := model.DesktopStatistics{Total: 10, RunState: map[string]int64{"active": 10}, LoginState: map[string]int64{"in_use": 11}, AttachState: map[string]int64{"attached": 12}}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("got %+v\nwant %+v", st, want)
	}
	qs := u.queries("/statistics")
	if len(qs) != 3 {
		t.Fatalf("%d requests", len(qs))
	}
	for i, typ := range []string{"run-state", "login-state", "attach-state"} {
		if !reflect.DeepEqual(qs[i], url.Values{"statistics_type": {typ}}) {
			t.Errorf("request %d: %v", i, qs[i])
		}
	}
	rs, err := c.RunStateStatistics(context.Background())
	if err != nil || !reflect.DeepEqual(rs, map[string]int64{"stop": 1, "active": 2, "error": 3, "hibernated": 4}) {
		t.Errorf("run state %v %v", rs, err)
	}
	if qs := u.queries("/run-state"); len(qs) != 1 || len(qs[0]) != 0 {
		t.Errorf("run-state queries %v", qs)
	}

	srv, n := scripted(status(200, `{"stop_num":-1}`))
	defer srv.Close()
	c2, _, _ := newTestClient(t, srv.URL, nil)
	_, err = c2.RunStateStatistics(context.Background())
	var inv *client.InvalidResponseError
	if !errors.As(err, &inv) || n.Load() != 1 || !strings.Contains(err.Error(), "stop_num is -1") {
		t.Errorf("negative count: err %v after %d requests", err, n.Load())
	}
	srv3, n3 := scripted(status(200, `{"total_num":`), status(200, `{"total_num":4}`))
	defer srv3.Close()
	c3, _, _ := newTestClient(t, srv3.URL, nil)
	st, err = c3.DesktopStatistics(context.Background())
	if err != nil || st.Total != 4 || n3.Load() != 4 {
		t.Errorf("broken then good: %+v %v after %d requests", st, err, n3.Load())
	}
	srv4, _ := scripted(status(403, `{"error_code":"WKS.0003","error_msg":"no permission"}`))
	defer srv4.Close()
	c4, _, _ := newTestClient(t, srv4.URL, nil)
	if _, err := c4.DesktopStatistics(context.Background()); !client.IsAuthError(err) {
		t.Errorf("403: %v", err)
	}
}
