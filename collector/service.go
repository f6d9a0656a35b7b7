package collector

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// The service collector reads the state of the cloud desktop service
// itself through the provider's model.ServiceReader (Huawei: GET
// /v2/{project_id}/workspaces, §4.2.7; GET
// /v2/{project_id}/workspaces/lock-status, §4.2.12; GET
// /v2/{project_id}/sites, §4.2.1; GET /v2/{project_id}/wks-edge-sites,
// §4.2.6). A refresh reads all of them (the edge sites unless turned
// off); when any fails, the refresh fails.
//
// Left out on purpose: the edge sites' cpu_usage_rate, memory_usage_rate
// and capacity_usage_rate (§4.2.6 Table 4-204, seed 003 L3588-3590). They
// are Doubles described as "CPU usage.", "Memory usage.", "Storage
// usage." with no unit and no range, the only example is 0 (L3678-3680),
// and the SDK's model says no more: a 0..1 ratio and a 0..100 percentage
// cannot be told apart, so no series could state its unit truthfully.

func init() {
	registerCollector(Collector{
		Name:            "service",
		DefaultEnabled:  true,
		DefaultInterval: 5 * time.Minute,
		Capability:      model.CapabilityService,
		NewOptions:      func() any { return &ServiceOptions{EdgeSites: true} },
		New:             newServiceCollector,
		Families: []*FamilyDesc{serviceStatusDesc, serviceAccessStatusDesc, serviceConfigStatusDesc,
			serviceSiteStatusDesc, serviceLockedDesc, serviceLockTimeDesc, ldapsCertExpiryDesc,
			serviceProgressDesc, serviceInfoDesc, edgeSiteStatusDesc, labelValuesFoldedDesc},
	})
}

// ServiceOptions are the service collector's own settings.
type ServiceOptions struct {
	// EdgeSites reads the edge sites (the default); turn it off where the
	// provider's edge site API is not available, so that its errors do
	// not fail the whole collector.
	EdgeSites bool `yaml:"edge_sites"`
}

// Names of the labels of workspace_label_values_folded for this
// collector's folders.
const (
	foldServiceStatus  = "status"
	foldAccessStatus   = "access_status"
	foldConfigStatus   = "config_status"
	foldSiteStatus     = "site_status"
	foldEdgeSiteStatus = "edge_site_status"
)

var (
	serviceStatusDesc = NewFamilyDesc(Namespace+"_service_status",
		"Subscription status of the cloud desktop service: 1 for the current status, 0 for every other documented one; an undocumented current value is added.",
		prometheus.GaugeValue, "target", "status")
	serviceAccessStatusDesc = NewFamilyDesc(Namespace+"_service_access_status",
		"Status of the service's access switching task (Internet / private line): 1 for the current status, 0 for every other documented one; an undocumented current value is added.",
		prometheus.GaugeValue, "target", "access_status")
	serviceConfigStatusDesc = NewFamilyDesc(Namespace+"_service_config_status",
		"Directory (AD) configuration status of the service: 1 for the current one, 0 for the others (0 connected to the AD, 1 AD configuration failed, 2 other errors after the AD configuration failed, 3 AD not connected).",
		prometheus.GaugeValue, "target", "config_status")
	serviceSiteStatusDesc = NewFamilyDesc(Namespace+"_service_site_status",
		"Service status at each site: 1 for the site's current status, 0 for every other documented service status; undocumented values (the site list's own statuses) are added.",
		prometheus.GaugeValue, "target", "site_id", "site_name", "status")
	serviceLockedDesc = NewFamilyDesc(Namespace+"_service_locked",
		"1 when the cloud desktop service is locked, 0 when not.",
		prometheus.GaugeValue, "target")
	serviceLockTimeDesc = NewFamilyDesc(Namespace+"_service_lock_timestamp_seconds",
		"Unix time at which the service was locked; present only while it is locked and the API gives the time.",
		prometheus.GaugeValue, "target")
	ldapsCertExpiryDesc = NewFamilyDesc(Namespace+"_ldaps_certificate_expiry_timestamp_seconds",
		"Unix time at which the directory's LDAPS certificate expires (a time without a zone is read as UTC); absent when there is none or LDAPS is off.",
		prometheus.GaugeValue, "target")
	serviceProgressDesc = NewFamilyDesc(Namespace+"_service_subscription_progress",
		"Progress of the latest subscription or unsubscription of the service, 0..1; absent when the API gives none.",
		prometheus.GaugeValue, "target")
	serviceInfoDesc = NewFamilyDesc(Namespace+"_service_info",
		"The service's ID, the job of its latest subscription or unsubscription, its access mode and directory type. Always 1.",
		prometheus.GaugeValue, "target", "id", "job_id", "access_mode", "domain_type")
	edgeSiteStatusDesc = NewFamilyDesc(Namespace+"_edge_site_status",
		"Deployment status of each edge site: 1 for the current status, 0 for every other documented one; an undocumented current value is added.",
		prometheus.GaugeValue, "target", "site_id", "site_name", "status")
)

