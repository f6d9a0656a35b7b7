package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
)

// fakeAppInstalls is a model.AppInstallJobLister whose jobs the test sets.
type fakeAppInstalls struct {
	mu   sync.Mutex
	jobs []model.AppInstallJob
	err  error
}

func (f *fakeAppInstalls) ListAppInstallJobs(_ context.Context, maxJobs int) ([]model.AppInstallJob, model.ListStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, model.ListStats{}, f.err
	}
	if len(f.jobs) > maxJobs {
		return nil, model.ListStats{}, &model.TooManyItemsError{Operation: "ListAppInstallJobs", Max: maxJobs, Total: int64(len(f.jobs))}
	}
	return append([]model.AppInstallJob(nil), f.jobs...), model.ListStats{Requests: 1, Total: int64(len(f.jobs))}, nil
}

func (f *fakeAppInstalls) set(fn func(f *fakeAppInstalls))  { f.mu.Lock(); fn(f); f.mu.Unlock() }
func (f *fakeAppInstalls) Operations() []string             { return nil }
func (f *fakeAppInstalls) Documented(field string) []string { return hwspec.Spec.Enums[field] }
func (f *fakeAppInstalls) SetCredentials(provider.Credentials) error {
	return nil
}
func (f *fakeAppInstalls) Close() {}

type appInstallsRig struct {
	api     *fakeAppInstalls
	clock   *loginsClock
	refresh RefreshFunc
}

func newAppInstallsRig(t *testing.T, o *AppInstallsOptions) *appInstallsRig {
	t.Helper()
	r := &appInstallsRig{api: &fakeAppInstalls{}, clock: &loginsClock{t: loginsT0}}
	var err error
	if r.refresh, err = newAppInstallsCollector(r.api, o, slog.New(slog.DiscardHandler), r.clock.now); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *appInstallsRig) mustSnap(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	s, err := r.refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return renderSnapshot(t, s)
}

func appJob(key, app, status string) model.AppInstallJob {
	return model.AppInstallJob{Key: key, AppName: app, Status: status, Phase: testPhase(status)}
}

func appFinished(mfs map[string]*dto.MetricFamily, result string) float64 {
	return loginValue(mfs, "workspace_app_install_jobs_finished_total", "result="+result)
}

// The first refresh primes; later ones count each job once per result,
// the first time it is listed finished, however often it is listed again
// and across failed refreshes; a job retried after FAIL that then
// succeeds counts once under each result.
func TestAppInstallsFinishedCountedOnce(t *testing.T) {
	r := newAppInstallsRig(t, nil)
	r.api.set(func(f *fakeAppInstalls) {
		f.jobs = []model.AppInstallJob{appJob("a", "Zoom", "SUCCESS"), appJob("b", "Zoom", "FAIL"), appJob("c", "7-Zip", "WAITING")}
	})
	mfs := r.mustSnap(t)
	if appFinished(mfs, "success") != 0 || appFinished(mfs, "failure") != 0 {
		t.Fatal("priming counted")
	}
	for range 3 {
		r.clock.advance(time.Minute)
		r.mustSnap(t)
	}
	r.api.set(func(f *fakeAppInstalls) {
		f.jobs[2].Status, f.jobs[2].Phase = "SUCCESS", testPhase("SUCCESS")
		f.jobs[1].Status, f.jobs[1].Phase = "WAITING", testPhase("WAITING") // retried (§4.31.18)
		f.jobs = append(f.jobs, appJob("d", "Zoom", "FAIL"))
		f.err = errors.New("boom")
	})
	if _, err := r.refresh(context.Background()); err == nil {
		t.Fatal("no error")
	}
	r.api.set(func(f *fakeAppInstalls) { f.err = nil })
	for range 2 {
		r.clock.advance(time.Minute)
		mfs = r.mustSnap(t)
	}
	if appFinished(mfs, "success") != 1 || appFinished(mfs, "failure") != 1 {
		t.Fatalf("success %v failure %v, want 1 1", appFinished(mfs, "success"), appFinished(mfs, "failure"))
	}
	r.api.set(func(f *fakeAppInstalls) { f.jobs[1].Status, f.jobs[1].Phase = "SUCCESS", testPhase("SUCCESS") })
	r.mustSnap(t)
	mfs = r.mustSnap(t)
	if appFinished(mfs, "success") != 2 || appFinished(mfs, "failure") != 1 {
		t.Fatalf("after the retry: success %v failure %v, want 2 1", appFinished(mfs, "success"), appFinished(mfs, "failure"))
	}
}

