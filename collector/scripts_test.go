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
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

// fakeScripts is a model.ScriptReader whose items the test sets.
type fakeScripts struct {
	mu                sync.Mutex
	tasks, pool       []model.ScriptTask
	runs              []model.ScriptRun
	errTasks, errRuns error
	errPool           error
	windows           [][2]time.Time
}

func (f *fakeScripts) ListScriptTasks(_ context.Context, from, to time.Time) ([]model.ScriptTask, model.ListStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.windows = append(f.windows, [2]time.Time{from, to})
	return append([]model.ScriptTask(nil), f.tasks...), model.ListStats{Requests: 1}, f.errTasks
}

func (f *fakeScripts) ListScriptRuns(context.Context, time.Time, time.Time) ([]model.ScriptRun, model.ListStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]model.ScriptRun(nil), f.runs...), model.ListStats{Requests: 1}, f.errRuns
}

func (f *fakeScripts) ListPoolScriptTasks(context.Context, time.Time, time.Time) ([]model.ScriptTask, model.ListStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]model.ScriptTask(nil), f.pool...), model.ListStats{Requests: 1}, f.errPool
}

func (f *fakeScripts) set(fn func(f *fakeScripts)) { f.mu.Lock(); fn(f); f.mu.Unlock() }

func (f *fakeScripts) Operations() []string                      { return nil }
func (f *fakeScripts) Documented(field string) []string          { return hwspec.Spec.Enums[field] }
func (f *fakeScripts) SetCredentials(provider.Credentials) error { return nil }
func (f *fakeScripts) Close()                                    {}

type scriptsRig struct {
	api     *fakeScripts
	clock   *loginsClock
	refresh RefreshFunc
	logs    *lockedBuffer
}

func newScriptsRig(t *testing.T, o *ScriptsOptions) *scriptsRig {
	t.Helper()
	r := &scriptsRig{api: &fakeScripts{}, clock: &loginsClock{t: loginsT0}, logs: &lockedBuffer{}}
	logger := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	if r.refresh, err = newScriptsCollector(r.api, o, logger, r.clock.now); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *scriptsRig) mustSnap(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	s, err := r.refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return renderSnapshot(t, s)
}

func sRun(key, status string, start time.Duration, ended bool) model.ScriptRun {
	r := model.ScriptRun{Key: key, TaskID: "t", Status: status, Phase: testPhase(status), Start: loginsT0.Add(-start)}
	if ended {
		r.End = r.Start.Add(time.Second)
	}
	return r
}

func sTask(key, status string, start time.Duration, ok, failed, skipped int64) model.ScriptTask {
	tk := model.ScriptTask{Key: key, Status: status, Phase: testPhase(status), Start: loginsT0.Add(-start), Succeeded: ok, Failed: failed, Skipped: skipped}
	if status != "RUNNING" && status != "INIT" {
		tk.End = tk.Start.Add(time.Minute)
	}
	return tk
}

func runsFinished(mfs map[string]*dto.MetricFamily, result string) float64 {
	return loginValue(mfs, "workspace_script_runs_finished_total", "result="+result)
}

