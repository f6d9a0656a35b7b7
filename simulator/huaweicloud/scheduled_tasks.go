package huaweicloud

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file is the scheduled tasks domain (§4.20), all from the one
// fleet:
//
//   - ListScheduledTasks (§4.20.1) lists seven tasks: periodic ones (a
//     daily START of the call-center pool in Asia/Shanghai, a daily STOP
//     of the training pool in GMT+8, a disabled weekly REBOOT of three
//     desktops, a FIXED_TIME CREATE_SNAPSHOT that expired, a monthly
//     REBUILD that expires soon; the snapshot's one run failed on a
//     desktop) and two triggered ones (LIFE_CYCLE: an
//     EXECUTE_SCRIPT after each desktop creation, a HIBERNATE of
//     call-center desktops after a disconnection), the triggered ones
//     only when scheduled_type=LIFE_CYCLE is asked for (003 L37783).
//   - ShowScheduledTask (§4.20.3) adds expire_time and apply_objects.
//   - ListScheduledTaskRecords (§4.20.8) lists a task's runs, newest
//     first, at most schedHistoryMax.
//   - ListScheduledTaskRecordDetails (§4.20.9) lists a run's desktops.
//
// Tasks run on Step: a periodic task when the clock reaches its next
// execution time, a triggered one when the step saw its event (desktops
// whose creation completed, desktops that disconnected). A run takes
// the desktops of its objects as they are then (at most schedMaxDesktops)
// and decides each desktop's outcome from its state (see outcome); its
// desktops finish over schedRunSteps steps. While it runs its status is
// RUNNING (the simulator's choice: the documentation does not enumerate
// the status, L38616); then SUCCESS, FAIL (a desktop failed) or SKIP
// (all skipped, or no desktop), and the task's last_status becomes that
// status. At every moment a record's success_num, failed_num and
// skip_num are its details' finished exec_status counts.

const (
	// schedHistoryMax bounds the records kept per task.
	schedHistoryMax = 50
	// schedMaxDesktops bounds the desktops of one run.
	schedMaxDesktops = 500
	// schedRunSteps is how many steps a run takes.
	schedRunSteps = 2
	// schedTimeLayout is §4.20's time format (003 L37815).
	schedTimeLayout = "2006-01-02 15:04:05"
	// schedRunning is the status of a running record.
	schedRunning = "RUNNING"
)

// Result codes of the simulated outcomes (the simulator's choice: the
// documentation's only example is "WKS.000x", L38776).
const (
	schedCodeConflict = "WKS.0109"
	schedCodeError    = "WKS.0004"
	schedCodeState    = "WKS.0211"
	schedCodeQuota    = "WKS.0117"
)

// ScheduledDetail is one desktop of a run as the simulator serves it.
type ScheduledDetail struct {
	ID, DesktopID, DesktopName string
	// ExecStatus is SUCCESS, FAIL or SKIP once finished, RUNNING before.
	ExecStatus, ResultCode, FailReason string
}

// ScheduledRecord is one run of a task.
type ScheduledRecord struct {
	ID, Status               string
	Start                    time.Time
	Success, Failed, Skipped int
	Details                  []ScheduledDetail
}

// ScheduledTask is one task as the simulator serves it, with its runs
// newest first.
type ScheduledTask struct {
	ID, Name, TaskType, ScheduledType, LifeCycleType, TimeZone string
	Enabled                                                    bool
	LastStatus                                                 string
	Next, Expire                                               time.Time // zero when none
	ApplyObjects                                               []AuthorizedObject
	Records                                                    []ScheduledRecord
}

// schedObject is what a task applies to.
type schedObject struct {
	kind string // DESKTOP, DESKTOP_POOL, ALL_DESKTOPS
	id   string
	name string
}

type schedDetail struct {
	desktopID, desktopName string
	final, code, reason    string
}

type schedRun struct {
	id       string
	start    time.Time
	details  []schedDetail
	done     int // details finished
	stepsRun int
}

func (r *schedRun) finished() bool { return r.done >= len(r.details) && r.stepsRun >= schedRunSteps }

