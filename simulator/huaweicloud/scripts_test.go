package huaweicloud

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
)

const (
	scriptTasksPath     = "/v2/{project_id}/script-execution-tasks"
	scriptRecordsPath   = "/v2/{project_id}/script-execution-records"
	poolScriptTasksPath = "/v2/{project_id}/desktop-pools/script-execution-tasks/detail"
)

// checkScripts holds the tasks to their records at one instant: one run
// per target desktop (each a desktop of the fleet when the task started,
// a pool task's all of its pool), nums equal to the records' statuses,
// the task status following from them.
func checkScripts(t *testing.T, s *Simulator) (tasks, poolTasks []ScriptTask, recs []ScriptRecord) {
	t.Helper()
	s.UpdateFleet(func() {}) // no request in between: one instant
	tasks, poolTasks, recs = s.ScriptTasks(), s.PoolScriptTasks(), s.ScriptRecords()
	byTask := map[string][]ScriptRecord{}
	for _, r := range recs {
		byTask[r.TaskID] = append(byTask[r.TaskID], r)
	}
	check := func(tk ScriptTask, runs []ScriptRecord) {
		if len(runs) != 0 && len(runs) != len(tk.DesktopIDs) {
			t.Errorf("task %s: %d records for %d desktops", tk.ID, len(runs), len(tk.DesktopIDs))
		}
		if len(tk.DesktopIDs) == 0 {
			t.Errorf("task %s has no desktop", tk.ID)
		}
		if !slices.Contains(hwspec.PoolScriptTaskStatuses, tk.Status) {
			t.Errorf("task %s: status %q", tk.ID, tk.Status)
		}
		if (tk.Status == "FINISH" || tk.Status == "FAILED") == tk.End.IsZero() {
			t.Errorf("task %s %s: end %v", tk.ID, tk.Status, tk.End)
		}
		if tk.Status == "FAILED" && (tk.Failed == 0 || tk.Success != 0) {
			t.Errorf("task %s FAILED with %d failed, %d succeeded", tk.ID, tk.Failed, tk.Success)
		}
	}
	for _, tk := range tasks {
		runs := byTask[tk.ID]
		check(tk, runs)
		n := map[string]int{}
		for i, r := range runs {
			n[r.Status]++
			if r.DesktopID != tk.DesktopIDs[i] {
				t.Errorf("task %s: record %d of desktop %s, target %s", tk.ID, i, r.DesktopID, tk.DesktopIDs[i])
			}
			if (r.Status == "WAITING") != r.Start.IsZero() || (r.Status == "WAITING" || r.Status == "RUNNING") != r.End.IsZero() {
				t.Errorf("record %s %s: start %v end %v", r.ID, r.Status, r.Start, r.End)
			}
			if r.Start.Before(tk.Start) && !r.Start.IsZero() {
				t.Errorf("record %s starts before its task", r.ID)
			}
		}
		if n["SUCCESS"] != tk.Success || n["FAILED"] != tk.Failed || n["SKIP"] != tk.Skip {
			t.Errorf("task %s nums %d/%d/%d, records %v", tk.ID, tk.Success, tk.Failed, tk.Skip, n)
		}
		if (n["WAITING"] == len(runs)) != (tk.Status == "INIT") {
			t.Errorf("task %s %s with records %v", tk.ID, tk.Status, n)
		}
	}
	poolIDs := map[string]string{}
	for _, p := range s.Pools() {
		poolIDs[p.ID] = p.Name
	}
	members := map[string]string{}
	for _, d := range s.Desktops() {
		members[d.DesktopID] = d.PoolID
	}
	for _, tk := range poolTasks {
		check(tk, nil)
		if name, ok := poolIDs[tk.PoolID]; !ok || name != tk.PoolName {
			t.Errorf("pool task %s: pool %s %q", tk.ID, tk.PoolID, tk.PoolName)
		}
		for _, d := range tk.DesktopIDs {
			if p, ok := members[d]; ok && p != tk.PoolID {
				t.Errorf("pool task %s of pool %s runs on desktop %s of pool %q", tk.ID, tk.PoolID, d, p)
			}
		}
		if tk.Success+tk.Failed+tk.Skip > len(tk.DesktopIDs) {
			t.Errorf("pool task %s: nums over its desktops", tk.ID)
		}
	}
	return tasks, poolTasks, recs
}