// The first refresh only primes; later ones count each finished run and
// task once, however often it is listed again; a running item is counted
// when it finishes; the result follows the documented statuses, and any
// other status counts as "other" once it has an end time; desktops of a
// task are added once, with the task.
func TestScriptsCountedOnce(t *testing.T) {
	r := newScriptsRig(t, nil)
	r.api.set(func(f *fakeScripts) {
		f.runs = []model.ScriptRun{sRun("a", "SUCCESS", time.Hour, true), sRun("b", "RUNNING", time.Hour, false)}
		f.tasks = []model.ScriptTask{sTask("t1", "FINISH", time.Hour, 5, 1, 0), sTask("t2", "RUNNING", time.Hour, 1, 0, 0)}
		f.pool = []model.ScriptTask{sTask("p1", "FAILED", time.Hour, 0, 3, 0)}
	})
	mfs := r.mustSnap(t)
	for _, res := range []string{"success", "failure", "skipped", "other"} {
		if runsFinished(mfs, res) != 0 || loginValue(mfs, "workspace_script_tasks_finished_total", "result="+res) != 0 ||
			loginValue(mfs, "workspace_pool_script_tasks_finished_total", "result="+res) != 0 {
			t.Fatalf("priming counted, or %s missing", res)
		}
	}
	for range 3 {
		r.clock.advance(time.Minute)
		r.mustSnap(t)
	}
	r.api.set(func(f *fakeScripts) {
		f.runs[1].Status, f.runs[1].Phase, f.runs[1].End = "FAILED", model.PhaseFailed, loginsT0
		f.runs[1].ResultCode = "WKS.SCRIPT.0001"
		f.runs = append(f.runs, sRun("c", "SKIP", time.Minute, true), sRun("d", "Cancelled", time.Minute, true),
			sRun("e", "Cancelled", time.Minute, false), sRun("f", "success", time.Minute, false), sRun("g", "FAIL", 0, true))
		f.tasks[1] = sTask("t2", "FINISH", time.Hour, 4, 2, 1)
		f.tasks = append(f.tasks, sTask("t3", "FAILED", time.Minute, 0, 2, 0))
		f.pool = append(f.pool, sTask("p2", "FINISH", time.Minute, 7, 0, 1))
	})
	var mfs2 map[string]*dto.MetricFamily
	for range 3 {
		r.clock.advance(time.Minute)
		mfs2 = r.mustSnap(t)
	}
	for name, want := range map[string]float64{
		"runs/success": 1, "runs/failure": 2, "runs/skipped": 1, "runs/other": 1,
		"tasks/success": 1, "tasks/failure": 1, "tasks/skipped": 0, "tasks/other": 0,
		"pool/success": 1, "pool/failure": 0,
	} {
		kind, res, _ := strings.Cut(name, "/")
		fam := map[string]string{"runs": "workspace_script_runs_finished_total", "tasks": "workspace_script_tasks_finished_total",
			"pool": "workspace_pool_script_tasks_finished_total"}[kind]
		if got := loginValue(mfs2, fam, "result="+res); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	for fam, want := range map[string][3]float64{
		"workspace_script_task_desktops_total":      {4, 4, 1},
		"workspace_pool_script_task_desktops_total": {7, 0, 1},
	} {
		for i, o := range []string{"succeeded", "failed", "skipped"} {
			if got := loginValue(mfs2, fam, "outcome="+o); got != want[i] {
				t.Errorf("%s{%s} = %v, want %v", fam, o, got, want[i])
			}
		}
	}
	if loginValue(mfs2, "workspace_script_run_failures_total", "result_code=WKS.SCRIPT.0001") != 1 ||
		loginValue(mfs2, "workspace_script_run_failures_total", "result_code=unknown") != 1 {
		t.Errorf("failures by result code: %v", mfs2["workspace_script_run_failures_total"])
	}
}

// A failed refresh (any of the three lists) changes nothing: what it saw
// is counted by the next successful one, once.
func TestScriptsFailedRefreshCommitsNothing(t *testing.T) {
	r := newScriptsRig(t, nil)
	r.mustSnap(t)
	r.api.set(func(f *fakeScripts) {
		f.runs = []model.ScriptRun{sRun("a", "SUCCESS", time.Minute, true)}
		f.tasks = []model.ScriptTask{sTask("t", "FINISH", time.Minute, 1, 0, 0)}
	})
	for _, fail := range []func(f *fakeScripts){
		func(f *fakeScripts) { f.errTasks = errors.New("boom") },
		func(f *fakeScripts) { f.errTasks, f.errRuns = nil, errors.New("boom") },
		func(f *fakeScripts) { f.errRuns, f.errPool = nil, errors.New("boom") },
	} {
		r.api.set(fail)
		if _, err := r.refresh(context.Background()); err == nil {
			t.Fatal("no error")
		}
	}
	r.api.set(func(f *fakeScripts) { f.errPool = nil })
	r.mustSnap(t)
	mfs := r.mustSnap(t)
	if runsFinished(mfs, "success") != 1 || loginValue(mfs, "workspace_script_tasks_finished_total", "result=success") != 1 ||
		loginValue(mfs, "workspace_script_task_desktops_total", "outcome=succeeded") != 1 {
		t.Fatal("not counted exactly once after the failures")
	}
}

// Items that began before the window are not counted (nor remembered);
// a key is forgotten once its start leaves the window, when the API can
// no longer list it; the window asked for is [now − lookback, now].
func TestScriptsWindow(t *testing.T) {
	r := newScriptsRig(t, &ScriptsOptions{Lookback: config.Duration(time.Hour), MaxTasks: 1000, MaxRuns: 1000})
	r.mustSnap(t)
	if w := r.api.windows[0]; !w[1].Equal(loginsT0) || !w[0].Equal(loginsT0.Add(-time.Hour)) {
		t.Errorf("window %v", w)
	}
	r.api.set(func(f *fakeScripts) {
		f.runs = []model.ScriptRun{sRun("old", "SUCCESS", 2*time.Hour, true), sRun("future", "SUCCESS", -time.Hour, true),
			sRun("in", "SUCCESS", 30*time.Minute, true), {Key: "nostart", Status: "FAILED", Phase: model.PhaseFailed}}
	})
	if got := runsFinished(r.mustSnap(t), "success"); got != 1 {
		t.Errorf("counted %v, want only the run in the window", got)
	}
	if !strings.Contains(r.logs.String(), "outside_window=2") {
		t.Errorf("outside runs not logged: %s", r.logs.String())
	}
	// Listed again while in the window: not counted again.
	r.clock.advance(20 * time.Minute)
	mfs := r.mustSnap(t)
	if runsFinished(mfs, "success") != 1 || runsFinished(mfs, "failure") != 1 {
		t.Errorf("relisted: %v %v", runsFinished(mfs, "success"), runsFinished(mfs, "failure"))
	}
}

// Listings longer than max_tasks or max_runs fail the refresh with an
// error naming the option.
func TestScriptsBounds(t *testing.T) {
	o := &ScriptsOptions{Lookback: config.Duration(time.Hour), MaxTasks: 1000, MaxRuns: 1000}
	for name, fill := range map[string]func(f *fakeScripts, i int){
		"max_runs": func(f *fakeScripts, i int) {
			f.runs = append(f.runs, sRun(fmt.Sprint(i), "SUCCESS", time.Minute, true))
		},
		"max_tasks": func(f *fakeScripts, i int) {
			f.pool = append(f.pool, sTask(fmt.Sprint(i), "FINISH", time.Minute, 1, 0, 0))
		},
	} {
		r := newScriptsRig(t, o)
		r.api.set(func(f *fakeScripts) {
			for i := range 1001 {
				fill(f, i)
			}
		})
		if _, err := r.refresh(context.Background()); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Remembered keys over the bound (finished items of earlier
	// refreshes still in the window) fail the refresh too.
	r := newScriptsRig(t, o)
	for round := range 2 {
		r.api.set(func(f *fakeScripts) {
			f.runs = nil
			for i := range 600 {
				f.runs = append(f.runs, sRun(fmt.Sprint(round, "-", i), "SUCCESS", time.Minute, true))
			}
		})
		_, err := r.refresh(context.Background())
		if round == 1 && (err == nil || !strings.Contains(err.Error(), "max_runs")) {
			t.Errorf("remembered over the bound: %v", err)
		}
	}
}

// The gauges: every documented pool task status is present (0 when
// none); the open statuses of tasks and runs are exported as sent, at
// most MaxUndocumentedValues of them (the rest fold into "other", in
// workspace_label_values_folded); result codes too (sticky). The oldest
// unfinished task's age.
func TestScriptsGaugesAndBounds(t *testing.T) {
	r := newScriptsRig(t, nil)
	r.mustSnap(t)
	r.api.set(func(f *fakeScripts) {
		f.tasks = []model.ScriptTask{sTask("t1", "RUNNING", time.Hour, 0, 0, 0), sTask("t2", "INIT", 10*time.Minute, 0, 0, 0),
			sTask("t3", "FINISH", 2*time.Hour, 0, 0, 0), {Key: "t4", Status: "RUNNING", Phase: model.PhaseRunning}}
		f.pool = []model.ScriptTask{sTask("p1", "RUNNING", 30*time.Minute, 0, 0, 0), sTask("p2", "NEW", time.Minute, 0, 0, 0)}
		for i := range MaxUndocumentedValues + 5 {
			rn := sRun(fmt.Sprint("r", i), fmt.Sprintf("S%02d", i), time.Minute, true)
			f.runs = append(f.runs, rn)
			fr := sRun(fmt.Sprint("f", i), "FAILED", time.Minute, true)
			fr.ResultCode = fmt.Sprintf("CODE%02d", i)
			f.runs = append(f.runs, fr)
		}
	})
	mfs := r.mustSnap(t)
	for _, st := range hwspec.PoolScriptTaskStatuses {
		want := 0.0
		if st == "RUNNING" {
			want = 1
		}
		if got := loginValue(mfs, "workspace_pool_script_tasks", "status="+st); got != want {
			t.Errorf("pool %s = %v, want %v", st, got, want)
		}
	}
	if loginValue(mfs, "workspace_pool_script_tasks", "status=NEW") != 1 || loginValue(mfs, "workspace_script_tasks", "status=RUNNING") != 2 {
		t.Error("undocumented or open statuses missing")
	}
	if n := len(mfs["workspace_script_runs"].GetMetric()); n != MaxUndocumentedValues+1 {
		t.Errorf("%d run status series, want %d", n, MaxUndocumentedValues+1)
	}
	if got := loginValue(mfs, "workspace_label_values_folded", "collector=scripts", "label=script_run.status"); got != 6 {
		t.Errorf("folded = %v", got)
	}
	if got := loginValue(mfs, "workspace_script_task_oldest_running_age_seconds"); got != 3600 {
		t.Errorf("oldest task = %v", got)
	}
	if got := loginValue(mfs, "workspace_pool_script_task_oldest_running_age_seconds"); got != 1800 {
		t.Errorf("oldest pool task = %v", got)
	}
	codes := mfs["workspace_script_run_failures_total"].GetMetric()
	var sum float64
	for _, m := range codes {
		sum += m.GetCounter().GetValue()
	}
	if len(codes) != MaxUndocumentedValues+1 || sum != MaxUndocumentedValues+5 ||
		loginValue(mfs, "workspace_script_run_failures_total", "result_code=other") != 5 {
		t.Errorf("%d result code series, %v failures", len(codes), sum)
	}
	// Every family is rendered with the target label.
	for _, d := range registry["scripts"].Families {
		mf := mfs[d.Name()]
		if mf == nil || len(mf.GetMetric()) == 0 {
			t.Errorf("%s not rendered", d.Name())
		}
	}
}

// The options are validated with the configuration, each problem at its
// key.
func TestScriptsOptionsValidation(t *testing.T) {
	checkCollectorOptions(t, "scripts", map[string]string{
		`{}`:                             "",
		`{lookback: 1h, max_runs: 1000}`: "",
		`{lookback: 5m}`:                 "collectors.scripts.lookback",
		`{lookback: 8d}`:                 "collectors.scripts.lookback",
		`{interval: 1h, lookback: 90m}`:  "less than twice the collector's interval",
		`{max_tasks: 999}`:               "collectors.scripts.max_tasks: 999 is outside 1000..10000000",
		`{max_runs: 10000001}`:           "collectors.scripts.max_runs",
		`{output: true}`:                 "output",
	}, func(opts any) bool {
		o, ok := opts.(*ScriptsOptions)
		return ok && o.MaxRuns != 0 && o.Lookback != 0
	})
}

// scriptsSimRig is the collector through the signed client against the
// simulator, both on one clock (within the signature check's ±15 minutes
// of the real time).
type scriptsSimRig struct {
	sim     *hwsim.Simulator
	clock   *loginsClock
	refresh RefreshFunc
}

func newScriptsSimRig(t *testing.T, n int, o *ScriptsOptions) *scriptsSimRig {
	t.Helper()
	clock := &loginsClock{t: time.Now().Add(-10 * time.Minute).Truncate(time.Second)}
	sim, err := hwsim.New(hwsim.Options{ProjectID: benchProject, Credentials: []simulator.Credential{{AccessKey: benchAK, SecretKey: benchSK}},
		Desktops: n, Seed: 9, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cl, err := huaweicloud.New(huaweicloud.Config{Endpoint: url, ProjectID: benchProject, AccessKey: benchAK, SecretKey: benchSK, PageSize: 37})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	refresh, err := newScriptsCollector(cl, o, slog.New(slog.DiscardHandler), clock.now)
	if err != nil {
		t.Fatal(err)
	}
	return &scriptsSimRig{sim: sim, clock: clock, refresh: refresh}
}

func scriptsLabel(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// simResult is the collector's result of a simulator status.
func simResult(status string) string {
	switch status {
	case "SUCCESS", "FINISH":
		return "success"
	case "FAILED":
		return "failure"
	case "SKIP":
		return "skipped"
	}
	return ""
}

// Refreshes between the simulator's steps (two per step, 10 s of
// simulated time each) count exactly the runs and tasks that finished
// since the first refresh, by result, and the desktops of those tasks by
// outcome, computed from the simulator's own view; the gauges equal the
// simulator's items of the window by status; and the runs the collector
// counted agree with the nums of the tasks they belong to (§4.24.8 against
// §4.24.9) for every task that began after the first refresh.
func TestScriptsCollectorAgainstSimulator(t *testing.T) {
	rig := newScriptsSimRig(t, 600, &ScriptsOptions{Lookback: config.Duration(2 * time.Hour), MaxTasks: 1000, MaxRuns: 10_000})
	if _, err := rig.refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	t0 := rig.clock.now()
	doneBefore := map[string]bool{}
	for _, tk := range append(rig.sim.ScriptTasks(), rig.sim.PoolScriptTasks()...) {
		if !tk.End.IsZero() {
			doneBefore[tk.ID] = true
		}
	}
	for _, r := range rig.sim.ScriptRecords() {
		if r.Status != "WAITING" && r.Status != "RUNNING" {
			doneBefore[r.ID] = true
		}
	}
	var s Snapshot
	var err error
	for range 70 {
		rig.clock.advance(10 * time.Second)
		rig.sim.Step()
		for range 2 {
			if s, err = rig.refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	mfs := renderSnapshot(t, s)
	now := rig.clock.now()
	from := now.Add(-2 * time.Hour).Truncate(time.Second)
	inWindow := func(start time.Time) bool { return !start.Before(from) && !start.After(now) }
	want := map[string]float64{}
	gauges := map[string]float64{}
	tasks, pool, recs := rig.sim.ScriptTasks(), rig.sim.PoolScriptTasks(), rig.sim.ScriptRecords()
	taskStart := map[string]time.Time{}
	for kind, list := range map[string][]hwsim.ScriptTask{"tasks": tasks, "pool": pool} {
		for _, tk := range list {
			taskStart[tk.ID] = tk.Start
			if !inWindow(tk.Start) {
				continue
			}
			gauges[kind+"/"+tk.Status]++
			if tk.End.IsZero() || doneBefore[tk.ID] {
				continue
			}
			want[kind+"/"+simResult(tk.Status)]++
			want[kind+"/desktops/succeeded"] += float64(tk.Success)
			want[kind+"/desktops/failed"] += float64(tk.Failed)
			want[kind+"/desktops/skipped"] += float64(tk.Skip)
		}
	}
	perTask := map[string]map[string]int{}
	for _, r := range recs {
		if !inWindow(taskStart[r.TaskID]) {
			continue
		}
		gauges["runs/"+r.Status]++
		if r.Status == "WAITING" || r.Status == "RUNNING" || doneBefore[r.ID] {
			continue
		}
		want["runs/"+simResult(r.Status)]++
		if r.Status == "FAILED" {
			want["code/"+r.ResultCode]++
		}
		if taskStart[r.TaskID].After(t0) {
			if perTask[r.TaskID] == nil {
				perTask[r.TaskID] = map[string]int{}
			}
			perTask[r.TaskID][r.Status]++
		}
	}
	if want["runs/success"] == 0 || want["tasks/success"]+want["tasks/failure"] == 0 || want["pool/success"]+want["pool/failure"] == 0 {
		t.Fatalf("too little finished in 70 steps: %v", want)
	}
	fams := map[string]string{"runs": "workspace_script_runs_finished_total", "tasks": "workspace_script_tasks_finished_total",
		"pool": "workspace_pool_script_tasks_finished_total"}
	for kind, fam := range fams {
		for _, res := range []string{"success", "failure", "skipped", "other"} {
			if got := loginValue(mfs, fam, "result="+res); got != want[kind+"/"+res] {
				t.Errorf("%s{%s} = %v, want %v", fam, res, got, want[kind+"/"+res])
			}
		}
	}
	for kind, fam := range map[string]string{"tasks": "workspace_script_task_desktops_total", "pool": "workspace_pool_script_task_desktops_total"} {
		for _, o := range []string{"succeeded", "failed", "skipped"} {
			if got := loginValue(mfs, fam, "outcome="+o); got != want[kind+"/desktops/"+o] {
				t.Errorf("%s{%s} = %v, want %v", fam, o, got, want[kind+"/desktops/"+o])
			}
		}
	}
	for _, m := range mfs["workspace_script_run_failures_total"].GetMetric() {
		code := scriptsLabel(m, "result_code")
		if m.GetCounter().GetValue() != want["code/"+code] {
			t.Errorf("failures{%s} = %v, want %v", code, m.GetCounter().GetValue(), want["code/"+code])
		}
	}
	for kind, fam := range map[string]string{"tasks": "workspace_script_tasks", "pool": "workspace_pool_script_tasks", "runs": "workspace_script_runs"} {
		var sum, wantSum float64
		for _, m := range mfs[fam].GetMetric() {
			st := scriptsLabel(m, "status")
			sum += m.GetGauge().GetValue()
			if m.GetGauge().GetValue() != gauges[kind+"/"+st] {
				t.Errorf("%s{%s} = %v, want %v", fam, st, m.GetGauge().GetValue(), gauges[kind+"/"+st])
			}
		}
		for k, n := range gauges {
			if strings.HasPrefix(k, kind+"/") {
				wantSum += n
			}
		}
		if sum != wantSum || sum == 0 {
			t.Errorf("%s: %v in all, want %v", fam, sum, wantSum)
		}
	}
	// §4.24.8 against §4.24.9: the finished runs of every task begun
	// after the first refresh are its nums.
	checked := 0
	for _, tk := range tasks {
		if !tk.Start.After(t0) {
			continue
		}
		got := perTask[tk.ID]
		if got["SUCCESS"] != tk.Success || got["FAILED"] != tk.Failed || got["SKIP"] != tk.Skip {
			t.Errorf("task %s: runs %v, nums %d/%d/%d", tk.ID, got, tk.Success, tk.Failed, tk.Skip)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no task began during the test")
	}
	if age := loginValue(mfs, "workspace_script_task_oldest_running_age_seconds"); math.IsNaN(age) || age < 0 {
		t.Errorf("oldest age %v", age)
	}
}

// Hostile answers on the three lists: a missing, null or wrong-typed
// list fails the refresh (the last data is served, success 0); junk
// elements are skipped; flooded statuses and result codes fold, the
// series stay bounded; an echoed secret never reaches the log.
func TestScriptsHostileAnswers(t *testing.T) {
	tasksOp, recsOp, poolOp := hwspec.OpListScriptTasks, hwspec.OpListScriptRecords, hwspec.OpListPoolScriptTasks
	cases := []struct {
		name  string
		fault simulator.Fault
		fails bool
	}{
		{"tasks null", simulator.Fault{Kind: simulator.FaultBadList, Operation: tasksOp, Probability: 1, Variant: simulator.BadListNull}, true},
		{"records missing", simulator.Fault{Kind: simulator.FaultBadList, Operation: recsOp, Probability: 1, Variant: simulator.BadListMissing}, true},
		{"pool string", simulator.Fault{Kind: simulator.FaultBadList, Operation: poolOp, Probability: 1, Variant: simulator.BadListString}, true},
		{"records junk", simulator.Fault{Kind: simulator.FaultJunkItems, Operation: recsOp, Probability: 1, Items: 3}, false},
		{"records flooded", simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: recsOp, Probability: 1}, false},
		{"tasks flooded", simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: tasksOp, Probability: 1}, false},
		{"pool echo secret", simulator.Fault{Kind: simulator.FaultEchoSecret, Operation: poolOp, Probability: 1, Status: 400}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHostileTargetWith(t, 400, func(url string) string {
				return simYAMLCollectors(url, benchCredentials, "", "scripts: {interval: 1h}"+othersDisabled("scripts"))
			})
			gather := func() map[string]*dto.MetricFamily {
				mfs, err := h.reg.Gather()
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]*dto.MetricFamily{}
				for _, mf := range mfs {
					out[mf.GetName()] = mf
				}
				return out
			}
			before := loginValue(gather(), "workspace_pool_script_tasks", "status=FINISH")
			h.sim.InjectFault(c.fault)
			refreshAll(h.m)
			mfs := gather()
			ok := loginValue(mfs, "workspace_collector_success", "collector=scripts")
			if c.fails != (ok == 0) || before == 0 || math.IsNaN(before) {
				t.Fatalf("success %v (want failure %v), pool tasks FINISH before %v", ok, c.fails, before)
			}
			for _, fam := range []string{"workspace_script_tasks", "workspace_script_runs", "workspace_script_run_failures_total"} {
				if n := len(mfs[fam].GetMetric()); n > MaxUndocumentedValues+1 {
					t.Errorf("%d %s series", n, fam)
				}
			}
			if strings.Contains(h.logs.String(), benchSK) {
				t.Error("the secret reached the log")
			}
		})
	}
}
