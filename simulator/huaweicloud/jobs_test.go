package huaweicloud

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

const (
	subJobsPath = "/v2/{project_id}/workspace-sub-jobs"
	showJobPath = "/v2/{project_id}/workspace-jobs/"
)

type wireJob struct {
	ID        string `json:"id"`
	JobID     string `json:"job_id"`
	JobType   string `json:"job_type"`
	Status    string `json:"status"`
	BeginTime string `json:"begin_time"`
	EndTime   string `json:"end_time"`
	Process   *int   `json:"process"`
	ErrorCode string `json:"error_code"`
	Entities  *struct {
		DesktopID string `json:"desktop_id"`
	} `json:"entities"`
}

type subJobsBody struct {
	Jobs       []wireJob `json:"jobs"`
	TotalCount *int      `json:"total_count"`
}

func getSubJobs(t *testing.T, base string, query map[string]any) (response, subJobsBody) {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: subJobsPath, query: query}))
	var b subJobsBody
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &b); err != nil {
			t.Fatalf("sub-jobs body is not JSON: %v: %s", err, r.body)
		}
	}
	return r, b
}

// The running subtasks are the fleet's running operations, one per
// desktop with a task (deleteFailed is not running), with the documented
// job type of its task, WAITING for a pending task, and its progress.
func checkJobsFollowFleet(t *testing.T, ds []Desktop, jobs []Job) {
	t.Helper()
	want := map[string]Desktop{}
	for _, d := range ds {
		if d.TaskStatus != "" && d.TaskStatus != taskDeleteFailed {
			want[d.DesktopID] = d
		}
	}
	got := 0
	for _, j := range jobs {
		if !slices.Contains(hwspec.JobTypes, j.JobType) {
			t.Errorf("%s: undocumented job type %q", j.ID, j.JobType)
		}
		if j.Status != hwspec.JobStatusRunning && j.Status != hwspec.JobStatusWaiting {
			continue
		}
		got++
		d, ok := want[j.DesktopID]
		if !ok {
			t.Errorf("running subtask %s of desktop %s, which runs no task", j.ID, j.DesktopID)
			continue
		}
		if j.JobType != jobTypeOf(d.TaskStatus) || (j.Status == hwspec.JobStatusWaiting) != jobWaiting(d.TaskStatus) {
			t.Errorf("desktop %s in %s: subtask %s %s", d.DesktopID, d.TaskStatus, j.JobType, j.Status)
		}
		if (d.Process == nil) != (j.Process < 0) || d.Process != nil && *d.Process != j.Process {
			t.Errorf("desktop %s process %v, subtask %d", d.DesktopID, d.Process, j.Process)
		}
	}
	if got != len(want) {
		t.Errorf("%d running subtasks, %d desktops run a task", got, len(want))
	}
}

// Over steps, the subtasks follow the fleet: running ones match the
// desktops' tasks at every step, operations that complete become SUCCESS
// (with an end), failed deletions FAILED with an error code, and the
// subscription job is there throughout.
func TestJobsFollowTheFleet(t *testing.T) {
	c := newTestClock()
	s, _ := loginSim(t, 3000, 7, c)
	jobs := s.Jobs()
	checkJobsFollowFleet(t, s.Desktops(), jobs)
	if last := jobs[len(jobs)-1]; last.JobType != jobApply || last.Status != hwspec.JobStatusSuccess || last.End.IsZero() {
		t.Fatalf("the subscription job is missing: %+v", last)
	}
	seen := map[string]Job{}
	for range 60 {
		step(s, c, 1, time.Minute)
		jobs = s.Jobs()
		checkJobsFollowFleet(t, s.Desktops(), jobs)
		for _, j := range jobs {
			if old, ok := seen[j.ID]; ok && !old.End.IsZero() && j != old {
				t.Fatalf("a finished subtask changed: %+v → %+v", old, j)
			}
			seen[j.ID] = j
		}
	}
	counts := map[string]int{}
	for _, j := range seen {
		counts[j.JobType+"/"+j.Status]++
		switch j.Status {
		case hwspec.JobStatusSuccess:
			if j.End.IsZero() || j.End.Before(j.Begin) || j.Process != 100 {
				t.Errorf("success without an end or progress: %+v", j)
			}
		case hwspec.JobStatusFailed:
			if j.JobType != jobDelete || j.ErrorCode == "" || j.End.IsZero() {
				t.Errorf("failure: %+v", j)
			}
		}
	}
	for _, k := range []string{"createDesktops/SUCCESS", "executeDesktopsAction/SUCCESS", "deleteDesktops/FAILED", "applyWorkspace/SUCCESS"} {
		if counts[k] == 0 {
			t.Errorf("no %s subtask in 60 steps: %v", k, counts)
		}
	}
}

