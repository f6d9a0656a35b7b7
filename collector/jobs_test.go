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
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// fakeJobs is a model.JobReader whose subtasks and tasks the test sets.
type fakeJobs struct {
	mu      sync.Mutex
	jobs    []model.Job
	tasks   map[string]model.JobDetail
	err     error // of ListJobs
	showErr error
	shown   []string
}

func (f *fakeJobs) ListJobs(context.Context) ([]model.Job, model.ListStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, model.ListStats{}, f.err
	}
	return append([]model.Job(nil), f.jobs...), model.ListStats{Requests: 1, Total: int64(len(f.jobs))}, nil
}

func (f *fakeJobs) ShowJob(_ context.Context, id string) (model.JobDetail, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shown = append(f.shown, id)
	if f.showErr != nil {
		return model.JobDetail{}, false, f.showErr
	}
	d, ok := f.tasks[id]
	return d, ok, nil
}

func (f *fakeJobs) set(fn func(f *fakeJobs)) { f.mu.Lock(); fn(f); f.mu.Unlock() }

func (f *fakeJobs) Operations() []string { return nil }
func (f *fakeJobs) Documented(field string) []string {
	return hwspec.Spec.Enums[field]
}
func (f *fakeJobs) SetCredentials(provider.Credentials) error { return nil }
func (f *fakeJobs) Close()                                    {}

type jobsRig struct {
	api     *fakeJobs
	clock   *loginsClock
	refresh RefreshFunc
	logs    *lockedBuffer
}

func newJobsRig(t *testing.T, o *JobsOptions) *jobsRig {
	t.Helper()
	r := &jobsRig{api: &fakeJobs{tasks: map[string]model.JobDetail{}}, clock: &loginsClock{t: loginsT0}, logs: &lockedBuffer{}}
	logger := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	if r.refresh, err = newJobsCollector(r.api, o, logger, r.clock.now); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *jobsRig) mustSnap(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	s, err := r.refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return renderSnapshot(t, s)
}

func job(key, typ, status string) model.Job {
	return model.Job{Key: key, JobID: "task-" + typ, JobType: typ, Status: status, Phase: testPhase(status)}
}

func finished(mfs map[string]*dto.MetricFamily, typ, result string) float64 {
	return loginValue(mfs, "workspace_jobs_finished_total", "job_type="+typ, "result="+result)
}

// The first refresh only primes; later ones count each subtask once, the
// first time it is listed finished, however often it is listed again; a
// running subtask is counted when it finishes.
func TestJobsFinishedCountedOnce(t *testing.T) {
	r := newJobsRig(t, nil)
	r.api.set(func(f *fakeJobs) {
		f.jobs = []model.Job{job("a", "createDesktops", "SUCCESS"), job("b", "createDesktops", "FAILED"), job("c", "rebuildDesktops", "RUNNING")}
	})
	mfs := r.mustSnap(t)
	if finished(mfs, "createDesktops", "success") != 0 || finished(mfs, "createDesktops", "failure") != 0 ||
		finished(mfs, "batchChangeDesktopNetwork", "failure") != 0 {
		t.Fatal("priming counted, or documented series missing")
	}
	for range 3 {
		r.clock.advance(time.Minute)
		mfs = r.mustSnap(t)
	}
	if finished(mfs, "createDesktops", "success") != 0 || finished(mfs, "rebuildDesktops", "success") != 0 {
		t.Fatal("relisted subtasks counted")
	}
	r.api.set(func(f *fakeJobs) {
		f.jobs[2].Status, f.jobs[2].Phase = "SUCCESS", testPhase("SUCCESS")
		f.jobs = append(f.jobs, job("d", "deleteDesktops", "FAILED"), job("e", "newType", "SUCCESS"))
	})
	for range 3 {
		r.clock.advance(time.Minute)
		mfs = r.mustSnap(t)
	}
	for _, c := range []struct {
		typ, result string
		want        float64
	}{{"rebuildDesktops", "success", 1}, {"deleteDesktops", "failure", 1}, {"newType", "success", 1},
		{"createDesktops", "success", 0}, {"createDesktops", "failure", 0}, {"newType", "failure", 0}} {
		if got := finished(mfs, c.typ, c.result); got != c.want {
			t.Errorf("%s %s = %v, want %v", c.typ, c.result, got, c.want)
		}
	}
}