// serviceEnums are the provider's documented values.
type serviceEnums struct{ status, access, config, edge []string }

func newServiceCollector(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error) {
	r, ok := api.(model.ServiceReader)
	if !ok {
		return nil, fmt.Errorf("the provider client has no %s capability (model.ServiceReader)", model.CapabilityService)
	}
	o, _ := opts.(*ServiceOptions)
	if o == nil {
		o = &ServiceOptions{EdgeSites: true}
	}
	enums := serviceEnums{
		status: api.Documented(model.FieldServiceStatus),
		access: api.Documented(model.FieldServiceAccessStatus),
		config: api.Documented(model.FieldServiceConfigStatus),
		edge:   api.Documented(model.FieldEdgeSiteStatus),
	}
	var (
		mu        sync.Mutex
		lastNotes string // the notes last logged
	)
	return func(ctx context.Context) (Snapshot, error) {
		svc, err := r.Service(ctx)
		if err != nil {
			return nil, err
		}
		lock, err := r.ServiceLock(ctx)
		if err != nil {
			return nil, err
		}
		sites, _, err := r.ServiceSites(ctx)
		if err != nil {
			return nil, err
		}
		var edges []model.EdgeSite
		if o.EdgeSites {
			if edges, _, err = r.EdgeSites(ctx); err != nil {
				return nil, err
			}
		}
		snap := newServiceSnapshot(svc, lock, sites, edges, enums)
		logFolded(logger, snap.folders()...)
		logger.Debug("read the service", "status", svc.Status, "sites", len(snap.sites), "edge_sites", len(snap.edges), "locked", lock.Locked)
		// What deserves a warning is logged when it changes, not at
		// every refresh.
		notes := serviceNotes(svc, lock)
		mu.Lock()
		changed := notes.key != lastNotes
		lastNotes = notes.key
		mu.Unlock()
		if changed {
			for _, n := range notes.lines {
				logger.Warn(n.msg, n.args...)
			}
		}
		return snap, nil
	}, nil
}

// serviceNote is one warning about the service's state.
type serviceNote struct {
	msg  string
	args []any
}

// serviceNoteSet are the warnings of one refresh, and a key that
// changes with them.
type serviceNoteSet struct {
	key   string
	lines []serviceNote
}

func serviceNotes(svc model.Service, lock model.ServiceLock) serviceNoteSet {
	var n serviceNoteSet
	var key []string
	add := func(msg string, args ...any) {
		n.lines = append(n.lines, serviceNote{msg, args})
		key = append(key, fmt.Sprint(msg, args))
	}
	if lock.Locked {
		args := []any{"lock_reason", lock.Reason}
		if !lock.Time.IsZero() {
			args = append(args, "locked_at", lock.Time.Format(time.RFC3339))
		}
		if lock.Value != 1 {
			args = append(args, "is_lock", lock.Value)
		}
		add("the cloud desktop service is locked", args...)
	}
	if svc.FailReason != "" || svc.HasFailCode && svc.FailCode != 0 {
		add("the service reports a failure of its latest job", "status", svc.Status, "job_id", svc.JobID,
			"fail_code", svc.FailCode, "fail_reason", svc.FailReason)
	}
	if svc.ProgressText != "" {
		add("the service's progress is not a percentage in 0..100; workspace_service_subscription_progress is left out", "progress", svc.ProgressText)
	}
	if svc.CertEndText != "" {
		add("the LDAPS certificate's expiry time cannot be read; workspace_ldaps_certificate_expiry_timestamp_seconds is left out", "cert_end_time", svc.CertEndText)
	}
	n.key = strings.Join(key, "\n")
	return n
}

// serviceSite is one exported site.
type serviceSite struct{ id, name, status string }

// serviceSnapshot is immutable once built.
type serviceSnapshot struct {
	status, access, config *labelFolder
	cur                    [3]string // folded current status, access_status, config_status
	siteStatus             *labelFolder
	sites                  []serviceSite // status folded
	edgeStatus             *labelFolder
	edges                  []serviceSite // status folded
	locked                 bool
	lockTime               time.Time // zero: not exported
	certEnd                time.Time // zero: not exported
	progress               float64
	hasProgress            bool
	info                   [4]string
}

