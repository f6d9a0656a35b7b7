package collector

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// The usage collector reads the provider's model.UsageReader: the daily
// usage reports per desktop and per user (Huawei: §4.21.9 GET
// /v2/{project_id}/statistics/metrics/desktops and §4.21.10 GET
// /v2/{project_id}/statistics/metrics/users), and the current desktop
// counts (§4.21.13 GET /v2/{project_id}/statistics, §4.21.14 GET
// /v2/{project_id}/desktops/statistics/run-state).
//
// The daily reports cover one complete day (the provider's UsagePeriod);
// every series built from them comes with the period's bounds
// (workspace_usage_period_start/end_timestamp_seconds). A report does not
// change once made, so a refresh within the same period reuses the last
// one read instead of walking the lists again (a fleet of N desktops
// costs ⌈N/100⌉ requests per walk); an empty report is read again, in
// case it was asked for before it was made. The statistics are read at
// every refresh.

func init() {
	registerCollector(Collector{
		Name:            "usage",
		DefaultEnabled:  true,
		DefaultInterval: time.Hour,
		Capability:      model.CapabilityUsage,
		NewOptions:      func() any { return newUsageOptions() },
		New:             newUsageCollector,
		Families: []*FamilyDesc{usagePeriodStartDesc, usagePeriodEndDesc,
			usageDesktopsReportedDesc, usageDesktopsUsedDesc, usageIdleDesktopsDesc,
			usageDesktopUsedDesc, usageDesktopIdleDesc,
			usageUsersReportedDesc, usageActiveUsersDesc, usageUsersUsedDesc, usageLoginAttemptsDesc, usageLoginsDesc,
			usageUserUsedDesc, usageUserLoginsDesc,
			statisticsDesktopsDesc, statisticsDesktopsByStateDesc, runStateDesktopsDesc, labelValuesFoldedDesc},
	})
}

// UsageOptions are the usage collector's own settings.
type UsageOptions struct {
	// IdleDays is the idle duration, in days, from which a desktop counts
	// in workspace_usage_idle_desktops (1..180, the days the report
	// keeps).
	IdleDays int `yaml:"idle_days"`
	// PerDesktopSeries adds each desktop's usage and idle duration.
	PerDesktopSeries bool `yaml:"per_desktop_series"`
	// PerUserSeries adds each user's usage and logins.
	PerUserSeries bool `yaml:"per_user_series"`

	// now is the clock (tests); nil is time.Now.
	now func() time.Time
}

func newUsageOptions() *UsageOptions { return &UsageOptions{IdleDays: 7} }

// Validate implements config.OptionsValidator.
func (o *UsageOptions) Validate(v *config.Validation) {
	v.IntRange("idle_days", o.IdleDays, 1, 180)
}

// Label values of the usage families.
const (
	resultSuccess = "success"
	resultFailure = "failure"

	categoryRunState    = "run_state"
	categoryLoginState  = "login_state"
	categoryAttachState = "attach_state"
)

