package huaweicloud

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

const (
	workspacesPath = "/v2/{project_id}/workspaces"
	lockPath       = "/v2/{project_id}/workspaces/lock-status"
	sitesPath      = "/v2/{project_id}/sites"
	edgeSitesPath  = "/v2/{project_id}/wks-edge-sites"
)

type wireWorkspace struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	AccessStatus string `json:"access_status"`
	ConfigStatus string `json:"config_status"`
	AccessMode   string `json:"access_mode"`
	JobID        string `json:"job_id"`
	Progress     string `json:"progress"`
	ADDomains    struct {
		DomainType string `json:"domain_type"`
		UseLDAPS   bool   `json:"use_ldaps"`
		TLSConfig  struct {
			CertStart string `json:"cert_start_time"`
			CertEnd   string `json:"cert_end_time"`
		} `json:"tls_config"`
	} `json:"ad_domains"`
	SiteConfigs []struct {
		SiteID       string `json:"site_id"`
		SiteName     string `json:"site_name"`
		SiteType     string `json:"site_type"`
		Status       string `json:"status"`
		AccessStatus string `json:"access_status"`
		ConfigStatus string `json:"config_status"`
	} `json:"site_configs"`
}

type wireLock struct {
	IsLock     *int    `json:"is_lock"`
	LockTime   *string `json:"lock_time"`
	LockReason *string `json:"lock_reason"`
}

type wireSites struct {
	SiteInfos []struct {
		SiteID    string `json:"site_id"`
		SiteName  string `json:"site_name"`
		SiteType  string `json:"site_type"`
		ProjectID string `json:"project_id"`
		Status    string `json:"status"`
	} `json:"site_infos"`
	TotalCount *int `json:"total_count"`
}

