package collector

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// The jobs collector follows the provider's asynchronous tasks through
// its model.JobReader (Huawei: GET /v2/{project_id}/workspace-sub-jobs,
// API reference §4.28.2, every subtask the API keeps, and GET
// /v2/{project_id}/workspace-jobs/{job_id}, §4.28.1, for the tasks it
// follows).
//
// Each refresh lists every subtask. workspace_jobs counts them by type
// and status (the list is the API's whole history, not a window).
// workspace_jobs_finished_total counts each subtask once, the first time
// it is listed finished (SUCCESS or FAILED, the documented terminal
// statuses); the keys counted are remembered (as 128-bit digests) while
// the API lists them and for a day after it stops, so that overlapping
// listings never count one twice. All counting state changes only when a
// refresh succeeds as a whole. The first successful refresh after the
// exporter starts only remembers the finished subtasks already there (it
// counts nothing), so a restart never counts them again; the counters are
// then present at 0.
//
// The tasks followed with §4.28.1 are those of follow_job_ids and, up to
// max_followed_jobs, the latest tasks of the service subscription
// (applyWorkspace) and cancellation (cancelWorkspace) found in the list:
// the job that §4.2.8 (and seed 001's legacy v1.0 call) starts, which the
// exporter never starts itself.

func init() {
	registerCollector(Collector{
		Name:            "jobs",
		DefaultEnabled:  true,
		DefaultInterval: time.Minute,
		Capability:      model.CapabilityJobs,
		NewOptions:      func() any { return defaultJobsOptions() },
		New: func(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error) {
			return newJobsCollector(api, opts, logger, time.Now)
		},
		Families: []*FamilyDesc{jobsDesc, jobsFinishedDesc, jobProgressDesc, jobOldestRunningDesc,
			followedJobStatusDesc, followedJobSubJobsDesc, labelValuesFoldedDesc},
	})
}

// Bounds of the jobs collector's options.
const (
	maxJobsProgressSeries = 1000
	minJobsMaxJobs        = 1000
	maxJobsMaxJobs        = 10_000_000
	maxJobsFollowed       = 20
	// jobsForgetAfter is how long a counted subtask's key is remembered
	// after the API stopped listing it.
	jobsForgetAfter = 24 * time.Hour
)

// JobsOptions are the jobs collector's own settings.
type JobsOptions struct {
	// MaxProgressSeries bounds the per-job workspace_job_progress series:
	// the running subtasks that started first; 0 turns them off.
	MaxProgressSeries int `yaml:"max_progress_series"`
	// MaxJobs bounds the subtasks of one listing (and the keys
	// remembered); a listing longer fails the refresh.
	MaxJobs int `yaml:"max_jobs"`
	// FollowJobIDs are task IDs to follow with the task details call
	// (e.g. the job_id a subscription returned).
	FollowJobIDs []string `yaml:"follow_job_ids"`
	// MaxFollowedJobs is how many subscription and cancellation tasks
	// found in the list are followed on top of FollowJobIDs; 0 turns
	// that off.
	MaxFollowedJobs int `yaml:"max_followed_jobs"`
}

func defaultJobsOptions() *JobsOptions {
	return &JobsOptions{MaxProgressSeries: 20, MaxJobs: 200_000, MaxFollowedJobs: 3}
}

// jobIDOption is what a follow_job_ids entry must look like.
var jobIDOption = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// Validate implements config.OptionsValidator.
func (o *JobsOptions) Validate(v *config.Validation) {
	v.IntRange("max_progress_series", o.MaxProgressSeries, 0, maxJobsProgressSeries)
	v.IntRange("max_jobs", o.MaxJobs, minJobsMaxJobs, maxJobsMaxJobs)
	v.IntRange("max_followed_jobs", o.MaxFollowedJobs, 0, maxJobsFollowed)
	if len(o.FollowJobIDs) > maxJobsFollowed {
		v.Fail("follow_job_ids", "%d task IDs, at most %d", len(o.FollowJobIDs), maxJobsFollowed)
	}
	seen := map[string]bool{}
	for _, id := range o.FollowJobIDs {
		switch {
		case !jobIDOption.MatchString(id):
			v.Fail("follow_job_ids", "%q is not a task ID (1 to 128 letters, digits, '.', '_' or '-')", config.Truncate(id))
		case seen[id]:
			v.Fail("follow_job_ids", "%q is listed twice", id)
		}
		seen[id] = true
	}
}