var (
	usagePeriodStartDesc = NewFamilyDesc(Namespace+"_usage_period_start_timestamp_seconds",
		"Start (inclusive, Unix time) of the period the workspace_usage_* series report on: the latest complete day (UTC) the provider's daily usage report covers.",
		prometheus.GaugeValue, "target")
	usagePeriodEndDesc = NewFamilyDesc(Namespace+"_usage_period_end_timestamp_seconds",
		"End (exclusive, Unix time) of the period the workspace_usage_* series report on.",
		prometheus.GaugeValue, "target")
	usageDesktopsReportedDesc = NewFamilyDesc(Namespace+"_usage_desktops_reported",
		"Desktops in the daily usage report of the period.",
		prometheus.GaugeValue, "target")
	usageDesktopsUsedDesc = NewFamilyDesc(Namespace+"_usage_desktops_used_seconds",
		"Seconds the desktops were used in the period, summed over the desktops of the daily report.",
		prometheus.GaugeValue, "target")
	usageIdleDesktopsDesc = NewFamilyDesc(Namespace+"_usage_idle_desktops",
		"Desktops of the daily report idle for at least min_idle_days days (idle duration as of the period's end).",
		prometheus.GaugeValue, "target", "min_idle_days")
	usageDesktopUsedDesc = NewFamilyDesc(Namespace+"_usage_desktop_used_seconds",
		"Seconds the desktop was used in the period (per_desktop_series).",
		prometheus.GaugeValue, "target", "desktop_id", "desktop_name")
	usageDesktopIdleDesc = NewFamilyDesc(Namespace+"_usage_desktop_idle_seconds",
		"Seconds the desktop has been idle, as of the period's end (per_desktop_series).",
		prometheus.GaugeValue, "target", "desktop_id", "desktop_name")
	usageUsersReportedDesc = NewFamilyDesc(Namespace+"_usage_users_reported",
		"Users in the daily usage report of the period.",
		prometheus.GaugeValue, "target")
	usageActiveUsersDesc = NewFamilyDesc(Namespace+"_usage_active_users",
		"Users of the daily report with a usage above zero in the period.",
		prometheus.GaugeValue, "target")
	usageUsersUsedDesc = NewFamilyDesc(Namespace+"_usage_users_used_seconds",
		"Seconds of desktop use in the period, summed over the users of the daily report (sessions on several desktops at once add up).",
		prometheus.GaugeValue, "target")
	usageLoginAttemptsDesc = NewFamilyDesc(Namespace+"_usage_login_attempts",
		"Login attempts in the period, summed over the users of the daily report.",
		prometheus.GaugeValue, "target")
	usageLoginsDesc = NewFamilyDesc(Namespace+"_usage_logins",
		"Logins in the period by result (success, failure), summed over the users of the daily report.",
		prometheus.GaugeValue, "target", "result")
	usageUserUsedDesc = NewFamilyDesc(Namespace+"_usage_user_used_seconds",
		"Seconds the user used desktops in the period (per_user_series).",
		prometheus.GaugeValue, "target", "user_name")
	usageUserLoginsDesc = NewFamilyDesc(Namespace+"_usage_user_logins",
		"The user's logins in the period by result (success, failure) (per_user_series).",
		prometheus.GaugeValue, "target", "user_name", "result")
	statisticsDesktopsDesc = NewFamilyDesc(Namespace+"_statistics_desktops",
		"Desktops now, as the provider's pre-aggregated desktop statistics count them.",
		prometheus.GaugeValue, "target")
	statisticsDesktopsByStateDesc = NewFamilyDesc(Namespace+"_statistics_desktops_by_state",
		"Desktops now by state, per category (run_state, login_state, attach_state), as the provider's pre-aggregated desktop statistics count them. Every documented state is present (0 when none or not reported).",
		prometheus.GaugeValue, "target", "category", "state")
	runStateDesktopsDesc = NewFamilyDesc(Namespace+"_run_state_desktops",
		"Desktops now by running state, as the provider's running status statistics count them. Every documented state is present (0 when none or not reported).",
		prometheus.GaugeValue, "target", "state")
)

// usageEnums are the documented values of the statistics' states.
type usageEnums struct{ run, login, attach []string }

// usageReport is one daily report as read.
type usageReport struct {
	period   model.UsagePeriod
	desktops []model.DesktopUsage
	users    []model.UserUsage
}

// usageCache keeps the latest lists read, per list, to reuse within their
// period.
type usageCache struct {
	mu                        sync.Mutex
	desktopPeriod, userPeriod model.UsagePeriod
	desktops                  []model.DesktopUsage
	users                     []model.UserUsage
	hasDesktops, hasUsers     bool
}

