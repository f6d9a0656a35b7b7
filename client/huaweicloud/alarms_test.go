package huaweicloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The seed's example responses of §4.22.1 and §4.22.2 decode (see
// testdata/README.md). The §4.22.1 fixture is the repaired example; the
// example as printed (its array closed after metric, L40931, and the
// object after data_points, L40950) still decodes: the page reader stops
// at the object's closing brace, and the fields that landed at the top
// level (additional_info) are not the record's, so its resource is the
// metric's dimension.
func TestAlarmsSeedExamples(t *testing.T) {
	b, err := os.ReadFile("testdata/list_alarms_seed003.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := DecodeAlarmsPage(b)
	if err != nil {
		t.Fatal(err)
	}
	want := model.Alarm{Key: "string", AlarmID: "al1603131199286dzxpqK3Ez", Name: "alarm-test01", Severity: "critical", Level: 1,
		Status: "alarm", Active: true, Type: "EVENT.SYS", ResourceID: "22d98f6c-16d2-4c2d-b424-50e79d82838f", ResourceName: "ECS-Test01"}
	if len(p.Alarms) != 1 || !reflect.DeepEqual(p.Alarms[0], want) || p.Total != 0 || !p.TotalKnown || p.Invalid != 0 {
		t.Errorf("§4.22.1 example: %+v", p)
	}

	lines := strings.Split(string(b), "\n")
	if lines[17] != "  ," || lines[36] != "} ]," {
		t.Fatalf("the fixture's repaired lines moved: %q %q", lines[17], lines[36])
	}
	lines[17], lines[36] = "  } ],", "},"
	verbatim := []byte(strings.Join(lines, "\n"))
	if json.Valid(verbatim) {
		t.Fatal("the example as printed should not be valid JSON")
	}
	p, err = DecodeAlarmsPage(verbatim)
	if err != nil {
		t.Fatal(err)
	}
	want.ResourceID, want.ResourceName = "4270ff17-aba3-4138-89fa-820594c39755", ""
	if len(p.Alarms) != 1 || !reflect.DeepEqual(p.Alarms[0], want) || p.TotalKnown {
		t.Errorf("§4.22.1 example as printed: %+v", p)
	}

	b, err = os.ReadFile("testdata/show_alarm_statistics_seed003.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := DecodeAlarmStatistics(b)
	if err != nil {
		t.Fatal(err)
	}
	wantSt := model.AlarmStatistics{BySeverity: map[string]int64{"critical": 100, "major": 100, "minor": 100, "warning": 100}, Total: 100, HasTotal: true}
	if !reflect.DeepEqual(st, wantSt) {
		t.Errorf("§4.22.2 example: %+v", st)
	}
	for sev := range st.BySeverity {
		if !usageContains(Spec.Enums[model.FieldAlarmSeverity], sev) {
			t.Errorf("severity %q is not an hwspec enum value", sev)
		}
	}
}

func TestAlarmDecodeTolerance(t *testing.T) {
	long := strings.Repeat("n", 1000)
	body := `{"count":"9","alarm_histories":[
		{"record_id":"r1","alarm_id":"a1","level":"2","status":"alarm","begin_time":"2025-03-09T10:00:00Z","additional_info":{"resource_id":"d1","resource_name":"PC-1"}},
		{"record_id":"r2","alarm_id":"a2","level":7,"status":"ok","begin_time":1741514400000,"name":"` + long + `"},
		{"record_id":"r3","alarm_id":"a3","level":null,"status":5,"begin_time":"yesterday","metric":{"dimensions":[{"name":"x","value":""},{"name":"instance_id","value":"i-9"}]}},
		{"alarm_id":"a4","level":4,"status":"alarm","additional_info":"x","metric":[1]},
		{"name":"no ids"}, 42, null, "x",
		{"record_id":"r5","alarm_id":{"x":1},"level":[1],"status":"invalid","begin_time":231025}
	]}`
	p, err := DecodeAlarmsPage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if p.Invalid != 4 || len(p.Alarms) != 5 || p.Total != 9 || !p.TotalKnown {
		t.Fatalf("%+v", p)
	}
	a := p.Alarms
	if a[0].Severity != "major" || a[0].Level != 2 || !a[0].Active || a[0].Begin != time.Date(2025, 3, 9, 10, 0, 0, 0, time.UTC) || a[0].ResourceID != "d1" || a[0].ResourceName != "PC-1" {
		t.Errorf("r1: %+v", a[0])
	}
	if a[1].Severity != "" || a[1].Level != 7 || a[1].Active || a[1].Begin != time.UnixMilli(1741514400000).UTC() || len(a[1].Name) != client.MaxLabelLen {
		t.Errorf("r2: %+v", a[1])
	}
	if a[2].Severity != "" || a[2].Status != "5" || !a[2].Begin.IsZero() || a[2].ResourceID != "i-9" {
		t.Errorf("r3: %+v", a[2])
	}
	if !strings.HasPrefix(a[3].Key, "digest:") || a[3].Severity != "warning" || a[3].ResourceID != "" {
		t.Errorf("a4: %+v", a[3])
	}
	if a[4].AlarmID != "" || a[4].Severity != "" || !a[4].Begin.IsZero() || a[4].Status != "invalid" {
		t.Errorf("r5: %+v", a[4])
	}

	for _, bad := range []string{`{"alarm_histories":null}`, `{"count":1}`, `{"alarm_histories":{}}`, `[]`, ``, `{"alarm_histories":[`,
		`{"alarm_histories":[],"alarm_histories":[]}`, `{"alarm_histories":[` + strings.Repeat(`{"record_id":"x"},`, 100) + `{}]}`} {
		if _, err := DecodeAlarmsPage([]byte(bad)); err == nil {
			t.Errorf("%.60s: no error", bad)
		}
	}
}

func TestAlarmStatisticsDecode(t *testing.T) {
	ok := map[string]model.AlarmStatistics{
		`{"total":"5"}`: {BySeverity: map[string]int64{}, Total: 5, HasTotal: true},
		`{"critical_count":1.5,"major_count":"2","info_count":3,"info_count":4,"other":-1,"total":null}`: {BySeverity: map[string]int64{"major": 2, "warning": 4}},
		`{"minor_count":0}`: {BySeverity: map[string]int64{"minor": 0}},
	}
	for body, want := range ok {
		got, err := DecodeAlarmStatistics([]byte(body))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v %v", body, got, err)
		}
	}
	for _, bad := range []string{`{}`, `{"total":-1}`, `{"critical_count":-3,"total":1}`, `[1]`, `null`, ``, `{"total":1`,
		`{"total":1,"x":"` + strings.Repeat("y", maxAlarmStatisticsBody) + `"}`} {
		if _, err := DecodeAlarmStatistics([]byte(bad)); err == nil {
			t.Errorf("%.60s: no error", bad)
		}
	}
}

// alarmAPI serves n records whose IDs are r0…, reading offset as mode
// says ("records", "pages0", "pages1", "ignore"); total is the count it
// announces (-1: the real number, -2: none).
type alarmAPI struct {
	mu       sync.Mutex
	n, total int
	mode     string
	queries  []string
	// before is called before each answer (may change n).
	before func(req int)
}

func (s *alarmAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path != "/v2/"+testProject+"/alarms" {
		http.Error(w, "bad path", http.StatusNotFound)
		return
	}
	if s.before != nil {
		s.before(len(s.queries))
	}
	s.queries = append(s.queries, r.URL.RawQuery)
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	off, hasOffset := 0, q.Has("offset")
	if hasOffset {
		off, _ = strconv.Atoi(q.Get("offset"))
	}
	start := off
	switch s.mode {
	case "pages0":
		start = off * limit
	case "pages1":
		if hasOffset && off == 0 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error_code":"WKS.0001","error_msg":"offset starts at 1"}`)
			return
		}
		start = max(off-1, 0) * limit
	case "ignore":
		start = 0
	}
	var items []string
	for i := start; i < min(start+limit, s.n); i++ {
		items = append(items, fmt.Sprintf(`{"record_id":"r%d","alarm_id":"a","level":%d,"status":"alarm"}`, i, i%4+1))
	}
	fmt.Fprintf(w, `{"alarm_histories":[%s]`, strings.Join(items, ","))
	switch {
	case s.total == -1:
		fmt.Fprintf(w, `,"count":%d}`, s.n)
	case s.total >= 0:
		fmt.Fprintf(w, `,"count":%d}`, s.total)
	default:
		fmt.Fprint(w, `}`)
	}
}