type wireEdgeSites struct {
	WksEdgeSites []struct {
		ID       string   `json:"id"`
		Name     string   `json:"name"`
		Status   string   `json:"status"`
		CPU      *float64 `json:"cpu_usage_rate"`
		SiteInfo *struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"site_info"`
	} `json:"wks_edge_sites"`
	TotalCount *int `json:"total_count"`
}

// The default tenant: subscribed, unlocked, two sites that the four
// endpoints agree on, the central one named as every desktop names its
// site, and an LDAPS certificate expiring in about ten days.
func TestServiceServesTheTenant(t *testing.T) {
	s, base := startSim(t, testOptions(200))
	start := time.Now().UTC()
	var w wireWorkspace
	getJSON(t, base, workspacesPath, &w)
	if w.Status != "SUBSCRIBED" || w.AccessStatus != "openSuccess" || w.ConfigStatus != "0" || w.Progress != "100%" ||
		w.JobID == "" || w.ID == "" || w.ADDomains.DomainType != "LOCAL_AD" || !w.ADDomains.UseLDAPS {
		t.Errorf("workspace %+v", w)
	}
	// No zone, as the API sends it (L3976-3977); read as UTC.
	end, err := time.Parse("2006-01-02T15:04:05", w.ADDomains.TLSConfig.CertEnd)
	if err != nil {
		t.Fatalf("cert_end_time %q: %v", w.ADDomains.TLSConfig.CertEnd, err)
	}
	if left := end.Sub(start); left < 9*24*time.Hour || left > 11*24*time.Hour {
		t.Errorf("the certificate expires in %s, not about 10 days", left)
	}
	if len(w.SiteConfigs) != 2 {
		t.Fatalf("site_configs %+v", w.SiteConfigs)
	}

	var lock wireLock
	getJSON(t, base, lockPath, &lock)
	if lock.IsLock == nil || *lock.IsLock != 0 || lock.LockTime != nil || lock.LockReason != nil {
		t.Errorf("lock %+v", lock)
	}

	var sites wireSites
	getJSON(t, base, sitesPath, &sites)
	if sites.TotalCount == nil || *sites.TotalCount != 2 || len(sites.SiteInfos) != 2 {
		t.Fatalf("sites %+v", sites)
	}
	byID := map[string]string{} // site_id → site_configs status
	central := ""
	for i, c := range w.SiteConfigs {
		si := sites.SiteInfos[i]
		if si.SiteID != c.SiteID || si.SiteName != c.SiteName || si.SiteType != c.SiteType || si.ProjectID != testProject || si.Status != "openSuccess" {
			t.Errorf("§4.2.1 %+v disagrees with §4.2.7 %+v", si, c)
		}
		if c.Status != "SUBSCRIBED" || c.AccessStatus != "openSuccess" || c.ConfigStatus != "0" {
			t.Errorf("site config %+v", c)
		}
		byID[c.SiteID] = c.Status
		if c.SiteType == "CENTER" {
			central = c.SiteName
		}
	}
	for _, d := range s.Desktops() {
		if d.SiteName != central || d.SiteType != "CENTER" {
			t.Fatalf("desktop %s is at site %q (%s), the central site is %q", d.DesktopID, d.SiteName, d.SiteType, central)
		}
	}

	var edges wireEdgeSites
	getJSON(t, base, edgeSitesPath, &edges)
	if edges.TotalCount == nil || *edges.TotalCount != 1 || len(edges.WksEdgeSites) != 1 {
		t.Fatalf("edge sites %+v", edges)
	}
	e := edges.WksEdgeSites[0]
	if e.Status != "available" || e.CPU == nil || e.SiteInfo == nil || byID[e.SiteInfo.ID] != e.SiteInfo.Status || e.SiteInfo.Status == "" {
		t.Errorf("edge site %+v; sites %v", e, byID)
	}

	// The accessor is the served tenant.
	tn := s.Tenant()
	if tn.ID != w.ID || tn.JobID != w.JobID || !tn.CertEnd.Equal(end) || len(tn.Sites) != 2 || tn.Sites[0].ID != w.SiteConfigs[0].SiteID {
		t.Errorf("Tenant() %+v disagrees with the answer %+v", tn, w)
	}
	// The same project and day give the same tenant.
	s2, err := New(testOptions(10))
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.Tenant(); got.ID != tn.ID || !got.CertEnd.Equal(tn.CertEnd) || got.Sites[1].ID != tn.Sites[1].ID {
		t.Errorf("tenant not deterministic: %+v vs %+v", got, tn)
	}
}

// SetTenant installs a tenant that is served as given; Tenant returns a
// copy.
func TestServiceSetTenant(t *testing.T) {
	s, base := startSim(t, testOptions(10))
	tn := s.Tenant()
	tn.Status, tn.AccessStatus, tn.ConfigStatus, tn.Progress = "SUBSCRIBING", "internetOpening", "3", "45%"
	tn.Locked, tn.LockTime, tn.LockReason = true, time.Date(2025, 7, 14, 8, 30, 0, 0, time.UTC), "arrears"
	tn.CertStart, tn.CertEnd = time.Time{}, time.Time{}
	tn.Sites[0].Status = "SUBSCRIPTION_FAILED"
	tn.Sites[1].InConfigs = false
	tn.Sites[1].ListStatus = "weird"
	tn.EdgeSites[0].Status = "deploying"
	s.SetTenant(tn)
	tn.Sites[0].Name = "changed after SetTenant"

	var w wireWorkspace
	getJSON(t, base, workspacesPath, &w)
	if w.Status != "SUBSCRIBING" || w.AccessStatus != "internetOpening" || w.ConfigStatus != "3" || w.Progress != "45%" ||
		w.ADDomains.TLSConfig.CertEnd != "" || len(w.SiteConfigs) != 1 || w.SiteConfigs[0].Status != "SUBSCRIPTION_FAILED" ||
		w.SiteConfigs[0].SiteName != siteName {
		t.Errorf("workspace %+v", w)
	}
	var lock wireLock
	getJSON(t, base, lockPath, &lock)
	if lock.IsLock == nil || *lock.IsLock != 1 || lock.LockTime == nil || *lock.LockTime != "2025-07-14 08:30:00" || lock.LockReason == nil || *lock.LockReason != "arrears" {
		t.Errorf("lock %+v", lock)
	}
	var sites wireSites
	getJSON(t, base, sitesPath, &sites)
	if len(sites.SiteInfos) != 2 || sites.SiteInfos[1].Status != "weird" {
		t.Errorf("sites %+v", sites)
	}
	var edges wireEdgeSites
	getJSON(t, base, edgeSitesPath, &edges)
	if len(edges.WksEdgeSites) != 1 || edges.WksEdgeSites[0].Status != "deploying" {
		t.Errorf("edge sites %+v", edges)
	}
	got := s.Tenant()
	got.Sites[0].Name = "x"
	if s.Tenant().Sites[0].Name != siteName {
		t.Error("Tenant() shares its sites with the simulator")
	}
}

// The shared page faults hit the two site lists; total_count follows the
// TotalCountMode; the write methods beside the read paths are refused.
func TestServiceListFaults(t *testing.T) {
	s, base := startSim(t, testOptions(10))

	s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListSiteConfigs, Count: 1, Variant: simulator.BadListNull})
	r := do(t, sdkRequest(t, base, signed{path: sitesPath}))
	if r.status != 200 || !strings.Contains(string(r.body), `"site_infos":null`) {
		t.Errorf("bad_list: %d %s", r.status, r.body)
	}

	s.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: hwspec.OpListWksEdgeSites, Count: 1})
	var edges wireEdgeSites
	getJSON(t, base, edgeSitesPath, &edges)
	if len(edges.WksEdgeSites) != 1 || edges.WksEdgeSites[0].Status != simulator.FloodPrefix+edges.WksEdgeSites[0].ID {
		t.Errorf("enum_flood: %+v", edges)
	}

	s.InjectFault(simulator.Fault{Kind: simulator.FaultJunkItems, Operation: hwspec.OpListSiteConfigs, Count: 1, Items: 1})
	r = do(t, sdkRequest(t, base, signed{path: sitesPath}))
	if !strings.HasPrefix(string(r.body), `{"site_infos":[42,{"site_id"`) {
		t.Errorf("junk_items: %s", r.body)
	}

	s.InjectFault(simulator.Fault{Kind: simulator.FaultOversizedPage, Operation: hwspec.OpListSiteConfigs, Count: 1, Items: 700})
	var sites wireSites
	getJSON(t, base, sitesPath, &sites)
	if len(sites.SiteInfos) != 700 || sites.SiteInfos[0].SiteID != "oversize-00000001" || sites.SiteInfos[699].SiteID != "oversize-00000700" {
		t.Errorf("oversized_page: %d sites, first %+v", len(sites.SiteInfos), sites.SiteInfos[0])
	}

	s.SetTotalCountMode(simulator.TotalOmitted)
	sites = wireSites{}
	getJSON(t, base, sitesPath, &sites)
	if sites.TotalCount != nil || len(sites.SiteInfos) != 2 {
		t.Errorf("omitted total: %+v", sites)
	}
	s.SetTotalCountMode(simulator.TotalZero)
	edges = wireEdgeSites{}
	getJSON(t, base, edgeSitesPath, &edges)
	if edges.TotalCount == nil || *edges.TotalCount != 0 || len(edges.WksEdgeSites) != 1 {
		t.Errorf("zero total: %+v", edges)
	}

	for _, c := range []struct{ method, path string }{
		{http.MethodPost, workspacesPath}, {http.MethodDelete, workspacesPath}, {http.MethodPut, workspacesPath},
		{http.MethodPut, lockPath}, {http.MethodPost, sitesPath}, {http.MethodPost, edgeSitesPath},
	} {
		r := do(t, sdkRequest(t, base, signed{method: c.method, path: c.path}))
		if r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.status, r.body)
		}
	}
	var lock wireLock
	getJSON(t, base, lockPath, &lock)
	if *lock.IsLock != 0 {
		t.Error("a refused PUT changed the lock")
	}
	var w wireWorkspace
	if err := json.Unmarshal(do(t, sdkRequest(t, base, signed{path: workspacesPath})).body, &w); err != nil || w.Status != "SUBSCRIBED" {
		t.Errorf("workspace after refused writes: %+v %v", w, err)
	}
}
