package collector

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// The desktops collector lists every desktop of a target through the
// provider's model.DesktopLister (Huawei: GET
// /v2/{project_id}/desktops/detail, API reference §4.3.8). The documented
// values of its enum labels come from the provider's spec table.

func init() {
	registerCollector(Collector{
		Name:            "desktops",
		DefaultEnabled:  true,
		DefaultInterval: 2 * time.Minute,
		Capability:      model.CapabilityDesktops,
		NewOptions:      func() any { return &DesktopsOptions{PerDesktopSeries: true} },
		New:             newDesktopsCollector,
		Families: []*FamilyDesc{desktopsDesc, desktopTasksDesc, desktopInfoDesc, desktopStatusDesc,
			desktopLoginStatusDesc, desktopTaskStatusDesc, labelValuesFoldedDesc},
	})
}

// DesktopsOptions are the desktops collector's own settings.
type DesktopsOptions struct {
	// PerDesktopSeries turns the per-desktop series on (the default) or
	// off; the aggregates stay either way.
	PerDesktopSeries bool `yaml:"per_desktop_series"`
}

// unknownValue stands for an empty status in label values.
const unknownValue = "unknown"

var (
	desktopsDesc = NewFamilyDesc(Namespace+"_desktops",
		"Desktops by status and login status. Every documented combination is present (0 when none); undocumented values the API returns are added.",
		prometheus.GaugeValue, "target", "status", "login_status")
	desktopTasksDesc = NewFamilyDesc(Namespace+"_desktop_tasks",
		"Desktops with an operation in flight, by task status. Every documented task status is present (0 when none).",
		prometheus.GaugeValue, "target", "task_status")
	desktopInfoDesc = NewFamilyDesc(Namespace+"_desktop_info",
		"Per-desktop attributes for joins on desktop_id. Always 1.",
		prometheus.GaugeValue, "target", "desktop_id", "desktop_name", "user_name", "desktop_type", "pool_id", "availability_zone", "product_id", "os_type")
	desktopStatusDesc = NewFamilyDesc(Namespace+"_desktop_status",
		"Current status of each desktop (the status label). Always 1.",
		prometheus.GaugeValue, "target", "desktop_id", "status")
	desktopLoginStatusDesc = NewFamilyDesc(Namespace+"_desktop_login_status",
		"Current login status of each desktop (the login_status label). Always 1.",
		prometheus.GaugeValue, "target", "desktop_id", "login_status")
	desktopTaskStatusDesc = NewFamilyDesc(Namespace+"_desktop_task_status",
		"Task running on a desktop (the task_status label); present only while a task runs. Always 1.",
		prometheus.GaugeValue, "target", "desktop_id", "task_status")
)

// desktopEnums are the provider's documented values of the enum labels.
type desktopEnums struct{ status, login, task []string }

func newDesktopsCollector(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error) {
	l, ok := api.(model.DesktopLister)
	if !ok {
		return nil, fmt.Errorf("the provider client has no %s capability (model.DesktopLister)", model.CapabilityDesktops)
	}
	o, _ := opts.(*DesktopsOptions)
	if o == nil {
		o = &DesktopsOptions{PerDesktopSeries: true}
	}
	enums := desktopEnums{
		status: api.Documented(model.FieldDesktopStatus),
		login:  api.Documented(model.FieldDesktopLoginStatus),
		task:   api.Documented(model.FieldDesktopTaskStatus),
	}
	return func(ctx context.Context) (Snapshot, error) {
		desktops, stats, err := l.ListDesktops(ctx)
		if err != nil {
			return nil, err
		}
		logger.Debug("listed desktops", "desktops", len(desktops), "requests", stats.Requests,
			"page_size", stats.PageSize, "total", stats.Total, "skipped_items", stats.Invalid, "walks", stats.Walks)
		snap := newDesktopsSnapshot(desktops, enums, o.PerDesktopSeries)
		logFolded(logger, snap.status, snap.login, snap.task)
		return snap, nil
	}, nil
}

// desktopRow holds the label values of one desktop's series.
type desktopRow struct {
	info                            [8]string // desktop_id … os_type, in desktopInfoDesc order minus target
	status, loginStatus, taskStatus string
}

// desktopsSnapshot is immutable once built.
type desktopsSnapshot struct {
	status, login, task *labelFolder      // documented + kept undocumented values
	counts              map[[2]string]int // (status, login_status) → desktops, folded values
	tasks               map[string]int
	rows                []desktopRow // nil when per-desktop series are off
}

func labelValue(s string) string {
	if s == "" {
		return unknownValue
	}
	return s
}

// newDesktopsSnapshot aggregates the desktops. Undocumented status values
// beyond MaxUndocumentedValues per label fold into "other", in the
// aggregates and the per-desktop series alike, so the two always agree.
func newDesktopsSnapshot(desktops []model.Desktop, enums desktopEnums, perDesktop bool) *desktopsSnapshot {
	rawStatus, rawLogin, rawTask := map[string]int{}, map[string]int{}, map[string]int{}
	for i := range desktops {
		d := &desktops[i]
		rawStatus[labelValue(d.Status)]++
		rawLogin[labelValue(d.LoginStatus)]++
		if d.TaskStatus != "" {
			rawTask[d.TaskStatus]++
		}
	}
	s := &desktopsSnapshot{
		status: newLabelFolder("status", enums.status, rawStatus),
		login:  newLabelFolder("login_status", enums.login, rawLogin),
		task:   newLabelFolder("task_status", enums.task, rawTask),
		counts: map[[2]string]int{},
		tasks:  map[string]int{},
	}
	if perDesktop {
		s.rows = make([]desktopRow, 0, len(desktops))
	}
	for i := range desktops {
		d := &desktops[i]
		st, ls := s.status.value(labelValue(d.Status)), s.login.value(labelValue(d.LoginStatus))
		s.counts[[2]string{st, ls}]++
		ts := ""
		if d.TaskStatus != "" {
			ts = s.task.value(d.TaskStatus)
			s.tasks[ts]++
		}
		if perDesktop && d.ID != "" {
			s.rows = append(s.rows, desktopRow{
				info:        [8]string{d.ID, d.ComputerName, d.UserName, d.DesktopType, d.PoolID, d.AvailabilityZone, d.ProductID, d.OSType},
				status:      st,
				loginStatus: ls,
				taskStatus:  ts,
			})
		}
	}
	return s
}

// Render adds the snapshot's series.
func (s *desktopsSnapshot) Render(b *Builder, target string) {
	for _, st := range s.status.values {
		for _, ls := range s.login.values {
			b.Add(desktopsDesc, float64(s.counts[[2]string{st, ls}]), target, st, ls)
		}
	}
	for _, ts := range s.task.values {
		b.Add(desktopTasksDesc, float64(s.tasks[ts]), target, ts)
	}
	renderFolded(b, target, "desktops", s.status, s.login, s.task)
	for i := range s.rows {
		r := &s.rows[i]
		in := &r.info
		b.Add(desktopInfoDesc, 1, target, in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7])
		b.Add(desktopStatusDesc, 1, target, in[0], r.status)
		b.Add(desktopLoginStatusDesc, 1, target, in[0], r.loginStatus)
		if r.taskStatus != "" {
			b.Add(desktopTaskStatusDesc, 1, target, in[0], r.taskStatus)
		}
	}
}
