package collector

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// The scheduled_tasks collector follows the provider's scheduled tasks
// through its model.ScheduledTaskReader (Huawei: §4.20.1 listed twice,
// without a filter and with scheduled_type=LIFE_CYCLE, the only way to
// see triggered tasks; §4.20.3 per task, cached; §4.20.8 per task, every
// record; §4.20.9 per record, only where it adds and bounded).
//
// Each refresh lists every task and every task's execution records.
// workspace_scheduled_tasks counts the tasks by type, last status and
// enabled. A record is settled when its status is one of the documented
// last_status values (SUCCESS, SKIP, FAIL: §4.20.1 calls last_status the
// latest execution status, 003 L37814; the record status itself is not
// enumerated, L38616) or, whatever its status, when it started more than
// settle_after ago (a run in an undocumented status that never changes
// still counts, once, with its numbers then). The success+failed+skip sum
// is not used: it cannot be compared with the task's objects, which are
// desktops, pools, tags or "all desktops" (§4.20.3 ApplyObject, L38082).
// Each settled record is counted once (onceSet): one run by task type and
// status, its desktops by result (success_num, failed_num, skip_num). A
// new settled record with failed_num > 0 has its §4.20.9 details read
// (at most max_record_detail_calls records a refresh, oldest first; the
// others wait for a later refresh, counted then as a whole) and its
// failed desktops counted by result_code. The first successful refresh
// only primes. All counting state changes only when a refresh succeeds.
//
// §4.20.3 is read for what the listing lacks (expire_time, the
// apply_objects): details change rarely, so they are cached per task for
// task_details_ttl and at most max_task_detail_calls tasks are read per
// refresh (never-read tasks first, then the oldest reads).

func init() {
	registerCollector(Collector{
		Name:            "scheduled_tasks",
		DefaultEnabled:  true,
		DefaultInterval: 5 * time.Minute,
		Capability:      model.CapabilityScheduledTasks,
		NewOptions:      func() any { return defaultScheduledTasksOptions() },
		New: func(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error) {
			return newScheduledTasksCollector(api, opts, logger, time.Now)
		},
		Families: []*FamilyDesc{schedTasksDesc, schedTasksByScheduleDesc, schedExpiredDesc, schedExpiringDesc,
			schedTaskInfoDesc, schedTaskNextDesc, schedTaskExpireDesc, schedTaskObjectsDesc,
			schedRunsDesc, schedRunDesktopsDesc, schedFailuresDesc, schedLatestFailuresDesc, labelValuesFoldedDesc},
	})
}

// ScheduledTasksOptions are the scheduled_tasks collector's own settings.
type ScheduledTasksOptions struct {
	// MaxTasks bounds the tasks of one listing; more fail the refresh.
	MaxTasks int `yaml:"max_tasks"`
	// MaxRecords bounds the execution records listed in one refresh (all
	// tasks together) and the record keys remembered; more fail the
	// refresh.
	MaxRecords int `yaml:"max_records"`
	// MaxTaskSeries bounds the per-task series; 0 turns them off.
	MaxTaskSeries int `yaml:"max_task_series"`
	// MaxTaskDetailCalls bounds the task detail reads of one refresh.
	MaxTaskDetailCalls int `yaml:"max_task_detail_calls"`
	// TaskDetailsTTL is how long a task's details are reused.
	TaskDetailsTTL config.Duration `yaml:"task_details_ttl"`
	// MaxRecordDetailCalls bounds the records whose per-desktop details
	// are read in one refresh; 0 turns those reads (and the failure
	// counts by result code) off.
	MaxRecordDetailCalls int `yaml:"max_record_detail_calls"`
	// SettleAfter is how long after its start a record counts as settled
	// whatever its status.
	SettleAfter config.Duration `yaml:"settle_after"`
	// ExpiringWithin is the horizon of workspace_scheduled_tasks_expiring.
	ExpiringWithin config.Duration `yaml:"expiring_within"`
}

func defaultScheduledTasksOptions() *ScheduledTasksOptions {
	return &ScheduledTasksOptions{MaxTasks: 1000, MaxRecords: 100_000, MaxTaskSeries: 20, MaxTaskDetailCalls: 20,
		TaskDetailsTTL: config.Duration(time.Hour), MaxRecordDetailCalls: 10,
		SettleAfter: config.Duration(6 * time.Hour), ExpiringWithin: config.Duration(7 * 24 * time.Hour)}
}