func (r *schedRun) status() string {
	if !r.finished() {
		return schedRunning
	}
	ok, fail, _ := r.counts()
	switch {
	case fail > 0:
		return hwspec.ScheduledStatusFail
	case ok > 0:
		return hwspec.ScheduledStatusSuccess
	}
	return hwspec.ScheduledStatusSkip
}

func (r *schedRun) counts() (ok, fail, skip int) {
	for _, d := range r.details[:r.done] {
		switch d.final {
		case hwspec.ScheduledStatusSuccess:
			ok++
		case hwspec.ScheduledStatusFail:
			fail++
		default:
			skip++
		}
	}
	return
}

type schedTask struct {
	id, name, taskType, schedType, lifeCycle, zone string
	loc                                            *time.Location
	enabled                                        bool
	period                                         time.Duration
	next, expire                                   time.Time
	objects                                        []schedObject
	lastStatus                                     string
	runs                                           []*schedRun // oldest first
	seq                                            int
}

// schedState is the scheduled tasks of one Simulator; the zero value is
// ready (primed on first use). Its own lock.
type schedState struct {
	mu        sync.Mutex
	tasks     []*schedTask
	creating  map[*record]bool
	connected map[*record]bool
}

func schedZone(name string, offset int) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.FixedZone(name, offset)
}

// prime creates the tasks and their past runs at the first look.
func (st *schedState) prime(a *api, now time.Time) {
	if st.tasks != nil {
		return
	}
	now = now.UTC().Truncate(time.Second)
	h := jobHash(a.projectID + "/scheduled")
	id := func(n uint64) string { return uuidString(mix(h, 500+n), mix(h, 600+n)) }
	var three []schedObject
	for _, r := range a.fleet.recs[:min(3, len(a.fleet.recs))] {
		three = append(three, schedObject{"DESKTOP", r.id, r.name})
	}
	cst := schedZone("Asia/Shanghai", 8*3600)
	gmt8 := time.FixedZone("GMT+8", 8*3600)
	daily := func(loc *time.Location, hour int) time.Time {
		l := now.In(loc)
		t := time.Date(l.Year(), l.Month(), l.Day(), hour, 0, 0, 0, loc)
		if !t.After(now) {
			t = t.AddDate(0, 0, 1)
		}
		return t.UTC()
	}
	st.tasks = []*schedTask{
		{id: id(1), name: "Weekday morning start", taskType: "START", schedType: "DAY", zone: "Asia/Shanghai", loc: cst, enabled: true,
			period: 24 * time.Hour, next: daily(cst, 8), objects: []schedObject{{"DESKTOP_POOL", pools[0].id, pools[0].name}}},
		{id: id(2), name: "Evening shutdown", taskType: "STOP", schedType: "DAY", zone: "GMT+8", loc: gmt8, enabled: true,
			period: 24 * time.Hour, next: daily(gmt8, 20), objects: []schedObject{{"DESKTOP_POOL", pools[1].id, pools[1].name}}},
		{id: id(3), name: "Weekly reboot", taskType: "REBOOT", schedType: "WEEK", zone: "UTC", loc: time.UTC,
			period: 7 * 24 * time.Hour, objects: three},
		{id: id(4), name: "Install agent after creation", taskType: "EXECUTE_SCRIPT", schedType: hwspec.ScheduledTypeLifeCycle,
			lifeCycle: "POST_CREATE_DESKTOP_SUCCESS", zone: "Asia/Shanghai", loc: cst, enabled: true,
			objects: []schedObject{{"ALL_DESKTOPS", "", "All desktops"}}},
		{id: id(5), name: "Hibernate when disconnected", taskType: "HIBERNATE", schedType: hwspec.ScheduledTypeLifeCycle,
			lifeCycle: "POST_DESKTOP_DISCONNECTED", zone: "GMT+08:00", loc: time.FixedZone("GMT+08:00", 8*3600), enabled: true,
			objects: []schedObject{{"DESKTOP_POOL", pools[0].id, pools[0].name}}},
		{id: id(6), name: "Year-end snapshot", taskType: "CREATE_SNAPSHOT", schedType: "FIXED_TIME", zone: "UTC", loc: time.UTC,
			enabled: true, expire: now.Add(-3 * 24 * time.Hour), objects: three},
		{id: id(7), name: "Monthly rebuild", taskType: "REBUILD", schedType: "MONTH", zone: "GMT+08:00",
			loc: time.FixedZone("GMT+08:00", 8*3600), enabled: true, period: 30 * 24 * time.Hour,
			next: now.Add(20 * 24 * time.Hour), expire: now.Add(3 * 24 * time.Hour), objects: three},
	}
	// Past runs: the daily tasks ran on each of the three days before,
	// the snapshot once ten days ago; all settled.
	for _, t := range st.tasks[:2] {
		for k := 3; k >= 1; k-- {
			st.run(a, t, t.next.Add(-time.Duration(k)*t.period), nil).finish()
		}
	}
	snap := st.run(a, st.tasks[5], now.Add(-10*24*time.Hour), nil)
	if len(snap.details) > 0 {
		// The snapshot failed on its first desktop: the quota was full.
		snap.details[0].final, snap.details[0].code, snap.details[0].reason = hwspec.ScheduledStatusFail, schedCodeQuota, "The snapshot quota is insufficient."
	}
	snap.finish()
	for _, t := range st.tasks {
		if len(t.runs) > 0 {
			t.lastStatus = t.runs[len(t.runs)-1].status()
		}
	}
	st.creating, st.connected = map[*record]bool{}, map[*record]bool{}
	st.observe(a)
}