func newUsageCollector(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error) {
	r, ok := api.(model.UsageReader)
	if !ok {
		return nil, fmt.Errorf("the provider client has no %s capability (model.UsageReader)", model.CapabilityUsage)
	}
	o, _ := opts.(*UsageOptions)
	if o == nil {
		o = newUsageOptions()
	}
	o2 := *o
	if o2.IdleDays < 1 || o2.IdleDays > 180 {
		return nil, fmt.Errorf("idle_days %d is outside 1..180", o2.IdleDays)
	}
	now := o2.now
	if now == nil {
		now = time.Now
	}
	enums := usageEnums{
		run:    api.Documented(model.FieldRunStateStatistic),
		login:  api.Documented(model.FieldLoginStateStatistic),
		attach: api.Documented(model.FieldAttachStateStatistic),
	}
	cache := &usageCache{}
	return func(ctx context.Context) (Snapshot, error) {
		cache.mu.Lock()
		defer cache.mu.Unlock()
		p := r.UsagePeriod(now())
		rep := usageReport{period: p}
		if cache.hasDesktops && samePeriod(cache.desktopPeriod, p) && len(cache.desktops) > 0 {
			rep.desktops = cache.desktops
			logger.Debug("reusing the desktop usage report of the period: it does not change within it", "period_start", p.Start, "period_end", p.End, "desktops", len(rep.desktops))
		} else {
			ds, stats, err := r.DesktopUsage(ctx, p)
			if err != nil {
				return nil, err
			}
			logger.Debug("read the desktop usage report", "period_start", p.Start, "period_end", p.End, "desktops", len(ds),
				"requests", stats.Requests, "page_size", stats.PageSize, "total", stats.Total, "skipped_items", stats.Invalid, "walks", stats.Walks)
			rep.desktops = ds
			cache.desktops, cache.desktopPeriod, cache.hasDesktops = ds, p, true
		}
		if cache.hasUsers && samePeriod(cache.userPeriod, p) && len(cache.users) > 0 {
			rep.users = cache.users
			logger.Debug("reusing the user usage report of the period: it does not change within it", "period_start", p.Start, "period_end", p.End, "users", len(rep.users))
		} else {
			us, stats, err := r.UserUsage(ctx, p)
			if err != nil {
				return nil, err
			}
			logger.Debug("read the user usage report", "period_start", p.Start, "period_end", p.End, "users", len(us),
				"requests", stats.Requests, "page_size", stats.PageSize, "total", stats.Total, "skipped_items", stats.Invalid, "walks", stats.Walks)
			rep.users = us
			cache.users, cache.userPeriod, cache.hasUsers = us, p, true
		}
		st, err := r.DesktopStatistics(ctx)
		if err != nil {
			return nil, err
		}
		run, err := r.RunStateStatistics(ctx)
		if err != nil {
			return nil, err
		}
		snap := newUsageSnapshot(rep, st, run, enums, &o2)
		logFolded(logger, snap.folders()...)
		return snap, nil
	}, nil
}

// desktopUsageRow is one desktop's per-desktop series.
type desktopUsageRow struct {
	id, name         string
	used, idle       float64
	hasUsed, hasIdle bool
}

// userUsageRow is one user's per-user series.
type userUsageRow struct {
	name                    string
	used, success, failure  float64
	hasUsed, hasOK, hasFail bool
}

// stateCounts are one category's counts with its label folder.
type stateCounts struct {
	category string
	folder   *labelFolder
	counts   map[string]int64 // by exported value
}

func newStateCounts(category, label string, documented []string, raw map[string]int64) stateCounts {
	weights := make(map[string]int, len(raw))
	for k, v := range raw {
		weights[k] = int(min(v, 1<<40))
	}
	f := newLabelFolder(label, documented, weights)
	counts := make(map[string]int64, len(f.values))
	for k, v := range raw {
		counts[f.value(k)] += v
	}
	return stateCounts{category, f, counts}
}

// usageSnapshot is immutable once built.
type usageSnapshot struct {
	period model.UsagePeriod

	desktopsReported         int
	desktopsUsed             float64
	idleDays                 int
	idleDesktops             int
	desktopRows              []desktopUsageRow // nil unless per_desktop_series
	usersReported, active    int
	usersUsed                float64
	attempts, success, fails float64
	userRows                 []userUsageRow // nil unless per_user_series

	total      int64
	statistics [3]stateCounts // run_state, login_state, attach_state
	runState   stateCounts
}

