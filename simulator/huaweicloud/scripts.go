package huaweicloud

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file is the scripts domain (§4.24.8, §4.24.9, §4.4.16), all from
// the one fleet:
//
//   - ListScriptTasks (§4.24.9) lists the script tasks: a batch run of
//     one script or command over a few of the fleet's desktops, one
//     started every scriptTaskEvery of simulated time.
//   - ListScriptRecords (§4.24.8) lists their runs, one per target
//     desktop.
//   - ListPoolScriptTasks (§4.4.16) lists the desktop-pool script tasks:
//     a run over the desktops of one of the simulator's pools, one started
//     every poolScriptTaskEvery. Their runs are not listed in §4.24.8 (the
//     document does not say whether the real API lists them there).
//
// The tasks follow the clock as the jobs follow the fleet: each request
// (and each accessor) starts the tasks whose start time has come since
// the previous one, choosing their desktops from the fleet as it is then.
// A run waits (WAITING, no times), runs (RUNNING, a start time) and ends
// (SUCCESS or FAILED, both times) at times fixed when its task starts
// (the first at least scriptFirstRunAfter after the task's start); a
// desktop that is not ACTIVE when its task starts is skipped (SKIP, when
// its run would start). A task is INIT until its first run starts or is
// skipped, RUNNING while a run waits or runs, then FAILED when no run
// succeeded and one failed, else FINISH (§4.4.16's documented values;
// §4.24.9's and §4.24.8's statuses are not enumerated, so the simulator
// borrows §4.4.16's for tasks and the §4.20.1 execution result words
// SUCCESS/SKIP plus FAILED for runs). success_num, failed_num and
// skip_num are the task's runs in those statuses at the same instant, so
// the tasks and the records always agree.
//
// execute_time_start and execute_time_end select by the task's start
// time (a record by its task's), the way the document's "all task records
// after this time" reads. The history is capped (scriptTaskHistoryMax,
// poolScriptTaskHistoryMax tasks, oldest dropped); a first request starts
// scriptInitialHistory of past tasks.

const (
	scriptTaskEvery          = 2 * time.Minute
	poolScriptTaskEvery      = 5 * time.Minute
	scriptInitialHistory     = 6 * time.Hour
	scriptTaskHistoryMax     = 1000
	poolScriptTaskHistoryMax = 300
	scriptMaxTargets         = 12
	poolScriptMaxTargets     = 30
	// scriptFirstRunAfter is how long a task waits (INIT) before its
	// first run starts.
	scriptFirstRunAfter = 10 * time.Second
	// scriptFailPercent is the share of runs that fail.
	scriptFailPercent = 7
)

// Statuses the simulator serves (see the file comment).
const (
	scriptRunWaiting = "WAITING"
	scriptRunRunning = "RUNNING"
	scriptRunSuccess = "SUCCESS"
	scriptRunFailed  = "FAILED"
	scriptRunSkip    = "SKIP"
	scriptTaskInit   = "INIT"
	scriptTaskRun    = "RUNNING"
	scriptTaskFinish = "FINISH"
	scriptTaskFailed = "FAILED"
)

// scriptDef is one script of the simulated tenant's library, or one
// command.
type scriptDef struct {
	id, name, taskType, commandType, command string
}

var scriptLibrary = []scriptDef{
	{id: "5c1f9e2a-7b3d-4e8a-9f60-1d2c3b4a5e6f", name: "update-agent", taskType: "SCRIPT"},
	{id: "8e4d2c6b-1a9f-4b7e-8c3d-2f1e0a9b8c7d", name: "clear-temp-files", taskType: "SCRIPT"},
	{id: "2a7b9c1d-3e5f-4a6b-8c9d-0e1f2a3b4c5d", name: "collect-diagnostics", taskType: "SCRIPT"},
	{taskType: "COMMAND", commandType: "POWERSHELL", command: "Get-Service WorkspaceAgent | Restart-Service"},
	{taskType: "COMMAND", commandType: "BAT", command: "ipconfig /flushdns"},
}

// The result codes of failed and skipped runs (invented: the document
// lists none).
var scriptFailures = []struct{ code, reason string }{
	{"WKS.SCRIPT.0001", "The script exited with a non-zero code."},
	{"WKS.SCRIPT.0002", "The script timed out."},
	{"WKS.SCRIPT.0003", "The desktop agent did not answer."},
}