func walkAlarmAPI(t *testing.T, s *alarmAPI, pageSize int) ([]model.Alarm, model.ListStats, error) {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, _, _ := newTestClient(t, srv.URL, func(c *Config) { c.PageSize = pageSize; c.MaxRetries = 0 })
	return c.ListAlarms(context.Background())
}

func alarmKeys(as []model.Alarm) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Key
	}
	return out
}

func wantKeys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "r" + strconv.Itoa(i)
	}
	return out
}

// Whatever "Page offset" means, the walk reads every record once: the
// first page without an offset, then the probe at offset 1 tells the
// readings apart.
func TestAlarmWalkReadsEveryOffsetMeaning(t *testing.T) {
	for _, mode := range []string{"records", "pages0", "pages1"} {
		for _, n := range []int{0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11} {
			for _, total := range []int{-1, -2, 0} {
				t.Run(fmt.Sprintf("%s/%d/%d", mode, n, total), func(t *testing.T) {
					s := &alarmAPI{n: n, total: total, mode: mode}
					got, stats, err := walkAlarmAPI(t, s, 3)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(alarmKeys(got), wantKeys(n)) && !(n == 0 && len(got) == 0) {
						t.Fatalf("got %v, queries %v", alarmKeys(got), s.queries)
					}
					if !strings.HasPrefix(s.queries[0], "limit=3") || strings.Contains(s.queries[0], "offset") {
						t.Errorf("first query %q", s.queries[0])
					}
					// One request for a short list; otherwise the probe
					// and (page numbers from 1) its check, then a page each.
					want := 1
					if n >= 3 {
						want = 2 + (n-1)/3
						if mode != "records" {
							want = 1 + n/3
						}
						if mode == "pages1" {
							want++
						}
					}
					if len(s.queries) != want || stats.Requests != want {
						t.Errorf("%d requests (%v), want %d", len(s.queries), s.queries, want)
					}
				})
			}
		}
	}
}

