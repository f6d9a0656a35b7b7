package huaweicloud

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
)

type wireSchedTasks struct {
	Tasks []struct {
		ID            string `json:"id"`
		ScheduledType string `json:"scheduled_type"`
		LastStatus    string `json:"last_status"`
		Next          string `json:"next_execution_time"`
		TimeZone      string `json:"time_zone"`
	} `json:"scheduled_tasks"`
	Total *int `json:"total_count"`
}

type wireSchedRecords struct {
	Records []struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Success int    `json:"success_num"`
		Failed  int    `json:"failed_num"`
		Skip    int    `json:"skip_num"`
	} `json:"tasks_records"`
	Total *int `json:"total_count"`
}

type wireSchedDetails struct {
	Details []struct {
		ExecStatus string `json:"exec_status"`
	} `json:"tasks_records_details"`
	Total *int `json:"total_count"`
}

func schedGet(t *testing.T, base, path string, query map[string]any, v any) int {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: path, query: query}))
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, r.body)
		}
	}
	return r.status
}

// The triggered tasks are listed only with scheduled_type=LIFE_CYCLE;
// offset and limit are mandatory and bounded (§4.20.1, §4.20.9); the
// records' numbers equal their details' finished statuses on the wire at
// every step, and each task's last_status is its latest settled record's
// status; runs happen as the fleet and the clock move, history is
// bounded.
func TestScheduledTasksFollowTheFleet(t *testing.T) {
	c := newTestClock()
	s, base := loginSim(t, 600, 11, c)
	page := map[string]any{"offset": 0, "limit": 50}
	var plain, life wireSchedTasks
	if st := schedGet(t, base, "/v2/{project_id}/scheduled-tasks", page, &plain); st != 200 {
		t.Fatal(st)
	}
	if st := schedGet(t, base, "/v2/{project_id}/scheduled-tasks", map[string]any{"offset": 0, "limit": 50, "scheduled_type": "LIFE_CYCLE"}, &life); st != 200 {
		t.Fatal(st)
	}
	if len(plain.Tasks) != 5 || *plain.Total != 5 || len(life.Tasks) != 2 {
		t.Fatalf("%d plain (total %v), %d triggered", len(plain.Tasks), plain.Total, len(life.Tasks))
	}
	for _, tk := range plain.Tasks {
		if tk.ScheduledType == hwspec.ScheduledTypeLifeCycle {
			t.Errorf("a triggered task listed without the filter: %s", tk.ID)
		}
	}
	for _, q := range []map[string]any{{"limit": 10}, {"offset": 0}, {"offset": 0, "limit": 51}, {"offset": -1, "limit": 5}} {
		if st := schedGet(t, base, "/v2/{project_id}/scheduled-tasks", q, &plain); st != http.StatusBadRequest {
			t.Errorf("%v: %d, want 400", q, st)
		}
	}
	if st := schedGet(t, base, "/v2/{project_id}/scheduled-tasks/nope/records", nil, &wireSchedRecords{}); st != http.StatusNotFound {
		t.Errorf("unknown task: %d", st)
	}

	// Within the signature's ±15 minutes: one-minute steps.
	for i := range 20 {
		step(s, c, 1, time.Minute)
		tasks := s.ScheduledTasks()
		checkSchedInvariants(t, i, tasks)
		if i%5 != 4 {
			continue
		}
		for _, tk := range tasks {
			var recs wireSchedRecords
			if st := schedGet(t, base, "/v2/{project_id}/scheduled-tasks/"+tk.ID+"/records", map[string]any{"offset": 0, "limit": 100}, &recs); st != 200 {
				t.Fatal(st)
			}
			if len(recs.Records) != len(tk.Records) {
				t.Fatalf("%s: %d records on the wire, %d kept", tk.Name, len(recs.Records), len(tk.Records))
			}
			for _, r := range recs.Records[:min(3, len(recs.Records))] {
				var ds wireSchedDetails
				path := "/v2/{project_id}/scheduled-tasks/" + tk.ID + "/records/" + r.ID
				if st := schedGet(t, base, path, nil, &ds); st != http.StatusBadRequest {
					t.Errorf("details without offset and limit: %d", st)
				}
				n := map[string]int{}
				for off := 0; ; off += 100 {
					ds = wireSchedDetails{}
					if st := schedGet(t, base, path, map[string]any{"offset": off, "limit": 100}, &ds); st != 200 {
						t.Fatal(st)
					}
					for _, d := range ds.Details {
						n[d.ExecStatus]++
					}
					if len(ds.Details) < 100 {
						break
					}
				}
				if n["SUCCESS"] != r.Success || n["FAIL"] != r.Failed || n["SKIP"] != r.Skip {
					t.Errorf("%s record %s: nums %d/%d/%d, details %v", tk.Name, r.ID, r.Success, r.Failed, r.Skip, n)
				}
			}
		}
	}
	triggered := 0
	for _, tk := range s.ScheduledTasks() {
		if tk.ScheduledType == hwspec.ScheduledTypeLifeCycle {
			triggered += len(tk.Records)
		}
	}
	if triggered == 0 {
		t.Error("no triggered run in 20 steps")
	}
}

// checkSchedInvariants: bounded history; each record's numbers are its
// finished details; last_status is the latest settled record's status.
func checkSchedInvariants(t *testing.T, i int, tasks []ScheduledTask) {
	t.Helper()
	for _, tk := range tasks {
		if len(tk.Records) > schedHistoryMax {
			t.Fatalf("%d records kept", len(tk.Records))
		}
		latest := ""
		for _, r := range tk.Records {
			if r.Status != schedRunning && latest == "" {
				latest = r.Status
			}
			n := map[string]int{}
			for _, d := range r.Details {
				n[d.ExecStatus]++
			}
			if n["SUCCESS"] != r.Success || n["FAIL"] != r.Failed || n["SKIP"] != r.Skipped ||
				r.Status != schedRunning && n[schedRunning] > 0 {
				t.Fatalf("step %d %s record %s (%s): %d/%d/%d, details %v", i, tk.Name, r.ID, r.Status, r.Success, r.Failed, r.Skipped, n)
			}
		}
		if tk.LastStatus != latest {
			t.Fatalf("step %d task %s: last_status %q, latest settled record %q", i, tk.Name, tk.LastStatus, latest)
		}
	}
}

// Over simulated days the periodic tasks run at their times, the
// disabled and the expired ones never; the invariants hold at each step.
func TestScheduledTasksOverTime(t *testing.T) {
	c := newTestClock()
	s, _ := loginSim(t, 600, 12, c)
	before := map[string]int{}
	for _, tk := range s.ScheduledTasks() {
		before[tk.Name] = len(tk.Records)
	}
	for i := range 40 {
		step(s, c, 1, 2*time.Hour)
		checkSchedInvariants(t, i, s.ScheduledTasks())
	}
	for _, tk := range s.ScheduledTasks() {
		ran := len(tk.Records) - before[tk.Name]
		switch tk.Name {
		case "Weekly reboot", "Year-end snapshot":
			if ran != 0 {
				t.Errorf("%s (disabled or expired) ran %d times", tk.Name, ran)
			}
		case "Weekday morning start", "Evening shutdown":
			if ran < 3 || ran > 4 {
				t.Errorf("%s ran %d times in 80 hours", tk.Name, ran)
			}
		}
	}
}
