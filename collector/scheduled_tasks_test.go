package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// fakeSched is a model.ScheduledTaskReader whose tasks, records and
// details the test sets; it records the detail calls.
type fakeSched struct {
	mu       sync.Mutex
	tasks    []model.ScheduledTask
	details  map[string]model.ScheduledTaskDetail
	records  map[string][]model.ScheduledTaskRecord
	rdetails map[string][]model.ScheduledTaskRecordDetail // task/record
	recErr   error
	shown    []string
	read     []string
}

func (f *fakeSched) ListScheduledTasks(context.Context) ([]model.ScheduledTask, model.ListStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]model.ScheduledTask(nil), f.tasks...), model.ListStats{Requests: 2}, nil
}

func (f *fakeSched) ShowScheduledTask(_ context.Context, id string) (model.ScheduledTaskDetail, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shown = append(f.shown, id)
	d, ok := f.details[id]
	return d, ok, nil
}

func (f *fakeSched) ListScheduledTaskRecords(_ context.Context, id string) ([]model.ScheduledTaskRecord, model.ListStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.recErr != nil {
		return nil, model.ListStats{}, f.recErr
	}
	rs, ok := f.records[id]
	if !ok {
		return nil, model.ListStats{}, fmt.Errorf("gone: %w", model.ErrScheduledTaskNotFound)
	}
	return append([]model.ScheduledTaskRecord(nil), rs...), model.ListStats{Requests: 1}, nil
}

func (f *fakeSched) ListScheduledTaskRecordDetails(_ context.Context, task, rec string) ([]model.ScheduledTaskRecordDetail, model.ListStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.read = append(f.read, task+"/"+rec)
	return f.rdetails[task+"/"+rec], model.ListStats{Requests: 1}, nil
}

func (f *fakeSched) set(fn func(f *fakeSched))                 { f.mu.Lock(); fn(f); f.mu.Unlock() }
func (f *fakeSched) Operations() []string                      { return nil }
func (f *fakeSched) Documented(field string) []string          { return hwspec.Spec.Enums[field] }
func (f *fakeSched) SetCredentials(provider.Credentials) error { return nil }
func (f *fakeSched) Close()                                    {}

type schedRig struct {
	api     *fakeSched
	clock   *loginsClock
	refresh RefreshFunc
	logs    *lockedBuffer
}

func newSchedRig(t *testing.T, o *ScheduledTasksOptions) *schedRig {
	t.Helper()
	r := &schedRig{api: &fakeSched{details: map[string]model.ScheduledTaskDetail{}, records: map[string][]model.ScheduledTaskRecord{},
		rdetails: map[string][]model.ScheduledTaskRecordDetail{}}, clock: &loginsClock{t: loginsT0}, logs: &lockedBuffer{}}
	logger := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	if r.refresh, err = newScheduledTasksCollector(r.api, o, logger, r.clock.now); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *schedRig) mustSnap(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	s, err := r.refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return renderSnapshot(t, s)
}

func stask(id, typ string) model.ScheduledTask {
	return model.ScheduledTask{ID: id, PathSafe: true, Name: "task " + id, TaskType: typ, ScheduledType: "DAY", Enabled: true}
}

func srec(id, status string, ok, fail, skip int64) model.ScheduledTaskRecord {
	return model.ScheduledTaskRecord{ID: id, PathSafe: true, Status: status, Start: loginsT0.Add(-time.Hour), Success: ok, Failed: fail, Skipped: skip}
}

func schedRuns(mfs map[string]*dto.MetricFamily, typ, status string) float64 {
	return loginValue(mfs, "workspace_scheduled_task_runs_total", "task_type="+typ, "status="+status)
}

