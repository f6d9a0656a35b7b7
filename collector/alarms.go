package collector

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// The alarms collector reads the provider's model.AlarmReader (Huawei:
// GET /v2/{project_id}/alarms, API reference §4.22.1, and GET
// /v2/{project_id}/statistics/alarms, §4.22.2): the alarm records by
// severity and status, the provider's own counts by severity, and one
// series per raised alarm, at most max_alarm_series of them per target.

func init() {
	registerCollector(Collector{
		Name:            "alarms",
		DefaultEnabled:  true,
		DefaultInterval: time.Minute,
		Capability:      model.CapabilityAlarms,
		NewOptions:      func() any { return newAlarmsOptions() },
		New:             newAlarmsCollector,
		Families: []*FamilyDesc{alarmsActiveDesc, alarmStatisticsDesc, alarmStatisticsRecordsDesc,
			alarmActiveDesc, alarmBeginDesc, alarmSeriesDroppedDesc, labelValuesFoldedDesc},
	})
}

// Bounds of max_alarm_series.
const (
	defaultMaxAlarmSeries = 500
	maxMaxAlarmSeries     = 10_000
)

// AlarmsOptions are the alarms collector's own settings.
type AlarmsOptions struct {
	// MaxAlarmSeries bounds the raised alarms exported one series each
	// (workspace_alarm_active); the rest are counted in
	// workspace_alarm_series_dropped. 0 turns the per-alarm series off.
	MaxAlarmSeries int `yaml:"max_alarm_series"`
}

func newAlarmsOptions() *AlarmsOptions { return &AlarmsOptions{MaxAlarmSeries: defaultMaxAlarmSeries} }

// Validate implements config.OptionsValidator.
func (o *AlarmsOptions) Validate(v *config.Validation) {
	v.IntRange("max_alarm_series", o.MaxAlarmSeries, 0, maxMaxAlarmSeries)
}

// alarmSeverityUnknown is the severity of a record whose level the
// provider does not document (or did not send).
const alarmSeverityUnknown = "unknown"

var (
	alarmsActiveDesc = NewFamilyDesc(Namespace+"_alarms_active",
		"Alarm records the provider lists now, by severity and record status (status=\"alarm\": raised; \"ok\": cleared; \"invalid\": no longer evaluated). Every documented severity and status combination is present (0 when none); records of an undocumented level count as severity=\"unknown\", present only when there are some.",
		prometheus.GaugeValue, "target", "severity", "status")
	alarmStatisticsDesc = NewFamilyDesc(Namespace+"_alarm_statistics",
		"Alarm records by severity, as the provider's alarm statistics count them. Every documented severity is present (0 when none or not reported).",
		prometheus.GaugeValue, "target", "severity")
	alarmStatisticsRecordsDesc = NewFamilyDesc(Namespace+"_alarm_statistics_records",
		"Alarm records in all, as the provider's alarm statistics count them (absent when the answer has no total).",
		prometheus.GaugeValue, "target")
	alarmActiveDesc = NewFamilyDesc(Namespace+"_alarm_active",
		"One series per raised alarm (record status \"alarm\"), at most max_alarm_series per target, most severe and oldest first. Always 1.",
		prometheus.GaugeValue, "target", "alarm_id", "alarm_name", "resource_id", "resource_name", "severity")
	alarmBeginDesc = NewFamilyDesc(Namespace+"_alarm_active_begin_timestamp_seconds",
		"Unix time at which the raised alarm began, for the workspace_alarm_active series whose record gives a readable time.",
		prometheus.GaugeValue, "target", "alarm_id", "alarm_name", "resource_id", "resource_name", "severity")
	alarmSeriesDroppedDesc = NewFamilyDesc(Namespace+"_alarm_series_dropped",
		"Raised alarms not exported as a workspace_alarm_active series in the latest data, because there were more than max_alarm_series of them.",
		prometheus.GaugeValue, "target")
)

func newAlarmsCollector(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error) {
	r, ok := api.(model.AlarmReader)
	if !ok {
		return nil, fmt.Errorf("the provider client has no %s capability (model.AlarmReader)", model.CapabilityAlarms)
	}
	o, _ := opts.(*AlarmsOptions)
	if o == nil {
		o = newAlarmsOptions()
	}
	if o.MaxAlarmSeries < 0 || o.MaxAlarmSeries > maxMaxAlarmSeries {
		return nil, fmt.Errorf("max_alarm_series %d is outside 0..%d", o.MaxAlarmSeries, maxMaxAlarmSeries)
	}
	maxSeries := o.MaxAlarmSeries
	enums := alarmEnums{
		severity: api.Documented(model.FieldAlarmSeverity),
		status:   api.Documented(model.FieldAlarmStatus),
	}
	return func(ctx context.Context) (Snapshot, error) {
		alarms, stats, err := r.ListAlarms(ctx)
		if err != nil {
			return nil, err
		}
		logger.Debug("listed alarms", "alarms", len(alarms), "requests", stats.Requests,
			"page_size", stats.PageSize, "total", stats.Total, "skipped_items", stats.Invalid, "walks", stats.Walks)
		st, err := r.AlarmStatistics(ctx)
		if err != nil {
			return nil, err
		}
		snap := newAlarmsSnapshot(alarms, st, enums, maxSeries)
		logFolded(logger, snap.status)
		if snap.dropped > 0 {
			logger.Warn("more raised alarms than max_alarm_series: the rest have no workspace_alarm_active series (counted in workspace_alarm_series_dropped)",
				"raised", snap.raised, "max_alarm_series", maxSeries, "dropped", snap.dropped)
		}
		return snap, nil
	}, nil
}