// Validate implements config.OptionsValidator.
func (o *ScheduledTasksOptions) Validate(v *config.Validation) {
	v.IntRange("max_tasks", o.MaxTasks, 1, 100_000)
	v.IntRange("max_records", o.MaxRecords, 1000, 10_000_000)
	v.IntRange("max_task_series", o.MaxTaskSeries, 0, 1000)
	v.IntRange("max_task_detail_calls", o.MaxTaskDetailCalls, 0, 1000)
	v.DurationRange("task_details_ttl", o.TaskDetailsTTL, time.Minute, 7*24*time.Hour)
	v.IntRange("max_record_detail_calls", o.MaxRecordDetailCalls, 0, 1000)
	v.DurationRange("settle_after", o.SettleAfter, 10*time.Minute, 30*24*time.Hour)
	v.DurationRange("expiring_within", o.ExpiringWithin, time.Hour, 365*24*time.Hour)
}

// Result label values of workspace_scheduled_task_run_desktops_total.
const (
	schedResultSuccess = "success"
	schedResultFailed  = "failed"
	schedResultSkip    = "skip"
	// schedForgetAfter is how long a counted record's key is remembered
	// after the API stopped listing it.
	schedForgetAfter = 24 * time.Hour
)

var (
	schedTasksDesc = NewFamilyDesc(Namespace+"_scheduled_tasks",
		"Scheduled tasks (periodic and triggered), by task type, last execution status (unknown: never run) and enabled. Every documented type and status is present (0 when none).",
		prometheus.GaugeValue, "target", "task_type", "last_status", "enabled")
	schedTasksByScheduleDesc = NewFamilyDesc(Namespace+"_scheduled_tasks_by_schedule",
		"Scheduled tasks by execution period type (LIFE_CYCLE: triggered) and enabled.",
		prometheus.GaugeValue, "target", "scheduled_type", "enabled")
	schedExpiredDesc = NewFamilyDesc(Namespace+"_scheduled_tasks_expired",
		"Enabled scheduled tasks whose expire_time has passed (of the tasks whose details were read).",
		prometheus.GaugeValue, "target")
	schedExpiringDesc = NewFamilyDesc(Namespace+"_scheduled_tasks_expiring",
		"Enabled scheduled tasks whose expire_time falls within expiring_within (of the tasks whose details were read).",
		prometheus.GaugeValue, "target")
	schedTaskInfoDesc = NewFamilyDesc(Namespace+"_scheduled_task_info",
		"1 for each of at most max_task_series scheduled tasks (last status FAIL first, then enabled, then by ID), with its name (operator-chosen, redacted and bounded), type, period type, enabled and last status.",
		prometheus.GaugeValue, "target", "task_id", "task_name", "task_type", "scheduled_type", "enabled", "last_status")
	schedTaskNextDesc = NewFamilyDesc(Namespace+"_scheduled_task_next_execution_timestamp_seconds",
		"Next execution time of each task of workspace_scheduled_task_info; absent when the API gives none or its time zone is unknown.",
		prometheus.GaugeValue, "target", "task_id")
	schedTaskExpireDesc = NewFamilyDesc(Namespace+"_scheduled_task_expire_timestamp_seconds",
		"Expiration time of each task of workspace_scheduled_task_info whose details were read and give one.",
		prometheus.GaugeValue, "target", "task_id")
	schedTaskObjectsDesc = NewFamilyDesc(Namespace+"_scheduled_task_apply_objects",
		"Objects (desktops, pools, tags, all desktops) each task of workspace_scheduled_task_info applies to, from its details.",
		prometheus.GaugeValue, "target", "task_id")
	schedRunsDesc = NewFamilyDesc(Namespace+"_scheduled_task_runs_total",
		"Settled scheduled task executions (records), by task type and execution status, each counted once; the first refresh after the exporter starts only remembers the records already there.",
		prometheus.CounterValue, "target", "task_type", "status")
	schedRunDesktopsDesc = NewFamilyDesc(Namespace+"_scheduled_task_run_desktops_total",
		"Desktops of settled scheduled task executions, by task type and result (success_num, failed_num, skip_num), each record counted once.",
		prometheus.CounterValue, "target", "task_type", "result")
	schedFailuresDesc = NewFamilyDesc(Namespace+"_scheduled_task_desktop_failures_total",
		"Failed desktops of settled scheduled task executions, by result_code, from the per-desktop details of each new record with failures, counted once.",
		prometheus.CounterValue, "target", "result_code")
	schedLatestFailuresDesc = NewFamilyDesc(Namespace+"_scheduled_task_latest_run_failures",
		"Failed desktops of each task's latest settled execution, by result_code, summed over the tasks whose latest execution's details were read.",
		prometheus.GaugeValue, "target", "result_code")
)

