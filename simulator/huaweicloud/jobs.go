package huaweicloud

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file is the jobs domain (§4.28), all from the one fleet:
//
//   - ListSubJobs (§4.28.2) lists the subtasks: one per operation a
//     desktop runs (its task_status values map to the documented job
//     types: scheduling … spawning is createDesktops, rebuilding … is
//     rebuildDesktops, powering-on/off and reboots executeDesktopsAction,
//     deleting deleteDesktops, desktopNetworkChanging changeDesktopNetwork,
//     the others operateDesktops), WAITING while the task is a pending one
//     (scheduling, reboot_pending…), else RUNNING with the desktop's
//     process; SUCCESS once the operation completed, FAILED when a
//     deletion ended in deleteFailed. Plus one applyWorkspace subtask: the
//     service subscription that made the tenant (SUCCESS).
//   - ShowJob (§4.28.1) answers a task: the subtasks that share its
//     job_id (the operations of one type that started together).
//
// The subtasks follow the fleet as the alarms do: each request (and
// Jobs) compares the fleet's running tasks with those seen before, so an
// operation that starts and completes between two requests is not seen.
// Finished subtasks are kept, newest last, at most jobHistoryMax.

// Documented job types the fleet's operations map to (§4.28.2, 003 L44107).
const (
	jobCreate  = "createDesktops"
	jobApply   = "applyWorkspace"
	jobRebuild = "rebuildDesktops"
	jobDelete  = "deleteDesktops"
	jobOperate = "operateDesktops"
	jobAction  = "executeDesktopsAction"
	jobNetwork = "changeDesktopNetwork"
)

const (
	// jobHistoryMax bounds the finished subtasks kept.
	jobHistoryMax = 10_000
	// jobInitialSpread is how long before the first request the tasks
	// already running then began (spread by the desktop's hash).
	jobInitialSpread = 30 * time.Minute
	// jobTimeLayout is §4.28.2's begin_time/end_time format (003 L44246).
	jobTimeLayout = "2006-01-02 15:04:05"
	// The error of a failed deletion.
	jobDeleteFailedCode   = "WKS.0005"
	jobDeleteFailedReason = "Failed to delete the desktop: the ECS service returned an error."
)

// jobTypeOf maps a task_status to its operation's job type.
func jobTypeOf(task string) string {
	switch task {
	case "scheduling", "block_device_mapping", "networking", "spawning":
		return jobCreate
	case "rebuilding", "rebuild_block_device_mapping", "rebuild_spawning":
		return jobRebuild
	case taskPoweringOn, taskPoweringOff, "reboot_pending", "reboot_started", "rebooting",
		"reboot_pending_hard", "reboot_started_hard", "rebooting_hard":
		return jobAction
	case taskDeleting:
		return jobDelete
	case "desktopNetworkChanging":
		return jobNetwork
	}
	return jobOperate
}

// jobWaiting tells the tasks whose subtask is still WAITING.
func jobWaiting(task string) bool {
	switch task {
	case "scheduling", "reboot_pending", "reboot_pending_hard", "resize_prep":
		return true
	}
	return false
}

// Job is one subtask as the simulator serves it (§4.28.2 JobDetailInfo).
type Job struct {
	ID, JobID, JobType, Status string
	DesktopID, DesktopName     string
	UserName, ProductID        string
	Begin, End                 time.Time // End zero while not finished
	// Process is the progress 0..100, -1 when not shown.
	Process             int
	ErrorCode, FailText string
}

// simJob is a subtask and the desktop record it follows.
type simJob struct {
	Job
	rec *record // nil for applyWorkspace
}

// jobState is what the simulator remembers of the jobs of one Simulator.
type jobState struct {
	mu      sync.Mutex
	primed  bool
	seq     uint64
	apply   *simJob
	active  map[*record]*simJob
	history []*simJob // finished, oldest first
}