// A failed refresh (listing or a followed task) changes nothing: the
// subtasks it saw are counted by the next successful one, once.
func TestJobsFailedRefreshCommitsNothing(t *testing.T) {
	r := newJobsRig(t, nil)
	r.api.set(func(f *fakeJobs) { f.jobs = []model.Job{job("a", "createDesktops", "SUCCESS")} })
	r.mustSnap(t)
	r.api.set(func(f *fakeJobs) {
		f.jobs = append(f.jobs, job("b", "applyWorkspace", "SUCCESS"))
		f.showErr = errors.New("boom")
	})
	if _, err := r.refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("a failed task read did not fail the refresh: %v", err)
	}
	r.api.set(func(f *fakeJobs) { f.showErr, f.err = nil, errors.New("list failed") })
	if _, err := r.refresh(context.Background()); err == nil {
		t.Fatal("no error")
	}
	r.api.set(func(f *fakeJobs) { f.err = nil })
	r.mustSnap(t) // a refresh after the failed one
	mfs := r.mustSnap(t)
	if got := finished(mfs, "applyWorkspace", "success"); got != 1 {
		t.Fatalf("applyWorkspace success = %v, want 1", got)
	}
}

// A subtask the API stops listing is forgotten a day later, not before:
// listed again within the day it is not counted again.
func TestJobsForgetAfterADay(t *testing.T) {
	r := newJobsRig(t, nil)
	r.mustSnap(t)
	a := job("a", "createDesktops", "SUCCESS")
	r.api.set(func(f *fakeJobs) { f.jobs = []model.Job{a} })
	r.mustSnap(t)
	r.api.set(func(f *fakeJobs) { f.jobs = nil })
	r.clock.advance(23 * time.Hour)
	r.mustSnap(t)
	r.api.set(func(f *fakeJobs) { f.jobs = []model.Job{a} })
	if got := finished(r.mustSnap(t), "createDesktops", "success"); got != 1 {
		t.Fatalf("relisted within a day: %v, want 1", got)
	}
}