// The endpoint serves Jobs() newest first, with §4.28.2's paging (limit
// 0..1000, default 1000; 400 WKS.0508/WKS.0509 out of range) and total,
// its filters (status repeated), and the page faults.
func TestSubJobsEndpoint(t *testing.T) {
	c := newTestClock()
	s, base := loginSim(t, 2000, 3, c)
	step(s, c, 20, time.Minute)
	want := s.Jobs()
	r, b := getSubJobs(t, base, nil)
	if r.status != http.StatusOK || b.TotalCount == nil || *b.TotalCount != len(want) || len(b.Jobs) != min(len(want), 1000) {
		t.Fatalf("status %d total %v jobs %d, want %d", r.status, b.TotalCount, len(b.Jobs), len(want))
	}
	for i, j := range b.Jobs {
		if j.ID != want[i].ID || j.Status != want[i].Status || j.BeginTime != want[i].Begin.Format(jobTimeLayout) {
			t.Fatalf("job %d: %+v, want %+v", i, j, want[i])
		}
	}
	var walked []string
	for off := 0; ; off += 7 {
		_, p := getSubJobs(t, base, map[string]any{"offset": strconv.Itoa(off), "limit": "7"})
		for _, j := range p.Jobs {
			walked = append(walked, j.ID)
		}
		if len(p.Jobs) < 7 {
			break
		}
	}
	if len(walked) != len(want) {
		t.Errorf("walked %d, want %d", len(walked), len(want))
	}
	for q, code := range map[string]string{"-1": "WKS.0508", "x": "WKS.0508"} {
		if r, _ := getSubJobs(t, base, map[string]any{"offset": q}); r.status != 400 || !strings.Contains(string(r.body), code) {
			t.Errorf("offset %s: %d %s", q, r.status, r.body)
		}
	}
	for _, q := range []string{"1001", "-1", "x"} {
		if r, _ := getSubJobs(t, base, map[string]any{"limit": q}); r.status != 400 || !strings.Contains(string(r.body), "WKS.0509") {
			t.Errorf("limit %s: %d %s", q, r.status, r.body)
		}
	}
	_, running := getSubJobs(t, base, map[string]any{"status": []string{"RUNNING", "WAITING"}})
	_, apply := getSubJobs(t, base, map[string]any{"job_type": jobApply})
	wantRunning := 0
	for _, j := range want {
		if j.Status == hwspec.JobStatusRunning || j.Status == hwspec.JobStatusWaiting {
			wantRunning++
		}
	}
	if *running.TotalCount != wantRunning || *apply.TotalCount != 1 || apply.Jobs[0].Entities != nil {
		t.Errorf("filters: running %d (want %d), applyWorkspace %d", *running.TotalCount, wantRunning, *apply.TotalCount)
	}
	_, byJob := getSubJobs(t, base, map[string]any{"job_id": apply.Jobs[0].JobID})
	if *byJob.TotalCount != 1 {
		t.Errorf("job_id filter: %d", *byJob.TotalCount)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultShortPage, Operation: hwspec.OpListSubJobs, Count: 1})
	if _, p := getSubJobs(t, base, map[string]any{"limit": "10"}); len(p.Jobs) >= 10 {
		t.Errorf("short page fault not applied: %d", len(p.Jobs))
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: hwspec.OpListSubJobs, Count: 1})
	if _, p := getSubJobs(t, base, map[string]any{"limit": "3"}); !strings.HasPrefix(p.Jobs[0].Status, simulator.FloodPrefix) {
		t.Errorf("enum flood not applied: %+v", p.Jobs[0])
	}
}

// ShowJob answers a task from the subtasks sharing its job_id, and 404
// with the API's error body for an unknown one.
func TestShowJobEndpoint(t *testing.T) {
	c := newTestClock()
	s, base := loginSim(t, 2000, 5, c)
	step(s, c, 30, 20*time.Second)
	jobs := s.Jobs()
	byTask := map[string][]Job{}
	for _, j := range jobs {
		byTask[j.JobID] = append(byTask[j.JobID], j)
	}
	checked := 0
	for id, subs := range byTask {
		var d struct {
			ID           string    `json:"id"`
			JobType      string    `json:"job_type"`
			Status       string    `json:"status"`
			SubJobsTotal int       `json:"sub_jobs_total"`
			SubJobs      []wireJob `json:"sub_jobs"`
		}
		getJSON(t, base, showJobPath+id, &d)
		want := hwspec.JobStatusSuccess
		for _, j := range subs {
			switch j.Status {
			case hwspec.JobStatusRunning, hwspec.JobStatusWaiting:
				want = hwspec.JobStatusRunning
			case hwspec.JobStatusFailed:
				if want != hwspec.JobStatusRunning {
					want = hwspec.JobStatusFailed
				}
			}
		}
		if d.ID != id || d.Status != want || d.SubJobsTotal != len(subs) || len(d.SubJobs) != len(subs) || d.JobType != subs[0].JobType {
			t.Errorf("task %s: %+v, want status %s and %d subtasks", id, d, want, len(subs))
		}
		if checked++; checked > 20 {
			break
		}
	}
	r := do(t, sdkRequest(t, base, signed{path: showJobPath + "no-such-task"}))
	if r.status != http.StatusNotFound || !strings.Contains(string(r.body), `"error_code":"WKS.0010"`) {
		t.Errorf("unknown task: %d %s", r.status, r.body)
	}
	if r := do(t, sdkRequest(t, base, signed{method: http.MethodPost, path: showJobPath + "x/actions"})); r.status == http.StatusOK {
		t.Error("the retry action answered")
	}
}

// A job_id that is not shaped like a task ID is a 400.
func TestShowJobMalformedID(t *testing.T) {
	_, base := loginSim(t, 10, 1, newTestClock())
	r := do(t, sdkRequest(t, base, signed{path: showJobPath + "{job_id}"}))
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"error_code":"WKS.0001"`) {
		t.Errorf("%d %s", r.status, r.body)
	}
}
