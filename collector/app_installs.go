package collector

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// The app_installs collector follows the application installation jobs
// through the provider's model.AppInstallJobLister (Huawei: GET
// /v1/{project_id}/app-center/jobs, API reference §4.31.16).
//
// The API documents no time filter for the list (003 L48452-48457:
// instance_id, app_id, target and job_status only), so each refresh reads
// the whole installation history the API keeps, bounded by max_jobs: a
// longer list fails the refresh with an error naming the option (the
// client stops reading at the bound).
//
// workspace_app_install_jobs counts the listed jobs by status;
// workspace_app_install_jobs_by_app by application name (the max_apps
// applications with the most jobs, the rest as "other"; 0 turns it off).
// workspace_app_install_jobs_finished_total counts each job once per
// result, the first time it is listed SUCCESS (success) or FAIL (failure),
// with collector/once.go: a job retried after a failure (§4.31.18) that
// then succeeds counts once under each result. The first successful
// refresh after the exporter starts only remembers the finished jobs
// already listed. The oldest unfinished (INIT or WAITING) job's age and
// the unfinished jobs without an update for stall_after show stuck
// installations. The operator, the target user and the failure text are
// never read.

func init() {
	registerCollector(Collector{
		Name:            "app_installs",
		DefaultEnabled:  true,
		DefaultInterval: 2 * time.Minute,
		Capability:      model.CapabilityAppInstalls,
		NewOptions:      func() any { return defaultAppInstallsOptions() },
		New: func(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error) {
			return newAppInstallsCollector(api, opts, logger, time.Now)
		},
		Families: []*FamilyDesc{appInstallJobsDesc, appInstallJobsByAppDesc, appInstallFinishedDesc,
			appInstallOldestDesc, appInstallStalledDesc, labelValuesFoldedDesc},
	})
}

// Bounds of the app_installs collector's options.
const (
	minAppInstallsMaxJobs = 100
	maxAppInstallsMaxJobs = 1_000_000
	maxAppInstallsApps    = 100
	// appInstallsForgetAfter is how long a counted job's key is
	// remembered after the API stopped listing it.
	appInstallsForgetAfter = 24 * time.Hour
)

// AppInstallsOptions are the app_installs collector's own settings.
type AppInstallsOptions struct {
	// MaxJobs bounds the jobs of one listing (and the keys remembered);
	// a listing longer fails the refresh.
	MaxJobs int `yaml:"max_jobs"`
	// MaxApps bounds the applications of workspace_app_install_jobs_by_app;
	// the others are "other". 0 turns the family off.
	MaxApps int `yaml:"max_apps"`
	// StallAfter is how long an unfinished job may go without an update
	// before it counts in workspace_app_install_jobs_stalled.
	StallAfter config.Duration `yaml:"stall_after"`
}

func defaultAppInstallsOptions() *AppInstallsOptions {
	return &AppInstallsOptions{MaxJobs: 10_000, MaxApps: 10, StallAfter: config.Duration(time.Hour)}
}

// Validate implements config.OptionsValidator.
func (o *AppInstallsOptions) Validate(v *config.Validation) {
	v.IntRange("max_jobs", o.MaxJobs, minAppInstallsMaxJobs, maxAppInstallsMaxJobs)
	v.IntRange("max_apps", o.MaxApps, 0, maxAppInstallsApps)
	v.DurationRange("stall_after", o.StallAfter, time.Minute, 7*24*time.Hour)
}

var (
	appInstallJobsDesc = NewFamilyDesc(Namespace+"_app_install_jobs",
		"Application installation jobs the API lists (its whole history, not a window), by status. Every documented status (INIT, WAITING, SUCCESS, FAIL) is present (0 when none); undocumented values the API returns are added.",
		prometheus.GaugeValue, "target", "status")
	appInstallJobsByAppDesc = NewFamilyDesc(Namespace+"_app_install_jobs_by_app",
		"Application installation jobs the API lists, by application name and status: the max_apps applications with the most jobs, the rest as \"other\".",
		prometheus.GaugeValue, "target", "app", "status")
	appInstallFinishedDesc = NewFamilyDesc(Namespace+"_app_install_jobs_finished_total",
		"Application installation jobs that finished, by result (success: SUCCESS, failure: FAIL). Each job is counted once per result, when it is first listed finished; the first refresh after the exporter starts only remembers the jobs already finished.",
		prometheus.CounterValue, "target", "result")
	appInstallOldestDesc = NewFamilyDesc(Namespace+"_app_install_oldest_unfinished_age_seconds",
		"Seconds since the oldest unfinished (INIT or WAITING) installation job was created (0 when none is unfinished or none reports its creation time).",
		prometheus.GaugeValue, "target")
	appInstallStalledDesc = NewFamilyDesc(Namespace+"_app_install_jobs_stalled",
		"Unfinished (INIT or WAITING) installation jobs whose last update (update_time, else create_time) is more than stall_after ago.",
		prometheus.GaugeValue, "target")
)

// appInstallsState is what the collector remembers between refreshes. It
// is changed only after a refresh succeeded.
type appInstallsState struct {
	mu       sync.Mutex
	finished *onceSet
	success  uint64
	failure  uint64
}

