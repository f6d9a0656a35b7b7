package collector

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
)

// The desktops collector lists every desktop of a target
// (Huawei: GET /v2/{project_id}/desktops/detail, API reference §4.3.8).

func init() {
	registerCollector("desktops", true, 2*time.Minute, newDesktopsCollector, describeDesktops)
}

// Documented values (§4.3.8). Undocumented values the API returns are
// exported too, never dropped.
var (
	desktopStatuses      = []string{"ACTIVE", "SHUTOFF", "ERROR", "HIBERNATED"}
	desktopLoginStatuses = []string{"UNREGISTER", "REGISTERED", "CONNECTED", "DISCONNECTED"}
	desktopTaskStatuses  = []string{
		"scheduling", "block_device_mapping", "networking", "spawning",
		"rebooting", "reboot_pending", "reboot_started", "rebooting_hard", "reboot_pending_hard", "reboot_started_hard",
		"rebuilding", "rebuild_block_device_mapping", "rebuild_spawning",
		"migrating", "resize_prep", "resize_migrating", "resize_migrated", "resize_finish", "resize_reverting",
		"powering-off", "powering-on", "deleting", "deleteFailed", "updating", "desktopNetworkChanging",
	}
)

// unknownValue stands for an empty status in label values.
const unknownValue = "unknown"

var (
	desktopsDesc = prometheus.NewDesc(Namespace+"_desktops",
		"Desktops by status and login status. Every documented combination is present (0 when none); undocumented values the API returns are added.",
		[]string{"target", "status", "login_status"}, nil)
	desktopTasksDesc = prometheus.NewDesc(Namespace+"_desktop_tasks",
		"Desktops with an operation in flight, by task status. Every documented task status is present (0 when none).",
		[]string{"target", "task_status"}, nil)
	desktopInfoDesc = prometheus.NewDesc(Namespace+"_desktop_info",
		"Per-desktop attributes for joins on desktop_id. Always 1.",
		[]string{"target", "desktop_id", "desktop_name", "user_name", "desktop_type", "pool_id", "availability_zone", "product_id", "os_type"}, nil)
	desktopStatusDesc = prometheus.NewDesc(Namespace+"_desktop_status",
		"Current status of each desktop (the status label). Always 1.",
		[]string{"target", "desktop_id", "status"}, nil)
	desktopLoginStatusDesc = prometheus.NewDesc(Namespace+"_desktop_login_status",
		"Current login status of each desktop (the login_status label). Always 1.",
		[]string{"target", "desktop_id", "login_status"}, nil)
	desktopTaskStatusDesc = prometheus.NewDesc(Namespace+"_desktop_task_status",
		"Task running on a desktop (the task_status label); present only while a task runs. Always 1.",
		[]string{"target", "desktop_id", "task_status"}, nil)
)

func describeDesktops(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{desktopsDesc, desktopTasksDesc, desktopInfoDesc, desktopStatusDesc, desktopLoginStatusDesc, desktopTaskStatusDesc, labelValuesFoldedDesc} {
		ch <- d
	}
}

// desktopLister is what the desktops collector needs of a Huawei client.
type desktopLister interface {
	ListDesktops(ctx context.Context) ([]huaweicloud.Desktop, client.WalkStats, error)
}

func newDesktopsCollector(api any, s Settings, logger *slog.Logger) (RefreshFunc, error) {
	l, ok := api.(desktopLister)
	if !ok {
		return nil, ErrUnsupported
	}
	return func(ctx context.Context) (Snapshot, error) {
		desktops, stats, err := l.ListDesktops(ctx)
		if err != nil {
			return nil, err
		}
		logger.Debug("listed desktops", "desktops", len(desktops), "requests", stats.Requests,
			"page_size", stats.PageSize, "total", stats.Total, "skipped_items", stats.Invalid, "walks", stats.Walks)
		snap := newDesktopsSnapshot(desktops, s.PerDesktopSeries)
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
func newDesktopsSnapshot(desktops []huaweicloud.Desktop, perDesktop bool) *desktopsSnapshot {
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
		status: newLabelFolder("status", desktopStatuses, rawStatus),
		login:  newLabelFolder("login_status", desktopLoginStatuses, rawLogin),
		task:   newLabelFolder("task_status", desktopTaskStatuses, rawTask),
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

func (s *desktopsSnapshot) Collect(ctx context.Context, ch chan<- prometheus.Metric, target string) {
	for _, st := range s.status.values {
		for _, ls := range s.login.values {
			ch <- prometheus.MustNewConstMetric(desktopsDesc, prometheus.GaugeValue, float64(s.counts[[2]string{st, ls}]), target, st, ls)
		}
	}
	for _, ts := range s.task.values {
		ch <- prometheus.MustNewConstMetric(desktopTasksDesc, prometheus.GaugeValue, float64(s.tasks[ts]), target, ts)
	}
	collectFolded(ch, target, "desktops", s.status, s.login, s.task)
	for i := range s.rows {
		if i%1024 == 0 && ctx.Err() != nil {
			return
		}
		r := &s.rows[i]
		in := &r.info
		ch <- prometheus.MustNewConstMetric(desktopInfoDesc, prometheus.GaugeValue, 1, target, in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7])
		ch <- prometheus.MustNewConstMetric(desktopStatusDesc, prometheus.GaugeValue, 1, target, in[0], r.status)
		ch <- prometheus.MustNewConstMetric(desktopLoginStatusDesc, prometheus.GaugeValue, 1, target, in[0], r.loginStatus)
		if r.taskStatus != "" {
			ch <- prometheus.MustNewConstMetric(desktopTaskStatusDesc, prometheus.GaugeValue, 1, target, in[0], r.taskStatus)
		}
	}
}