func (r *schedRun) finish() { r.done, r.stepsRun = len(r.details), schedRunSteps }

// observe notes the fleet's creations and connections and returns the
// desktops whose creation completed and those that disconnected since
// the last look.
func (st *schedState) observe(a *api) (created, disconnected []*record) {
	live := make(map[*record]bool, len(a.fleet.recs))
	for _, r := range a.fleet.recs {
		live[r] = true
		creating := jobTypeOf(r.task) == jobCreate && r.task != ""
		switch {
		case creating:
			st.creating[r] = true
		case st.creating[r]:
			delete(st.creating, r)
			if r.task == "" {
				created = append(created, r)
			}
		}
		switch {
		case r.login == loginConnected:
			st.connected[r] = true
		case st.connected[r]:
			delete(st.connected, r)
			if r.login == loginDisconnected {
				disconnected = append(disconnected, r)
			}
		}
	}
	for r := range st.creating {
		if !live[r] {
			delete(st.creating, r)
		}
	}
	for r := range st.connected {
		if !live[r] {
			delete(st.connected, r)
		}
	}
	return created, disconnected
}

// targets are the desktops a run of t takes (only among only, when not
// nil: the triggering desktops).
func (a *api) schedTargets(t *schedTask, only []*record) []*record {
	var out []*record
	cand := a.fleet.recs
	if only != nil {
		cand = only
	}
	for _, r := range cand {
		if len(out) >= schedMaxDesktops {
			break
		}
		for _, o := range t.objects {
			if o.kind == "ALL_DESKTOPS" || o.kind == "DESKTOP" && o.id == r.id || o.kind == "DESKTOP_POOL" && r.poolID() == o.id {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// outcome is a desktop's result of a task of type typ.
func schedOutcome(typ string, r *record) (status, code, reason string) {
	busy := r.task != "" && r.task != taskDeleteFailed
	switch {
	case r.status == statusError:
		return hwspec.ScheduledStatusFail, schedCodeError, "The desktop is in the ERROR state."
	case busy:
		return hwspec.ScheduledStatusFail, schedCodeConflict, "Task conflict"
	}
	switch typ {
	case "START":
		if r.status == statusActive {
			return hwspec.ScheduledStatusSkip, schedCodeState, "The desktop is already running."
		}
	case "STOP", "HIBERNATE", "EXECUTE_SCRIPT":
		if r.status != statusActive {
			return hwspec.ScheduledStatusSkip, schedCodeState, "The desktop is not running."
		}
	}
	return hwspec.ScheduledStatusSuccess, "", ""
}

// run starts a run of t at start over its targets (or only).
func (st *schedState) run(a *api, t *schedTask, start time.Time, only []*record) *schedRun {
	t.seq++
	h := jobHash(t.id + "/" + strconv.Itoa(t.seq))
	run := &schedRun{id: uuidString(mix(h, 1), mix(h, 2)), start: start.UTC().Truncate(time.Second)}
	for _, r := range a.schedTargets(t, only) {
		s, code, reason := schedOutcome(t.taskType, r)
		run.details = append(run.details, schedDetail{desktopID: r.id, desktopName: r.name, final: s, code: code, reason: reason})
	}
	t.runs = append(t.runs, run)
	if n := len(t.runs) - schedHistoryMax; n > 0 {
		t.runs = slices.Delete(t.runs, 0, n)
	}
	return run
}

// stepScheduled advances the runs by one step and starts the runs that
// are due; the Server holds the fleet's write lock.
func (a *api) stepScheduled(now time.Time) {
	st := &a.schedSt
	st.mu.Lock()
	defer st.mu.Unlock()
	st.prime(a, now)
	now = now.UTC().Truncate(time.Second)
	for _, t := range st.tasks {
		for _, r := range t.runs {
			if r.finished() {
				continue
			}
			r.stepsRun++
			r.done = min(len(r.details), (len(r.details)*r.stepsRun+schedRunSteps-1)/schedRunSteps)
			if r.finished() {
				t.lastStatus = r.status()
			}
		}
	}
	created, disconnected := st.observe(a)
	for _, t := range st.tasks {
		if !t.enabled || !t.expire.IsZero() && !t.expire.After(now) {
			continue
		}
		switch {
		case t.lifeCycle == "POST_CREATE_DESKTOP_SUCCESS" && len(created) > 0:
			if only := a.schedTargets(t, created); len(only) > 0 {
				st.run(a, t, now, only)
			}
		case t.lifeCycle == "POST_DESKTOP_DISCONNECTED" && len(disconnected) > 0:
			if only := a.schedTargets(t, disconnected); len(only) > 0 {
				st.run(a, t, now, only)
			}
		case t.period > 0 && !t.next.IsZero() && !now.Before(t.next):
			st.run(a, t, t.next, nil)
			for !now.Before(t.next) {
				t.next = t.next.Add(t.period)
			}
		}
	}
}

// view copies t for the accessor and the handlers.
func (t *schedTask) view() ScheduledTask {
	v := ScheduledTask{ID: t.id, Name: t.name, TaskType: t.taskType, ScheduledType: t.schedType, LifeCycleType: t.lifeCycle,
		TimeZone: t.zone, Enabled: t.enabled, LastStatus: t.lastStatus, Expire: t.expire}
	if t.enabled && t.period > 0 {
		v.Next = t.next
	}
	for _, o := range t.objects {
		v.ApplyObjects = append(v.ApplyObjects, AuthorizedObject{ObjectType: o.kind, ObjectID: o.id, ObjectName: o.name})
	}
	for i := len(t.runs) - 1; i >= 0; i-- {
		r := t.runs[i]
		rec := ScheduledRecord{ID: r.id, Status: r.status(), Start: r.start}
		rec.Success, rec.Failed, rec.Skipped = r.counts()
		for k, d := range r.details {
			sd := ScheduledDetail{ID: r.id[:8] + "-" + strconv.Itoa(k), DesktopID: d.desktopID, DesktopName: d.desktopName, ExecStatus: schedRunning}
			if k < r.done {
				sd.ExecStatus, sd.ResultCode, sd.FailReason = d.final, d.code, d.reason
			}
			rec.Details = append(rec.Details, sd)
		}
		v.Records = append(v.Records, rec)
	}
	return v
}

// scheduledTasks returns the tasks' views; the caller holds the fleet
// lock (read or write).
func (a *api) scheduledTasks() ([]ScheduledTask, map[string]*time.Location) {
	st := &a.schedSt
	st.mu.Lock()
	defer st.mu.Unlock()
	st.prime(a, a.srv.Now())
	out := make([]ScheduledTask, len(st.tasks))
	locs := map[string]*time.Location{}
	for i, t := range st.tasks {
		out[i] = t.view()
		locs[t.id] = t.loc
	}
	return out, locs
}

// ScheduledTasks returns the tasks as the endpoints serve them now, with
// their runs newest first and each run's desktops.
func (s *Simulator) ScheduledTasks() []ScheduledTask {
	var out []ScheduledTask
	s.ReadFleet(func() { out, _ = s.api.scheduledTasks() })
	return out
}

func schedBad(param string, max int) *simulator.Error {
	return &simulator.Error{Status: http.StatusBadRequest, Code: "WKS.0001",
		Message: "The format of the parameters entered through the interface is invalid. " + param + " is invalid.",
		Detail:  param + " must be an integer in 0.." + strconv.Itoa(max) + "."}
}

// schedLimits are the paging rules: §4.20.1 limit 0..50 (L37778),
// §4.20.8 0..100 default 10 (L38587), §4.20.9 0..100 (L38707).
func schedLimits(op string, def int) simulator.Limits {
	m := hwspec.Spec.Operation(op).MaxLimit
	return simulator.Limits{Min: 0, Max: m, Default: def, BadOffset: schedBad("offset", m), BadLimit: schedBad("limit", m)}
}

// schedPage parses a page; mandatory offset and limit (§4.20.1, §4.20.9)
// missing are a 400.
func schedPage(r *http.Request, op string, def int, mandatory bool) (simulator.Page, *simulator.Error) {
	q := r.URL.Query()
	l := schedLimits(op, def)
	if mandatory {
		if _, ok := q["offset"]; !ok {
			return simulator.Page{}, l.BadOffset
		}
		if _, ok := q["limit"]; !ok {
			return simulator.Page{}, l.BadLimit
		}
	}
	return simulator.ParsePage(q, l)
}

func schedNotFound(what, id string) (int, []byte) {
	e := &simulator.Error{Status: http.StatusNotFound, Code: "WKS.0010", Message: "No resources found in the system.",
		Detail: what + " " + id + " does not exist."}
	return e.Status, errorBody(e)
}

// schedPath returns the path segments after /v2/{project_id}/scheduled-tasks/.
func schedPath(r *http.Request) []string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) <= 3 {
		return nil
	}
	return parts[3:]
}

// listScheduledTasks answers §4.20.1: the tasks in creation order,
// without the triggered ones unless scheduled_type=LIFE_CYCLE; the
// task_type, scheduled_type, last_status and task_name filters match
// exactly. The caller holds the fleet's read lock.
func (a *api) listScheduledTasks(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	page, e := schedPage(r, op.Name, 0, true)
	if e != nil {
		return e.Status, errorBody(e)
	}
	q := r.URL.Query()
	tasks, locs := a.scheduledTasks()
	match := func(t *ScheduledTask) bool {
		if s := q.Get("scheduled_type"); s != "" && t.ScheduledType != s ||
			s == "" && t.ScheduledType == hwspec.ScheduledTypeLifeCycle {
			return false
		}
		return (q.Get("task_type") == "" || q.Get("task_type") == t.TaskType) &&
			(q.Get("last_status") == "" || q.Get("last_status") == t.LastStatus) &&
			(q.Get("task_name") == "" || q.Get("task_name") == t.Name)
	}
	items := make([]*ScheduledTask, len(tasks))
	for i := range tasks {
		items[i] = &tasks[i]
	}
	l := simulator.List[*ScheduledTask]{
		ListKey: op.ListKey, TotalKey: op.TotalKey, Mode: a.srv.TotalCountMode(),
		Items: items, Match: match, Page: page,
		Append: func(b []byte, t *ScheduledTask) []byte { return appendScheduledTask(b, t, locs[t.ID]) },
		Flood: func(t *ScheduledTask, _ []string) *ScheduledTask {
			c := *t
			c.TaskType, c.LastStatus = simulator.FloodPrefix+t.ID, simulator.FloodPrefix+t.ID
			return &c
		},
		ItemSize: 400,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

func schedTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(schedTimeLayout)
}

func appendScheduledTask(b []byte, t *ScheduledTask, loc *time.Location) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, t.ID)
	b = append(b, `,"task_name":`...)
	b = appendString(b, t.Name)
	b = append(b, `,"task_type":`...)
	b = appendString(b, t.TaskType)
	b = append(b, `,"scheduled_type":`...)
	b = appendString(b, t.ScheduledType)
	if t.LifeCycleType != "" {
		b = append(b, `,"life_cycle_type":`...)
		b = appendString(b, t.LifeCycleType)
	}
	if t.LastStatus != "" {
		b = append(b, `,"last_status":`...)
		b = appendString(b, t.LastStatus)
	}
	if !t.Next.IsZero() {
		b = append(b, `,"next_execution_time":`...)
		b = appendString(b, schedTime(t.Next, loc))
	}
	b = append(b, `,"enable":`...)
	b = strconv.AppendBool(b, t.Enabled)
	b = append(b, `,"description":"","priority":0,"time_zone":`...)
	b = appendString(b, t.TimeZone)
	return append(b, `,"wait_time":0}`...)
}

func appendOversizedScheduledTask(b []byte, n int) []byte {
	b = append(b, `{"id":"oversize-`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, `","task_type":"START","enable":true}`...)
}

// findSched returns the task (and record) of the path, or the answer.
func (a *api) findSched(r *http.Request, wantRecord bool) (*ScheduledTask, *ScheduledRecord, *time.Location, int, []byte) {
	p := schedPath(r)
	if len(p) == 0 || !jobIDPattern.MatchString(p[0]) {
		e := &simulator.Error{Status: http.StatusBadRequest, Code: invalidParameter.Code, Message: invalidParameter.Message, Detail: "task_id is invalid."}
		return nil, nil, nil, e.Status, errorBody(e)
	}
	tasks, locs := a.scheduledTasks()
	for i := range tasks {
		t := &tasks[i]
		if t.ID != p[0] {
			continue
		}
		if !wantRecord {
			return t, nil, locs[t.ID], 0, nil
		}
		for k := range t.Records {
			if len(p) == 3 && t.Records[k].ID == p[2] {
				return t, &t.Records[k], locs[t.ID], 0, nil
			}
		}
		status, body := schedNotFound("record", p[len(p)-1])
		return nil, nil, nil, status, body
	}
	status, body := schedNotFound("scheduled task", p[0])
	return nil, nil, nil, status, body
}

// showScheduledTask answers §4.20.3.
func (a *api) showScheduledTask(_ simulator.Operation, r *http.Request, b []byte, _ *simulator.Fault) (int, []byte) {
	t, _, loc, status, body := a.findSched(r, false)
	if t == nil {
		return status, body
	}
	b = append(b, `{"id":`...)
	b = appendString(b, t.ID)
	b = append(b, `,"task_type":`...)
	b = appendString(b, t.TaskType)
	b = append(b, `,"task_name":`...)
	b = appendString(b, t.Name)
	b = append(b, `,"force_execute":false,"scheduled_type":`...)
	b = appendString(b, t.ScheduledType)
	if !t.Expire.IsZero() {
		b = append(b, `,"expire_time":`...)
		b = appendString(b, schedTime(t.Expire, loc))
	}
	b = append(b, `,"apply_objects":[`...)
	for i, o := range t.ApplyObjects {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object_id":`...)
		b = appendString(b, o.ObjectID)
		b = append(b, `,"object_type":`...)
		b = appendString(b, o.ObjectType)
		b = append(b, `,"object_name":`...)
		b = appendString(b, o.ObjectName)
		b = append(b, '}')
	}
	b = append(b, `],"time_zone":`...)
	b = appendString(b, t.TimeZone)
	return http.StatusOK, append(b, `,"wait_time":0}`...)
}

// listScheduledTaskRecords answers §4.20.8: the task's runs newest first.
func (a *api) listScheduledTaskRecords(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	page, e := schedPage(r, op.Name, 10, false)
	if e != nil {
		return e.Status, errorBody(e)
	}
	t, _, loc, status, body := a.findSched(r, false)
	if t == nil {
		return status, body
	}
	items := make([]*ScheduledRecord, len(t.Records))
	for i := range t.Records {
		items[i] = &t.Records[i]
	}
	l := simulator.List[*ScheduledRecord]{
		ListKey: op.ListKey, TotalKey: op.TotalKey, Mode: a.srv.TotalCountMode(), Items: items, Page: page,
		Append: func(b []byte, rec *ScheduledRecord) []byte { return appendScheduledRecord(b, rec, t, loc) },
		Flood: func(rec *ScheduledRecord, _ []string) *ScheduledRecord {
			c := *rec
			c.Status = simulator.FloodPrefix + rec.ID
			return &c
		},
		ItemSize: 300,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

func appendScheduledRecord(b []byte, rec *ScheduledRecord, t *ScheduledTask, loc *time.Location) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, rec.ID)
	b = append(b, `,"start_time":`...)
	b = appendString(b, schedTime(rec.Start, loc))
	b = append(b, `,"task_type":`...)
	b = appendString(b, t.TaskType)
	b = append(b, `,"scheduled_type":`...)
	b = appendString(b, t.ScheduledType)
	b = append(b, `,"status":`...)
	b = appendString(b, rec.Status)
	b = append(b, `,"success_num":`...)
	b = strconv.AppendInt(b, int64(rec.Success), 10)
	b = append(b, `,"failed_num":`...)
	b = strconv.AppendInt(b, int64(rec.Failed), 10)
	b = append(b, `,"skip_num":`...)
	b = strconv.AppendInt(b, int64(rec.Skipped), 10)
	b = append(b, `,"time_zone":`...)
	b = appendString(b, t.TimeZone)
	return append(b, '}')
}

func appendOversizedScheduledRecord(b []byte, n int) []byte {
	b = append(b, `{"id":"oversize-`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, `","status":"SUCCESS","success_num":1}`...)
}

// listScheduledTaskRecordDetails answers §4.20.9: the run's desktops.
func (a *api) listScheduledTaskRecordDetails(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	page, e := schedPage(r, op.Name, 0, true)
	if e != nil {
		return e.Status, errorBody(e)
	}
	t, rec, loc, status, body := a.findSched(r, true)
	if t == nil {
		return status, body
	}
	items := make([]*ScheduledDetail, len(rec.Details))
	for i := range rec.Details {
		items[i] = &rec.Details[i]
	}
	l := simulator.List[*ScheduledDetail]{
		ListKey: op.ListKey, TotalKey: op.TotalKey, Mode: a.srv.TotalCountMode(), Items: items, Page: page,
		Append: func(b []byte, d *ScheduledDetail) []byte {
			b = append(b, `{"id":`...)
			b = appendString(b, d.ID)
			b = append(b, `,"record_id":`...)
			b = appendString(b, rec.ID)
			b = append(b, `,"desktop_id":`...)
			b = appendString(b, d.DesktopID)
			b = append(b, `,"desktop_name":`...)
			b = appendString(b, d.DesktopName)
			b = append(b, `,"exec_status":`...)
			b = appendString(b, d.ExecStatus)
			if d.ResultCode != "" {
				b = append(b, `,"result_code":`...)
				b = appendString(b, d.ResultCode)
				b = append(b, `,"fail_reason":`...)
				b = appendString(b, d.FailReason)
			}
			b = append(b, `,"start_time":`...)
			b = appendString(b, schedTime(rec.Start, loc))
			b = append(b, `,"time_zone":`...)
			b = appendString(b, t.TimeZone)
			return append(b, '}')
		},
		Flood: func(d *ScheduledDetail, _ []string) *ScheduledDetail {
			c := *d
			c.ExecStatus = simulator.FloodPrefix + d.ID
			return &c
		},
		ItemSize: 300,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

func appendOversizedScheduledDetail(b []byte, n int) []byte {
	b = append(b, `{"id":"oversize-`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, `","desktop_id":"d","exec_status":"SUCCESS"}`...)
}