// schedCount is one counter series: a task type and a status or result
// (counter label values).
type schedCount struct{ taskType, value string }

// cachedTaskDetail is a task's details and when they were read.
type cachedTaskDetail struct {
	d  model.ScheduledTaskDetail
	at time.Time
}

// scheduledTasksState is what the collector remembers between refreshes,
// changed only after a refresh succeeded.
type scheduledTasksState struct {
	mu          sync.Mutex
	records     *onceSet
	types       *stickyValues
	statuses    *stickyValues
	codes       *stickyValues
	runs        map[schedCount]uint64
	desktops    map[schedCount]uint64
	failures    map[string]uint64
	details     map[string]cachedTaskDetail
	latestCodes map[string]map[string]int64 // record key → failed desktops by result code
}

// schedRecord is a listed record with its task.
type schedRecord struct {
	model.ScheduledTaskRecord
	task     *model.ScheduledTask
	key      string
	taskType string
}

func newScheduledTasksCollector(api provider.Client, opts any, logger *slog.Logger, now func() time.Time) (RefreshFunc, error) {
	sr, ok := api.(model.ScheduledTaskReader)
	if !ok {
		return nil, fmt.Errorf("the provider client has no %s capability (model.ScheduledTaskReader)", model.CapabilityScheduledTasks)
	}
	o, _ := opts.(*ScheduledTasksOptions)
	if o == nil {
		o = defaultScheduledTasksOptions()
	}
	types := api.Documented(model.FieldScheduledTaskType)
	scheds := api.Documented(model.FieldScheduledType)
	statuses := api.Documented(model.FieldScheduledTaskLastStatus)
	st := &scheduledTasksState{records: newOnceSet(), types: newStickyValues(types), statuses: newStickyValues(statuses),
		codes: newStickyValues(nil), runs: map[schedCount]uint64{}, desktops: map[schedCount]uint64{}, failures: map[string]uint64{},
		details: map[string]cachedTaskDetail{}, latestCodes: map[string]map[string]int64{}}
	terminal := map[string]bool{}
	for _, s := range statuses {
		terminal[s] = true
	}
	return func(ctx context.Context) (Snapshot, error) {
		tasks, stats, err := sr.ListScheduledTasks(ctx)
		if err != nil {
			return nil, err
		}
		if len(tasks) > o.MaxTasks {
			return nil, fmt.Errorf("the API lists %d scheduled tasks, more than max_tasks (%d): raise max_tasks", len(tasks), o.MaxTasks)
		}
		t := now()
		st.mu.Lock()
		defer st.mu.Unlock()

		// §4.20.3, cached.
		details, detailCalls, err := st.readDetails(ctx, sr, tasks, o, t)
		if err != nil {
			return nil, err
		}

		// §4.20.8 for every task.
		var recs []schedRecord
		gone := 0
		for i := range tasks {
			tk := &tasks[i]
			if !tk.PathSafe {
				continue
			}
			rs, _, err := sr.ListScheduledTaskRecords(ctx, tk.ID)
			if errors.Is(err, model.ErrScheduledTaskNotFound) {
				gone++
				continue // deleted since the listing
			}
			if err != nil {
				return nil, err
			}
			if len(recs)+len(rs) > o.MaxRecords {
				return nil, fmt.Errorf("the API lists more than max_records (%d) scheduled task execution records: raise max_records", o.MaxRecords)
			}
			for _, r := range rs {
				typ := r.TaskType
				if typ == "" {
					typ = tk.TaskType
				}
				recs = append(recs, schedRecord{ScheduledTaskRecord: r, task: tk, key: tk.ID + "\x00" + r.ID, taskType: typ})
			}
		}
		settled := func(r *schedRecord) bool {
			return terminal[r.Status] || !r.Start.IsZero() && t.Sub(r.Start) >= time.Duration(o.SettleAfter)
		}

		// The settled records new to the count, and each task's latest
		// settled record.
		var fresh []*schedRecord
		latest := map[string]*schedRecord{}
		for i := range recs {
			r := &recs[i]
			if !settled(r) {
				continue
			}
			if st.records.WouldCount(r.key) && r.Failed > 0 && o.MaxRecordDetailCalls > 0 {
				fresh = append(fresh, r)
			}
			if l := latest[r.task.ID]; l == nil || r.Start.After(l.Start) || r.Start.Equal(l.Start) && r.ID > l.ID {
				latest[r.task.ID] = r
			}
		}
		slices.SortFunc(fresh, func(a, b *schedRecord) int {
			if c := a.Start.Compare(b.Start); c != 0 {
				return c
			}
			return cmp.Compare(a.key, b.key)
		})
		// §4.20.9: new records with failures first (oldest first), then
		// the latest records not read yet.
		codes := map[string]map[string]int64{}
		calls := 0
		read := func(r *schedRecord) error {
			if _, ok := codes[r.key]; ok {
				return nil
			}
			if c, ok := st.latestCodes[r.key]; ok {
				codes[r.key] = c
				return nil
			}
			if !r.PathSafe || calls >= o.MaxRecordDetailCalls {
				return nil
			}
			calls++
			ds, _, err := sr.ListScheduledTaskRecordDetails(ctx, r.task.ID, r.ID)
			if errors.Is(err, model.ErrScheduledTaskNotFound) {
				codes[r.key] = map[string]int64{}
				return nil
			}
			if err != nil {
				return err
			}
			m := map[string]int64{}
			for _, d := range ds {
				if d.Failed {
					m[labelValue(d.ResultCode)]++
				}
			}
			codes[r.key] = m
			return nil
		}
		deferred := map[string]bool{}
		for _, r := range fresh {
			if err := read(r); err != nil {
				return nil, err
			}
			if _, ok := codes[r.key]; !ok {
				deferred[r.key] = true
			}
		}
		for _, id := range slices.Sorted(maps.Keys(latest)) {
			if r := latest[id]; r.Failed > 0 && o.MaxRecordDetailCalls > 0 {
				if err := read(r); err != nil {
					return nil, err
				}
			}
		}

		// Commit.
		primed := st.records.Primed()
		tx, ttx, stx, codesTx := st.records.Begin(), st.types.Begin(), st.statuses.Begin(), st.codes.Begin()
		runs, desks, fails := map[schedCount]uint64{}, map[schedCount]uint64{}, map[string]uint64{}
		ts := t.Unix()
		for i := range recs {
			r := &recs[i]
			if !settled(r) || deferred[r.key] {
				continue
			}
			if !tx.Observe(r.key, ts) {
				continue
			}
			typ := ttx.Value(labelValue(r.taskType))
			runs[schedCount{typ, stx.Value(labelValue(r.Status))}]++
			desks[schedCount{typ, schedResultSuccess}] += uint64(r.Success)
			desks[schedCount{typ, schedResultFailed}] += uint64(r.Failed)
			desks[schedCount{typ, schedResultSkip}] += uint64(r.Skipped)
			for code, n := range codes[r.key] {
				fails[codesTx.Value(code)] += uint64(n)
			}
		}
		cut := t.Add(-schedForgetAfter).Unix()
		if tx.Size(cut) > o.MaxRecords {
			cut = ts
		}
		tx.Commit(cut)
		ttx.Commit()
		stx.Commit()
		codesTx.Commit()
		for k, n := range runs {
			st.runs[k] += n
		}
		for k, n := range desks {
			st.desktops[k] += n
		}
		for k, n := range fails {
			st.failures[k] += n
		}
		st.details = details
		st.latestCodes = map[string]map[string]int64{}
		latestSum := map[string]int64{}
		for _, r := range latest {
			if c, ok := codes[r.key]; ok {
				st.latestCodes[r.key] = c
				for code, n := range c {
					latestSum[code] += n
				}
			}
		}
		logger.Debug("listed scheduled tasks", "tasks", len(tasks), "requests", stats.Requests, "skipped_items", stats.Invalid,
			"records", len(recs), "tasks_gone", gone, "task_detail_calls", detailCalls, "record_detail_calls", calls,
			"deferred_records", len(deferred), "counted", tx.Counted, "priming", !primed, "remembered", st.records.Len())
		if len(deferred) > 0 {
			logger.Info("new scheduled task records with failures wait for their details (max_record_detail_calls)", "deferred", len(deferred))
		}
		snap := newScheduledTasksSnapshot(tasks, details, types, scheds, statuses, t, o)
		snap.counterTypes, snap.counterStatuses, snap.counterCodes = st.types.Values(types), st.statuses.Values(statuses), st.codes.Values(nil)
		snap.runs, snap.desktops, snap.failures = maps.Clone(st.runs), maps.Clone(st.desktops), maps.Clone(st.failures)
		snap.latestCodes = newLabelFolder("result_code", nil, intCounts(latestSum))
		snap.latest = latestSum
		logFolded(logger, snap.types, snap.lastStatuses, snap.schedTypes, snap.latestCodes)
		return snap, nil
	}, nil
}

