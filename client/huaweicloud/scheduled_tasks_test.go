package huaweicloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai whatever the test machine has

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// §4.20.1's example (003 L37851-37867): one task; its time_zone is the
// placeholder "string", so next_execution_time is absent, not an error.
func TestScheduledTasksSeedExample(t *testing.T) {
	tasks, total, known, invalid, err := DecodeScheduledTasksPage(readFixture(t, "list_scheduled_tasks_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !known || total != 10 || invalid != 0 || len(tasks) != 1 {
		t.Fatalf("total %d (%v), invalid %d, %d tasks", total, known, invalid, len(tasks))
	}
	want := ScheduledTask{ID: "2b31e-d520xxx-xxebdb6-e57xxxxx", PathSafe: true, Name: "Test task", TaskType: "START",
		ScheduledType: "FIXED_TIME", LastStatus: "SUCCESS", Enabled: true}
	if tasks[0] != want {
		t.Errorf("got %+v\nwant %+v", tasks[0], want)
	}
}

// §4.20.3's example (003 L38112-38138): expire_time in GMT+8, one apply
// object.
func TestShowScheduledTaskSeedExample(t *testing.T) {
	d, err := DecodeScheduledTaskDetail(readFixture(t, "show_scheduled_task_seed003.json"), &client.Redactor{})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "2b31e-d520xxx-xxebdb6-e57xxxxx" || d.ApplyObjects != 1 || !d.Expire.Equal(time.Date(2022, 12, 31, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v", d)
	}
}

// §4.20.8's example (003 L38653-38668): one record in Asia/Shanghai.
func TestScheduledTaskRecordsSeedExample(t *testing.T) {
	recs, total, known, invalid, err := DecodeScheduledTaskRecordsPage(readFixture(t, "list_scheduled_task_records_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !known || total != 10 || invalid != 0 || len(recs) != 1 {
		t.Fatalf("total %d (%v), invalid %d, %d records", total, known, invalid, len(recs))
	}
	want := model.ScheduledTaskRecord{ID: "2b31e-d520xxx-xxebdb6-e57xxxxx", PathSafe: true, TaskType: "START", Status: "SUCCESS",
		Start: time.Date(2022, 12, 31, 1, 0, 0, 0, time.UTC), Success: 1, Failed: 1, Skipped: 1}
	if recs[0] != want {
		t.Errorf("got %+v\nwant %+v", recs[0], want)
	}
}

// §4.20.9's example (003 L38768-38783): one detail; fail_reason is not
// read.
func TestScheduledTaskRecordDetailsSeedExample(t *testing.T) {
	ds, total, known, invalid, err := DecodeScheduledTaskRecordDetailsPage(readFixture(t, "list_scheduled_task_record_details_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !known || total != 10 || invalid != 0 || len(ds) != 1 {
		t.Fatalf("total %d (%v), invalid %d, %d details", total, known, invalid, len(ds))
	}
	want := model.ScheduledTaskRecordDetail{ID: "2b31e-d520xxx-xxebedb6-e57xxxxx", DesktopID: "2b31e-d520xxx-xxebedb6-e57xxxxx",
		ExecStatus: "SUCCESS", ResultCode: "WKS.000x"}
	if ds[0] != want {
		t.Errorf("got %+v\nwant %+v", ds[0], want)
	}
}

// Every documented zone form is read; unknown zones and unparsable times
// are absent (zero), never year 1 or an error.
func TestParseScheduledTime(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2022, 12, 23, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		s, zone string
		want    time.Time
	}{
		{"2022-12-23 09:00:00", "GMT+8", at(1, 0)},
		{"2022-12-23 09:00:00", "GMT+08:00", at(1, 0)},
		{"2022-12-23 09:00:00", "UTC-0530", at(14, 30)},
		{"2022-12-23 09:00:00", " Asia/Shanghai ", at(1, 0)},
		{"2022-12-23 09:00:00", "", at(9, 0)},
		{"2022-12-23 09:00:00", "UTC", at(9, 0)},
		{"2022-12-23T09:00:00Z", "GMT+8", at(9, 0)}, // its own zone wins
		{"2022-12-23 09:00:00", "string", time.Time{}},
		{"2022-12-23 09:00:00", "Local", time.Time{}},
		{"2022-12-23 09:00:00", "GMT+15", time.Time{}},
		{"2022-12-23 09:00:00", "../../etc/passwd", time.Time{}},
		{"2022-12-23 09:00:00", "/etc/localtime", time.Time{}},
		{"2022-12-23 09:00:00", strings.Repeat("A", 100), time.Time{}},
		{"0001-01-01 00:00:00", "UTC", time.Time{}},
		{"soon", "UTC", time.Time{}},
		{"", "UTC", time.Time{}},
	} {
		if got := ParseScheduledTime(c.s, c.zone); !got.Equal(c.want) || got.IsZero() != c.want.IsZero() {
			t.Errorf("%q in %q: %v, want %v", c.s, c.zone, got, c.want)
		}
	}
}

// Unknown members and values never fail a page; elements without an id
// are skipped and counted; IDs that cannot go in a path are kept but not
// PathSafe; hostile strings are cleaned and bounded; a list that is not
// a list fails.
func TestScheduledTasksTolerance(t *testing.T) {
	long := strings.Repeat("n", 5000)
	body := `{"total_count":4,"x":[1],"scheduled_tasks":[
		{"id":"a","task_type":"NEW","enable":"true","next_execution_time":"bad","time_zone":"GMT+8","task_name":"` + long + `"},
		{"task_name":"no id"},
		42,
		{"id":"b/c","enable":null,"last_status":"\u0000FAIL"}]}`
	tasks, _, _, invalid, err := DecodeScheduledTasksPage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if invalid != 2 || len(tasks) != 2 {
		t.Fatalf("%d tasks, %d invalid", len(tasks), invalid)
	}
	if !tasks[0].Enabled || tasks[0].TaskType != "NEW" || !tasks[0].NextExecution.IsZero() || len(tasks[0].Name) > client.MaxLabelLen || !tasks[0].PathSafe {
		t.Errorf("%+v", tasks[0])
	}
	if tasks[1].PathSafe || tasks[1].Enabled {
		t.Errorf("%+v", tasks[1])
	}
	for _, bad := range []string{`{"scheduled_tasks":null}`, `{"scheduled_tasks":{}}`, `{"total_count":1}`, `[]`, `{"scheduled_tasks":[`} {
		if _, _, _, _, err := DecodeScheduledTasksPage([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	recs, _, _, _, err := DecodeScheduledTaskRecordsPage([]byte(`{"tasks_records":[{"id":"r","success_num":-3,"failed_num":"2","skip_num":1e400,"status":7},{"id":"h","success_num":9000000000000000000,"failed_num":10000001}],"total_count":2}`))
	if err != nil || len(recs) != 2 || recs[1].Success != 0 || recs[1].Failed != 0 || recs[0].Success != 0 || recs[0].Failed != 2 || recs[0].Skipped != 0 || recs[0].Status != "7" {
		t.Errorf("%+v %v", recs, err)
	}
	ds, _, _, invalid, err := DecodeScheduledTaskRecordDetailsPage([]byte(`{"tasks_records_details":[{"desktop_id":"d1","result_code":"` + long + `"},{"exec_status":"FAIL"}],"total_count":2}`))
	if err != nil || len(ds) != 1 || invalid != 1 || !strings.HasPrefix(ds[0].ID, "sha256:") || len(ds[0].ResultCode) > MaxScheduledResultCodeLen {
		t.Errorf("%+v %d %v", ds, invalid, err)
	}
	for body, want := range map[string]string{
		`{"apply_objects":{}}`:                     "not a list",
		`{"apply_objects":[],"apply_objects":[1]}`: "twice",
	} {
		if _, err := DecodeScheduledTaskDetail([]byte(body), &client.Redactor{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", body, err)
		}
	}
	if d, err := DecodeScheduledTaskDetail([]byte(`{"apply_objects":null,"expire_time":"2030-01-01 00:00:00","time_zone":"Mars/Base"}`), &client.Redactor{}); err != nil || !d.Expire.IsZero() {
		t.Errorf("%+v %v", d, err)
	}
}

// schedServer serves §4.20.1 from two lists (the unfiltered one and the
// LIFE_CYCLE one), 50 a page, and §4.20.3 for "known" only (404
// otherwise); it records every request.
func schedServer(t *testing.T, plain, triggered []string) (*Client, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var reqs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		q := r.URL.Query()
		switch {
		case strings.HasSuffix(r.URL.Path, "/scheduled-tasks"):
			if q.Get("offset") == "" || q.Get("limit") == "" {
				w.WriteHeader(400)
				w.Write([]byte(`{"error_code":"WKS.0001","error_msg":"offset and limit are mandatory"}`))
				return
			}
			list := plain
			if q.Get("scheduled_type") == "LIFE_CYCLE" {
				list = triggered
			}
			off, _ := strconv.Atoi(q.Get("offset"))
			lim, _ := strconv.Atoi(q.Get("limit"))
			var b strings.Builder
			b.WriteString(`{"scheduled_tasks":[`)
			for i := off; i < min(off+lim, len(list)); i++ {
				if i > off {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"id":%q,"task_type":"STOP","enable":true}`, list[i])
			}
			fmt.Fprintf(&b, `],"total_count":%d}`, len(list))
			w.Write([]byte(b.String()))
		case strings.HasSuffix(r.URL.Path, "/scheduled-tasks/known"):
			w.Write([]byte(`{"id":"known","apply_objects":[{},{}],"expire_time":"2030-01-01 08:00:00","time_zone":"GMT+8"}`))
		case strings.HasSuffix(r.URL.Path, "/scheduled-tasks/other"):
			w.Write([]byte(`{"id":"someone-else"}`))
		default:
			w.WriteHeader(404)
			w.Write([]byte(`{"error_code":"WKS.0010","error_msg":"No resources found in the system."}`))
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Endpoint: srv.URL, ProjectID: "p1", AccessKey: "AK1234567", SecretKey: "SK1234567", Concurrency: 1, MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, &reqs
}

// The tasks are listed twice (without scheduled_type, and with
// LIFE_CYCLE, which alone returns the triggered ones), 50 a page, offset
// and limit always sent; a task in both lists counts once.
func TestListScheduledTasksTwiceMerged(t *testing.T) {
	var plain, triggered []string
	for i := range 60 {
		plain = append(plain, fmt.Sprint("p", i))
	}
	triggered = []string{"t1", "p3", "t2"}
	c, reqs := schedServer(t, plain, triggered)
	tasks, stats, err := c.ListScheduledTasks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 62 || stats.Requests != 3 || stats.Total != 63 {
		t.Fatalf("%d tasks, %+v", len(tasks), stats)
	}
	seen := map[string]int{}
	for _, tk := range tasks {
		seen[tk.ID]++
	}
	if seen["p3"] != 1 || seen["t1"] != 1 || seen["t2"] != 1 {
		t.Errorf("%v", seen)
	}
	for _, tk := range tasks {
		if tk.ID == "t1" && tk.ScheduledType != "LIFE_CYCLE" {
			t.Errorf("a triggered task without scheduled_type: %q", tk.ScheduledType)
		}
	}
	lifeCycle := 0
	for _, r := range *reqs {
		if !strings.HasPrefix(r, "GET /v2/p1/scheduled-tasks?") || !strings.Contains(r, "offset=") || !strings.Contains(r, "limit=50") {
			t.Errorf("request %s", r)
		}
		if strings.Contains(r, "scheduled_type=LIFE_CYCLE") {
			lifeCycle++
		}
	}
	if lifeCycle != 1 {
		t.Errorf("%d LIFE_CYCLE walks", lifeCycle)
	}
}

// Details: a known task is read, an unknown one is found=false, an answer
// about another task is an error, an ID that cannot go in a path is
// refused before any request; a gone task's records wrap
// model.ErrScheduledTaskNotFound.
func TestShowScheduledTask(t *testing.T) {
	c, reqs := schedServer(t, nil, nil)
	ctx := context.Background()
	d, found, err := c.ShowScheduledTask(ctx, "known")
	if err != nil || !found || d.ApplyObjects != 2 || !d.Expire.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("%+v %v %v", d, found, err)
	}
	if _, found, err := c.ShowScheduledTask(ctx, "gone"); found || err != nil {
		t.Errorf("gone: %v %v", found, err)
	}
	if _, _, err := c.ShowScheduledTask(ctx, "other"); err == nil {
		t.Error("another task's answer accepted")
	}
	n := len(*reqs)
	if _, _, err := c.ShowScheduledTask(ctx, "../x"); err == nil || len(*reqs) != n {
		t.Errorf("bad ID: %v, %d requests", err, len(*reqs)-n)
	}
	if _, _, err := c.ListScheduledTaskRecordDetails(ctx, "known", "a/b"); err == nil || len(*reqs) != n {
		t.Errorf("bad record ID: %v", err)
	}
	if _, _, err := c.ListScheduledTaskRecords(ctx, "gone"); !errors.Is(err, model.ErrScheduledTaskNotFound) {
		t.Errorf("gone records: %v", err)
	}
}