const (
	scriptSkipCode   = "WKS.SCRIPT.0004"
	scriptSkipReason = "The desktop is not running."
)

// scriptRun is one target desktop of a task, its times fixed at the
// task's start.
type scriptRun struct {
	id, desktopID, desktopName string
	skip, fail                 bool
	failure                    int           // index in scriptFailures
	offset, duration           time.Duration // from the task's start
}

// scriptTask is one task and its runs; never changed once created.
type scriptTask struct {
	id               string
	poolID, poolName string
	script           scriptDef
	start            time.Time
	runs             []scriptRun
}

// scriptState is the scripts of one Simulator; the zero value is ready.
type scriptState struct {
	mu     sync.Mutex
	primed bool
	origin time.Time
	// next and nextPool are the slots of the next tasks to start.
	next, nextPool int64
	tasks, pool    []*scriptTask // oldest first, capped
}

// ScriptTask is one task as the simulator serves it now (§4.24.9, or
// §4.4.16 when PoolID is set).
type ScriptTask struct {
	ID, PoolID, PoolName, ScriptID, ScriptName, TaskType string
	// CommandType and CommandContent are a COMMAND task's (§4.4.16
	// serves them).
	CommandType, CommandContent string
	Status                      string
	Start, End                  time.Time // End zero until finished
	Success, Failed, Skip       int
	DesktopIDs                  []string
}

// ScriptRecord is one run as §4.24.8 serves it now.
type ScriptRecord struct {
	ID, TaskID, ScriptID, ScriptName, DesktopID, DesktopName string
	Status, ResultCode, Reason                               string
	Start, End                                               time.Time // zero when not yet
}

// slotStart is the start time of slot k of a series of period every.
func (st *scriptState) slotStart(k int64, every time.Duration, salt uint64) time.Time {
	jitter := time.Duration(mix(salt, uint64(k))%uint64(every/time.Second/2)) * time.Second
	return st.origin.Add(time.Duration(k)*every + jitter)
}

// floorSlot is the slot whose period holds t.
func (st *scriptState) floorSlot(t time.Time, every time.Duration) int64 {
	d := t.Sub(st.origin)
	k := int64(d / every)
	if d < 0 && d%every != 0 {
		k--
	}
	return k
}

// follow starts the tasks whose time has come and drops the oldest over
// the caps. The caller holds the fleet's read lock and st.mu.
func (a *api) followScripts(now time.Time) {
	st := &a.scriptSt
	salt, poolSalt := jobHash(a.projectID+"/scripts"), jobHash(a.projectID+"/pool-scripts")
	if !st.primed {
		st.origin = time.UnixMilli(a.fleet.epoch).UTC()
		st.next = st.floorSlot(now.Add(-scriptInitialHistory), scriptTaskEvery)
		st.nextPool = st.floorSlot(now.Add(-scriptInitialHistory), poolScriptTaskEvery)
		st.primed = true
	}
	// After a long pause (or a clock jump) only the newest slots start.
	if cur := st.floorSlot(now, scriptTaskEvery); cur-st.next >= scriptTaskHistoryMax {
		st.next = cur - scriptTaskHistoryMax + 1
	}
	if cur := st.floorSlot(now, poolScriptTaskEvery); cur-st.nextPool >= poolScriptTaskHistoryMax {
		st.nextPool = cur - poolScriptTaskHistoryMax + 1
	}
	for start := st.slotStart(st.next, scriptTaskEvery, salt); !start.After(now); start = st.slotStart(st.next, scriptTaskEvery, salt) {
		if t := a.newScriptTask(mix(salt, uint64(st.next)), start, nil); t != nil {
			st.tasks = append(st.tasks, t)
		}
		st.next++
	}
	for start := st.slotStart(st.nextPool, poolScriptTaskEvery, poolSalt); !start.After(now); start = st.slotStart(st.nextPool, poolScriptTaskEvery, poolSalt) {
		h := mix(poolSalt, uint64(st.nextPool))
		if t := a.newScriptTask(h, start, pools[mix(h, 7)%uint64(len(pools))]); t != nil {
			st.pool = append(st.pool, t)
		}
		st.nextPool++
	}
	if n := len(st.tasks) - scriptTaskHistoryMax; n > 0 {
		st.tasks = slices.Delete(st.tasks, 0, n)
	}
	if n := len(st.pool) - poolScriptTaskHistoryMax; n > 0 {
		st.pool = slices.Delete(st.pool, 0, n)
	}
}

