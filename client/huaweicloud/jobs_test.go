package huaweicloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// §4.28.2's example (003 L44235-44266, the page break removed) decodes:
// two RUNNING createDesktops subtasks of one task, keyed by their ids,
// times read as UTC, no progress.
func TestSubJobsSeedExample(t *testing.T) {
	body, err := os.ReadFile("testdata/list_sub_jobs_seed003.json")
	if err != nil {
		t.Fatal(err)
	}
	jobs, total, known, invalid, err := DecodeSubJobsPage(body)
	if err != nil {
		t.Fatal(err)
	}
	if !known || total != 2 || invalid != 0 || len(jobs) != 2 {
		t.Fatalf("total %d (known %v), invalid %d, %d jobs; want 2, 0, 2", total, known, invalid, len(jobs))
	}
	ts := func(s string) time.Time {
		v, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	want := []Job{{
		Key: "e43caef5-e478-4624-9e8c-b0b636331cbc", JobID: "0e2dae94-23ff-449a-bb9c-1b808cf2106d",
		JobType: "createDesktops", Status: "RUNNING", Phase: model.PhaseRunning, DesktopID: "9d30c8ac-77b5-4453-80da-8f027223ee99",
		Begin: ts("2020-04-10 06:45:14"), End: ts("2020-04-10 07:06:10"),
	}, {
		Key: "cf5043e9-dd94-43be-9c07-6dba5d43c4d2", JobID: "0e2dae94-23ff-449a-bb9c-1b808cf2106d",
		JobType: "createDesktops", Status: "RUNNING", Phase: model.PhaseRunning, DesktopID: "14cccba0-12a6-4b66-9fd9-57290328f8da",
		Begin: ts("2020-04-10 06:45:14"), End: ts("2020-04-10 07:05:49"),
	}}
	for i, w := range want {
		if jobs[i] != w {
			t.Errorf("job %d:\n got %+v\nwant %+v", i, jobs[i], w)
		}
	}
}

// §4.28.1's example is {} (003 L44067): a task without any member.
func TestShowJobSeedExample(t *testing.T) {
	body, err := os.ReadFile("testdata/show_job_seed003.json")
	if err != nil {
		t.Fatal(err)
	}
	d, skipped, err := DecodeJobDetail(body, &client.Redactor{})
	if err != nil || skipped != 0 {
		t.Fatal(err, skipped)
	}
	if d.ID != "" || d.Status != "" || d.HasSubJobsTotal || len(d.SubJobs) != 0 {
		t.Fatalf("%+v", d)
	}
}

// Unknown members and values never fail a page; elements that are not
// subtasks are skipped and counted; out-of-range progress is absent;
// hostile strings are cleaned and bounded.
func TestSubJobsTolerance(t *testing.T) {
	long := strings.Repeat("x", 5000)
	body := `{"total_count":"7","new_member":{"a":[1]},"jobs":[
		{"id":"a","status":"CANCELLED","job_type":"newType","process":"55","extra":[1,2]},
		{"id":"b","process":101,"status":"RUNNING"},
		{"id":"c","process":-1,"entities":"not an object"},
		{"id":"` + long + `","job_type":"` + long + `","error_code":"  WKS.0106 ` + long + `"},
		42, null,
		{"status":"SUCCESS"},
		{"job_id":"p/../x","job_type":"createDesktops","begin_time":"garbage","entities":{"desktop_id":"d9"}}
	]}`
	jobs, total, known, invalid, err := DecodeSubJobsPage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !known || total != 7 || invalid != 3 || len(jobs) != 5 {
		t.Fatalf("total %d %v invalid %d jobs %d", total, known, invalid, len(jobs))
	}
	if j := jobs[0]; j.Status != "CANCELLED" || j.JobType != "newType" || !j.HasProgress || j.Progress != 55 {
		t.Errorf("%+v", j)
	}
	if jobs[1].HasProgress || jobs[2].HasProgress || jobs[2].DesktopID != "" {
		t.Errorf("out-of-range progress or wrong-typed entities kept: %+v %+v", jobs[1], jobs[2])
	}
	j := jobs[3]
	if !strings.HasPrefix(j.Key, "sha256:") || len(j.JobType) > client.MaxLabelLen || len(j.ErrorCode) > MaxJobErrorCodeLen || !strings.HasPrefix(j.ErrorCode, "WKS.0106") {
		t.Errorf("hostile strings: key %q type %d bytes code %q", j.Key, len(j.JobType), j.ErrorCode)
	}
	if j := jobs[4]; j.JobID != "" || j.DesktopID != "d9" || !j.Begin.IsZero() || !strings.HasPrefix(j.Key, "sha256:") {
		t.Errorf("%+v", j)
	}
}

// A missing, null or wrong-typed jobs list, a body that is not an object
// and broken JSON fail the page; the shape errors name the operation (the
// transport names it for broken JSON).
func TestSubJobsBrokenPages(t *testing.T) {
	for _, body := range []string{
		`{"total_count":1}`, `{"jobs":null}`, `{"jobs":"x"}`, `{"jobs":{}}`, `[]`, `{"jobs":[`, ``, `null`,
		`{"jobs":[],"jobs":[]}`,
	} {
		_, _, _, _, err := DecodeSubJobsPage([]byte(body))
		if err == nil {
			t.Errorf("%s: no error", body)
			continue
		}
		if body != `{"jobs":[` && body != `` && !strings.Contains(err.Error(), OpListSubJobs) {
			t.Errorf("%s: %v does not name the operation", body, err)
		}
	}
}

// §4.28.1: every member optional; sub_jobs must be a list when present;
// subtasks beyond MaxShowJobSubJobs are counted, not kept.
func TestJobDetailShapes(t *testing.T) {
	red := &client.Redactor{}
	d, skipped, err := DecodeJobDetail([]byte(`{"id":"j1","job_type":"applyWorkspace","status":"SUCCESS","job_error_code":"","fail_reason":"x",
		"sub_jobs_total":"2","sub_jobs":[{"id":"s1","status":"SUCCESS"},7],"begin_time":"2024-01-02 03:04:05","process":50}`), red)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "j1" || d.JobType != "applyWorkspace" || d.Status != "SUCCESS" || !d.HasSubJobsTotal || d.SubJobsTotal != 2 ||
		len(d.SubJobs) != 1 || skipped != 1 || d.Begin.IsZero() {
		t.Fatalf("%+v skipped %d", d, skipped)
	}
	for _, body := range []string{`[]`, `"x"`, `{"sub_jobs":"x"}`, `{"sub_jobs":{}}`, `{"sub_jobs":[],"sub_jobs":[]}`, `{`, ``} {
		if _, _, err := DecodeJobDetail([]byte(body), red); err == nil {
			t.Errorf("%s: no error", body)
		}
	}
	if d, _, err := DecodeJobDetail([]byte(`{"sub_jobs":null,"sub_jobs_total":-3}`), red); err != nil || d.HasSubJobsTotal {
		t.Errorf("%+v %v", d, err)
	}
	var b strings.Builder
	b.WriteString(`{"sub_jobs":[`)
	for i := range MaxShowJobSubJobs + 5 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"s%d"}`, i)
	}
	b.WriteString(`]}`)
	d, skipped, err = DecodeJobDetail([]byte(b.String()), red)
	if err != nil || len(d.SubJobs) != MaxShowJobSubJobs || skipped != 5 {
		t.Fatalf("%d kept, %d skipped, %v", len(d.SubJobs), skipped, err)
	}
}

// ListJobs walks §4.28.2 without filters at limit 1000; ShowJob asks for
// the task's path, maps 404 to not found, refuses IDs that are no path
// segment before any request and answers of another task.
func TestJobsRequests(t *testing.T) {
	var paths, queries []string
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		paths, queries = append(paths, r.URL.Path), append(queries, r.URL.RawQuery)
		switch {
		case strings.HasSuffix(r.URL.Path, "/workspace-sub-jobs"):
			fmt.Fprint(w, `{"total_count":1,"jobs":[{"id":"s1","job_id":"j1","status":"RUNNING","job_type":"createDesktops","process":40}]}`)
		case strings.HasSuffix(r.URL.Path, "/workspace-jobs/j1"):
			fmt.Fprint(w, `{"id":"j1","status":"RUNNING","sub_jobs_total":1,"sub_jobs":[{"id":"s1"}]}`)
		case strings.HasSuffix(r.URL.Path, "/workspace-jobs/other"):
			fmt.Fprint(w, `{"id":"j1"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error_code":"WKS.0010","error_msg":"No resources found in the system."}`)
		}
	}))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	ctx := context.Background()
	jobs, stats, err := c.ListJobs(ctx)
	if err != nil || len(jobs) != 1 || stats.Requests != 1 || jobs[0].Progress != 40 {
		t.Fatalf("%+v %+v %v", jobs, stats, err)
	}
	if paths[0] != "/v2/"+testProject+"/workspace-sub-jobs" || queries[0] != "limit=1000&offset=0" {
		t.Errorf("path %q query %q", paths[0], queries[0])
	}
	d, found, err := c.ShowJob(ctx, "j1")
	if err != nil || !found || d.ID != "j1" || len(d.SubJobs) != 1 {
		t.Fatalf("%+v %v %v", d, found, err)
	}
	if paths[1] != "/v2/"+testProject+"/workspace-jobs/j1" {
		t.Errorf("path %q", paths[1])
	}
	if _, found, err := c.ShowJob(ctx, "gone"); err != nil || found {
		t.Errorf("404: found %v err %v", found, err)
	}
	if _, _, err := c.ShowJob(ctx, "other"); err == nil || !strings.Contains(err.Error(), "asked for task other") {
		t.Errorf("another task's answer: %v", err)
	}
	before := n.Load()
	for _, id := range []string{"", "a/b", "../x", "a?b", "a%2f", "a b", strings.Repeat("a", 129), "é"} {
		if _, _, err := c.ShowJob(ctx, id); err == nil {
			t.Errorf("%q accepted", id)
		}
	}
	if n.Load() != before {
		t.Error("an invalid task ID was sent")
	}
}