// jobs returns every subtask as of now, newest first (applyWorkspace,
// the oldest, last), after following the fleet's tasks. The caller holds
// the fleet's read lock.
func (a *api) jobs() []*simJob {
	st := a.jobSt
	now := a.srv.Now().UTC().Truncate(time.Second)
	running := map[*record]string{}
	for _, r := range a.fleet.recs {
		if r.task != "" && r.task != taskDeleteFailed {
			running[r] = jobTypeOf(r.task)
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.apply == nil {
		begin := time.UnixMilli(a.fleet.epoch).UTC().Add(-1000*24*time.Hour - 2*time.Hour)
		st.apply = &simJob{Job: Job{
			ID: uuidString(mix(jobHash(a.projectID), 1), mix(jobHash(a.projectID), 2)), JobID: a.jobParent(jobApply, begin),
			JobType: jobApply, Status: hwspec.JobStatusSuccess, Begin: begin, End: begin.Add(40 * time.Minute), Process: 100,
		}}
	}
	for _, r := range slices.SortedFunc(maps.Keys(st.active), func(x, y *record) int { return strings.Compare(x.id, y.id) }) {
		j := st.active[r]
		if op, ok := running[r]; ok && op == j.JobType {
			j.update(r)
			continue
		}
		delete(st.active, r)
		switch {
		case j.JobType == jobDelete && r.task == taskDeleteFailed:
			j.Status, j.ErrorCode, j.FailText = hwspec.JobStatusFailed, jobDeleteFailedCode, jobDeleteFailedReason
		case r.task != "" && jobTypeOf(r.task) == j.JobType && j.JobType != jobDelete:
			continue // replaced (SetDesktops) while running: not an outcome
		default:
			j.Status, j.Process = hwspec.JobStatusSuccess, 100
		}
		j.End = now
		st.history = append(st.history, j)
	}
	var fresh []*record
	for r := range running {
		if st.active[r] == nil {
			fresh = append(fresh, r)
		}
	}
	slices.SortFunc(fresh, func(x, y *record) int { return strings.Compare(x.id, y.id) })
	for _, r := range fresh {
		begin := now
		if !st.primed {
			begin = now.Add(-time.Duration(r.hash%uint64(jobInitialSpread/time.Second)) * time.Second)
		}
		st.seq++
		j := &simJob{rec: r, Job: a.newJob(r, running[r], begin, st.seq)}
		j.update(r)
		st.active[r] = j
	}
	if !st.primed {
		// Deletions that had already failed when the simulator started.
		for _, r := range a.fleet.recs {
			if r.task == taskDeleteFailed {
				st.seq++
				begin := now.Add(-time.Duration(r.hash%uint64(jobInitialSpread/time.Second))*time.Second - jobInitialSpread)
				j := &simJob{Job: a.newJob(r, jobDelete, begin, st.seq)}
				j.Status, j.End, j.ErrorCode, j.FailText = hwspec.JobStatusFailed, begin.Add(2*time.Minute), jobDeleteFailedCode, jobDeleteFailedReason
				st.history = append(st.history, j)
			}
		}
	}
	st.primed = true
	if n := len(st.history) - jobHistoryMax; n > 0 {
		st.history = slices.Delete(st.history, 0, n)
	}
	out := make([]*simJob, 0, len(st.active)+len(st.history)+1)
	for _, j := range st.active {
		out = append(out, j)
	}
	out = append(out, st.history...)
	slices.SortFunc(out, func(x, y *simJob) int {
		if c := y.Begin.Compare(x.Begin); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return append(out, st.apply)
}

func jobHash(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := range len(s) {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// jobParent is the task ID of the subtasks of one type that began at
// the same second.
func (a *api) jobParent(jobType string, begin time.Time) string {
	h := jobHash(a.projectID + "/" + jobType + "/" + strconv.FormatInt(begin.Unix(), 10))
	return uuidString(mix(h, 3), mix(h, 4))
}

func (a *api) newJob(r *record, jobType string, begin time.Time, seq uint64) Job {
	j := Job{
		ID:      uuidString(mix(r.hash, 100+seq), mix(jobHash(a.projectID), seq)),
		JobID:   a.jobParent(jobType, begin),
		JobType: jobType, DesktopID: r.id, DesktopName: r.name, UserName: r.user,
		Begin: begin, Process: -1,
	}
	if r.product != nil {
		j.ProductID = r.product.id
	}
	return j
}

// update takes a running subtask's status and progress from its desktop.
func (j *simJob) update(r *record) {
	j.Status = hwspec.JobStatusRunning
	if jobWaiting(r.task) {
		j.Status = hwspec.JobStatusWaiting
	}
	j.Process = -1
	if r.process != nullProcess {
		j.Process = int(max(0, min(100, r.process)))
	}
}

// Jobs returns the subtasks ListSubJobs serves now, newest first
// (following the fleet's tasks as a request would).
func (s *Simulator) Jobs() []Job {
	var out []Job
	s.ReadFleet(func() {
		for _, j := range s.api.jobs() {
			out = append(out, j.Job)
		}
	})
	return out
}

// subJobLimits are §4.28.2's paging rules (003 L44112-44113: limit 0 to
// 1000, default 1000) and the API's 400 answers.
func subJobLimits() simulator.Limits {
	row := hwspec.Spec.Operation(hwspec.OpListSubJobs)
	return wksLimits(0, row.MaxLimit, row.MaxLimit, "The value of limit must be between 0 and 1000.", "")
}

// listSubJobs answers ListSubJobs: the subtasks newest first, filtered by
// status (the key may repeat, 003 L44223), job_id, job_type and
// desktop_pool_id, paged, with the page fault f applied. The caller holds
// the fleet's read lock.
func (a *api) listSubJobs(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	q := r.URL.Query()
	page, e := simulator.ParsePage(q, subJobLimits())
	if e != nil {
		return e.Status, errorBody(e)
	}
	statuses, byStatus := q["status"]
	jobID, byJob := q["job_id"]
	jobType, byType := q["job_type"]
	poolID, byPool := q["desktop_pool_id"]
	var match func(*simJob) bool
	if byStatus || byJob || byType || byPool {
		match = func(j *simJob) bool {
			return (!byStatus || slices.Contains(statuses, j.Status)) && (!byJob || j.JobID == jobID[0]) &&
				(!byType || j.JobType == jobType[0]) && (!byPool || j.rec != nil && j.rec.poolID() == poolID[0])
		}
	}
	l := simulator.List[*simJob]{
		ListKey:  op.ListKey,
		TotalKey: op.TotalKey,
		Mode:     a.srv.TotalCountMode(),
		Items:    a.jobs(),
		Match:    match,
		Page:     page,
		Append:   appendJob,
		Flood:    floodJob,
		ItemSize: 480,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// jobIDPattern is what the simulator takes for a task ID.
var jobIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// showJob answers ShowJob: the task whose subtasks share the path's
// job_id, its status RUNNING while one runs or waits, FAILED when one
// failed, else SUCCESS; 404 when no subtask has that job_id, 400 when it
// is not shaped like a task ID (the simulator's choice: the document
// lists 404 and default only). The
// sub_jobs list takes the page faults. The caller holds the fleet's
// read lock.
func (a *api) showJob(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	id := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	if !jobIDPattern.MatchString(id) {
		e := &simulator.Error{Status: http.StatusBadRequest, Code: invalidParameter.Code, Message: invalidParameter.Message,
			Detail: "job_id is not a task ID."}
		return e.Status, errorBody(e)
	}
	var subs []*simJob
	for _, j := range a.jobs() {
		if j.JobID == id {
			subs = append(subs, j)
		}
	}
	if len(subs) == 0 {
		e := &simulator.Error{Status: http.StatusNotFound, Code: "WKS.0010", Message: "No resources found in the system."}
		return e.Status, errorBody(e)
	}
	slices.SortFunc(subs, func(x, y *simJob) int { return strings.Compare(x.ID, y.ID) })
	status, code, begin, end := hwspec.JobStatusSuccess, "", subs[0].Begin, subs[0].End
	for _, j := range subs {
		switch j.Status {
		case hwspec.JobStatusRunning, hwspec.JobStatusWaiting:
			status = hwspec.JobStatusRunning
		case hwspec.JobStatusFailed:
			if status != hwspec.JobStatusRunning {
				status = hwspec.JobStatusFailed
			}
			code = j.ErrorCode
		}
		if j.Begin.Before(begin) {
			begin = j.Begin
		}
		if j.End.After(end) {
			end = j.End
		}
	}
	l := simulator.List[*simJob]{
		ListKey:  op.ListKey,
		Mode:     simulator.TotalOmitted,
		Items:    subs,
		Page:     simulator.Page{Limit: len(subs)},
		Append:   appendJob,
		Flood:    floodJob,
		ItemSize: 480,
	}
	b = l.AppendTo(b, f)
	b = b[:len(b)-1] // reopen the object
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, `"id":`...)
	b = appendString(b, id)
	b = append(b, `,"job_type":`...)
	b = appendString(b, subs[0].JobType)
	b = append(b, `,"status":`...)
	b = appendString(b, status)
	b = append(b, `,"begin_time":`...)
	b = appendString(b, begin.Format(jobTimeLayout))
	if status != hwspec.JobStatusRunning {
		b = append(b, `,"end_time":`...)
		b = appendString(b, end.Format(jobTimeLayout))
	}
	if code != "" {
		b = append(b, `,"job_error_code":`...)
		b = appendString(b, code)
		b = append(b, `,"fail_reason":`...)
		b = appendString(b, jobDeleteFailedReason)
	}
	b = append(b, `,"sub_jobs_total":`...)
	b = strconv.AppendInt(b, int64(len(subs)), 10)
	return http.StatusOK, append(b, '}')
}

// appendJob appends one JobDetailInfo.
func appendJob(b []byte, j *simJob) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, j.ID)
	b = append(b, `,"job_id":`...)
	b = appendString(b, j.JobID)
	b = append(b, `,"job_type":`...)
	b = appendString(b, j.JobType)
	b = append(b, `,"status":`...)
	b = appendString(b, j.Status)
	b = append(b, `,"begin_time":`...)
	b = appendString(b, j.Begin.Format(jobTimeLayout))
	if !j.End.IsZero() {
		b = append(b, `,"end_time":`...)
		b = appendString(b, j.End.Format(jobTimeLayout))
	}
	if j.DesktopID != "" {
		b = append(b, `,"entities":{"desktop_id":`...)
		b = appendString(b, j.DesktopID)
		b = append(b, `,"desktop_name":`...)
		b = appendString(b, j.DesktopName)
		if j.UserName != "" {
			b = append(b, `,"user_name":`...)
			b = appendString(b, j.UserName)
		}
		if j.ProductID != "" {
			b = append(b, `,"product_id":`...)
			b = appendString(b, j.ProductID)
		}
		b = append(b, '}')
	}
	if j.Process >= 0 {
		b = append(b, `,"process":`...)
		b = strconv.AppendInt(b, int64(j.Process), 10)
	}
	if j.ErrorCode != "" {
		b = append(b, `,"error_code":`...)
		b = appendString(b, j.ErrorCode)
		b = append(b, `,"fail_reason":`...)
		b = appendString(b, j.FailText)
	}
	return append(b, '}')
}

// floodJob returns a copy of j whose status and job_type (the subtask's
// enum fields) are simulator.FloodPrefix followed by its id.
func floodJob(j *simJob, _ []string) *simJob {
	c := *j
	c.Status = simulator.FloodPrefix + j.ID
	c.JobType = simulator.FloodPrefix + j.ID
	return &c
}

// appendOversizedJob appends the n-th subtask of an oversized page.
func appendOversizedJob(b []byte, n int) []byte {
	b = append(b, `{"id":"oversize-`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, `","job_type":"createDesktops","status":"SUCCESS"}`...)
}
