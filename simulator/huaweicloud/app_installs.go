package huaweicloud

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file is the application installation jobs domain (§4.31.16, App
// Center), from the one fleet:
//
//   - ListAppInstallJobs (GET /v1/{project_id}/app-center/jobs) lists the
//     jobs that install an application of a small catalogue on a desktop
//     of the fleet (instance_id, instance_name: the desktop's id and
//     name) for its user (target: the user's e-mail address as ListUsers
//     serves it), newest first, filtered by instance_id, app_id, target
//     and job_status; offset from 0, limit 1..100 (default 10), the total
//     in count.
//
// Jobs start as the fleet steps (about one per 400 desktops a step, at
// least one every other step, at most 25), on desktops that have a user
// and are not being deleted. A job is INIT for one or two steps, then
// WAITING until the installation ends: one to four steps later if the
// desktop is ACTIVE then (a stopped desktop waits), SUCCESS, or FAIL for
// about one job in ten (with a failure text). About one job in fifty
// hangs in WAITING. The App Center gives up on a job still unfinished
// appInstallTimeout (simulated time) after its creation (FAIL). A job whose desktop is
// deleted before it ends fails at the next step. update_time is the time
// of the latest status change. The first look (a request or Step) fills
// the history of the day before: finished jobs and a few that run.
// Finished jobs are kept, oldest dropped first, up to appInstallHistoryMax
// jobs in all.

const (
	// appInstallHistoryMax bounds the jobs kept (and listed).
	appInstallHistoryMax = 1000
	// appInstallTimeout is when a hanging job fails.
	appInstallTimeout = 2 * time.Hour
	// appInstallDefaultLimit is §4.31.16's default limit (003 L48453).
	appInstallDefaultLimit = 10
	appInstallOperator     = "admin**@example.com"
	appInstallSalt         = 0x617070696e7374
)

// appCatalogue is the tenant's App Center catalogue.
var appCatalogue = []struct{ id, name, version string }{
	{"3f2a9c1e-5b7d-4e60-a1c8-0d9e7f6b5a41", "Microsoft Teams", "24.2.1"},
	{"8d4b6e2a-1c3f-47a9-b5e0-9f8c7d6a5b32", "Zoom Workplace", "6.2.5"},
	{"c1e7a3b9-6d2f-4a85-9e10-7b4c3d2a1f63", "WPS Office", "12.2.0"},
	{"5a9d8c7b-3e1f-4b26-8a4d-2c1b0e9f8d74", "7-Zip", "24.08"},
	{"e6f5d4c3-b2a1-4098-8765-4321fedcba95", "Google Chrome", "129.0.6668"},
	{"2b3c4d5e-6f70-4812-93a4-b5c6d7e8f906", "Notepad++", "8.7"},
	{"9a8b7c6d-5e4f-4321-a0b9-c8d7e6f5a417", "Visual Studio Code", "1.94.2"},
	{"4d5e6f70-8192-4a3b-bc4d-5e6f7a8b9c28", "Adobe Acrobat Reader", "24.003"},
}

// appInstallFailures are the failure causes of failed jobs.
var appInstallFailures = []string{
	"Failed to download the installation package.",
	"The installation program exited with code 1603.",
	"Insufficient disk space on the instance.",
}

// AppInstallJob is one job as ListAppInstallJobs serves it (§4.31.16
// Table 4-3215).
type AppInstallJob struct {
	ID, AppID, AppName, AppVersion        string
	InstanceID, InstanceSID, InstanceName string
	Operator, Target                      string
	Status, ErrorMessage                  string
	Created, Updated                      time.Time
}

// appJob is a job and what moves it on.
type appJob struct {
	AppInstallJob
	rec  *record
	left int // steps left in INIT or WAITING
	fail bool
	hang bool
}

// appInstallState is the jobs of one Simulator. Its zero value is ready;
// it has its own lock (requests hold the fleet's read lock only).
type appInstallState struct {
	mu     sync.Mutex
	rng    *rand.Rand
	seq    uint64
	primed bool
	jobs   []*appJob // creation order, oldest first
}

// appInstallJobs returns every job, newest first, after priming. The
// caller holds the fleet's lock.
func (a *api) appInstallJobs() []*appJob {
	st := &a.appInstallSt
	st.mu.Lock()
	defer st.mu.Unlock()
	st.prime(a, a.srv.Now())
	out := slices.Clone(st.jobs)
	slices.Reverse(out)
	return out
}

// prime fills the history of the day before the first look.
func (st *appInstallState) prime(a *api, now time.Time) {
	if st.primed {
		return
	}
	st.primed = true
	st.rng = rand.New(rand.NewPCG(jobHash(a.projectID), appInstallSalt))
	now = now.UTC().Truncate(time.Millisecond)
	n := min(appInstallHistoryMax/2, 20+len(a.fleet.recs)/50)
	for i := range n {
		created := now.Add(-24*time.Hour + time.Duration(i)*24*time.Hour/time.Duration(n+1))
		j := st.newJob(a, created)
		if j == nil {
			break
		}
		j.Updated = created.Add(time.Duration(2+st.rng.IntN(10)) * time.Minute)
		j.Status = hwspec.AppInstallStatusSuccess
		if j.fail {
			j.Status, j.ErrorMessage = hwspec.AppInstallStatusFail, appInstallFailures[st.rng.IntN(len(appInstallFailures))]
		}
		st.jobs = append(st.jobs, j)
	}
	for i := range 1 + len(a.fleet.recs)/500 {
		j := st.newJob(a, now.Add(-time.Duration(i+1)*time.Minute))
		if j == nil {
			break
		}
		if i%2 == 1 {
			j.Status, j.Updated = hwspec.AppInstallStatusWaiting, now
		}
		st.jobs = append(st.jobs, j)
	}
}

// newJob draws a job created at created on a desktop with a user that is
// not being deleted; nil when the fleet has none (after a few tries).
func (st *appInstallState) newJob(a *api, created time.Time) *appJob {
	recs := a.fleet.recs
	if len(recs) == 0 {
		return nil
	}
	for range 16 {
		r := recs[st.rng.IntN(len(recs))]
		if r.user == "" || r.task == taskDeleting || r.task == taskDeleteFailed {
			continue
		}
		st.seq++
		h := mix(jobHash(a.projectID), appInstallSalt+st.seq)
		app := appCatalogue[st.rng.IntN(len(appCatalogue))]
		j := &appJob{rec: r, left: 1 + st.rng.IntN(2), fail: st.rng.IntN(10) == 0, hang: st.rng.IntN(50) == 0}
		j.AppInstallJob = AppInstallJob{
			ID: uuidString(mix(h, 1), mix(h, 2)), AppID: app.id, AppName: app.name, AppVersion: app.version,
			InstanceID: r.id, InstanceSID: "S-1-5-21-" + strconv.FormatUint(r.hash%1_000_000_000, 10) + "-" + strconv.FormatUint(r.hash>>34%100_000, 10),
			InstanceName: r.name, Operator: appInstallOperator, Target: r.user + "@example.com",
			Status: hwspec.AppInstallStatusInit, Created: created, Updated: created,
		}
		return j
	}
	return nil
}

// stepAppInstalls moves the jobs on one step and starts new ones; Step
// calls it holding the fleet's write lock.
func (a *api) stepAppInstalls(now time.Time) {
	st := &a.appInstallSt
	st.mu.Lock()
	defer st.mu.Unlock()
	st.prime(a, now)
	now = now.UTC().Truncate(time.Millisecond)
	var live map[*record]bool
	for _, j := range st.jobs {
		if j.Status != hwspec.AppInstallStatusInit && j.Status != hwspec.AppInstallStatusWaiting {
			continue
		}
		if live == nil {
			live = make(map[*record]bool, len(a.fleet.recs))
			for _, r := range a.fleet.recs {
				live[r] = true
			}
		}
		switch {
		case !live[j.rec]:
			j.Status, j.ErrorMessage, j.Updated = hwspec.AppInstallStatusFail, "The instance does not exist.", now
		case now.Sub(j.Created) >= appInstallTimeout:
			j.Status, j.ErrorMessage, j.Updated = hwspec.AppInstallStatusFail, "The installation timed out.", now
		case j.left > 1:
			j.left--
		case j.Status == hwspec.AppInstallStatusInit:
			j.Status, j.Updated, j.left = hwspec.AppInstallStatusWaiting, now, 1+st.rng.IntN(4)
		case j.hang || j.rec.status != statusActive || j.rec.task != "":
			// Waits: hanging, or the desktop is not running.
		case j.fail:
			j.Status, j.ErrorMessage, j.Updated = hwspec.AppInstallStatusFail, appInstallFailures[st.rng.IntN(len(appInstallFailures))], now
		default:
			j.Status, j.Updated = hwspec.AppInstallStatusSuccess, now
		}
		if j.Status == hwspec.AppInstallStatusFail || j.Status == hwspec.AppInstallStatusSuccess {
			j.rec = nil // a finished job keeps no desktop alive
		}
	}
	mean := min(25, 0.5+float64(len(a.fleet.recs))/400)
	k := int(mean)
	if st.rng.Float64() < mean-float64(k) {
		k++
	}
	for range k {
		if j := st.newJob(a, now); j != nil {
			st.jobs = append(st.jobs, j)
		}
	}
	if over := len(st.jobs) - appInstallHistoryMax; over > 0 {
		kept := st.jobs[:0]
		for _, j := range st.jobs {
			finished := j.Status == hwspec.AppInstallStatusSuccess || j.Status == hwspec.AppInstallStatusFail
			if over > 0 && finished {
				over--
				continue
			}
			kept = append(kept, j)
		}
		clear(st.jobs[len(kept):])
		st.jobs = kept
	}
}

// AppInstallJobs returns the jobs ListAppInstallJobs serves now, newest
// first.
func (s *Simulator) AppInstallJobs() []AppInstallJob {
	var out []AppInstallJob
	s.ReadFleet(func() {
		for _, j := range s.api.appInstallJobs() {
			out = append(out, j.AppInstallJob)
		}
	})
	return out
}

// appInstallLimits are §4.31.16's paging rules and the API's 400 answers.
func appInstallLimits() simulator.Limits {
	row := hwspec.Spec.Operation(hwspec.OpListAppInstallJobs)
	return wksLimits(row.MinLimit, row.MaxLimit, appInstallDefaultLimit, "The value of limit must be between 1 and 100.", "")
}

// listAppInstallJobs answers ListAppInstallJobs (the path's project is
// checked with the signature, auth.go). The caller holds the fleet's read
// lock.
func (a *api) listAppInstallJobs(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	q := r.URL.Query()
	page, e := simulator.ParsePage(q, appInstallLimits())
	if e != nil {
		return e.Status, errorBody(e)
	}
	var match func(*appJob) bool
	if q.Has("instance_id") || q.Has("app_id") || q.Has("target") || q.Has("job_status") {
		inst, app, target, status := q.Get("instance_id"), q.Get("app_id"), q.Get("target"), q.Get("job_status")
		match = func(j *appJob) bool {
			return (inst == "" || j.InstanceID == inst) && (app == "" || j.AppID == app) &&
				(target == "" || j.Target == target) && (status == "" || j.Status == status)
		}
	}
	l := simulator.List[*appJob]{
		ListKey:  op.ListKey,
		TotalKey: op.TotalKey,
		Mode:     a.srv.TotalCountMode(),
		Items:    a.appInstallJobs(),
		Match:    match,
		Page:     page,
		Append:   appendAppInstallJob,
		Flood:    floodAppInstallJob,
		ItemSize: 460,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// appendAppInstallJob appends one AppInstallJob.
func appendAppInstallJob(b []byte, j *appJob) []byte {
	b = appendKeyString(b, '{', "id", j.ID)
	b = appendKeyString(b, ',', "app_id", j.AppID)
	b = appendKeyString(b, ',', "app_name", j.AppName)
	b = appendKeyString(b, ',', "app_version", j.AppVersion)
	b = appendKeyString(b, ',', "instance_id", j.InstanceID)
	b = appendKeyString(b, ',', "instance_sid", j.InstanceSID)
	b = appendKeyString(b, ',', "instance_name", j.InstanceName)
	b = appendKeyString(b, ',', "operator", j.Operator)
	b = appendKeyString(b, ',', "target", j.Target)
	b = appendKeyString(b, ',', "job_status", j.Status)
	b = appendKeyString(b, ',', "error_message", j.ErrorMessage)
	b = appendKeyString(b, ',', "create_time", j.Created.Format(timeLayout))
	b = appendKeyString(b, ',', "update_time", j.Updated.Format(timeLayout))
	return append(b, '}')
}

// floodAppInstallJob returns a copy of j whose job_status (the job's one
// enum field) is simulator.FloodPrefix followed by its id.
func floodAppInstallJob(j *appJob, _ []string) *appJob {
	c := *j
	c.Status = simulator.FloodPrefix + j.ID
	return &c
}

// appendOversizedAppInstallJob appends the n-th job of an oversized page.
func appendOversizedAppInstallJob(b []byte, n int) []byte {
	b = append(b, `{"id":"oversize-`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, `","app_name":"7-Zip","job_status":"SUCCESS"}`...)
}