// A 500 on ShowJob is an error (retried, then reported), never "not found".
func TestShowJobServerError(t *testing.T) {
	srv, n := scripted(status(500, `{"error_code":"WKS.0002","error_msg":"Internal error."}`))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	_, found, err := c.ShowJob(context.Background(), "j1")
	var ae *client.APIError
	if !errors.As(err, &ae) || found || ae.Code != "WKS.0002" || n.Load() != 4 {
		t.Fatalf("found %v err %v after %d requests", found, err, n.Load())
	}
}

// An oversized §4.28.1 body fails without being read past the bound.
func TestShowJobOversized(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"sub_jobs":[`)
		chunk := strings.Repeat(`{"id":"x"},`, 10000)
		for range maxShowJobBody/len(chunk) + 2 {
			fmt.Fprint(w, chunk)
		}
		fmt.Fprint(w, `{}]}`)
	}))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = 0 })
	_, _, err := c.ShowJob(context.Background(), "j1")
	if err == nil {
		t.Fatal("no error")
	}
	if !utf8.ValidString(err.Error()) {
		t.Fatal(err)
	}
}

// A secret the API echoes in a subtask never reaches a key, a task ID or a
// label value.
func TestJobsRedactSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"total_count":1,"jobs":[{"id":"id-%[1]s","job_id":"%[1]s","job_type":"t %[1]s","status":"%[1]s","entities":{"desktop_id":"%[1]s"}}]}`, testSK)
	}))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	jobs, _, err := c.ListJobs(context.Background())
	if err != nil || len(jobs) != 1 {
		t.Fatal(jobs, err)
	}
	j := jobs[0]
	if !strings.HasPrefix(j.Key, "sha256:") || j.JobID != "" {
		t.Errorf("key %q job_id %q", j.Key, j.JobID)
	}
	if s := fmt.Sprintf("%+v", j); strings.Contains(s, testSK) {
		t.Errorf("secret in %s", s)
	}
}