// Job types the collector treats specially (API reference §4.28.2, 003
// L44107).
const (
	jobTypeApply  = "applyWorkspace"
	jobTypeCancel = "cancelWorkspace"
)

// Result label values of workspace_jobs_finished_total.
const (
	jobResultSuccess = "success"
	jobResultFailure = "failure"
)

var (
	jobsDesc = NewFamilyDesc(Namespace+"_jobs",
		"Subtasks the API lists (its whole history, not a window), by job type and status. Every documented type and status is present (0 when none); undocumented values the API returns are added.",
		prometheus.GaugeValue, "target", "job_type", "status")
	jobsFinishedDesc = NewFamilyDesc(Namespace+"_jobs_finished_total",
		"Subtasks that finished, by job type and result (success: SUCCESS, failure: FAILED). Each subtask is counted once, when it is first listed finished; the first refresh after the exporter starts only remembers the subtasks already finished, so a restart never counts them again.",
		prometheus.CounterValue, "target", "job_type", "result")
	jobProgressDesc = NewFamilyDesc(Namespace+"_job_progress",
		"Progress (0..1) of running subtasks that report one, by subtask ID: at most max_progress_series, those that started first.",
		prometheus.GaugeValue, "target", "job_id", "job_type")
	jobOldestRunningDesc = NewFamilyDesc(Namespace+"_job_oldest_running_age_seconds",
		"Seconds since the oldest running subtask of each job type began (0 when none runs or none reports its start).",
		prometheus.GaugeValue, "target", "job_type")
	followedJobStatusDesc = NewFamilyDesc(Namespace+"_followed_job_status",
		"Status of each followed task (follow_job_ids, and the latest service subscription and cancellation tasks): 1 for the task's current status. Absent for a task the API does not know.",
		prometheus.GaugeValue, "target", "job_id", "job_type", "status")
	followedJobSubJobsDesc = NewFamilyDesc(Namespace+"_followed_job_sub_jobs",
		"Subtasks of each followed task, as the API announces them (sub_jobs_total, else the subtasks listed).",
		prometheus.GaugeValue, "target", "job_id")
)

// jobCount is one counter series: a job type (as its counter label
// value) and a result.
type jobCount struct{ jobType, result string }

// jobsState is what the collector remembers between refreshes. It is
// changed only by commit, after a refresh succeeded.
type jobsState struct {
	mu       sync.Mutex
	finished *onceSet
	types    *stickyValues
	counts   map[jobCount]uint64
}

// followedJob is one followed task's series.
type followedJob struct {
	id, jobType, status string
	subJobs             int64
}

func newJobsCollector(api provider.Client, opts any, logger *slog.Logger, now func() time.Time) (RefreshFunc, error) {
	jr, ok := api.(model.JobReader)
	if !ok {
		return nil, fmt.Errorf("the provider client has no %s capability (model.JobReader)", model.CapabilityJobs)
	}
	o, _ := opts.(*JobsOptions)
	if o == nil {
		o = defaultJobsOptions()
	}
	types, statuses := api.Documented(model.FieldJobType), api.Documented(model.FieldJobStatus)
	st := &jobsState{finished: newOnceSet(), types: newStickyValues(types), counts: map[jobCount]uint64{}}
	return func(ctx context.Context) (Snapshot, error) {
		jobs, stats, err := jr.ListJobs(ctx)
		if err != nil {
			return nil, err
		}
		if len(jobs) > o.MaxJobs {
			return nil, fmt.Errorf("the API lists %d subtasks, more than max_jobs (%d): raise max_jobs", len(jobs), o.MaxJobs)
		}
		followed, err := followJobs(ctx, jr, jobs, o, logger)
		if err != nil {
			return nil, err
		}
		t := now()
		st.mu.Lock()
		defer st.mu.Unlock()
		primed := st.finished.Primed()
		counted := st.count(jobs, t, o.MaxJobs)
		logger.Debug("listed jobs", "jobs", len(jobs), "requests", stats.Requests, "page_size", stats.PageSize,
			"total", stats.Total, "skipped_items", stats.Invalid, "walks", stats.Walks, "counted", counted,
			"priming", !primed, "remembered", st.finished.Len(), "followed", len(followed))
		snap := newJobsSnapshot(jobs, types, statuses, t, o.MaxProgressSeries, followed)
		snap.counterTypes = st.types.Values(types)
		snap.counts = make(map[jobCount]uint64, len(st.counts))
		for k, v := range st.counts {
			snap.counts[k] = v
		}
		logFolded(logger, snap.types, snap.statuses)
		return snap, nil
	}, nil
}

