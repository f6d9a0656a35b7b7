package collector

import (
	"context"
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

// The scripts collector follows script and command executions through
// the provider's model.ScriptReader (Huawei: GET
// /v2/{project_id}/script-execution-tasks, API reference §4.24.9, the
// batch runs over desktops; GET /v2/{project_id}/script-execution-records,
// §4.24.8, one record per desktop run; GET
// /v2/{project_id}/desktop-pools/script-execution-tasks/detail, §4.4.16,
// the runs over desktop pools). §4.24.7 (one record with the script's
// printed output) is never called.
//
// Each refresh lists the three over the execution-time window [now −
// lookback, now]. The gauges count what the window holds by status. The
// counters count each finished item once, by its key, the first time it
// is listed finished: its status is a documented terminal one (SUCCESS,
// FINISH, FAILED, FAIL, SKIP), or it has an end time and its status is
// not a documented running one (RUNNING, WAITING, INIT). The keys counted
// are remembered (as 128-bit digests) with the item's start time (the
// refresh time when it has none) and forgotten once that falls before the
// window; items that started before the window are not counted (the API
// should not list them; one listed after its key was forgotten would
// count again). All counting state changes only when a refresh succeeds
// as a whole; the first successful refresh after the exporter starts only
// remembers the finished items already there (it counts nothing), so a
// restart never counts them again; the counters are then present at 0.

func init() {
	registerCollector(Collector{
		Name:            "scripts",
		DefaultEnabled:  true,
		DefaultInterval: 2 * time.Minute,
		Capability:      model.CapabilityScripts,
		NewOptions:      func() any { return defaultScriptsOptions() },
		New: func(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error) {
			return newScriptsCollector(api, opts, logger, time.Now)
		},
		Families: []*FamilyDesc{scriptTasksDesc, poolScriptTasksDesc, scriptRunsDesc,
			scriptTasksFinishedDesc, poolScriptTasksFinishedDesc, scriptRunsFinishedDesc, scriptRunFailuresDesc,
			scriptTaskDesktopsDesc, poolScriptTaskDesktopsDesc,
			scriptTaskOldestRunningDesc, poolScriptTaskOldestRunningDesc, labelValuesFoldedDesc},
	})
}

// Bounds of the scripts collector's options.
const (
	minScriptsLookback = 10 * time.Minute
	maxScriptsLookback = 7 * 24 * time.Hour
	minScriptsMaxItems = 1000
	maxScriptsMaxItems = 10_000_000
)

// ScriptsOptions are the scripts collector's own settings.
type ScriptsOptions struct {
	// Lookback is the execution-time window each refresh lists: at
	// least 10m and at least twice the collector's interval, so that
	// consecutive windows overlap. A run that lasts longer than
	// lookback is never counted.
	Lookback config.Duration `yaml:"lookback"`
	// MaxTasks bounds the script tasks, and the pool script tasks, of
	// one window (and the keys of each remembered); a listing longer
	// fails the refresh.
	MaxTasks int `yaml:"max_tasks"`
	// MaxRuns bounds the desktop runs of one window (and the keys
	// remembered); a listing longer fails the refresh.
	MaxRuns int `yaml:"max_runs"`
}

func defaultScriptsOptions() *ScriptsOptions {
	return &ScriptsOptions{Lookback: config.Duration(24 * time.Hour), MaxTasks: 20_000, MaxRuns: 200_000}
}

// Validate implements config.OptionsValidator.
func (o *ScriptsOptions) Validate(v *config.Validation) {
	v.DurationRange("lookback", o.Lookback, minScriptsLookback, maxScriptsLookback)
	if iv := v.Interval(); iv > 0 && time.Duration(o.Lookback) >= minScriptsLookback && time.Duration(o.Lookback) < 2*iv {
		v.Fail("lookback", "%s is less than twice the collector's interval (%s): runs that finish between two refreshes could be missed; set lookback to at least %s or shorten the interval",
			o.Lookback, config.Duration(iv), config.Duration(2*iv))
	}
	v.IntRange("max_tasks", o.MaxTasks, minScriptsMaxItems, maxScriptsMaxItems)
	v.IntRange("max_runs", o.MaxRuns, minScriptsMaxItems, maxScriptsMaxItems)
}

// Result label values of the finished counters, and outcome label
// values of the desktop counters.
const (
	scriptResultSuccess = "success"
	scriptResultFailure = "failure"
	scriptResultSkipped = "skipped"
	outcomeSucceeded    = "succeeded"
	outcomeFailed       = "failed"
	outcomeSkipped      = "skipped"
)

var (
	scriptResults  = []string{scriptResultSuccess, scriptResultFailure, scriptResultSkipped, OtherValue}
	scriptOutcomes = []string{outcomeSucceeded, outcomeFailed, outcomeSkipped}
)

// scriptResult tells whether a task or run is finished and its result:
// a terminal phase by its meaning; waiting and running are not finished;
// a status the provider does not know is finished, as "other", once the
// item has an end time.
func scriptResult(phase model.Phase, end time.Time) (string, bool) {
	switch phase {
	case model.PhaseSucceeded:
		return scriptResultSuccess, true
	case model.PhaseFailed:
		return scriptResultFailure, true
	case model.PhaseSkipped:
		return scriptResultSkipped, true
	case model.PhaseWaiting, model.PhaseRunning:
		return "", false
	}
	return OtherValue, !end.IsZero()
}

const scriptsCountedHelp = " Each is counted once, when first listed finished (a terminal status, or an end time); the first refresh after the exporter starts only remembers those already finished, so a restart never counts them again."

var (
	scriptTasksDesc = NewFamilyDesc(Namespace+"_script_tasks",
		"Script tasks (batch script or command runs over desktops) whose execution began in the lookback window, by status as the API words it (not enumerated by the documentation; undocumented values bounded).",
		prometheus.GaugeValue, "target", "status")
	poolScriptTasksDesc = NewFamilyDesc(Namespace+"_pool_script_tasks",
		"Desktop-pool script tasks whose execution began in the lookback window, by status. Every documented status is present (0 when none); undocumented values the API returns are added.",
		prometheus.GaugeValue, "target", "status")
	scriptRunsDesc = NewFamilyDesc(Namespace+"_script_runs",
		"Script runs on single desktops (one per desktop of a script task) whose execution began in the lookback window, by status as the API words it (not enumerated; undocumented values bounded).",
		prometheus.GaugeValue, "target", "status")
	scriptTasksFinishedDesc = NewFamilyDesc(Namespace+"_script_tasks_finished_total",
		"Script tasks that finished, by result (success: SUCCESS or FINISH; failure: FAILED or FAIL; skipped: SKIP; other: another status with an end time)."+scriptsCountedHelp,
		prometheus.CounterValue, "target", "result")
	poolScriptTasksFinishedDesc = NewFamilyDesc(Namespace+"_pool_script_tasks_finished_total",
		"Desktop-pool script tasks that finished, by result (as workspace_script_tasks_finished_total)."+scriptsCountedHelp,
		prometheus.CounterValue, "target", "result")
	scriptRunsFinishedDesc = NewFamilyDesc(Namespace+"_script_runs_finished_total",
		"Script runs on single desktops that finished, by result (success: SUCCESS or FINISH; failure: FAILED or FAIL; skipped: SKIP; other: another status with an end time)."+scriptsCountedHelp,
		prometheus.CounterValue, "target", "result")
	scriptRunFailuresDesc = NewFamilyDesc(Namespace+"_script_run_failures_total",
		"Failed script runs on single desktops by the API's result code: the first 20 distinct codes of the process have their own value, later ones count as \"other\"; \"unknown\" when the run has none."+scriptsCountedHelp,
		prometheus.CounterValue, "target", "result_code")
	scriptTaskDesktopsDesc = NewFamilyDesc(Namespace+"_script_task_desktops_total",
		"Desktops of finished script tasks by outcome (the task's success_num, failed_num and skip_num), added once per task when it is counted finished.",
		prometheus.CounterValue, "target", "outcome")
	poolScriptTaskDesktopsDesc = NewFamilyDesc(Namespace+"_pool_script_task_desktops_total",
		"Desktops of finished desktop-pool script tasks by outcome, added once per task when it is counted finished.",
		prometheus.CounterValue, "target", "outcome")
	scriptTaskOldestRunningDesc = NewFamilyDesc(Namespace+"_script_task_oldest_running_age_seconds",
		"Seconds since the oldest unfinished script task of the window began (0 when none, or none reports its start).",
		prometheus.GaugeValue, "target")
	poolScriptTaskOldestRunningDesc = NewFamilyDesc(Namespace+"_pool_script_task_oldest_running_age_seconds",
		"Seconds since the oldest unfinished desktop-pool script task of the window began (0 when none, or none reports its start).",
		prometheus.GaugeValue, "target")
)

// scriptCounts are the counters of one kind of item.
type scriptCounts struct {
	results  map[string]uint64 // by result
	outcomes map[string]uint64 // tasks only: desktops by outcome
}

func newScriptCounts() scriptCounts {
	return scriptCounts{results: map[string]uint64{}, outcomes: map[string]uint64{}}
}

func (c scriptCounts) clone() scriptCounts {
	return scriptCounts{results: mapsClone(c.results), outcomes: mapsClone(c.outcomes)}
}

func (c scriptCounts) add(d scriptCounts) {
	for k, n := range d.results {
		c.results[k] += n
	}
	for k, n := range d.outcomes {
		c.outcomes[k] += n
	}
}

func mapsClone(m map[string]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// scriptsState is what the collector remembers between refreshes. It is
// changed only after a refresh succeeded as a whole.
type scriptsState struct {
	mu                sync.Mutex
	tasks, pool, runs *onceSet
	codes             *stickyValues
	taskCounts        scriptCounts
	poolCounts        scriptCounts
	runCounts         scriptCounts
	failures          map[string]uint64 // by result_code label value
	lastSuccess       time.Time
}

func newScriptsCollector(api provider.Client, opts any, logger *slog.Logger, now func() time.Time) (RefreshFunc, error) {
	sr, ok := api.(model.ScriptReader)
	if !ok {
		return nil, fmt.Errorf("the provider client has no %s capability (model.ScriptReader)", model.CapabilityScripts)
	}
	o, _ := opts.(*ScriptsOptions)
	if o == nil {
		o = defaultScriptsOptions()
	}
	lookback := time.Duration(o.Lookback)
	documented := scriptsDocumented{
		tasks: api.Documented(model.FieldScriptTaskStatus),
		pool:  api.Documented(model.FieldPoolScriptTaskStatus),
		runs:  api.Documented(model.FieldScriptRunStatus),
	}
	st := &scriptsState{tasks: newOnceSet(), pool: newOnceSet(), runs: newOnceSet(), codes: newStickyValues(nil),
		taskCounts: newScriptCounts(), poolCounts: newScriptCounts(), runCounts: newScriptCounts(), failures: map[string]uint64{}}
	return func(ctx context.Context) (Snapshot, error) {
		t := now()
		from := t.Add(-lookback)
		tasks, tstats, err := sr.ListScriptTasks(ctx, from, t)
		if err != nil {
			return nil, err
		}
		if len(tasks) > o.MaxTasks {
			return nil, fmt.Errorf("the script tasks window of %s holds %d tasks, more than max_tasks (%d): raise max_tasks or shorten lookback",
				config.Duration(lookback), len(tasks), o.MaxTasks)
		}
		runs, rstats, err := sr.ListScriptRuns(ctx, from, t)
		if err != nil {
			return nil, err
		}
		if len(runs) > o.MaxRuns {
			return nil, fmt.Errorf("the script runs window of %s holds %d runs, more than max_runs (%d): raise max_runs or shorten lookback",
				config.Duration(lookback), len(runs), o.MaxRuns)
		}
		pool, pstats, err := sr.ListPoolScriptTasks(ctx, from, t)
		if err != nil {
			return nil, err
		}
		if len(pool) > o.MaxTasks {
			return nil, fmt.Errorf("the pool script tasks window of %s holds %d tasks, more than max_tasks (%d): raise max_tasks or shorten lookback",
				config.Duration(lookback), len(pool), o.MaxTasks)
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		primed := st.runs.Primed()
		d, err := st.count(tasks, pool, runs, from, t, o)
		if err != nil {
			return nil, err
		}
		if !st.lastSuccess.IsZero() && t.Sub(st.lastSuccess) > lookback {
			logger.Warn("the previous successful refresh of script executions is older than lookback: runs that began in between may have been missed",
				"since_last_success", t.Sub(st.lastSuccess).Round(time.Second).String(), "lookback", config.Duration(lookback).String())
		}
		st.commit(d, from, t)
		logger.Debug("listed script executions", "tasks", len(tasks), "runs", len(runs), "pool_tasks", len(pool),
			"requests", tstats.Requests+rstats.Requests+pstats.Requests,
			"skipped_items", tstats.Invalid+rstats.Invalid+pstats.Invalid, "counted", d.counted, "priming", !primed,
			"outside_window", d.outside, "remembered", st.tasks.Len()+st.pool.Len()+st.runs.Len())
		snap := newScriptsSnapshot(tasks, pool, runs, documented, t)
		snap.taskCounts, snap.poolCounts, snap.runCounts = st.taskCounts.clone(), st.poolCounts.clone(), st.runCounts.clone()
		snap.codes = st.codes.Values(nil)
		snap.failures = mapsClone(st.failures)
		logFolded(logger, snap.taskStatus, snap.poolStatus, snap.runStatus)
		return snap, nil
	}, nil
}

// scriptsDocumented are the documented status values of the three lists.
type scriptsDocumented struct{ tasks, pool, runs []string }

// scriptsDelta is what one refresh adds to the state.
type scriptsDelta struct {
	tasks, pool, runs *onceTx
	codes             *stickyTx
	taskCounts        scriptCounts
	poolCounts        scriptCounts
	runCounts         scriptCounts
	failures          map[string]uint64
	counted, outside  int
}

// count works out what the refresh counts, without changing the state;
// it fails when more keys would be remembered than the options allow.
func (st *scriptsState) count(tasks, pool []model.ScriptTask, runs []model.ScriptRun, from, now time.Time, o *ScriptsOptions) (*scriptsDelta, error) {
	d := &scriptsDelta{tasks: st.tasks.Begin(), pool: st.pool.Begin(), runs: st.runs.Begin(), codes: st.codes.Begin(),
		taskCounts: newScriptCounts(), poolCounts: newScriptCounts(), runCounts: newScriptCounts(), failures: map[string]uint64{}}
	t := now.Unix()
	// at is the time a key is remembered with; ok is false for an item
	// outside the window.
	at := func(start time.Time) (int64, bool) {
		if start.IsZero() {
			return t, true
		}
		if start.Before(from) || start.After(now) {
			d.outside++
			return 0, false
		}
		return start.Unix(), true
	}
	countTasks := func(items []model.ScriptTask, tx *onceTx, c scriptCounts) {
		for i := range items {
			k := &items[i]
			result, done := scriptResult(k.Phase, k.End)
			if !done {
				continue
			}
			when, ok := at(k.Start)
			if !ok || !tx.Observe(k.Key, when) {
				continue
			}
			c.results[result]++
			c.outcomes[outcomeSucceeded] += uint64(k.Succeeded)
			c.outcomes[outcomeFailed] += uint64(k.Failed)
			c.outcomes[outcomeSkipped] += uint64(k.Skipped)
		}
	}
	countTasks(tasks, d.tasks, d.taskCounts)
	countTasks(pool, d.pool, d.poolCounts)
	for i := range runs {
		r := &runs[i]
		result, done := scriptResult(r.Phase, r.End)
		if !done {
			continue
		}
		when, ok := at(r.Start)
		if !ok || !d.runs.Observe(r.Key, when) {
			continue
		}
		d.runCounts.results[result]++
		if result == scriptResultFailure {
			d.failures[d.codes.Value(labelValue(r.ResultCode))]++
		}
	}
	d.counted = d.tasks.Counted + d.pool.Counted + d.runs.Counted
	cut := from.Unix()
	for _, c := range []struct {
		name     string
		tx       *onceTx
		max      int
		optionIs string
	}{{"script tasks", d.tasks, o.MaxTasks, "max_tasks"}, {"pool script tasks", d.pool, o.MaxTasks, "max_tasks"},
		{"script runs", d.runs, o.MaxRuns, "max_runs"}} {
		if n := c.tx.Size(cut); n > c.max {
			return nil, fmt.Errorf("counting the finished %s of the window would remember %d of them, more than %s (%d): raise %s or shorten lookback",
				c.name, n, c.optionIs, c.max, c.optionIs)
		}
	}
	return d, nil
}

// commit applies a refresh's delta.
func (st *scriptsState) commit(d *scriptsDelta, from, now time.Time) {
	cut := from.Unix()
	d.tasks.Commit(cut)
	d.pool.Commit(cut)
	d.runs.Commit(cut)
	d.codes.Commit()
	st.taskCounts.add(d.taskCounts)
	st.poolCounts.add(d.poolCounts)
	st.runCounts.add(d.runCounts)
	for k, n := range d.failures {
		st.failures[k] += n
	}
	st.lastSuccess = now
}

// scriptsSnapshot is immutable once built.
type scriptsSnapshot struct {
	taskStatus, poolStatus, runStatus *labelFolder
	tasks, pool, runs                 map[string]int // by folded status
	taskOldest, poolOldest            float64
	taskCounts, poolCounts, runCounts scriptCounts
	codes                             []string
	failures                          map[string]uint64
}

// newScriptsSnapshot aggregates the window's items.
func newScriptsSnapshot(tasks, pool []model.ScriptTask, runs []model.ScriptRun, doc scriptsDocumented, now time.Time) *scriptsSnapshot {
	s := &scriptsSnapshot{}
	rawTasks, taskOldest := foldTasks(tasks, now)
	rawPool, poolOldest := foldTasks(pool, now)
	s.taskOldest, s.poolOldest = taskOldest, poolOldest
	rawRuns := map[string]int{}
	for i := range runs {
		rawRuns[labelValue(runs[i].Status)]++
	}
	s.taskStatus = newLabelFolder("script_task.status", doc.tasks, rawTasks)
	s.poolStatus = newLabelFolder("pool_script_task.status", doc.pool, rawPool)
	s.runStatus = newLabelFolder("script_run.status", doc.runs, rawRuns)
	s.tasks = refold(s.taskStatus, rawTasks)
	s.pool = refold(s.poolStatus, rawPool)
	s.runs = refold(s.runStatus, rawRuns)
	return s
}

// foldTasks counts tasks by raw status and finds the oldest unfinished
// one's age.
func foldTasks(tasks []model.ScriptTask, now time.Time) (raw map[string]int, oldest float64) {
	raw = map[string]int{}
	for i := range tasks {
		k := &tasks[i]
		raw[labelValue(k.Status)]++
		if _, done := scriptResult(k.Phase, k.End); !done && !k.Start.IsZero() {
			oldest = max(oldest, now.Sub(k.Start).Seconds())
		}
	}
	return raw, oldest
}

// refold sums raw counts by their exported value.
func refold(f *labelFolder, raw map[string]int) map[string]int {
	out := make(map[string]int, len(f.values))
	for v, n := range raw {
		out[f.value(v)] += n
	}
	return out
}

// Render adds the snapshot's series.
func (s *scriptsSnapshot) Render(b *Builder, target string) {
	for _, g := range []struct {
		d *FamilyDesc
		f *labelFolder
		n map[string]int
	}{{scriptTasksDesc, s.taskStatus, s.tasks}, {poolScriptTasksDesc, s.poolStatus, s.pool}, {scriptRunsDesc, s.runStatus, s.runs}} {
		for _, v := range g.f.values {
			b.Add(g.d, float64(g.n[v]), target, v)
		}
	}
	for _, c := range []struct {
		results, outcomes *FamilyDesc
		counts            scriptCounts
	}{{scriptTasksFinishedDesc, scriptTaskDesktopsDesc, s.taskCounts}, {poolScriptTasksFinishedDesc, poolScriptTaskDesktopsDesc, s.poolCounts},
		{scriptRunsFinishedDesc, nil, s.runCounts}} {
		for _, r := range scriptResults {
			b.Add(c.results, float64(c.counts.results[r]), target, r)
		}
		if c.outcomes != nil {
			for _, o := range scriptOutcomes {
				b.Add(c.outcomes, float64(c.counts.outcomes[o]), target, o)
			}
		}
	}
	for _, code := range s.codes {
		b.Add(scriptRunFailuresDesc, float64(s.failures[code]), target, code)
	}
	if n := s.failures[OtherValue]; n > 0 && !slices.Contains(s.codes, OtherValue) {
		b.Add(scriptRunFailuresDesc, float64(n), target, OtherValue)
	}
	b.Add(scriptTaskOldestRunningDesc, s.taskOldest, target)
	b.Add(poolScriptTaskOldestRunningDesc, s.poolOldest, target)
	renderFolded(b, target, "scripts", s.taskStatus, s.poolStatus, s.runStatus)
}