func newAppInstallsCollector(api provider.Client, opts any, logger *slog.Logger, now func() time.Time) (RefreshFunc, error) {
	al, ok := api.(model.AppInstallJobLister)
	if !ok {
		return nil, fmt.Errorf("the provider client has no %s capability (model.AppInstallJobLister)", model.CapabilityAppInstalls)
	}
	o, _ := opts.(*AppInstallsOptions)
	if o == nil {
		o = defaultAppInstallsOptions()
	}
	statuses := api.Documented(model.FieldAppInstallStatus)
	st := &appInstallsState{finished: newOnceSet()}
	return func(ctx context.Context) (Snapshot, error) {
		jobs, stats, err := al.ListAppInstallJobs(ctx, o.MaxJobs)
		var tm *model.TooManyItemsError
		if errors.As(err, &tm) {
			return nil, fmt.Errorf("%w: more than max_jobs (%d) installation jobs: raise max_jobs", err, o.MaxJobs)
		}
		if err != nil {
			return nil, err
		}
		if len(jobs) > o.MaxJobs {
			return nil, fmt.Errorf("the API lists %d installation jobs, more than max_jobs (%d): raise max_jobs", len(jobs), o.MaxJobs)
		}
		t := now()
		st.mu.Lock()
		defer st.mu.Unlock()
		primed := st.finished.Primed()
		counted := st.count(jobs, t, o.MaxJobs)
		snap := newAppInstallsSnapshot(jobs, statuses, t, o)
		snap.success, snap.failure = st.success, st.failure
		logger.Debug("listed installation jobs", "jobs", len(jobs), "requests", stats.Requests, "page_size", stats.PageSize,
			"total", stats.Total, "skipped_items", stats.Invalid, "walks", stats.Walks, "counted", counted,
			"priming", !primed, "remembered", st.finished.Len())
		logFolded(logger, snap.statuses)
		return snap, nil
	}, nil
}

// count counts the jobs listed finished that were not counted before
// with that result, and commits: the keys listed are remembered with the
// refresh time, those not listed for appInstallsForgetAfter are
// forgotten (all those not listed when more than maxKeys would be
// remembered).
func (st *appInstallsState) count(jobs []model.AppInstallJob, now time.Time, maxKeys int) int {
	tx := st.finished.Begin()
	var success, failure uint64
	t := now.Unix()
	for i := range jobs {
		j := &jobs[i]
		switch j.Phase {
		case model.PhaseSucceeded:
			if tx.Observe(j.Key+"\x00success", t) {
				success++
			}
		case model.PhaseFailed:
			if tx.Observe(j.Key+"\x00failure", t) {
				failure++
			}
		}
	}
	cut := now.Add(-appInstallsForgetAfter).Unix()
	if tx.Size(cut) > maxKeys {
		cut = t
	}
	tx.Commit(cut)
	st.success += success
	st.failure += failure
	return tx.Counted
}

// appInstallsSnapshot is immutable once built.
type appInstallsSnapshot struct {
	statuses         *labelFolder
	byStatus         map[string]int
	apps             []string // exported app label values, OtherValue last when present
	byApp            map[[2]string]int
	oldest           float64
	stalled          int
	success, failure uint64
}

// newAppInstallsSnapshot aggregates the listed jobs.
func newAppInstallsSnapshot(jobs []model.AppInstallJob, statuses []string, now time.Time, o *AppInstallsOptions) *appInstallsSnapshot {
	raw := map[string]int{}
	appCounts := map[string]int{}
	for i := range jobs {
		raw[labelValue(jobs[i].Status)]++
		appCounts[labelValue(jobs[i].AppName)]++
	}
	s := &appInstallsSnapshot{statuses: newLabelFolder("status", statuses, raw), byStatus: map[string]int{}, byApp: map[[2]string]int{}}
	kept := map[string]bool{}
	if o.MaxApps > 0 {
		names := make([]string, 0, len(appCounts))
		for n := range appCounts {
			names = append(names, n)
		}
		slices.SortFunc(names, func(a, b string) int {
			if c := cmp.Compare(appCounts[b], appCounts[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		for _, n := range names[:min(len(names), o.MaxApps)] {
			if n != OtherValue {
				kept[n] = true
				s.apps = append(s.apps, n)
			}
		}
		slices.Sort(s.apps)
		if len(kept) < len(appCounts) {
			s.apps = append(s.apps, OtherValue)
		}
	}
	stallCut := now.Add(-time.Duration(o.StallAfter))
	for i := range jobs {
		j := &jobs[i]
		status := s.statuses.value(labelValue(j.Status))
		s.byStatus[status]++
		if o.MaxApps > 0 {
			app := labelValue(j.AppName)
			if !kept[app] {
				app = OtherValue
			}
			s.byApp[[2]string{app, status}]++
		}
		if j.Phase != model.PhaseWaiting && j.Phase != model.PhaseRunning {
			continue
		}
		if !j.Created.IsZero() {
			s.oldest = max(s.oldest, now.Sub(j.Created).Seconds())
		}
		last := j.Updated
		if last.IsZero() || last.Before(j.Created) {
			last = j.Created
		}
		if !last.IsZero() && last.Before(stallCut) {
			s.stalled++
		}
	}
	return s
}

// Render adds the snapshot's series.
func (s *appInstallsSnapshot) Render(b *Builder, target string) {
	for _, st := range s.statuses.values {
		b.Add(appInstallJobsDesc, float64(s.byStatus[st]), target, st)
	}
	for _, app := range s.apps {
		for _, st := range s.statuses.values {
			b.Add(appInstallJobsByAppDesc, float64(s.byApp[[2]string{app, st}]), target, app, st)
		}
	}
	b.Add(appInstallFinishedDesc, float64(s.success), target, "success")
	b.Add(appInstallFinishedDesc, float64(s.failure), target, "failure")
	b.Add(appInstallOldestDesc, s.oldest, target)
	b.Add(appInstallStalledDesc, float64(s.stalled), target)
	renderFolded(b, target, "app_installs", s.statuses)
}