// followJobs reads the tasks to follow: the configured ones, then the
// latest subscription and cancellation tasks of the list.
func followJobs(ctx context.Context, jr model.JobReader, jobs []model.Job, o *JobsOptions, logger *slog.Logger) ([]followedJob, error) {
	ids := append([]string(nil), o.FollowJobIDs...)
	configured := len(ids)
	if o.MaxFollowedJobs > 0 {
		type cand struct {
			id    string
			begin time.Time
		}
		latest := map[string]time.Time{}
		for i := range jobs {
			j := &jobs[i]
			if (j.JobType == jobTypeApply || j.JobType == jobTypeCancel) && j.JobID != "" {
				if b, ok := latest[j.JobID]; !ok || j.Begin.After(b) {
					latest[j.JobID] = j.Begin
				}
			}
		}
		cands := make([]cand, 0, len(latest))
		for id, b := range latest {
			if !slices.Contains(ids, id) {
				cands = append(cands, cand{id, b})
			}
		}
		slices.SortFunc(cands, func(a, b cand) int {
			if c := b.begin.Compare(a.begin); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
		for _, c := range cands[:min(len(cands), o.MaxFollowedJobs)] {
			ids = append(ids, c.id)
		}
	}
	out := make([]followedJob, 0, len(ids))
	for i, id := range ids {
		d, found, err := jr.ShowJob(ctx, id)
		if err != nil {
			return nil, err
		}
		if !found {
			if i < configured {
				logger.Warn("the API does not know a task of follow_job_ids", "job_id", id)
			}
			continue
		}
		f := followedJob{id: id, jobType: labelValue(d.JobType), status: labelValue(d.Status), subJobs: int64(len(d.SubJobs))}
		if d.HasSubJobsTotal {
			f.subJobs = d.SubJobsTotal
		}
		out = append(out, f)
	}
	return out, nil
}

// count counts the subtasks listed finished (SUCCESS or FAILED, the
// documented terminal statuses) that were not counted before, and
// commits: the finished keys listed are remembered with the refresh
// time, those not listed for jobsForgetAfter are forgotten (all those not
// listed when more than maxKeys would be remembered). Counter label
// values of undocumented types are sticky (stickyValues).
func (st *jobsState) count(jobs []model.Job, now time.Time, maxKeys int) int {
	tx, types := st.finished.Begin(), st.types.Begin()
	counts := map[jobCount]uint64{}
	t := now.Unix()
	for i := range jobs {
		j := &jobs[i]
		var result string
		switch j.Phase {
		case model.PhaseSucceeded:
			result = jobResultSuccess
		case model.PhaseFailed:
			result = jobResultFailure
		default:
			continue
		}
		if tx.Observe(j.Key, t) {
			counts[jobCount{types.Value(labelValue(j.JobType)), result}]++
		}
	}
	cut := now.Add(-jobsForgetAfter).Unix()
	if tx.Size(cut) > maxKeys {
		cut = t
	}
	tx.Commit(cut)
	types.Commit()
	for k, n := range counts {
		st.counts[k] += n
	}
	return tx.Counted
}

// jobsSnapshot is immutable once built.
type jobsSnapshot struct {
	types, statuses *labelFolder
	gauge           map[[2]string]int // (job_type, status) → subtasks, folded values
	oldest          map[string]float64
	progress        []jobProgress
	followed        []followedJob
	counterTypes    []string
	counts          map[jobCount]uint64
}

type jobProgress struct {
	id, jobType string
	value       float64
}

// newJobsSnapshot aggregates the listed subtasks.
func newJobsSnapshot(jobs []model.Job, types, statuses []string, now time.Time, maxProgress int, followed []followedJob) *jobsSnapshot {
	rawTypes, rawStatuses := map[string]int{}, map[string]int{}
	for i := range jobs {
		rawTypes[labelValue(jobs[i].JobType)]++
		rawStatuses[labelValue(jobs[i].Status)]++
	}
	s := &jobsSnapshot{
		types:    newLabelFolder("job_type", types, rawTypes),
		statuses: newLabelFolder("status", statuses, rawStatuses),
		gauge:    map[[2]string]int{},
		oldest:   map[string]float64{},
		followed: followed,
	}
	var running []*model.Job
	for i := range jobs {
		j := &jobs[i]
		jt := s.types.value(labelValue(j.JobType))
		s.gauge[[2]string{jt, s.statuses.value(labelValue(j.Status))}]++
		if j.Phase != model.PhaseRunning {
			continue
		}
		if !j.Begin.IsZero() {
			age := max(now.Sub(j.Begin).Seconds(), 0)
			if age > s.oldest[jt] {
				s.oldest[jt] = age
			}
		}
		if j.HasProgress {
			running = append(running, j)
		}
	}
	if maxProgress > 0 && len(running) > 0 {
		slices.SortFunc(running, func(a, b *model.Job) int {
			switch {
			case a.Begin.IsZero() != b.Begin.IsZero():
				if a.Begin.IsZero() {
					return 1
				}
				return -1
			case !a.Begin.Equal(b.Begin):
				return a.Begin.Compare(b.Begin)
			}
			return cmp.Compare(a.Key, b.Key)
		})
		for _, j := range running[:min(len(running), maxProgress)] {
			s.progress = append(s.progress, jobProgress{j.Key, s.types.value(labelValue(j.JobType)), float64(j.Progress) / 100})
		}
	}
	return s
}

// Render adds the snapshot's series.
func (s *jobsSnapshot) Render(b *Builder, target string) {
	for _, jt := range s.types.values {
		for _, st := range s.statuses.values {
			b.Add(jobsDesc, float64(s.gauge[[2]string{jt, st}]), target, jt, st)
		}
		b.Add(jobOldestRunningDesc, s.oldest[jt], target, jt)
	}
	for _, jt := range s.counterTypes {
		b.Add(jobsFinishedDesc, float64(s.counts[jobCount{jt, jobResultSuccess}]), target, jt, jobResultSuccess)
		b.Add(jobsFinishedDesc, float64(s.counts[jobCount{jt, jobResultFailure}]), target, jt, jobResultFailure)
	}
	if s.counts[jobCount{OtherValue, jobResultSuccess}]+s.counts[jobCount{OtherValue, jobResultFailure}] > 0 && !slices.Contains(s.counterTypes, OtherValue) {
		b.Add(jobsFinishedDesc, float64(s.counts[jobCount{OtherValue, jobResultSuccess}]), target, OtherValue, jobResultSuccess)
		b.Add(jobsFinishedDesc, float64(s.counts[jobCount{OtherValue, jobResultFailure}]), target, OtherValue, jobResultFailure)
	}
	for _, p := range s.progress {
		b.Add(jobProgressDesc, p.value, target, p.id, p.jobType)
	}
	for _, f := range s.followed {
		b.Add(followedJobStatusDesc, 1, target, f.id, f.jobType, f.status)
		b.Add(followedJobSubJobsDesc, float64(f.subJobs), target, f.id)
	}
	renderFolded(b, target, "jobs", s.types, s.statuses)
}