// workspace_jobs has every documented type and status (0 when none) and
// adds undocumented values; progress is bounded (those that started
// first) and 0..1; the oldest running age per type.
func TestJobsGaugesProgressAndAge(t *testing.T) {
	r := newJobsRig(t, &JobsOptions{MaxProgressSeries: 2, MaxJobs: 1000, MaxFollowedJobs: 0})
	run := func(key string, begin time.Duration, p int) model.Job {
		j := job(key, "createDesktops", "RUNNING")
		j.Begin, j.Progress, j.HasProgress = loginsT0.Add(-begin), p, true
		return j
	}
	noBegin := run("z", 0, 10)
	noBegin.Begin = time.Time{}
	future := run("f", -time.Hour, 5) // a clock ahead of ours: age 0
	future.JobType = "rebuildDesktops"
	r.api.set(func(f *fakeJobs) {
		f.jobs = []model.Job{run("new", time.Minute, 90), run("old", time.Hour, 30), noBegin, run("mid", 10*time.Minute, 100),
			future, job("w", "createDesktops", "WAITING"), job("x", "createDesktops", "CANCELLED")}
	})
	mfs := r.mustSnap(t)
	if got := loginValue(mfs, "workspace_jobs", "job_type=createDesktops", "status=RUNNING"); got != 4 {
		t.Errorf("running = %v", got)
	}
	if got := loginValue(mfs, "workspace_jobs", "job_type=createDesktops", "status=CANCELLED"); got != 1 {
		t.Errorf("undocumented status = %v", got)
	}
	if got := loginValue(mfs, "workspace_jobs", "job_type=deleteWksSnapshot", "status=FAILED"); got != 0 {
		t.Errorf("documented combination = %v, want 0", got)
	}
	if n := len(mfs["workspace_jobs"].GetMetric()); n != 28*5 {
		t.Errorf("%d workspace_jobs series, want 28 types × 5 statuses", n)
	}
	pm := mfs["workspace_job_progress"].GetMetric()
	if len(pm) != 2 || loginValue(mfs, "workspace_job_progress", "job_id=old") != 0.3 || loginValue(mfs, "workspace_job_progress", "job_id=mid") != 1 {
		t.Errorf("progress series %v", pm)
	}
	if got := loginValue(mfs, "workspace_job_oldest_running_age_seconds", "job_type=createDesktops"); got != 3600 {
		t.Errorf("oldest = %v", got)
	}
	for _, typ := range []string{"rebuildDesktops", "applyWorkspace"} {
		if got := loginValue(mfs, "workspace_job_oldest_running_age_seconds", "job_type="+typ); got != 0 {
			t.Errorf("%s oldest = %v, want 0", typ, got)
		}
	}
	r2 := newJobsRig(t, &JobsOptions{MaxProgressSeries: 0, MaxJobs: 1000})
	r2.api.set(func(f *fakeJobs) { f.jobs = []model.Job{run("a", time.Minute, 1)} })
	if mf := r2.mustSnap(t)["workspace_job_progress"]; mf != nil && len(mf.GetMetric()) > 0 {
		t.Error("progress series with max_progress_series 0")
	}
}

// Undocumented job types beyond MaxUndocumentedValues fold into "other",
// in the gauge and in the counter alike.
func TestJobsUndocumentedTypesBounded(t *testing.T) {
	r := newJobsRig(t, nil)
	r.mustSnap(t)
	r.api.set(func(f *fakeJobs) {
		for i := range MaxUndocumentedValues + 10 {
			f.jobs = append(f.jobs, job(fmt.Sprint("k", i), fmt.Sprintf("type%02d", i), "SUCCESS"))
		}
	})
	mfs := r.mustSnap(t)
	var fin float64
	types := map[string]bool{}
	for _, m := range mfs["workspace_jobs_finished_total"].GetMetric() {
		fin += m.GetCounter().GetValue()
		for _, l := range m.GetLabel() {
			if l.GetName() == "job_type" {
				types[l.GetValue()] = true
			}
		}
	}
	if fin != MaxUndocumentedValues+10 || len(types) != 28+MaxUndocumentedValues+1 || finished(mfs, OtherValue, "success") != 10 {
		t.Errorf("counted %v over %d types, other %v", fin, len(types), finished(mfs, OtherValue, "success"))
	}
	if got := loginValue(mfs, "workspace_label_values_folded", "collector=jobs", "label=job_type"); got != 10 {
		t.Errorf("folded = %v", got)
	}
}