func TestAlarmWalkRefusesAnAPIThatIgnoresOffset(t *testing.T) {
	s := &alarmAPI{n: 10, total: -2, mode: "ignore"}
	if _, _, err := walkAlarmAPI(t, s, 3); err == nil || !strings.Contains(err.Error(), "ignores offset") {
		t.Fatalf("err = %v", err)
	}
}

// A count that disagrees with the records read, or records that change
// between the pages of both walks, fail the refresh after a second walk;
// a change during the first walk only is walked again.
func TestAlarmWalkInconsistencies(t *testing.T) {
	s := &alarmAPI{n: 5, total: 4, mode: "records"}
	_, stats, err := walkAlarmAPI(t, s, 3)
	var inc *client.InconsistentError
	if !errors.As(err, &inc) || stats.Walks != 2 {
		t.Errorf("stale count: %v, %+v", err, stats)
	}

	s = &alarmAPI{n: 8, total: -1, mode: "records"}
	s.before = func(req int) {
		if req == 1 {
			s.n = 9 // an alarm raised between the first page and the probe
		}
	}
	got, stats, err := walkAlarmAPI(t, s, 3)
	if err != nil || stats.Walks != 2 || !reflect.DeepEqual(alarmKeys(got), wantKeys(9)) {
		t.Errorf("changed once: %v %v %+v", alarmKeys(got), err, stats)
	}

	s = &alarmAPI{n: 8, total: -1, mode: "records"}
	s.before = func(req int) { s.n = 8 + req%2 }
	if _, stats, err := walkAlarmAPI(t, s, 3); !errors.As(err, &inc) || stats.Walks != 2 {
		t.Errorf("always changing: %v %+v", err, stats)
	}
}

// A list that never ends stops at max_pages.
func TestAlarmWalkIsBounded(t *testing.T) {
	s := &alarmAPI{n: 1 << 30, total: -2, mode: "records"}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, func(c *Config) { c.PageSize = 2; c.MaxPages = 20 })
	if _, _, err := c.ListAlarms(context.Background()); err == nil || !strings.Contains(err.Error(), "max_pages") {
		t.Fatalf("err = %v", err)
	}
	if len(s.queries) > 22 {
		t.Errorf("%d requests", len(s.queries))
	}
	s = &alarmAPI{n: 10, total: 1 << 20, mode: "records"}
	srv2 := httptest.NewServer(s)
	defer srv2.Close()
	c, _, _ = newTestClient(t, srv2.URL, func(c *Config) { c.PageSize = 2; c.MaxPages = 20 })
	if _, _, err := c.ListAlarms(context.Background()); err == nil || len(s.queries) != 1 {
		t.Fatalf("err = %v after %d requests", err, len(s.queries))
	}
}