// The first refresh primes; each settled record is counted once (runs,
// desktops, failures by result code), however often it is listed; a
// running record is counted when it settles; a record with failures
// waits for its details when max_record_detail_calls is spent, and is
// then counted once as a whole.
func TestScheduledTasksCountedOnce(t *testing.T) {
	r := newSchedRig(t, &ScheduledTasksOptions{MaxTasks: 10, MaxRecords: 1000, MaxTaskSeries: 5, MaxTaskDetailCalls: 5,
		TaskDetailsTTL: config.Duration(time.Hour), MaxRecordDetailCalls: 1, SettleAfter: config.Duration(6 * time.Hour),
		ExpiringWithin: config.Duration(24 * time.Hour)})
	r.api.set(func(f *fakeSched) {
		f.tasks = []model.ScheduledTask{stask("a", "START"), stask("b", "STOP")}
		f.records["a"] = []model.ScheduledTaskRecord{srec("old", "SUCCESS", 3, 0, 0)}
		f.records["b"] = nil
	})
	mfs := r.mustSnap(t)
	if schedRuns(mfs, "START", "SUCCESS") != 0 || schedRuns(mfs, "CREATE_SNAPSHOT", "FAIL") != 0 {
		t.Fatal("priming counted, or documented series missing")
	}
	r.api.set(func(f *fakeSched) {
		f.records["a"] = append(f.records["a"], srec("r1", "SUCCESS", 2, 0, 1), srec("run", "RUNNING", 1, 0, 0))
		f.records["b"] = []model.ScheduledTaskRecord{srec("f1", "FAIL", 1, 2, 0), srec("f2", "FAIL", 0, 1, 0)}
		f.rdetails["b/f1"] = []model.ScheduledTaskRecordDetail{{ID: "1", ExecStatus: "SUCCESS"},
			{ID: "2", ExecStatus: "FAIL", ResultCode: "WKS.0109", Failed: true}, {ID: "3", ExecStatus: "FAIL", ResultCode: "WKS.0004", Failed: true}}
		f.rdetails["b/f2"] = []model.ScheduledTaskRecordDetail{{ID: "4", ExecStatus: "FAIL", ResultCode: "WKS.0109", Failed: true}}
	})
	mfs = r.mustSnap(t)
	if got := schedRuns(mfs, "STOP", "FAIL"); got != 1 {
		t.Errorf("first refresh: STOP FAIL = %v, want 1 (the other waits for its details)", got)
	}
	for range 3 {
		r.clock.advance(time.Minute)
		r.mustSnap(t)
	}
	r.api.set(func(f *fakeSched) { f.records["a"][2].Status = "SUCCESS" })
	r.mustSnap(t)
	mfs = r.mustSnap(t)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"workspace_scheduled_task_runs_total", []string{"task_type=START", "status=SUCCESS"}, 2},
		{"workspace_scheduled_task_runs_total", []string{"task_type=STOP", "status=FAIL"}, 2},
		{"workspace_scheduled_task_run_desktops_total", []string{"task_type=START", "result=success"}, 3},
		{"workspace_scheduled_task_run_desktops_total", []string{"task_type=START", "result=skip"}, 1},
		{"workspace_scheduled_task_run_desktops_total", []string{"task_type=STOP", "result=failed"}, 3},
		{"workspace_scheduled_task_desktop_failures_total", []string{"result_code=WKS.0109"}, 2},
		{"workspace_scheduled_task_desktop_failures_total", []string{"result_code=WKS.0004"}, 1},
		{"workspace_scheduled_task_latest_run_failures", []string{"result_code=WKS.0109"}, 1},
	} {
		if got := loginValue(mfs, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := strings.Count(strings.Join(r.api.read, ","), "b/f"); n != 2 {
		t.Errorf("record details read %d times (%v), want once each", n, r.api.read)
	}
}

// A failed refresh commits nothing; a record whose status is not a
// documented one counts once it started settle_after ago; a task gone
// between the listing and its records is skipped.
func TestScheduledTasksFailedRefreshAndSettle(t *testing.T) {
	r := newSchedRig(t, nil)
	r.api.set(func(f *fakeSched) {
		f.tasks = []model.ScheduledTask{stask("a", "REBOOT"), stask("gone", "STOP")}
		f.records["a"] = nil
	})
	r.mustSnap(t)
	odd := srec("x", "PARTIAL", 1, 0, 0)
	odd.Start = loginsT0.Add(-time.Hour)
	r.api.set(func(f *fakeSched) {
		f.records["a"] = []model.ScheduledTaskRecord{srec("y", "SUCCESS", 1, 0, 0), odd}
		f.recErr = errors.New("boom")
	})
	if _, err := r.refresh(context.Background()); err == nil {
		t.Fatal("no error")
	}
	r.api.set(func(f *fakeSched) { f.recErr = nil })
	mfs := r.mustSnap(t)
	if schedRuns(mfs, "REBOOT", "SUCCESS") != 1 || !math.IsNaN(schedRuns(mfs, "REBOOT", "PARTIAL")) {
		t.Errorf("SUCCESS %v, PARTIAL %v", schedRuns(mfs, "REBOOT", "SUCCESS"), schedRuns(mfs, "REBOOT", "PARTIAL"))
	}
	r.clock.advance(6 * time.Hour)
	r.mustSnap(t)
	mfs = r.mustSnap(t)
	if schedRuns(mfs, "REBOOT", "SUCCESS") != 1 || schedRuns(mfs, "REBOOT", "PARTIAL") != 1 {
		t.Errorf("after settle_after: SUCCESS %v, PARTIAL %v", schedRuns(mfs, "REBOOT", "SUCCESS"), schedRuns(mfs, "REBOOT", "PARTIAL"))
	}
}

// Gauges: tasks by type, status and enabled with every documented value;
// expired and expiring enabled tasks from the (cached, bounded) details;
// per-task series bounded, FAIL first; a task whose next execution time
// is unknown has no timestamp series; too many tasks fail the refresh.
func TestScheduledTasksGauges(t *testing.T) {
	r := newSchedRig(t, &ScheduledTasksOptions{MaxTasks: 4, MaxRecords: 1000, MaxTaskSeries: 2, MaxTaskDetailCalls: 2,
		TaskDetailsTTL: config.Duration(time.Hour), MaxRecordDetailCalls: 0, SettleAfter: config.Duration(6 * time.Hour),
		ExpiringWithin: config.Duration(48 * time.Hour)})
	a, b, c := stask("a", "START"), stask("b", "STOP"), stask("c", "REBUILD")
	a.NextExecution = loginsT0.Add(time.Hour)
	b.LastStatus, b.LastFailed, c.Enabled = "FAIL", true, false
	r.api.set(func(f *fakeSched) {
		f.tasks = []model.ScheduledTask{a, b, c}
		f.records = map[string][]model.ScheduledTaskRecord{"a": nil, "b": nil, "c": nil}
		f.details["a"] = model.ScheduledTaskDetail{ID: "a", Expire: loginsT0.Add(-time.Hour), ApplyObjects: 2}
		f.details["b"] = model.ScheduledTaskDetail{ID: "b", Expire: loginsT0.Add(24 * time.Hour)}
		f.details["c"] = model.ScheduledTaskDetail{ID: "c", Expire: loginsT0.Add(-time.Hour)}
	})
	r.mustSnap(t)
	if len(r.api.shown) != 2 {
		t.Errorf("%d detail calls, want 2 (max_task_detail_calls)", len(r.api.shown))
	}
	mfs := r.mustSnap(t)
	if len(r.api.shown) != 3 {
		t.Errorf("%d detail calls after two refreshes, want 3 (cached)", len(r.api.shown))
	}
	if n := len(mfs["workspace_scheduled_tasks"].GetMetric()); n != 7*4*2 {
		t.Errorf("%d workspace_scheduled_tasks series, want 7 types × (3 statuses + unknown) × 2 = 56", n)
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"workspace_scheduled_tasks", []string{"task_type=STOP", "last_status=FAIL", "enabled=true"}, 1},
		{"workspace_scheduled_tasks", []string{"task_type=REBUILD", "last_status=unknown", "enabled=false"}, 1},
		{"workspace_scheduled_tasks_by_schedule", []string{"scheduled_type=DAY", "enabled=true"}, 2},
		{"workspace_scheduled_tasks_by_schedule", []string{"scheduled_type=LIFE_CYCLE", "enabled=true"}, 0},
		{"workspace_scheduled_tasks_expired", nil, 1},
		{"workspace_scheduled_tasks_expiring", nil, 1},
		{"workspace_scheduled_task_info", []string{"task_id=b", "last_status=FAIL", "task_name=task b"}, 1},
		{"workspace_scheduled_task_next_execution_timestamp_seconds", []string{"task_id=a"}, float64(a.NextExecution.Unix())},
		{"workspace_scheduled_task_apply_objects", []string{"task_id=a"}, 2},
	} {
		if got := loginValue(mfs, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := len(mfs["workspace_scheduled_task_info"].GetMetric()); n != 2 {
		t.Errorf("%d per-task series, want 2", n)
	}
	if !math.IsNaN(loginValue(mfs, "workspace_scheduled_task_next_execution_timestamp_seconds", "task_id=b")) {
		t.Error("a next execution time without one")
	}
	if len(r.api.read) != 0 {
		t.Error("record details read with max_record_detail_calls 0")
	}
	r.api.set(func(f *fakeSched) {
		for i := range 2 {
			f.tasks = append(f.tasks, stask(fmt.Sprint("x", i), "STOP"))
		}
	})
	if _, err := r.refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "max_tasks") {
		t.Errorf("%v", err)
	}
}

// The options are validated with the configuration.
func TestScheduledTasksOptionsValidation(t *testing.T) {
	checkCollectorOptions(t, "scheduled_tasks", map[string]string{
		`{}`: "",
		`{task_details_ttl: 2h, settle_after: 1h, max_task_series: 0}`: "",
		`{max_tasks: 0}`:     "max_tasks",
		`{max_records: 10}`:  "max_records",
		`{settle_after: 1m}`: "settle_after",
		`{unknown_key: 1}`:   "unknown_key",
	}, nil)
}

// Through the signed client against the simulator: the first refresh
// calls all four operations (the latest failed run's details included)
// and counts nothing; over steps the counters equal the simulator's own
// view (records settled since the first refresh: runs by type and
// status, desktops by result, failed desktops by result code from the
// details), each counted once across two refreshes a step; the tasks
// gauge equals the simulator's tasks, both listings merged.
func TestScheduledTasksAgainstSimulator(t *testing.T) {
	sim, url := startSim(t, 800)
	cl, err := huaweicloud.New(huaweicloud.Config{Endpoint: url, ProjectID: benchProject, AccessKey: benchAK, SecretKey: benchSK})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	refresh, err := newScheduledTasksCollector(cl, nil, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{hwspec.OpListScheduledTasks, hwspec.OpShowScheduledTask, hwspec.OpListScheduledTaskRecords, hwspec.OpListScheduledTaskRecordDetails} {
		if sim.Requests(op) == 0 {
			t.Errorf("the first refresh did not call %s", op)
		}
	}
	before := map[string]bool{}
	for _, tk := range sim.ScheduledTasks() {
		for _, r := range tk.Records {
			if r.Status != "RUNNING" {
				before[tk.ID+"/"+r.ID] = true
			}
		}
	}
	for range 12 {
		sim.Step()
		for range 2 {
			if s, err = refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	mfs := renderSnapshot(t, s)
	runs, desks, fails := map[[2]string]float64{}, map[[2]string]float64{}, map[string]float64{}
	gauge := map[[3]string]float64{}
	tasks := sim.ScheduledTasks()
	for _, tk := range tasks {
		ls := tk.LastStatus
		if ls == "" {
			ls = "unknown"
		}
		gauge[[3]string{tk.TaskType, ls, fmt.Sprint(tk.Enabled)}]++
		for _, r := range tk.Records {
			if r.Status == "RUNNING" || before[tk.ID+"/"+r.ID] {
				continue
			}
			runs[[2]string{tk.TaskType, r.Status}]++
			desks[[2]string{tk.TaskType, "success"}] += float64(r.Success)
			desks[[2]string{tk.TaskType, "failed"}] += float64(r.Failed)
			desks[[2]string{tk.TaskType, "skip"}] += float64(r.Skipped)
			for _, d := range r.Details {
				if d.ExecStatus == "FAIL" {
					fails[d.ResultCode]++
				}
			}
		}
	}
	if len(runs) == 0 {
		t.Fatal("nothing ran in 12 steps")
	}
	for k, n := range gauge {
		if got := loginValue(mfs, "workspace_scheduled_tasks", "task_type="+k[0], "last_status="+k[1], "enabled="+k[2]); got != n {
			t.Errorf("workspace_scheduled_tasks%v = %v, want %v", k, got, n)
		}
	}
	sum := func(name string) (s float64) {
		for _, m := range mfs[name].GetMetric() {
			s += m.GetCounter().GetValue()
		}
		return s
	}
	var wantRuns, wantDesks, wantFails float64
	for k, n := range runs {
		wantRuns += n
		if got := schedRuns(mfs, k[0], k[1]); got != n {
			t.Errorf("runs %v = %v, want %v", k, got, n)
		}
	}
	for k, n := range desks {
		wantDesks += n
		if got := loginValue(mfs, "workspace_scheduled_task_run_desktops_total", "task_type="+k[0], "result="+k[1]); got != n {
			t.Errorf("desktops %v = %v, want %v", k, got, n)
		}
	}
	for k, n := range fails {
		wantFails += n
		if got := loginValue(mfs, "workspace_scheduled_task_desktop_failures_total", "result_code="+k); got != n {
			t.Errorf("failures %s = %v, want %v", k, got, n)
		}
	}
	if sum("workspace_scheduled_task_runs_total") != wantRuns || sum("workspace_scheduled_task_run_desktops_total") != wantDesks ||
		sum("workspace_scheduled_task_desktop_failures_total") != wantFails {
		t.Errorf("totals %v/%v/%v, want %v/%v/%v", sum("workspace_scheduled_task_runs_total"), sum("workspace_scheduled_task_run_desktops_total"),
			sum("workspace_scheduled_task_desktop_failures_total"), wantRuns, wantDesks, wantFails)
	}
	if got := loginValue(mfs, "workspace_scheduled_tasks_expired"); got != 1 {
		t.Errorf("expired = %v, want 1 (the year-end snapshot)", got)
	}
	if got := loginValue(mfs, "workspace_scheduled_tasks_expiring"); got != 1 {
		t.Errorf("expiring = %v, want 1 (the monthly rebuild)", got)
	}
}

// Every family the collector declares is rendered with the target label.
func TestScheduledTasksFamilies(t *testing.T) {
	r := newSchedRig(t, nil)
	tk := stask("a", "START")
	tk.NextExecution = loginsT0.Add(time.Hour)
	r.api.set(func(f *fakeSched) {
		f.tasks = []model.ScheduledTask{tk}
		f.records["a"] = []model.ScheduledTaskRecord{srec("r", "FAIL", 0, 1, 0)}
		f.details["a"] = model.ScheduledTaskDetail{ID: "a", Expire: loginsT0.Add(time.Hour), ApplyObjects: 1}
		f.rdetails["a/r"] = []model.ScheduledTaskRecordDetail{{ID: "1", ExecStatus: "FAIL", ResultCode: "WKS.0109", Failed: true}}
	})
	r.mustSnap(t)
	r.api.set(func(f *fakeSched) {
		f.records["a"] = append(f.records["a"], srec("r2", "FAIL", 0, 1, 0))
		f.rdetails["a/r2"] = []model.ScheduledTaskRecordDetail{{ID: "2", ExecStatus: "FAIL", ResultCode: "WKS.0109", Failed: true}}
	})
	mfs := r.mustSnap(t)
	for _, d := range registry["scheduled_tasks"].Families {
		mf := mfs[d.Name()]
		if mf == nil || len(mf.GetMetric()) == 0 {
			t.Errorf("%s not rendered", d.Name())
			continue
		}
		for _, l := range mf.GetMetric()[0].GetLabel() {
			if l.GetName() == "target" && l.GetValue() != "t" {
				t.Errorf("%s target %q", d.Name(), l.GetValue())
			}
		}
	}
}
