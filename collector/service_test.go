package collector

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

// newServiceTarget starts a simulator of n desktops, lets prepare change
// it, and runs the service collector alone (with extra, e.g. ",
// edge_sites: false"), plus the desktops collector when withDesktops.
func newServiceTarget(t *testing.T, n int, extra string, withDesktops bool, prepare func(*hwsim.Simulator)) *connTarget {
	t.Helper()
	sim, url := startSim(t, n)
	if prepare != nil {
		prepare(sim)
	}
	c := &connTarget{sim: sim, logs: &lockedBuffer{}, reg: prometheus.NewRegistry()}
	logger := slog.New(slog.NewTextHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := NewManager(Options{Registerer: c.reg, Logger: logger, StartSpread: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	c.reg.MustRegister(m)
	c.m = m
	collectors := "service: {interval: 1h" + extra + "}"
	keep := []string{"service"}
	if withDesktops {
		collectors += ", desktops: {interval: 1h}"
		keep = append(keep, "desktops")
	}
	applyYAML(t, m, simYAMLCollectors(url, benchCredentials, hostileAPI, collectors+othersDisabled(keep...)))
	return c
}

// oneHot is every value of documented (and extra) at 0 but cur at 1,
// keyed as labelKey does, with prefix (e.g. "site_id=…,site_name=…,")
// and the label name.
func oneHot(s series, prefix, label string, documented []string, cur string, extra ...string) {
	for _, v := range append(append([]string(nil), documented...), extra...) {
		s[prefix+label+"="+v] = 0
	}
	s[prefix+label+"="+cur] = 1
}

// expectedService computes the service collector's families from the
// simulator's own view of the tenant (hwsim.Tenant) and the documented
// values, independently of the collector, the client and the handlers.
// undocumented are the undocumented status values the sites show (in
// the order the folder sorts them).
func expectedService(tn hwsim.Tenant, edgeSites bool) map[string]series {
	doc := huaweicloud.Spec.Enums
	orUnknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	status, access, config := series{}, series{}, series{}
	oneHot(status, "", "status", doc[model.FieldServiceStatus], orUnknown(tn.Status))
	oneHot(access, "", "access_status", doc[model.FieldServiceAccessStatus], orUnknown(tn.AccessStatus))
	oneHot(config, "", "config_status", doc[model.FieldServiceConfigStatus], orUnknown(tn.ConfigStatus))

	// Per site: site_configs' status, else the edge site's site_info
	// status, else the site list's own.
	edgeStatus := map[string]string{}
	if edgeSites {
		for _, e := range tn.EdgeSites {
			edgeStatus[e.SiteID] = e.SiteStatus
		}
	}
	type row struct{ id, name, status string }
	var rows []row
	extra := map[string]bool{}
	for _, s := range tn.Sites {
		if !s.InConfigs && !s.InList {
			continue
		}
		st := s.Status
		if !s.InConfigs || st == "" {
			st = edgeStatus[s.ID]
		}
		if st == "" {
			st = s.ListStatus
		}
		st = orUnknown(st)
		rows = append(rows, row{s.ID, s.Name, st})
		if !contains(doc[model.FieldServiceStatus], st) {
			extra[st] = true
		}
	}
	sites := series{}
	for _, r := range rows {
		oneHot(sites, "site_id="+r.id+",site_name="+r.name+",", "status", doc[model.FieldServiceStatus], r.status, keys(extra)...)
	}
	edges := series{}
	if edgeSites {
		extra := map[string]bool{}
		for _, e := range tn.EdgeSites {
			if !contains(doc[model.FieldEdgeSiteStatus], e.Status) {
				extra[orUnknown(e.Status)] = true
			}
		}
		for _, e := range tn.EdgeSites {
			oneHot(edges, "site_id="+e.ID+",site_name="+e.Name+",", "status", doc[model.FieldEdgeSiteStatus], orUnknown(e.Status), keys(extra)...)
		}
	}
	locked := series{"": 0}
	lockTime := series{}
	if tn.Locked {
		locked[""] = 1
		if !tn.LockTime.IsZero() {
			lockTime[""] = float64(tn.LockTime.Unix())
		}
	}
	cert := series{}
	if !tn.CertEnd.IsZero() && tn.UseLDAPS {
		cert[""] = float64(tn.CertEnd.Unix())
	}
	progress := series{}
	if p, err := strconv.ParseFloat(strings.TrimSuffix(tn.Progress, "%"), 64); err == nil {
		progress[""] = p / 100
	}
	return map[string]series{
		"workspace_service_status":                             status,
		"workspace_service_access_status":                      access,
		"workspace_service_config_status":                      config,
		"workspace_service_site_status":                        sites,
		"workspace_edge_site_status":                           edges,
		"workspace_service_locked":                             locked,
		"workspace_service_lock_timestamp_seconds":             lockTime,
		"workspace_ldaps_certificate_expiry_timestamp_seconds": cert,
		"workspace_service_subscription_progress":              progress,
		"workspace_service_info": {fmt.Sprintf("access_mode=%s,domain_type=%s,id=%s,job_id=%s",
			tn.AccessMode, tn.DomainType, tn.ID, tn.JobID): 1},
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The default simulated tenant: every family equals what the simulator's
// tenant says; the sites agree with the desktop list; the LDAPS
// certificate expires in about ten days, inside the 14-day alert.
func TestServiceMatchesTheTenant(t *testing.T) {
	c := newServiceTarget(t, 200, "", true, nil)
	if c.success(t, "service") != 1 || c.success(t, "desktops") != 1 {
		t.Fatalf("collectors failed: %s", c.logs)
	}
	got := c.gather(t)
	tn := c.sim.Tenant()
	compareFamilies(t, got, expectedService(tn, true))

	// Across endpoints: every desktop's site (§4.3.8 site_name) is a
	// subscribed site of §4.2.7/§4.2.1, and the edge site's service
	// (§4.2.6 site_info) is one of them.
	subscribed := map[string]bool{}
	for k, v := range got["workspace_service_site_status"] {
		if f := fields(k); v == 1 && f["status"] == "SUBSCRIBED" {
			subscribed[f["site_name"]] = true
		}
	}
	if len(subscribed) != 2 {
		t.Errorf("subscribed sites %v, want the central and the edge site", subscribed)
	}
	for _, d := range c.sim.Desktops() {
		if !subscribed[d.SiteName] {
			t.Fatalf("desktop %s is at site %q, which the service does not list as subscribed", d.DesktopID, d.SiteName)
		}
	}
	if got["workspace_edge_site_status"]["site_id="+tn.EdgeSites[0].ID+",site_name="+tn.EdgeSites[0].Name+",status=available"] != 1 {
		t.Errorf("edge site: %v", got["workspace_edge_site_status"])
	}
	left := time.Until(time.Unix(int64(got["workspace_ldaps_certificate_expiry_timestamp_seconds"][""]), 0))
	if left < 9*24*time.Hour || left > 11*24*time.Hour {
		t.Errorf("the LDAPS certificate expires in %s, not about 10 days", left)
	}
	if n := len(got["workspace_service_status"]); n != 7 {
		t.Errorf("%d service status series, want the 7 documented", n)
	}
	for _, fam := range []string{"workspace_service_status", "workspace_service_access_status", "workspace_service_config_status", "workspace_service_locked"} {
		sum := 0.0
		for _, v := range got[fam] {
			sum += v
		}
		if want := map[bool]float64{true: 0, false: 1}[fam == "workspace_service_locked"]; sum != want {
			t.Errorf("%s adds up to %v, want %v", fam, sum, want)
		}
	}
}

// Other states of the tenant: locked, subscribing with progress,
// undocumented statuses, a site only the site list has, LDAPS off; and
// the edge sites turned off.
func TestServiceStates(t *testing.T) {
	c := newServiceTarget(t, 10, "", false, nil)
	tn := c.sim.Tenant()
	tn.Status, tn.AccessStatus, tn.ConfigStatus, tn.Progress = "MIGRATING", "", "2", "45%"
	tn.Locked, tn.LockTime, tn.LockReason = true, time.Date(2025, 7, 14, 8, 30, 0, 0, time.UTC), "arrears"
	tn.UseLDAPS = false
	tn.Sites[0].Status = "SUBSCRIPTION_FAILED"
	tn.Sites[1].InConfigs, tn.Sites[1].ListStatus = false, "weird" // the edge site's service status wins
	tn.Sites = append(tn.Sites, hwsim.TenantSite{ID: "list-only", Name: "Branch", Type: "CENTER", ListStatus: "openSuccess", InList: true})
	tn.EdgeSites[0].Status = "rebooting"
	c.sim.SetTenant(tn)
	refreshAll(c.m)
	if c.success(t, "service") != 1 {
		t.Fatalf("service failed: %s", c.logs)
	}
	got := c.gather(t)
	compareFamilies(t, got, expectedService(tn, true))
	if got["workspace_service_site_status"]["site_id="+tn.Sites[1].ID+",site_name="+tn.Sites[1].Name+",status=SUBSCRIBED"] != 1 {
		t.Errorf("the edge site's service status is not the site's: %v", got["workspace_service_site_status"])
	}
	if got["workspace_service_status"]["status=MIGRATING"] != 1 || got["workspace_service_access_status"]["access_status=unknown"] != 1 {
		t.Errorf("undocumented or absent values: %v %v", got["workspace_service_status"], got["workspace_service_access_status"])
	}
	if !strings.Contains(c.logs.String(), "the cloud desktop service is locked") || !strings.Contains(c.logs.String(), "lock_reason=arrears") {
		t.Errorf("the lock is not logged: %s", c.logs)
	}
	// The warning is not repeated while nothing changes.
	before := strings.Count(c.logs.String(), "is locked")
	refreshAll(c.m)
	if n := strings.Count(c.logs.String(), "is locked"); n != before {
		t.Errorf("the lock warning was repeated (%d times)", n)
	}

	// Without the edge sites: no request to §4.2.6, no edge series, and
	// the site falls back to the site list's status.
	c2 := newServiceTarget(t, 10, ", edge_sites: false", false, func(s *hwsim.Simulator) { s.SetTenant(tn) })
	if c2.success(t, "service") != 1 || c2.sim.Requests(hwspec.OpListWksEdgeSites) != 0 {
		t.Fatalf("success %v, %d edge site requests: %s", c2.success(t, "service"), c2.sim.Requests(hwspec.OpListWksEdgeSites), c2.logs)
	}
	got = c2.gather(t)
	compareFamilies(t, got, expectedService(tn, false))
	if _, ok := got["workspace_edge_site_status"]; ok {
		t.Error("edge site series without the edge sites")
	}
}

// Many undocumented site statuses fold into "other", bounded.
func TestServiceSiteStatusesFold(t *testing.T) {
	c := newServiceTarget(t, 10, "", false, nil)
	tn := c.sim.Tenant()
	tn.Sites = nil
	for i := range 30 {
		tn.Sites = append(tn.Sites, hwsim.TenantSite{ID: fmt.Sprintf("s%02d", i), Name: fmt.Sprintf("site %d", i), ListStatus: fmt.Sprintf("state%02d", i), InList: true})
	}
	c.sim.SetTenant(tn)
	refreshAll(c.m)
	got := c.gather(t)
	values := map[string]bool{}
	for k := range got["workspace_service_site_status"] {
		values[fields(k)["status"]] = true
	}
	if len(values) != 7+MaxUndocumentedValues+1 || !values[OtherValue] {
		t.Errorf("%d status values: %v", len(values), values)
	}
	if v := got["workspace_label_values_folded"]["collector=service,label=site_status"]; v != 10 {
		t.Errorf("folded %v: %v", v, got["workspace_label_values_folded"])
	}
}

// A refresh fails when any of the four answers is unusable, and the last
// complete data is served.
func TestServiceFailsOnABadAnswer(t *testing.T) {
	for _, f := range []simulator.Fault{
		{Kind: simulator.FaultBadList, Operation: hwspec.OpListSiteConfigs, Variant: simulator.BadListNull},
		{Kind: simulator.FaultBadList, Operation: hwspec.OpListWksEdgeSites},
		{Kind: simulator.FaultOversizedPage, Operation: hwspec.OpListSiteConfigs, Items: 501},
		{Kind: simulator.FaultServerError, Operation: hwspec.OpShowWorkspaceLock},
		{Kind: simulator.FaultMalformed, Operation: hwspec.OpListWorkspaces},
	} {
		t.Run(string(f.Kind)+"/"+f.Operation, func(t *testing.T) {
			c := newServiceTarget(t, 10, "", false, nil)
			want := c.gather(t)["workspace_service_site_status"]
			f.Count = 10
			c.sim.InjectFault(f)
			refreshAll(c.m)
			if c.success(t, "service") != 0 {
				t.Fatalf("the refresh succeeded on a bad %s answer", f.Operation)
			}
			compareFamilies(t, c.gather(t), map[string]series{"workspace_service_site_status": want})
		})
	}
}