func newUsageSnapshot(rep usageReport, st model.DesktopStatistics, run map[string]int64, enums usageEnums, o *UsageOptions) *usageSnapshot {
	s := &usageSnapshot{period: rep.period, idleDays: o.IdleDays, total: st.Total}
	idleFrom := float64(o.IdleDays) * 86400
	s.desktopsReported = len(rep.desktops)
	if o.PerDesktopSeries {
		s.desktopRows = make([]desktopUsageRow, 0, len(rep.desktops))
	}
	for i := range rep.desktops {
		d := &rep.desktops[i]
		if d.HasUsed {
			s.desktopsUsed += d.UsedSeconds
		}
		if d.HasIdle && d.IdleSeconds >= idleFrom {
			s.idleDesktops++
		}
		if o.PerDesktopSeries {
			s.desktopRows = append(s.desktopRows, desktopUsageRow{d.DesktopID, d.DesktopName, d.UsedSeconds, d.IdleSeconds, d.HasUsed, d.HasIdle})
		}
	}
	s.usersReported = len(rep.users)
	var seen map[string]bool
	if o.PerUserSeries {
		s.userRows = make([]userUsageRow, 0, len(rep.users))
		seen = make(map[string]bool, len(rep.users))
	}
	for i := range rep.users {
		u := &rep.users[i]
		if u.HasUsed {
			s.usersUsed += u.UsedSeconds
			if u.UsedSeconds > 0 {
				s.active++
			}
		}
		if u.HasLogins {
			s.attempts += u.Logins
		}
		if u.HasSuccesses {
			s.success += u.LoginSuccesses
		}
		if u.HasFailures {
			s.fails += u.LoginFailures
		}
		// Two users whose names became one label value (redaction)
		// would be one series twice: the first is kept.
		if o.PerUserSeries && !seen[u.UserName] {
			seen[u.UserName] = true
			s.userRows = append(s.userRows, userUsageRow{u.UserName, u.UsedSeconds, u.LoginSuccesses, u.LoginFailures, u.HasUsed, u.HasSuccesses, u.HasFailures})
		}
	}
	s.statistics = [3]stateCounts{
		newStateCounts(categoryRunState, "statistics_run_state", enums.run, st.RunState),
		newStateCounts(categoryLoginState, "statistics_login_state", enums.login, st.LoginState),
		newStateCounts(categoryAttachState, "statistics_attach_state", enums.attach, st.AttachState),
	}
	s.runState = newStateCounts("", "run_state", enums.run, run)
	return s
}

func (s *usageSnapshot) folders() []*labelFolder {
	return []*labelFolder{s.statistics[0].folder, s.statistics[1].folder, s.statistics[2].folder, s.runState.folder}
}

func samePeriod(a, b model.UsagePeriod) bool { return a.Start.Equal(b.Start) && a.End.Equal(b.End) }

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// Render adds the snapshot's series.
func (s *usageSnapshot) Render(b *Builder, target string) {
	b.Add(usagePeriodStartDesc, unixSeconds(s.period.Start), target)
	b.Add(usagePeriodEndDesc, unixSeconds(s.period.End), target)
	b.Add(usageDesktopsReportedDesc, float64(s.desktopsReported), target)
	b.Add(usageDesktopsUsedDesc, s.desktopsUsed, target)
	b.Add(usageIdleDesktopsDesc, float64(s.idleDesktops), target, strconv.Itoa(s.idleDays))
	for i := range s.desktopRows {
		r := &s.desktopRows[i]
		if r.hasUsed {
			b.Add(usageDesktopUsedDesc, r.used, target, r.id, r.name)
		}
		if r.hasIdle {
			b.Add(usageDesktopIdleDesc, r.idle, target, r.id, r.name)
		}
	}
	b.Add(usageUsersReportedDesc, float64(s.usersReported), target)
	b.Add(usageActiveUsersDesc, float64(s.active), target)
	b.Add(usageUsersUsedDesc, s.usersUsed, target)
	b.Add(usageLoginAttemptsDesc, s.attempts, target)
	b.Add(usageLoginsDesc, s.success, target, resultSuccess)
	b.Add(usageLoginsDesc, s.fails, target, resultFailure)
	for i := range s.userRows {
		r := &s.userRows[i]
		if r.hasUsed {
			b.Add(usageUserUsedDesc, r.used, target, r.name)
		}
		if r.hasOK {
			b.Add(usageUserLoginsDesc, r.success, target, r.name, resultSuccess)
		}
		if r.hasFail {
			b.Add(usageUserLoginsDesc, r.failure, target, r.name, resultFailure)
		}
	}
	b.Add(statisticsDesktopsDesc, float64(s.total), target)
	for _, c := range s.statistics {
		for _, v := range c.folder.values {
			b.Add(statisticsDesktopsByStateDesc, float64(c.counts[v]), target, c.category, v)
		}
	}
	for _, v := range s.runState.folder.values {
		b.Add(runStateDesktopsDesc, float64(s.runState.counts[v]), target, v)
	}
	renderFolded(b, target, "usage", s.folders()...)
}