// The latest subscription and cancellation tasks of the list are
// followed (at most max_followed_jobs), after the configured ones; a
// configured task the API does not know is logged and left out.
func TestJobsFollowed(t *testing.T) {
	r := newJobsRig(t, &JobsOptions{MaxProgressSeries: 1, MaxJobs: 1000, MaxFollowedJobs: 2, FollowJobIDs: []string{"mine", "gone"}})
	sub := func(key, parent, typ string, begin time.Duration) model.Job {
		j := job(key, typ, "SUCCESS")
		j.JobID, j.Begin = parent, loginsT0.Add(-begin)
		return j
	}
	r.api.set(func(f *fakeJobs) {
		f.jobs = []model.Job{sub("s1", "apply-old", "applyWorkspace", 3*time.Hour), sub("s2", "apply-new", "applyWorkspace", time.Hour),
			sub("s3", "cancel", "cancelWorkspace", 2*time.Hour), sub("s4", "create", "createDesktops", 0), sub("s5", "", "applyWorkspace", 0),
			sub("s6", "mine", "applyWorkspace", 0)}
		f.tasks["mine"] = model.JobDetail{ID: "mine", JobType: "createDesktops", Status: "RUNNING", SubJobsTotal: 7, HasSubJobsTotal: true}
		f.tasks["apply-new"] = model.JobDetail{ID: "apply-new", JobType: "applyWorkspace", Status: "SUCCESS", SubJobs: make([]model.Job, 1)}
		f.tasks["cancel"] = model.JobDetail{ID: "cancel", Status: "FAILED"}
		f.tasks["apply-old"] = model.JobDetail{ID: "apply-old", Status: "SUCCESS"}
	})
	mfs := r.mustSnap(t)
	if got := strings.Join(r.api.shown, ","); got != "mine,gone,apply-new,cancel" {
		t.Errorf("followed %s", got)
	}
	for _, c := range []struct {
		id, typ, status string
		subs            float64
	}{{"mine", "createDesktops", "RUNNING", 7}, {"apply-new", "applyWorkspace", "SUCCESS", 1}, {"cancel", "unknown", "FAILED", 0}} {
		if loginValue(mfs, "workspace_followed_job_status", "job_id="+c.id, "job_type="+c.typ, "status="+c.status) != 1 ||
			loginValue(mfs, "workspace_followed_job_sub_jobs", "job_id="+c.id) != c.subs {
			t.Errorf("followed %s missing or wrong", c.id)
		}
	}
	if !math.IsNaN(loginValue(mfs, "workspace_followed_job_status", "job_id=gone")) {
		t.Error("an unknown task exported")
	}
	if !strings.Contains(r.logs.String(), "does not know a task of follow_job_ids") {
		t.Error("unknown configured task not logged")
	}
}

// A listing longer than max_jobs fails the refresh with a clear error.
func TestJobsMaxJobs(t *testing.T) {
	r := newJobsRig(t, &JobsOptions{MaxJobs: 1000})
	r.api.set(func(f *fakeJobs) {
		for i := range 1001 {
			f.jobs = append(f.jobs, job(fmt.Sprint(i), "createDesktops", "SUCCESS"))
		}
	})
	if _, err := r.refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "max_jobs") {
		t.Fatalf("%v", err)
	}
}

// The options are validated with the configuration, each problem at its
// key.
func TestJobsOptionsValidation(t *testing.T) {
	checkCollectorOptions(t, "jobs", map[string]string{
		`{}`:                                   "",
		`{max_progress_series: 0}`:             "",
		`{max_progress_series: 1001}`:          "collectors.jobs.max_progress_series: 1001 is outside 0..1000",
		`{max_jobs: 999}`:                      "collectors.jobs.max_jobs: 999 is outside 1000..10000000",
		`{max_followed_jobs: 21}`:              "outside 0..20",
		`{follow_job_ids: [a/b]}`:              "is not a task ID",
		`{follow_job_ids: [a, a]}`:             "listed twice",
		`{follow_job_ids: [0e2dae94-23ff-1]}`:  "",
		`{unknown_key: 1}`:                     "unknown_key",
		`{interval: 5m, max_followed_jobs: 0}`: "",
	}, func(opts any) bool {
		o, ok := opts.(*JobsOptions)
		return ok && o.MaxJobs != 0
	})
}

