package huaweicloud

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
)

const appInstallsPath = "/v1/{project_id}/app-center/jobs"

type appInstallsBody struct {
	Raw   []map[string]any `json:"items"`
	Count *int             `json:"count"`
}

func getAppInstalls(t *testing.T, base string, query map[string]any) (response, appInstallsBody) {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: appInstallsPath, query: query}))
	var b appInstallsBody
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &b); err != nil {
			t.Fatalf("body is not JSON: %v: %s", err, r.body)
		}
	}
	return r, b
}

// The documented paging (limit 1..100, default 10, the total in count)
// and its 400 answers; every documented field; the filters; the /v1
// path's project is checked.
func TestAppInstallJobsEndpoint(t *testing.T) {
	s, base := startSim(t, testOptions(2000))
	for range 5 {
		s.Step()
	}
	all := s.AppInstallJobs()
	if len(all) < 20 {
		t.Fatalf("%d jobs", len(all))
	}
	r, b := getAppInstalls(t, base, nil)
	if r.status != 200 || b.Count == nil || *b.Count != len(all) || len(b.Raw) != 10 {
		t.Fatalf("status %d, count %v, %d items: %s", r.status, b.Count, len(b.Raw), r.body)
	}
	for _, k := range []string{"id", "app_id", "app_name", "app_version", "instance_id", "instance_sid", "instance_name",
		"operator", "target", "job_status", "error_message", "create_time", "update_time"} {
		if _, ok := b.Raw[0][k]; !ok {
			t.Errorf("field %s missing", k)
		}
	}
	if b.Raw[0]["id"] != all[0].ID {
		t.Errorf("not newest first")
	}
	for _, q := range []map[string]any{{"limit": "0"}, {"limit": "101"}, {"offset": "-1"}, {"limit": "x"}} {
		if r, _ := getAppInstalls(t, base, q); r.status != 400 {
			t.Errorf("%v: status %d", q, r.status)
		}
	}
	r, b = getAppInstalls(t, base, map[string]any{"limit": "100", "offset": "5"})
	if r.status != 200 || len(b.Raw) != min(100, len(all)-5) || b.Raw[0]["id"] != all[5].ID {
		t.Errorf("offset 5: %d items", len(b.Raw))
	}
	j := all[len(all)-1]
	r, b = getAppInstalls(t, base, map[string]any{"instance_id": j.InstanceID, "job_status": j.Status, "limit": "100"})
	if r.status != 200 || len(b.Raw) == 0 {
		t.Fatalf("filter: %d %s", r.status, r.body)
	}
	for _, it := range b.Raw {
		if it["instance_id"] != j.InstanceID || it["job_status"] != j.Status {
			t.Errorf("filter let through %v", it)
		}
	}
	if r := do(t, sdkRequest(t, base, signed{path: appInstallsPath, pathProject: "0123456789abcdef0123456789abcdef"})); r.status != 401 {
		t.Errorf("another project: %d", r.status)
	}
	if r := do(t, sdkRequest(t, base, signed{method: http.MethodPost, path: "/v1/{project_id}/app-center/jobs/actions/retry"})); r.status != 404 {
		t.Errorf("retry: %d", r.status)
	}
}

// Jobs follow the fleet as it steps: new ones start INIT on desktops
// with a user (target: that user's ListUsers e-mail), move through
// WAITING to SUCCESS or FAIL, every unfinished job's desktop is in the
// fleet, times are the documented DateTime with update_time ≥
// create_time, and the history stays bounded.
func TestAppInstallJobsFollowFleet(t *testing.T) {
	s := newFleetSim(t, 3000, 7)
	start := s.AppInstallJobs()
	seen := map[string]string{}
	for _, j := range start {
		seen[j.ID] = j.Status
	}
	moved := map[string]int{}
	for step := range 30 {
		s.Step()
		jobs := s.AppInstallJobs()
		if len(jobs) > appInstallHistoryMax {
			t.Fatalf("%d jobs kept", len(jobs))
		}
		desktops := map[string]Desktop{}
		for _, d := range s.Desktops() {
			desktops[d.DesktopID] = d
		}
		emails := map[string]bool{}
		for _, u := range s.Users() {
			emails[u.Email] = true
		}
		for _, j := range jobs {
			if j.Updated.Before(j.Created) {
				t.Fatalf("job %s updated before created", j.ID)
			}
			switch j.Status {
			case hwspec.AppInstallStatusInit, hwspec.AppInstallStatusWaiting:
				d, ok := desktops[j.InstanceID]
				if !ok || d.ComputerName != j.InstanceName || !emails[j.Target] || j.Target != d.UserName+"@example.com" {
					t.Fatalf("step %d: unfinished job %s on %s (%s) for %s: not a fleet desktop of that user", step, j.ID, j.InstanceID, j.InstanceName, j.Target)
				}
			case hwspec.AppInstallStatusSuccess:
			case hwspec.AppInstallStatusFail:
				if j.ErrorMessage == "" {
					t.Errorf("failed job %s without a cause", j.ID)
				}
			default:
				t.Fatalf("status %q", j.Status)
			}
			if prev, ok := seen[j.ID]; ok && prev != j.Status {
				moved[prev+">"+j.Status]++
				if prev == hwspec.AppInstallStatusSuccess || prev == hwspec.AppInstallStatusFail {
					t.Fatalf("finished job %s moved %s > %s", j.ID, prev, j.Status)
				}
			} else if !ok {
				moved["new:"+j.Status]++
			}
			seen[j.ID] = j.Status
		}
	}
	for _, k := range []string{"new:INIT", "INIT>WAITING", "WAITING>SUCCESS"} {
		if moved[k] == 0 {
			t.Errorf("no %s in 30 steps: %v", k, moved)
		}
	}
	if moved["WAITING>FAIL"]+moved["INIT>FAIL"] == 0 {
		t.Errorf("no job failed in 30 steps: %v", moved)
	}
	// The wire format of the times.
	j := s.AppInstallJobs()[0]
	b := appendAppInstallJob(nil, &appJob{AppInstallJob: j})
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"create_time", "update_time"} {
		if !createdPattern.MatchString(m[k]) {
			t.Errorf("%s %q", k, m[k])
		}
	}
}

// The history is bounded over a long run, unfinished jobs kept, and a
// hanging job fails after appInstallTimeout.
func TestAppInstallJobsBounded(t *testing.T) {
	now := fixedClock()
	o := testOptions(20_000)
	o.Now = func() time.Time { return now }
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		now = now.Add(time.Minute)
		s.Step()
		if n := len(s.AppInstallJobs()); n > appInstallHistoryMax {
			t.Fatalf("step %d: %d jobs", i, n)
		}
	}
	for _, j := range s.AppInstallJobs() {
		if (j.Status == hwspec.AppInstallStatusInit || j.Status == hwspec.AppInstallStatusWaiting) && now.Sub(j.Created) > appInstallTimeout+time.Minute {
			t.Errorf("job %s unfinished for %s", j.ID, now.Sub(j.Created))
		}
	}
}