// intCounts converts counts to ints, capped at the largest int32.
func intCounts(m map[string]int64) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = int(min(v, 1<<31-1))
	}
	return out
}

// readDetails returns the details to use this refresh (cached ones of
// listed tasks, and up to MaxTaskDetailCalls fresh reads) and how many
// were read. The state is not changed.
func (st *scheduledTasksState) readDetails(ctx context.Context, sr model.ScheduledTaskReader, tasks []model.ScheduledTask,
	o *ScheduledTasksOptions, now time.Time) (map[string]cachedTaskDetail, int, error) {
	out := make(map[string]cachedTaskDetail, len(tasks))
	var due []*model.ScheduledTask
	for i := range tasks {
		tk := &tasks[i]
		c, ok := st.details[tk.ID]
		if ok {
			out[tk.ID] = c
		}
		if tk.PathSafe && (!ok || now.Sub(c.at) >= time.Duration(o.TaskDetailsTTL)) {
			due = append(due, tk)
		}
	}
	slices.SortStableFunc(due, func(a, b *model.ScheduledTask) int {
		ca, oka := st.details[a.ID]
		cb, okb := st.details[b.ID]
		switch {
		case oka != okb:
			if !oka {
				return -1
			}
			return 1
		case oka:
			if c := ca.at.Compare(cb.at); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ID, b.ID)
	})
	calls := 0
	for _, tk := range due[:min(len(due), o.MaxTaskDetailCalls)] {
		calls++
		d, found, err := sr.ShowScheduledTask(ctx, tk.ID)
		if err != nil {
			return nil, calls, err
		}
		if !found {
			delete(out, tk.ID)
			continue
		}
		out[tk.ID] = cachedTaskDetail{d: d, at: now}
	}
	return out, calls, nil
}