// Every family the collector declares is rendered with the target label.
func TestJobsFamilies(t *testing.T) {
	r := newJobsRig(t, nil)
	j := job("a", "createDesktops", "RUNNING")
	j.Progress, j.HasProgress, j.JobID = 5, true, "apply"
	r.api.set(func(f *fakeJobs) {
		f.jobs = []model.Job{j, {Key: "b", JobID: "apply", JobType: "applyWorkspace", Status: "SUCCESS", Phase: model.PhaseSucceeded}}
		f.tasks["apply"] = model.JobDetail{ID: "apply"}
	})
	mfs := r.mustSnap(t)
	for _, d := range registry["jobs"].Families {
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

// Through the signed client against the simulator, the collector's jobs
// gauge equals the simulator's own list of subtasks (Jobs, not through
// its handlers), the running and waiting subtasks equal the desktops that
// run a task (Desktops: the cross-endpoint agreement), the progress and
// oldest-age series agree with the running subtasks, and the
// subscription task is followed with §4.28.1.
func TestJobsCollectorAgainstSimulator(t *testing.T) {
	sim, url := startSim(t, 1500)
	for range 15 {
		sim.Step()
	}
	m, reg := newTestManager(t, nil)
	applyYAML(t, m, simYAMLCollectors(url, benchCredentials, "", "jobs: {interval: 1h, max_progress_series: 5}"+othersDisabled("jobs")))
	gathered, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	mfs := map[string]*dto.MetricFamily{}
	for _, mf := range gathered {
		mfs[mf.GetName()] = mf
	}
	jobs := sim.Jobs()
	want := map[[2]string]int{}
	running := 0
	var apply string
	for _, j := range jobs {
		want[[2]string{j.JobType, j.Status}]++
		if j.Status == "RUNNING" || j.Status == "WAITING" {
			running++
		}
		if j.JobType == "applyWorkspace" {
			apply = j.JobID
		}
	}
	for _, typ := range hwspec.JobTypes {
		for _, status := range []string{"SUCCESS", "RUNNING", "FAILED", "WAITING"} {
			if got := loginValue(mfs, "workspace_jobs", "target=sim", "job_type="+typ, "status="+status); got != float64(want[[2]string{typ, status}]) {
				t.Errorf("workspace_jobs{%s,%s} = %v, want %d", typ, status, got, want[[2]string{typ, status}])
			}
		}
	}
	if n := len(mfs["workspace_jobs"].GetMetric()); n != 28*4 {
		t.Errorf("%d workspace_jobs series, want 112 (no undocumented values)", n)
	}
	withTask := 0
	for _, d := range sim.Desktops() {
		if d.TaskStatus != "" && d.TaskStatus != "deleteFailed" {
			withTask++
		}
	}
	if running != withTask || running == 0 {
		t.Errorf("%d running or waiting subtasks, %d desktops run a task", running, withTask)
	}
	if n := len(mfs["workspace_job_progress"].GetMetric()); n != 5 {
		t.Errorf("%d progress series, want 5", n)
	}
	for _, mt := range mfs["workspace_job_progress"].GetMetric() {
		if v := mt.GetGauge().GetValue(); v < 0 || v > 1 {
			t.Errorf("progress %v", v)
		}
	}
	if loginValue(mfs, "workspace_job_oldest_running_age_seconds", "job_type=executeDesktopsAction") <= 0 {
		t.Error("no age for the running power actions")
	}
	if apply == "" || loginValue(mfs, "workspace_followed_job_status", "job_id="+apply, "job_type=applyWorkspace", "status=SUCCESS") != 1 ||
		loginValue(mfs, "workspace_followed_job_sub_jobs", "job_id="+apply) != 1 {
		t.Errorf("the subscription task %q is not followed", apply)
	}
	if got := loginValue(mfs, "workspace_jobs_finished_total", "job_type=createDesktops", "result=success"); got != 0 {
		t.Errorf("the first refresh counted: %v", got)
	}
}

// Refreshes between the simulator's steps count exactly the subtasks that
// finished since the first refresh, by type and result, however many
// refreshes list them again (two per step here).
func TestJobsCountedOnceAgainstSimulator(t *testing.T) {
	sim, url := startSim(t, 3000)
	cl, err := huaweicloud.New(huaweicloud.Config{Endpoint: url, ProjectID: benchProject, AccessKey: benchAK, SecretKey: benchSK})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	refresh, err := newJobsCollector(cl, nil, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	finishedIDs := func() map[string]string {
		out := map[string]string{}
		for _, j := range sim.Jobs() {
			switch j.Status {
			case "SUCCESS":
				out[j.ID] = j.JobType + "/success"
			case "FAILED":
				out[j.ID] = j.JobType + "/failure"
			}
		}
		return out
	}
	if _, err := refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := finishedIDs()
	var s Snapshot
	for range 20 {
		sim.Step()
		for range 2 {
			if s, err = refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]float64{}
	for id, k := range finishedIDs() {
		if _, ok := before[id]; !ok {
			want[k]++
		}
	}
	if len(want) == 0 {
		t.Fatal("nothing finished in 20 steps")
	}
	mfs := renderSnapshot(t, s)
	total := 0.0
	for _, mt := range mfs["workspace_jobs_finished_total"].GetMetric() {
		total += mt.GetCounter().GetValue()
	}
	sum := 0.0
	for k, n := range want {
		typ, result, _ := strings.Cut(k, "/")
		if got := finished(mfs, typ, result); got != n {
			t.Errorf("%s = %v, want %v", k, got, n)
		}
		sum += n
	}
	if total != sum {
		t.Errorf("counted %v in all, want %v", total, sum)
	}
}

// Hostile §4.28.2 and §4.28.1 answers fail the refresh (the last data is
// served, success 0); junk elements are skipped, flooded values fold.
func TestJobsHostileAnswers(t *testing.T) {
	listOp, showOp := hwspec.OpListSubJobs, hwspec.OpShowJob
	cases := []struct {
		name  string
		fault simulator.Fault
		fails bool
	}{
		{"jobs null", simulator.Fault{Kind: simulator.FaultBadList, Operation: listOp, Probability: 1, Variant: simulator.BadListNull}, true},
		{"jobs missing", simulator.Fault{Kind: simulator.FaultBadList, Operation: listOp, Probability: 1, Variant: simulator.BadListMissing}, true},
		{"jobs string", simulator.Fault{Kind: simulator.FaultBadList, Operation: listOp, Probability: 1, Variant: simulator.BadListString}, true},
		{"jobs junk", simulator.Fault{Kind: simulator.FaultJunkItems, Operation: listOp, Probability: 1, Items: 3}, false},
		{"jobs flooded", simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: listOp, Probability: 1}, false},
		{"sub_jobs string", simulator.Fault{Kind: simulator.FaultBadList, Operation: showOp, Probability: 1, Variant: simulator.BadListString}, true},
		{"task echo secret", simulator.Fault{Kind: simulator.FaultEchoSecret, Operation: showOp, Probability: 1, Status: 400}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHostileTargetWith(t, 400, func(url string) string {
				return simYAMLCollectors(url, benchCredentials, "", "jobs: {interval: 1h}"+othersDisabled("jobs"))
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
			before := loginValue(gather(), "workspace_jobs", "job_type=applyWorkspace", "status=SUCCESS")
			h.sim.InjectFault(c.fault)
			refreshAll(h.m)
			mfs := gather()
			ok := loginValue(mfs, "workspace_collector_success", "collector=jobs")
			if c.fails != (ok == 0) || before != 1 {
				t.Fatalf("success %v (want failure %v), applyWorkspace before %v", ok, c.fails, before)
			}
			if n := len(mfs["workspace_jobs"].GetMetric()); n > (28+MaxUndocumentedValues+1)*(4+MaxUndocumentedValues+1) {
				t.Errorf("%d workspace_jobs series", n)
			}
			if strings.Contains(h.logs.String(), benchSK) {
				t.Error("the secret reached the log")
			}
		})
	}
}