// newScriptTask starts a task at start over a few of the fleet's
// desktops (p nil) or of pool p's; nil when there is none.
func (a *api) newScriptTask(h uint64, start time.Time, p *pool) *scriptTask {
	var cands []*record
	limit := scriptMaxTargets
	if p == nil {
		cands = a.fleet.recs
	} else {
		limit = poolScriptMaxTargets
		for _, r := range a.fleet.recs {
			if r.poolID() == p.id {
				cands = append(cands, r)
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	t := &scriptTask{id: uuidString(mix(h, 3), mix(h, 4)), start: start}
	t.script = scriptLibrary[mix(h, 2)%uint64(len(scriptLibrary))]
	if p != nil {
		t.poolID, t.poolName = p.id, p.name
		if p.image.linux && t.script.taskType == "COMMAND" {
			t.script = scriptDef{taskType: "COMMAND", commandType: "SHELL", command: "systemctl restart workspace-agent"}
		}
	}
	n := min(len(cands), 1+int(mix(h, 5)%uint64(limit)))
	first := int(mix(h, 6) % uint64(len(cands)))
	for j := range n {
		r := cands[(first+j)%len(cands)]
		k := uint64(j)
		run := scriptRun{
			id:        uuidString(mix(h, 100+k), mix(h, 200+k)),
			desktopID: r.id, desktopName: r.name,
			skip:     r.status != statusActive,
			offset:   scriptFirstRunAfter + time.Duration(3*j)*time.Second + time.Duration(mix(h, 300+k)%20)*time.Second,
			duration: 15*time.Second + time.Duration(mix(h, 400+k)%150)*time.Second,
		}
		if v := mix(h, 500+k); v%100 < scriptFailPercent {
			run.fail, run.failure = true, int(v/100%uint64(len(scriptFailures)))
		}
		t.runs = append(t.runs, run)
	}
	return t
}

// status is run's status at now, with its times (zero when not yet).
func (t *scriptTask) runStatus(run *scriptRun, now time.Time) (status string, start, end time.Time) {
	start = t.start.Add(run.offset)
	switch {
	case now.Before(start):
		return scriptRunWaiting, time.Time{}, time.Time{}
	case run.skip:
		return scriptRunSkip, start, start
	case now.Before(start.Add(run.duration)):
		return scriptRunRunning, start, time.Time{}
	case run.fail:
		return scriptRunFailed, start, start.Add(run.duration)
	}
	return scriptRunSuccess, start, start.Add(run.duration)
}

// view is t as served at now.
func (t *scriptTask) view(now time.Time) ScriptTask {
	v := ScriptTask{ID: t.id, PoolID: t.poolID, PoolName: t.poolName, ScriptID: t.script.id, ScriptName: t.script.name,
		TaskType: t.script.taskType, CommandType: t.script.commandType, CommandContent: t.script.command,
		Start: t.start, DesktopIDs: make([]string, 0, len(t.runs))}
	waiting, running := 0, 0
	var end time.Time
	for i := range t.runs {
		v.DesktopIDs = append(v.DesktopIDs, t.runs[i].desktopID)
		status, _, e := t.runStatus(&t.runs[i], now)
		switch status {
		case scriptRunWaiting:
			waiting++
		case scriptRunRunning:
			running++
		case scriptRunSuccess:
			v.Success++
		case scriptRunFailed:
			v.Failed++
		case scriptRunSkip:
			v.Skip++
		}
		if e.After(end) {
			end = e
		}
	}
	switch {
	case waiting == len(t.runs):
		v.Status = scriptTaskInit
	case waiting+running > 0:
		v.Status = scriptTaskRun
	case v.Failed > 0 && v.Success == 0:
		v.Status, v.End = scriptTaskFailed, end
	default:
		v.Status, v.End = scriptTaskFinish, end
	}
	return v
}

// record is run i of t as served at now.
func (t *scriptTask) record(i int, now time.Time) ScriptRecord {
	run := &t.runs[i]
	status, start, end := t.runStatus(run, now)
	rec := ScriptRecord{ID: run.id, TaskID: t.id, ScriptID: t.script.id, ScriptName: t.script.name,
		DesktopID: run.desktopID, DesktopName: run.desktopName, Status: status, Start: start, End: end}
	switch status {
	case scriptRunFailed:
		rec.ResultCode, rec.Reason = scriptFailures[run.failure].code, scriptFailures[run.failure].reason
	case scriptRunSkip:
		rec.ResultCode, rec.Reason = scriptSkipCode, scriptSkipReason
	}
	return rec
}

// scriptsNow follows the clock and returns the tasks (pool false) or the
// pool tasks, newest first, and the instant they are served at. The
// caller holds the fleet's read lock.
func (a *api) scriptsNow(pool bool) ([]*scriptTask, time.Time) {
	now := a.srv.Now().UTC().Truncate(time.Second)
	st := &a.scriptSt
	st.mu.Lock()
	defer st.mu.Unlock()
	a.followScripts(now)
	src := st.tasks
	if pool {
		src = st.pool
	}
	out := make([]*scriptTask, 0, len(src))
	for i := len(src) - 1; i >= 0; i-- {
		out = append(out, src[i])
	}
	return out, now
}

// ScriptTasks returns the script tasks ListScriptTasks serves now, newest
// first (following the clock as a request would).
func (s *Simulator) ScriptTasks() []ScriptTask { return s.scriptTasks(false) }

// PoolScriptTasks returns the desktop-pool script tasks
// ListPoolScriptTasks serves now, newest first.
func (s *Simulator) PoolScriptTasks() []ScriptTask { return s.scriptTasks(true) }

func (s *Simulator) scriptTasks(pool bool) []ScriptTask {
	var out []ScriptTask
	s.ReadFleet(func() {
		tasks, now := s.api.scriptsNow(pool)
		for _, t := range tasks {
			out = append(out, t.view(now))
		}
	})
	return out
}

// ScriptRecords returns the runs ListScriptRecords serves now, newest
// task first, in each task in target order.
func (s *Simulator) ScriptRecords() []ScriptRecord {
	var out []ScriptRecord
	s.ReadFleet(func() {
		tasks, now := s.api.scriptsNow(false)
		for _, t := range tasks {
			for i := range t.runs {
				out = append(out, t.record(i, now))
			}
		}
	})
	return out
}

// scriptLimits are the paging rules of op (§4.24.8, §4.24.9: limit 1 to
// 100, default 10, 003 L42327, L42492; §4.4.16: 0 to 100, default 10,
// L14434) and the API's 400 answers.
func scriptLimits(op string) simulator.Limits {
	lo := 1
	if op == hwspec.OpListPoolScriptTasks {
		lo = 0
	}
	return wksLimits(lo, hwspec.Spec.Operation(op).MaxLimit, 10, "The value of limit must be between "+strconv.Itoa(lo)+" and 100.", "")
}

// badScriptQuery is the 400 answer to a filter the API would refuse.
func badScriptQuery(detail string) (int, []byte) {
	e := &simulator.Error{Status: http.StatusBadRequest, Code: invalidParameter.Code, Message: invalidParameter.Message, Detail: detail}
	return e.Status, errorBody(e)
}

// scriptFilter reads the filters the three lists share: the
// execute_time window (each bound optional, "2021-10-01T12:00:00Z") and
// task_type (SCRIPT or COMMAND). ok is false with the 400 answer.
func scriptFilter(q map[string][]string) (match func(*scriptTask) bool, status int, body []byte) {
	var from, to time.Time
	for key, t := range map[string]*time.Time{"execute_time_start": &from, "execute_time_end": &to} {
		v, given := q[key]
		if !given {
			continue
		}
		p, err := time.Parse(time.RFC3339, v[0])
		if err != nil {
			status, body = badScriptQuery(key + " must be formatted as 2021-10-01T12:00:00Z.")
			return nil, status, body
		}
		*t = p
	}
	typ, byType := q["task_type"]
	if byType && typ[0] != "SCRIPT" && typ[0] != "COMMAND" {
		status, body = badScriptQuery("task_type must be SCRIPT or COMMAND.")
		return nil, status, body
	}
	return func(t *scriptTask) bool {
		return (from.IsZero() || !t.start.Before(from)) && (to.IsZero() || !t.start.After(to)) &&
			(!byType || t.script.taskType == typ[0])
	}, 0, nil
}

// listScriptTasks answers ListScriptTasks and ListPoolScriptTasks: the
// tasks newest first, filtered by the execute_time window, task_type,
// status, task_id (repeatable) and desktop_pool_id (§4.4.16), paged, with
// the page fault f applied. The caller holds the fleet's read lock.
func (a *api) listScriptTasks(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	q := r.URL.Query()
	page, e := simulator.ParsePage(q, scriptLimits(op.Name))
	if e != nil {
		return e.Status, errorBody(e)
	}
	base, status, body := scriptFilter(q)
	if status != 0 {
		return status, body
	}
	pool := op.Name == hwspec.OpListPoolScriptTasks
	tasks, now := a.scriptsNow(pool)
	views := make([]ScriptTask, len(tasks))
	keep := make([]bool, len(tasks))
	statuses, byStatus := q["status"]
	ids, byID := q["task_id"]
	poolID, byPool := q["desktop_pool_id"]
	for i, t := range tasks {
		views[i] = t.view(now)
		keep[i] = base(t) && (!byStatus || views[i].Status == statuses[0]) && (!byID || slices.Contains(ids, t.id)) &&
			(!byPool || t.poolID == poolID[0])
	}
	items := make([]*ScriptTask, 0, len(views))
	for i := range views {
		if keep[i] {
			items = append(items, &views[i])
		}
	}
	appendTask := appendScriptTask
	if pool {
		appendTask = appendPoolScriptTask
	}
	l := simulator.List[*ScriptTask]{
		ListKey:  op.ListKey,
		TotalKey: op.TotalKey,
		Mode:     a.srv.TotalCountMode(),
		Items:    items,
		Page:     page,
		Append:   appendTask,
		Flood:    floodScriptTask,
		ItemSize: 420,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// listScriptRecords answers ListScriptRecords: the runs of the tasks
// newest first, filtered by their task's execute_time window and
// task_type, by status and script_task_id, paged, with the page fault f
// applied. The caller holds the fleet's read lock.
func (a *api) listScriptRecords(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	q := r.URL.Query()
	page, e := simulator.ParsePage(q, scriptLimits(op.Name))
	if e != nil {
		return e.Status, errorBody(e)
	}
	base, status, body := scriptFilter(q)
	if status != 0 {
		return status, body
	}
	statuses, byStatus := q["status"]
	taskID, byTask := q["script_task_id"]
	tasks, now := a.scriptsNow(false)
	var items []*ScriptRecord
	for _, t := range tasks {
		if !base(t) || byTask && t.id != taskID[0] {
			continue
		}
		for i := range t.runs {
			rec := t.record(i, now)
			if !byStatus || rec.Status == statuses[0] {
				items = append(items, &rec)
			}
		}
	}
	l := simulator.List[*ScriptRecord]{
		ListKey:  op.ListKey,
		TotalKey: op.TotalKey,
		Mode:     a.srv.TotalCountMode(),
		Items:    items,
		Page:     page,
		Append:   appendScriptRecord,
		Flood:    floodScriptRecord,
		ItemSize: 480,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// scriptTimeLayout is the DateTime of §4.24.8's and §4.24.9's examples
// (003 L42438, L42615: "2024-12-25T07:11:02.540Z").
const scriptTimeLayout = "2006-01-02T15:04:05.000Z"

// poolScriptTimeLayout is §4.4.16's "yyyy-MM-ddTHH:mm:ssZ" (Table 4-866).
const poolScriptTimeLayout = "2006-01-02T15:04:05Z"

func appendOptTime(b []byte, key string, t time.Time, layout string) []byte {
	if t.IsZero() {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":`...)
	return appendString(b, t.Format(layout))
}

// appendScriptTask appends one §4.24.9 ScriptTaskInfo.
func appendScriptTask(b []byte, t *ScriptTask) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, t.ID)
	b = append(b, `,"task_scripts":[`...)
	if t.ScriptID != "" {
		b = append(b, `{"id":`...)
		b = appendString(b, t.ScriptID)
		b = append(b, `,"name":`...)
		b = appendString(b, t.ScriptName)
		b = append(b, '}')
	}
	b = append(b, `],"resource_type":"DESKTOP","resource_ids":[`...)
	for i, id := range t.DesktopIDs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, id)
	}
	b = append(b, `],"gray_resource_ids":[]`...)
	b = appendScriptNums(b, t)
	b = appendOptTime(b, "start_time", t.Start, scriptTimeLayout)
	b = appendOptTime(b, "end_time", t.End, scriptTimeLayout)
	b = append(b, `,"status":`...)
	b = appendString(b, t.Status)
	return append(b, '}')
}

func appendScriptNums(b []byte, t *ScriptTask) []byte {
	b = append(b, `,"success_num":`...)
	b = strconv.AppendInt(b, int64(t.Success), 10)
	b = append(b, `,"failed_num":`...)
	b = strconv.AppendInt(b, int64(t.Failed), 10)
	b = append(b, `,"skip_num":`...)
	return strconv.AppendInt(b, int64(t.Skip), 10)
}

// appendPoolScriptTask appends one §4.4.16 ScriptExecutionTask.
func appendPoolScriptTask(b []byte, t *ScriptTask) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, t.ID)
	b = append(b, `,"desktop_pool_id":`...)
	b = appendString(b, t.PoolID)
	b = append(b, `,"desktop_pool_name":`...)
	b = appendString(b, t.PoolName)
	b = append(b, `,"scripts":[`...)
	if t.ScriptID != "" {
		b = append(b, `{"id":`...)
		b = appendString(b, t.ScriptID)
		b = append(b, `,"name":`...)
		b = appendString(b, t.ScriptName)
		b = append(b, '}')
	}
	b = append(b, ']')
	if t.CommandType != "" {
		b = append(b, `,"command_content":`...)
		b = appendString(b, t.CommandContent)
		b = append(b, `,"command_type":`...)
		b = appendString(b, t.CommandType)
	}
	b = appendOptTime(b, "start_time", t.Start, poolScriptTimeLayout)
	b = appendOptTime(b, "end_time", t.End, poolScriptTimeLayout)
	b = append(b, `,"status":`...)
	b = appendString(b, t.Status)
	b = appendScriptNums(b, t)
	return append(b, '}')
}

// appendScriptRecord appends one §4.24.8 ScriptRecordSimpleInfo.
func appendScriptRecord(b []byte, r *ScriptRecord) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"script_id":`...)
	b = appendString(b, r.ScriptID)
	b = append(b, `,"script_name":`...)
	b = appendString(b, r.ScriptName)
	b = append(b, `,"script_task_id":`...)
	b = appendString(b, r.TaskID)
	b = append(b, `,"resource_id":`...)
	b = appendString(b, r.DesktopID)
	b = append(b, `,"resource_name":`...)
	b = appendString(b, r.DesktopName)
	b = append(b, `,"resource_type":"DESKTOP"`...)
	b = appendOptTime(b, "start_time", r.Start, scriptTimeLayout)
	b = appendOptTime(b, "end_time", r.End, scriptTimeLayout)
	b = append(b, `,"status":`...)
	b = appendString(b, r.Status)
	b = append(b, `,"execute_order":0`...)
	if r.ResultCode != "" {
		b = append(b, `,"result_code":`...)
		b = appendString(b, r.ResultCode)
		b = append(b, `,"reason":`...)
		b = appendString(b, r.Reason)
	}
	return append(b, '}')
}

// floodScriptTask returns a copy of t whose status (the task's enum
// field) is simulator.FloodPrefix followed by its id.
func floodScriptTask(t *ScriptTask, _ []string) *ScriptTask {
	c := *t
	c.Status = simulator.FloodPrefix + t.ID
	return &c
}

// floodScriptRecord returns a copy of r whose status and result_code
// are simulator.FloodPrefix followed by its id.
func floodScriptRecord(r *ScriptRecord, _ []string) *ScriptRecord {
	c := *r
	c.Status = simulator.FloodPrefix + r.ID
	c.ResultCode = simulator.FloodPrefix + r.ID
	return &c
}

// appendOversizedScriptTask appends the n-th task of an oversized page.
func appendOversizedScriptTask(b []byte, n int) []byte {
	b = append(b, `{"id":"oversize-`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, `","status":"FINISH","success_num":1}`...)
}

// appendOversizedScriptRecord appends the n-th record of an oversized
// page.
func appendOversizedScriptRecord(b []byte, n int) []byte {
	b = append(b, `{"id":"oversize-`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, `","status":"SUCCESS"}`...)
}