// scheduledTasksSnapshot is immutable once built.
type scheduledTasksSnapshot struct {
	types, lastStatuses, schedTypes *labelFolder
	gauge                           map[[3]string]int // (type, last status, enabled)
	bySchedule                      map[[2]string]int
	expired, expiring               int
	perTask                         []schedTaskSeries
	counterTypes, counterStatuses   []string
	counterCodes                    []string
	runs, desktops                  map[schedCount]uint64
	failures                        map[string]uint64
	latestCodes                     *labelFolder
	latest                          map[string]int64
}

type schedTaskSeries struct {
	id, name, taskType, schedType, enabled, lastStatus string
	next, expire                                       time.Time
	objects                                            int
	hasDetails                                         bool
}

func enabledValue(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func newScheduledTasksSnapshot(tasks []model.ScheduledTask, details map[string]cachedTaskDetail, types, scheds, statuses []string,
	now time.Time, o *ScheduledTasksOptions) *scheduledTasksSnapshot {
	rawTypes, rawStatuses, rawScheds := map[string]int{}, map[string]int{}, map[string]int{}
	for i := range tasks {
		rawTypes[labelValue(tasks[i].TaskType)]++
		rawStatuses[labelValue(tasks[i].LastStatus)]++
		rawScheds[labelValue(tasks[i].ScheduledType)]++
	}
	s := &scheduledTasksSnapshot{
		types:        newLabelFolder("task_type", types, rawTypes),
		lastStatuses: newLabelFolder("last_status", statuses, rawStatuses),
		schedTypes:   newLabelFolder("scheduled_type", scheds, rawScheds),
		gauge:        map[[3]string]int{},
		bySchedule:   map[[2]string]int{},
	}
	within := time.Duration(o.ExpiringWithin)
	for i := range tasks {
		tk := &tasks[i]
		en := enabledValue(tk.Enabled)
		s.gauge[[3]string{s.types.value(labelValue(tk.TaskType)), s.lastStatuses.value(labelValue(tk.LastStatus)), en}]++
		s.bySchedule[[2]string{s.schedTypes.value(labelValue(tk.ScheduledType)), en}]++
		if c, ok := details[tk.ID]; ok && tk.Enabled && !c.d.Expire.IsZero() {
			switch {
			case !c.d.Expire.After(now):
				s.expired++
			case c.d.Expire.Sub(now) <= within:
				s.expiring++
			}
		}
	}
	if o.MaxTaskSeries > 0 {
		order := make([]*model.ScheduledTask, len(tasks))
		for i := range tasks {
			order[i] = &tasks[i]
		}
		slices.SortFunc(order, func(a, b *model.ScheduledTask) int {
			if a.LastFailed != b.LastFailed {
				if a.LastFailed {
					return -1
				}
				return 1
			}
			if a.Enabled != b.Enabled {
				if a.Enabled {
					return -1
				}
				return 1
			}
			return cmp.Compare(a.ID, b.ID)
		})
		for _, tk := range order[:min(len(order), o.MaxTaskSeries)] {
			ts := schedTaskSeries{id: tk.ID, name: labelValue(tk.Name), taskType: s.types.value(labelValue(tk.TaskType)),
				schedType: s.schedTypes.value(labelValue(tk.ScheduledType)), enabled: enabledValue(tk.Enabled),
				lastStatus: s.lastStatuses.value(labelValue(tk.LastStatus)), next: tk.NextExecution}
			if c, ok := details[tk.ID]; ok {
				ts.hasDetails, ts.expire, ts.objects = true, c.d.Expire, c.d.ApplyObjects
			}
			s.perTask = append(s.perTask, ts)
		}
	}
	return s
}

// Render adds the snapshot's series.
func (s *scheduledTasksSnapshot) Render(b *Builder, target string) {
	for _, tt := range s.types.values {
		for _, ls := range s.lastStatuses.values {
			for _, en := range []string{"true", "false"} {
				b.Add(schedTasksDesc, float64(s.gauge[[3]string{tt, ls, en}]), target, tt, ls, en)
			}
		}
	}
	for _, st := range s.schedTypes.values {
		for _, en := range []string{"true", "false"} {
			b.Add(schedTasksByScheduleDesc, float64(s.bySchedule[[2]string{st, en}]), target, st, en)
		}
	}
	b.Add(schedExpiredDesc, float64(s.expired), target)
	b.Add(schedExpiringDesc, float64(s.expiring), target)
	for _, t := range s.perTask {
		b.Add(schedTaskInfoDesc, 1, target, t.id, t.name, t.taskType, t.schedType, t.enabled, t.lastStatus)
		if !t.next.IsZero() {
			b.Add(schedTaskNextDesc, float64(t.next.Unix()), target, t.id)
		}
		if t.hasDetails {
			if !t.expire.IsZero() {
				b.Add(schedTaskExpireDesc, float64(t.expire.Unix()), target, t.id)
			}
			b.Add(schedTaskObjectsDesc, float64(t.objects), target, t.id)
		}
	}
	types := s.counterTypes
	if !slices.Contains(types, OtherValue) && s.hasOther() {
		types = append(slices.Clip(types), OtherValue)
	}
	statuses := s.counterStatuses
	if !slices.Contains(statuses, OtherValue) && s.hasOtherStatus() {
		statuses = append(slices.Clip(statuses), OtherValue)
	}
	for _, tt := range types {
		for _, st := range statuses {
			b.Add(schedRunsDesc, float64(s.runs[schedCount{tt, st}]), target, tt, st)
		}
		for _, r := range []string{schedResultSuccess, schedResultFailed, schedResultSkip} {
			b.Add(schedRunDesktopsDesc, float64(s.desktops[schedCount{tt, r}]), target, tt, r)
		}
	}
	codes := s.counterCodes
	if !slices.Contains(codes, OtherValue) && s.failures[OtherValue] > 0 {
		codes = append(slices.Clip(codes), OtherValue)
	}
	for _, c := range codes {
		b.Add(schedFailuresDesc, float64(s.failures[c]), target, c)
	}
	latest := map[string]int64{}
	for c, n := range s.latest {
		latest[s.latestCodes.value(c)] += n
	}
	for _, c := range s.latestCodes.values {
		b.Add(schedLatestFailuresDesc, float64(latest[c]), target, c)
	}
	renderFolded(b, target, "scheduled_tasks", s.types, s.lastStatuses, s.schedTypes, s.latestCodes)
}

func (s *scheduledTasksSnapshot) hasOther() bool {
	for k := range s.runs {
		if k.taskType == OtherValue {
			return true
		}
	}
	for k := range s.desktops {
		if k.taskType == OtherValue {
			return true
		}
	}
	return false
}

func (s *scheduledTasksSnapshot) hasOtherStatus() bool {
	for k := range s.runs {
		if k.value == OtherValue {
			return true
		}
	}
	return false
}