// alarmEnums are the documented severities and statuses.
type alarmEnums struct{ severity, status []string }

// alarmRow is one raised alarm's series.
type alarmRow struct {
	labels   [5]string // alarm_id, alarm_name, resource_id, resource_name, severity
	begin    float64
	hasBegin bool
}

// alarmsSnapshot is immutable once built.
type alarmsSnapshot struct {
	severities []string // documented, then unknown when there are some
	status     *labelFolder
	counts     map[[2]string]int // (severity, status) → records
	statistics []int64           // by enums.severity
	total      int64
	hasTotal   bool
	rows       []alarmRow
	raised     int // raised alarms (distinct series)
	dropped    int
}

func newAlarmsSnapshot(alarms []model.Alarm, st model.AlarmStatistics, enums alarmEnums, maxSeries int) *alarmsSnapshot {
	rawStatus := map[string]int{}
	unknown := false
	for i := range alarms {
		rawStatus[labelValue(alarms[i].Status)]++
		if !slices.Contains(enums.severity, alarms[i].Severity) {
			unknown = true
		}
	}
	s := &alarmsSnapshot{
		severities: slices.Clone(enums.severity),
		status:     newLabelFolder("status", enums.status, rawStatus),
		counts:     map[[2]string]int{},
		total:      st.Total,
		hasTotal:   st.HasTotal,
	}
	if unknown {
		s.severities = append(s.severities, alarmSeverityUnknown)
	}
	rank := func(sev string) int {
		if i := slices.Index(enums.severity, sev); i >= 0 {
			return i
		}
		return len(enums.severity)
	}
	var raised []*model.Alarm
	for i := range alarms {
		a := &alarms[i]
		sev := a.Severity
		if !slices.Contains(enums.severity, sev) {
			sev = alarmSeverityUnknown
		}
		s.counts[[2]string{sev, s.status.value(labelValue(a.Status))}]++
		if a.Active {
			raised = append(raised, a)
		}
	}
	for _, sev := range enums.severity {
		s.statistics = append(s.statistics, st.BySeverity[sev])
	}
	// Most severe first, then the oldest (a record without a time after
	// those with one), then by identity, so that the series kept under
	// max_alarm_series are stable from refresh to refresh.
	slices.SortStableFunc(raised, func(x, y *model.Alarm) int {
		if c := cmp.Compare(rank(x.Severity), rank(y.Severity)); c != 0 {
			return c
		}
		if x.Begin.IsZero() != y.Begin.IsZero() {
			if x.Begin.IsZero() {
				return 1
			}
			return -1
		}
		if c := x.Begin.Compare(y.Begin); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(x.AlarmID, y.AlarmID), cmp.Compare(x.ResourceID, y.ResourceID),
			cmp.Compare(x.Name, y.Name), cmp.Compare(x.ResourceName, y.ResourceName), cmp.Compare(x.Key, y.Key))
	})
	seen := make(map[[5]string]bool, min(len(raised), maxSeries+1))
	for _, a := range raised {
		sev := a.Severity
		if !slices.Contains(enums.severity, sev) {
			sev = alarmSeverityUnknown
		}
		labels := [5]string{a.AlarmID, a.Name, a.ResourceID, a.ResourceName, sev}
		if seen[labels] {
			continue // two records of one alarm: one series
		}
		seen[labels] = true
		s.raised++
		if len(s.rows) >= maxSeries {
			s.dropped++
			continue
		}
		row := alarmRow{labels: labels}
		if !a.Begin.IsZero() {
			row.begin, row.hasBegin = unixSeconds(a.Begin), true
		}
		s.rows = append(s.rows, row)
	}
	return s
}

// Render adds the snapshot's series.
func (s *alarmsSnapshot) Render(b *Builder, target string) {
	for _, sev := range s.severities {
		for _, st := range s.status.values {
			b.Add(alarmsActiveDesc, float64(s.counts[[2]string{sev, st}]), target, sev, st)
		}
	}
	for i, v := range s.statistics {
		b.Add(alarmStatisticsDesc, float64(v), target, s.severities[i])
	}
	if s.hasTotal {
		b.Add(alarmStatisticsRecordsDesc, float64(s.total), target)
	}
	for i := range s.rows {
		r := &s.rows[i]
		l := &r.labels
		b.Add(alarmActiveDesc, 1, target, l[0], l[1], l[2], l[3], l[4])
		if r.hasBegin {
			b.Add(alarmBeginDesc, r.begin, target, l[0], l[1], l[2], l[3], l[4])
		}
	}
	b.Add(alarmSeriesDroppedDesc, float64(s.dropped), target)
	renderFolded(b, target, "alarms", s.status)
}