// The status gauge has every documented status (0 when none) and folds
// undocumented values; per-application series are bounded by max_apps
// with the rest as "other"; the oldest unfinished age and the stalled
// jobs come from create_time and update_time.
func TestAppInstallsGauges(t *testing.T) {
	r := newAppInstallsRig(t, &AppInstallsOptions{MaxJobs: 100, MaxApps: 2, StallAfter: config.Duration(30 * time.Minute)})
	at := func(j model.AppInstallJob, created, updated time.Duration) model.AppInstallJob {
		j.Created, j.Updated = loginsT0.Add(-created), loginsT0.Add(-updated)
		return j
	}
	r.api.set(func(f *fakeAppInstalls) {
		f.jobs = []model.AppInstallJob{
			at(appJob("a", "Zoom", "WAITING"), 2*time.Hour, time.Hour), // stalled, the oldest
			at(appJob("b", "Zoom", "INIT"), 10*time.Minute, 10*time.Minute),
			at(appJob("c", "Teams", "SUCCESS"), 5*time.Hour, 5*time.Hour),                                                         // finished: neither
			{Key: "d", AppName: "Chrome", Status: "WAITING", Phase: model.PhaseWaiting, Created: loginsT0.Add(-40 * time.Minute)}, // stalled by create_time
			appJob("e", "Teams", "CANCELLED"),
			appJob("f", "", "INIT"), // no times: neither
		}
	})
	mfs := r.mustSnap(t)
	for st, want := range map[string]float64{"INIT": 2, "WAITING": 2, "SUCCESS": 1, "FAIL": 0, "CANCELLED": 1} {
		if got := loginValue(mfs, "workspace_app_install_jobs", "status="+st); got != want {
			t.Errorf("%s = %v, want %v", st, got, want)
		}
	}
	if got := loginValue(mfs, "workspace_app_install_oldest_unfinished_age_seconds"); got != 7200 {
		t.Errorf("oldest = %v", got)
	}
	if got := loginValue(mfs, "workspace_app_install_jobs_stalled"); got != 2 {
		t.Errorf("stalled = %v", got)
	}
	apps := map[string]bool{}
	for _, m := range mfs["workspace_app_install_jobs_by_app"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "app" {
				apps[l.GetValue()] = true
			}
		}
	}
	if len(apps) != 3 || !apps["Zoom"] || !apps["Teams"] || !apps[OtherValue] {
		t.Errorf("apps %v", apps)
	}
	if got := loginValue(mfs, "workspace_app_install_jobs_by_app", "app=other", "status=INIT"); got != 1 {
		t.Errorf("other INIT = %v", got)
	}
	r2 := newAppInstallsRig(t, &AppInstallsOptions{MaxJobs: 100, MaxApps: 0, StallAfter: config.Duration(time.Hour)})
	r2.api.set(func(f *fakeAppInstalls) { f.jobs = []model.AppInstallJob{appJob("a", "Zoom", "INIT")} })
	if mf := r2.mustSnap(t)["workspace_app_install_jobs_by_app"]; mf != nil && len(mf.GetMetric()) > 0 {
		t.Error("per-app series with max_apps 0")
	}
}

// A listing over max_jobs fails the refresh with an error naming the
// option; the options are validated at their keys.
func TestAppInstallsMaxJobsAndOptions(t *testing.T) {
	r := newAppInstallsRig(t, &AppInstallsOptions{MaxJobs: 100, MaxApps: 1, StallAfter: config.Duration(time.Hour)})
	r.api.set(func(f *fakeAppInstalls) {
		for i := range 101 {
			f.jobs = append(f.jobs, appJob(fmt.Sprint(i), "Zoom", "SUCCESS"))
		}
	})
	if _, err := r.refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "max_jobs") {
		t.Fatalf("%v", err)
	}
	checkCollectorOptions(t, "app_installs", map[string]string{
		`{}`:                          "",
		`{max_jobs: 99}`:              "collectors.app_installs.max_jobs: 99 is outside 100..1000000",
		`{max_apps: 101}`:             "outside 0..100",
		`{stall_after: 10s}`:          "stall_after",
		`{stall_after: 2h}`:           "",
		`{unknown_key: 1}`:            "unknown_key",
		`{interval: 5m, max_apps: 0}`: "",
	}, nil)
}