// Tasks start over simulated time, their runs progress and finish, and
// at every instant the tasks agree with their records; a finished task
// and a finished record never change again.
func TestScriptsFollowTheClock(t *testing.T) {
	c := newTestClock()
	o := testOptions(400)
	o.Now = c.now
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	tasks, poolTasks, recs := checkScripts(t, s)
	if len(tasks) < 150 || len(poolTasks) < 60 || len(recs) < len(tasks) {
		t.Fatalf("initial history: %d tasks, %d pool tasks, %d records", len(tasks), len(poolTasks), len(recs))
	}
	doneTasks := map[string]ScriptTask{}
	doneRecs := map[string]ScriptRecord{}
	statuses := map[string]int{}
	first := tasks[0].ID
	for range 90 {
		c.advance(10 * time.Second)
		s.Step()
		tasks, poolTasks, recs = checkScripts(t, s)
		for _, tk := range append(tasks, poolTasks...) {
			statuses["task/"+tk.Status]++
			if old, ok := doneTasks[tk.ID]; ok && !slices.Equal(old.DesktopIDs, tk.DesktopIDs) || ok && (old.Status != tk.Status || old.End != tk.End || old.Success != tk.Success) {
				t.Fatalf("a finished task changed: %+v → %+v", old, tk)
			}
			if !tk.End.IsZero() {
				doneTasks[tk.ID] = tk
			}
		}
		for _, r := range recs {
			statuses["run/"+r.Status]++
			if old, ok := doneRecs[r.ID]; ok && old != r {
				t.Fatalf("a finished record changed: %+v → %+v", old, r)
			}
			if !r.End.IsZero() {
				doneRecs[r.ID] = r
			}
		}
	}
	if tasks[0].ID == first {
		t.Error("no task started in 15 minutes")
	}
	for _, k := range []string{"task/INIT", "task/RUNNING", "task/FINISH", "run/WAITING", "run/RUNNING", "run/SUCCESS", "run/FAILED", "run/SKIP"} {
		if statuses[k] == 0 {
			t.Errorf("never saw %s: %v", k, statuses)
		}
	}
}

// The history is capped whatever the time the simulator runs (accessors
// only: the signature check keeps requests near the real time).
func TestScriptsHistoryBounded(t *testing.T) {
	c := newTestClock()
	o := testOptions(50)
	o.Now = c.now
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if n, want := len(s.ScriptTasks()), int(scriptInitialHistory/scriptTaskEvery); n < want-1 || n > want+1 {
		t.Fatalf("%d tasks at first", n)
	}
	for range 3 {
		c.advance(5 * 24 * time.Hour)
		if n, p := len(s.ScriptTasks()), len(s.PoolScriptTasks()); n != scriptTaskHistoryMax || p > poolScriptTaskHistoryMax || p < poolScriptTaskHistoryMax/2 {
			t.Fatalf("%d tasks, %d pool tasks", n, p)
		}
	}
	if n := len(s.ScriptRecords()); n > scriptTaskHistoryMax*scriptMaxTargets {
		t.Fatalf("%d records", n)
	}
	// An empty fleet starts no task.
	e, err := New(testOptions(0))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.ScriptTasks()) + len(e.PoolScriptTasks()); n != 0 {
		t.Fatalf("%d tasks on no desktop", n)
	}
}

type wireScriptTask struct {
	ID          string   `json:"id"`
	PoolID      string   `json:"desktop_pool_id"`
	Status      string   `json:"status"`
	Start       string   `json:"start_time"`
	End         string   `json:"end_time"`
	Success     int      `json:"success_num"`
	Failed      int      `json:"failed_num"`
	Skip        int      `json:"skip_num"`
	ResourceIDs []string `json:"resource_ids"`
}

type wireScriptRecord struct {
	ID     string `json:"id"`
	TaskID string `json:"script_task_id"`
	Status string `json:"status"`
	Code   string `json:"result_code"`
}

type scriptsBody struct {
	Tasks      []wireScriptTask   `json:"script_tasks"`
	PoolTasks  []wireScriptTask   `json:"script_execution_tasks"`
	Records    []wireScriptRecord `json:"script_records"`
	Count      *int               `json:"count"`
	TotalCount *int               `json:"total_count"`
}

func getScripts(t *testing.T, base, path string, query map[string]any) (response, scriptsBody) {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: path, query: query}))
	var b scriptsBody
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &b); err != nil {
			t.Fatalf("body is not JSON: %v: %s", err, r.body)
		}
	}
	return r, b
}