// newServiceSnapshot builds the snapshot of one refresh.
//
// The sites are those of §4.2.7's site_configs in their order, then those
// only the site list (§4.2.1) has; an ID that both give is one site.
// Each site's status is its site_configs status (a documented service
// status); else the service status §4.2.6 gives for it (site_info, when
// its ID is the site's); else the site list's own status, whose values
// are not documented. The name is site_configs', else the site list's.
func newServiceSnapshot(svc model.Service, lock model.ServiceLock, sites []model.ServiceSite, edges []model.EdgeSite, enums serviceEnums) *serviceSnapshot {
	s := &serviceSnapshot{
		locked:      lock.Locked,
		progress:    svc.Progress,
		hasProgress: svc.HasProgress,
		info:        [4]string{svc.ID, svc.JobID, svc.AccessMode, svc.DomainType},
	}
	if lock.Locked {
		s.lockTime = lock.Time
	}
	if !(svc.HasUseLDAPS && !svc.UseLDAPS) {
		s.certEnd = svc.CertEnd
	}
	cur := [3]string{labelValue(svc.Status), labelValue(svc.AccessStatus), labelValue(svc.ConfigStatus)}
	s.status = newLabelFolder(foldServiceStatus, enums.status, map[string]int{cur[0]: 1})
	s.access = newLabelFolder(foldAccessStatus, enums.access, map[string]int{cur[1]: 1})
	s.config = newLabelFolder(foldConfigStatus, enums.config, map[string]int{cur[2]: 1})
	s.cur = [3]string{s.status.value(cur[0]), s.access.value(cur[1]), s.config.value(cur[2])}

	edgeStatus := map[string]string{} // §4.2.6 site_info.id → its service status
	for _, e := range edges {
		if e.SiteID != "" && e.SiteStatus != "" {
			edgeStatus[e.SiteID] = e.SiteStatus
		}
	}
	index := map[string]int{}
	var rows []serviceSite
	for _, c := range svc.Sites {
		st := c.Status
		if st == "" {
			st = edgeStatus[c.SiteID]
		}
		index[c.SiteID] = len(rows)
		rows = append(rows, serviceSite{id: c.SiteID, name: c.SiteName, status: st})
	}
	for _, site := range sites {
		if i, ok := index[site.ID]; ok {
			r := &rows[i]
			if r.name == "" {
				r.name = site.Name
			}
			if r.status == "" {
				r.status = site.Status
			}
			continue
		}
		st := edgeStatus[site.ID]
		if st == "" {
			st = site.Status
		}
		index[site.ID] = len(rows)
		rows = append(rows, serviceSite{id: site.ID, name: site.Name, status: st})
	}
	raw := map[string]int{}
	for i := range rows {
		rows[i].status = labelValue(rows[i].status)
		raw[rows[i].status]++
	}
	s.siteStatus = newLabelFolder(foldSiteStatus, enums.status, raw)
	for i := range rows {
		rows[i].status = s.siteStatus.value(rows[i].status)
	}
	s.sites = rows

	seen := map[string]bool{}
	raw = map[string]int{}
	for _, e := range edges {
		if seen[e.ID] {
			continue // a repeated edge site: the first one
		}
		seen[e.ID] = true
		st := labelValue(e.Status)
		raw[st]++
		s.edges = append(s.edges, serviceSite{id: e.ID, name: e.Name, status: st})
	}
	s.edgeStatus = newLabelFolder(foldEdgeSiteStatus, enums.edge, raw)
	for i := range s.edges {
		s.edges[i].status = s.edgeStatus.value(s.edges[i].status)
	}
	return s
}

func (s *serviceSnapshot) folders() []*labelFolder {
	return []*labelFolder{s.status, s.access, s.config, s.siteStatus, s.edgeStatus}
}

// serviceOneOf renders 1 for cur and 0 for the folder's other values.
func serviceOneOf(b *Builder, d *FamilyDesc, f *labelFolder, cur string, labels ...string) {
	n := len(labels)
	labels = append(labels, "")
	for _, v := range f.values {
		labels[n] = v
		value := 0.0
		if v == cur {
			value = 1
		}
		b.Add(d, value, labels...)
	}
}

// Render adds the snapshot's series.
func (s *serviceSnapshot) Render(b *Builder, target string) {
	serviceOneOf(b, serviceStatusDesc, s.status, s.cur[0], target)
	serviceOneOf(b, serviceAccessStatusDesc, s.access, s.cur[1], target)
	serviceOneOf(b, serviceConfigStatusDesc, s.config, s.cur[2], target)
	for _, site := range s.sites {
		serviceOneOf(b, serviceSiteStatusDesc, s.siteStatus, site.status, target, site.id, site.name)
	}
	for _, e := range s.edges {
		serviceOneOf(b, edgeSiteStatusDesc, s.edgeStatus, e.status, target, e.id, e.name)
	}
	renderFolded(b, target, "service", s.folders()...)
	locked := 0.0
	if s.locked {
		locked = 1
	}
	b.Add(serviceLockedDesc, locked, target)
	if !s.lockTime.IsZero() {
		b.Add(serviceLockTimeDesc, float64(s.lockTime.Unix()), target)
	}
	if !s.certEnd.IsZero() {
		b.Add(ldapsCertExpiryDesc, float64(s.certEnd.Unix()), target)
	}
	if s.hasProgress {
		b.Add(serviceProgressDesc, s.progress, target)
	}
	b.Add(serviceInfoDesc, 1, target, s.info[0], s.info[1], s.info[2], s.info[3])
}