// Through the signed client against the simulator: the status and
// per-app gauges equal the simulator's own job list (AppInstallJobs, not
// through its handlers); every unfinished job is on a desktop of the
// fleet's desktop list (the cross-endpoint agreement); and across steps,
// with two refreshes per step and the page faults of a failed refresh
// between, the counter counts exactly the jobs that finished since the
// first refresh, once each.
func TestAppInstallsAgainstSimulator(t *testing.T) {
	sim, url := startSim(t, 3000)
	for range 5 {
		sim.Step()
	}
	cl, err := huaweicloud.New(huaweicloud.Config{Endpoint: url, ProjectID: benchProject, AccessKey: benchAK, SecretKey: benchSK})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	refresh, err := newAppInstallsCollector(cl, &AppInstallsOptions{MaxJobs: 10_000, MaxApps: 20, StallAfter: config.Duration(time.Hour)}, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mfs := renderSnapshot(t, s)
	jobs := sim.AppInstallJobs()
	byStatus, byApp := map[string]float64{}, map[[2]string]float64{}
	desktops := map[string]bool{}
	for _, d := range sim.Desktops() {
		desktops[d.DesktopID] = true
	}
	finishedBefore := map[string]bool{}
	for _, j := range jobs {
		byStatus[j.Status]++
		byApp[[2]string{j.AppName, j.Status}]++
		switch j.Status {
		case "INIT", "WAITING":
			if !desktops[j.InstanceID] {
				t.Errorf("unfinished job %s on %s: not in the desktop list", j.ID, j.InstanceID)
			}
		default:
			finishedBefore[j.ID+j.Status] = true
		}
	}
	for _, st := range []string{"INIT", "WAITING", "SUCCESS", "FAIL"} {
		if got := loginValue(mfs, "workspace_app_install_jobs", "status="+st); got != byStatus[st] {
			t.Errorf("%s = %v, want %v", st, got, byStatus[st])
		}
	}
	if n := len(mfs["workspace_app_install_jobs"].GetMetric()); n != 4 {
		t.Errorf("%d status series", n)
	}
	for k, want := range byApp {
		if got := loginValue(mfs, "workspace_app_install_jobs_by_app", "app="+k[0], "status="+k[1]); got != want {
			t.Errorf("%v = %v, want %v", k, got, want)
		}
	}
	if appFinished(mfs, "success") != 0 || appFinished(mfs, "failure") != 0 {
		t.Error("the first refresh counted")
	}
	for i := range 20 {
		sim.Step()
		if i == 7 {
			sim.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListAppInstallJobs, Probability: 1, Variant: simulator.BadListNull})
			if _, err := refresh(context.Background()); err == nil {
				t.Fatal("a null items list did not fail the refresh")
			}
			sim.ClearFaults()
		}
		for range 2 {
			if s, err = refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]float64{}
	for _, j := range sim.AppInstallJobs() {
		if (j.Status == "SUCCESS" || j.Status == "FAIL") && !finishedBefore[j.ID+j.Status] {
			want[j.Status]++
		}
	}
	mfs = renderSnapshot(t, s)
	if want["SUCCESS"] == 0 || appFinished(mfs, "success") != want["SUCCESS"] || appFinished(mfs, "failure") != want["FAIL"] {
		t.Errorf("counted success %v failure %v, want %v", appFinished(mfs, "success"), appFinished(mfs, "failure"), want)
	}
}

// Every family the collector declares is rendered with the target label.
func TestAppInstallsFamilies(t *testing.T) {
	r := newAppInstallsRig(t, nil)
	r.api.set(func(f *fakeAppInstalls) { f.jobs = []model.AppInstallJob{appJob("a", "Zoom", "INIT")} })
	mfs := r.mustSnap(t)
	for _, d := range registry["app_installs"].Families {
		if d == labelValuesFoldedDesc {
			continue
		}
		if mf := mfs[d.Name()]; mf == nil || len(mf.GetMetric()) == 0 {
			t.Errorf("%s not rendered", d.Name())
		}
	}
}