// The endpoints serve the accessors' items newest first with the
// documented paging (limit 1..100, §4.4.16 0..100, default 10; 400
// outside), totals in count and total_count, the execute_time window by
// task start and the task_type filter (400 for an undocumented type or a
// malformed time).
func TestScriptsEndpoints(t *testing.T) {
	c := newTestClock()
	o := testOptions(300)
	o.Now = c.now
	s, base := startSim(t, o)
	tasks, poolTasks, recs := s.ScriptTasks(), s.PoolScriptTasks(), s.ScriptRecords()
	r, b := getScripts(t, base, scriptTasksPath, nil)
	if r.status != http.StatusOK || len(b.Tasks) != 10 || b.Count == nil || *b.Count != len(tasks) || b.Tasks[0].ID != tasks[0].ID {
		t.Fatalf("default page: %d, %d tasks, count %v: %s", r.status, len(b.Tasks), b.Count, r.body)
	}
	if w := b.Tasks[3]; w.Success != tasks[3].Success || w.Status != tasks[3].Status || len(w.ResourceIDs) != len(tasks[3].DesktopIDs) {
		t.Errorf("served %+v, accessor %+v", w, tasks[3])
	}
	r, b = getScripts(t, base, poolScriptTasksPath, map[string]any{"limit": "100", "offset": "5"})
	if r.status != http.StatusOK || b.TotalCount == nil || *b.TotalCount != len(poolTasks) || len(b.PoolTasks) != min(100, len(poolTasks)-5) || b.PoolTasks[0].ID != poolTasks[5].ID {
		t.Fatalf("pool page: %d, %d tasks: %s", r.status, len(b.PoolTasks), r.body)
	}
	r, b = getScripts(t, base, scriptRecordsPath, map[string]any{"limit": "100"})
	if r.status != http.StatusOK || *b.Count != len(recs) || len(b.Records) != 100 || b.Records[0].ID != recs[0].ID {
		t.Fatalf("records page: %d, %d records", r.status, len(b.Records))
	}
	for _, c := range []struct {
		path  string
		query map[string]any
	}{
		{scriptTasksPath, map[string]any{"limit": "0"}},
		{scriptTasksPath, map[string]any{"limit": "101"}},
		{scriptRecordsPath, map[string]any{"limit": "0"}},
		{scriptRecordsPath, map[string]any{"offset": "-1"}},
		{poolScriptTasksPath, map[string]any{"limit": "101"}},
		{scriptTasksPath, map[string]any{"execute_time_start": "yesterday"}},
		{scriptRecordsPath, map[string]any{"task_type": "PYTHON"}},
	} {
		if r, _ := getScripts(t, base, c.path, c.query); r.status != http.StatusBadRequest {
			t.Errorf("%s %v: %d", c.path, c.query, r.status)
		}
	}
	if r, _ := getScripts(t, base, poolScriptTasksPath, map[string]any{"limit": "0"}); r.status != http.StatusOK {
		t.Errorf("§4.4.16 limit 0: %d", r.status)
	}
	// The window: tasks that started in the last hour, and their records.
	now := c.now().UTC()
	q := map[string]any{"execute_time_start": now.Add(-time.Hour).Format("2006-01-02T15:04:05Z"),
		"execute_time_end": now.Format("2006-01-02T15:04:05Z"), "limit": "100"}
	wantTasks, wantRecs := 0, 0
	inWindow := map[string]bool{}
	for _, tk := range tasks {
		if !tk.Start.Before(now.Add(-time.Hour).Truncate(time.Second)) && !tk.Start.After(now) {
			wantTasks++
			inWindow[tk.ID] = true
		}
	}
	for _, rec := range recs {
		if inWindow[rec.TaskID] {
			wantRecs++
		}
	}
	if _, b := getScripts(t, base, scriptTasksPath, q); *b.Count != wantTasks || wantTasks < 20 {
		t.Errorf("window: %d tasks, want %d", *b.Count, wantTasks)
	}
	if _, b := getScripts(t, base, scriptRecordsPath, q); *b.Count != wantRecs {
		t.Errorf("window: %d records, want %d", *b.Count, wantRecs)
	}
	q["task_type"] = "COMMAND"
	if _, b := getScripts(t, base, scriptTasksPath, q); *b.Count == 0 || *b.Count >= wantTasks {
		t.Errorf("task_type COMMAND: %d of %d", *b.Count, wantTasks)
	}
	if _, b := getScripts(t, base, scriptRecordsPath, map[string]any{"script_task_id": tasks[0].ID}); *b.Count != len(tasks[0].DesktopIDs) {
		t.Errorf("script_task_id: %d records for %d desktops", *b.Count, len(tasks[0].DesktopIDs))
	}
	// The POST beside the pool tasks' path is no route of the simulator.
	if r := do(t, sdkRequest(t, base, signed{method: http.MethodPost, path: "/v2/{project_id}/script-executions"})); r.status != http.StatusNotFound {
		t.Errorf("POST script-executions: %d", r.status)
	}
}
