package huaweicloud

import (
	"encoding/json"
	"hash/fnv"
	"net/http"
	"slices"
	"time"

	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file is the service domain: the tenant's Workspace service, served
// from the one fleet's tenant: ListWorkspaces (§4.2.7),
// ShowWorkspaceLock (§4.2.12), ListSiteConfigs (§4.2.1) and
// ListWksEdgeSites (§4.2.6).
//
// The tenant is subscribed, unlocked, with two sites: the central site
// every desktop of the fleet names (site_name, §4.3.8) and an IES edge
// site at one edge station. Its directory is a local AD over LDAPS whose
// certificate expires ten days and some hours after the fleet's epoch
// (the start of the day the simulator was made), so that a demo shows a
// certificate about to expire. SetTenant replaces it (tests); Step leaves
// it alone.

// Tenant is the simulated tenant's Workspace service, in the API's terms.
type Tenant struct {
	ID           string
	Status       string // §4.2.7 status
	AccessStatus string
	ConfigStatus string // "0".."3", sent as a string
	AccessMode   string
	DomainType   string
	DomainName   string
	JobID        string
	Progress     string // e.g. "100%"; "" leaves it out
	FailCode     int    // 0 leaves fail_code and fail_reason out
	FailReason   string
	UseLDAPS     bool
	// CertStart and CertEnd are the LDAPS certificate's validity, sent
	// without a zone (UTC), as the API does (L3976-3977); zero leaves the
	// time out.
	CertStart, CertEnd time.Time

	Locked     bool
	LockTime   time.Time // sent while locked; zero leaves it out
	LockReason string

	Sites     []TenantSite
	EdgeSites []TenantEdgeSite
}

// TenantSite is one site: in §4.2.7's site_configs when InConfigs, and in
// §4.2.1's site list (with ListStatus as its status) when InList.
type TenantSite struct {
	ID, Name, Type                     string
	Status, AccessStatus, ConfigStatus string
	// ListStatus is the site's status in §4.2.1 (undocumented values;
	// the example's is an access status, openSuccess).
	ListStatus            string
	InConfigs, InList     bool
	AvailabilityZones     []string
	JobID, Progress       string
	AccessMode            string
	InternetAccessPort    string
	InternetAccessAddress string
}

// TenantEdgeSite is one edge site of §4.2.6.
type TenantEdgeSite struct {
	ID, Name, Description, AvailabilityZone, Address string
	Status                                           string // initial, deploying, available, unavailable
	// SiteID and SiteStatus are its site_info: the Workspace site at the
	// edge station and the service status there.
	SiteID, SiteStatus string
	Created            time.Time
}

// Names of the simulated sites, and the service's management security
// group.
const (
	edgeSiteName           = "Edge station."
	edgeStationName        = "ies-station-sg-01"
	managerSecurityGroupID = "9b2e7d41-5c6a-4f08-8e3d-1a7c5f9b2e64"
)

// defaultTenant is the tenant of a fleet of project projectID whose epoch
// (Unix milliseconds) is epoch: the same for the same project and epoch.
func defaultTenant(projectID string, epoch int64) Tenant {
	h := fnv.New64a()
	h.Write([]byte(projectID))
	seed := h.Sum64()
	day := time.UnixMilli(epoch).UTC()
	certEnd := day.Add(10*24*time.Hour + 9*time.Hour + 34*time.Minute + 27*time.Second)
	centralID, edgeID := uuidString(mix(seed, 1), mix(seed, 2)), uuidString(mix(seed, 3), mix(seed, 4))
	job := hex32(mix(seed, 5), mix(seed, 6))
	azs := make([]string, len(zones))
	for i, z := range zones {
		azs[i] = z.name
	}
	return Tenant{
		ID:           hex32(mix(seed, 7), mix(seed, 8)),
		Status:       "SUBSCRIBED",
		AccessStatus: "openSuccess",
		ConfigStatus: "0",
		AccessMode:   "INTERNET",
		DomainType:   "LOCAL_AD",
		DomainName:   "corp.example.com",
		JobID:        job,
		Progress:     "100%",
		UseLDAPS:     true,
		CertStart:    certEnd.AddDate(-1, 0, 0),
		CertEnd:      certEnd,
		Sites: []TenantSite{{
			ID: centralID, Name: siteName, Type: "CENTER",
			Status: "SUBSCRIBED", AccessStatus: "openSuccess", ConfigStatus: "0", ListStatus: "openSuccess",
			InConfigs: true, InList: true, AvailabilityZones: azs, JobID: job, Progress: "100%",
			AccessMode: "INTERNET", InternetAccessPort: "443", InternetAccessAddress: "https://workspace.example.com",
		}, {
			ID: edgeID, Name: edgeSiteName, Type: "IES",
			Status: "SUBSCRIBED", AccessStatus: "openSuccess", ConfigStatus: "0", ListStatus: "openSuccess",
			InConfigs: true, InList: true, AvailabilityZones: []string{"ap-southeast-3-ies-01"},
			JobID: hex32(mix(seed, 9), mix(seed, 10)), Progress: "100%", AccessMode: "INTERNET",
		}},
		EdgeSites: []TenantEdgeSite{{
			ID: uuidString(mix(seed, 11), mix(seed, 12)), Name: edgeStationName, Description: "Singapore branch office",
			AvailabilityZone: "ap-southeast-3-ies-01", Address: "Singapore", Status: "available",
			SiteID: edgeID, SiteStatus: "SUBSCRIBED", Created: day.AddDate(0, 0, -200),
		}},
	}
}

// clone copies t's slices, so that the copy shares nothing with t.
func (t Tenant) clone() Tenant {
	t.Sites = slices.Clone(t.Sites)
	for i := range t.Sites {
		t.Sites[i].AvailabilityZones = slices.Clone(t.Sites[i].AvailabilityZones)
	}
	t.EdgeSites = slices.Clone(t.EdgeSites)
	return t
}

// tenant is a's current tenant. The caller holds the fleet lock.
func (a *api) tenant() Tenant {
	if a.tenantSet != nil {
		return *a.tenantSet
	}
	return defaultTenant(a.projectID, a.fleet.epoch)
}

// Tenant returns a copy of the simulated tenant's service.
func (s *Simulator) Tenant() Tenant {
	var t Tenant
	s.ReadFleet(func() { t = s.api.tenant().clone() })
	return t
}

// SetTenant replaces the simulated tenant's service with a copy of t,
// served exactly as given.
func (s *Simulator) SetTenant(t Tenant) {
	t = t.clone()
	s.UpdateFleet(func() { s.api.tenantSet = &t })
}

// Time layouts of the service domain: §4.2.7's certificate times (no
// zone, L3824) and §4.2.12's lock_time (L4824).
const (
	certTimeLayout = "2006-01-02T15:04:05"
	lockTimeLayout = "2006-01-02 15:04:05"
)

// Shapes of §4.2.7's answer (Tables 4-214 … 4-222), the members the
// simulator fills.
type (
	wsSecurityGroup struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	wsTLSConfig struct {
		CertStart string `json:"cert_start_time,omitempty"`
		CertEnd   string `json:"cert_end_time,omitempty"`
	}
	wsADInfo struct {
		DomainType       string       `json:"domain_type"`
		DomainName       string       `json:"domain_name,omitempty"`
		DomainAdmin      string       `json:"domain_admin_account,omitempty"`
		ActiveDomainName string       `json:"active_domain_name,omitempty"`
		ActiveDomainIP   string       `json:"active_domain_ip,omitempty"`
		ActiveDNSIP      string       `json:"active_dns_ip,omitempty"`
		UseLDAPS         bool         `json:"use_ldaps"`
		TLSConfig        *wsTLSConfig `json:"tls_config,omitempty"`
	}
	wsAccessConfig struct {
		AccessMode            string `json:"access_mode"`
		InternetAccessAddress string `json:"internet_access_address,omitempty"`
		InternetAccessPort    string `json:"internet_access_port,omitempty"`
	}
	wsSiteConfig struct {
		SiteID            string          `json:"site_id"`
		SiteType          string          `json:"site_type"`
		SiteName          string          `json:"site_name"`
		Status            string          `json:"status"`
		AccessStatus      string          `json:"access_status"`
		ConfigStatus      string          `json:"config_status"`
		AvailabilityZones []string        `json:"availability_zones"`
		JobID             string          `json:"job_id,omitempty"`
		Progress          string          `json:"progress,omitempty"`
		AccessConfig      *wsAccessConfig `json:"access_config,omitempty"`
		Closable          bool            `json:"closable"`
	}
	wsWorkspace struct {
		ID                          string          `json:"id"`
		IsGlobal                    bool            `json:"is_global"`
		Status                      string          `json:"status"`
		ConfigStatus                string          `json:"config_status"`
		Closable                    bool            `json:"closable"`
		ADDomains                   wsADInfo        `json:"ad_domains"`
		VPCID                       string          `json:"vpc_id"`
		VPCName                     string          `json:"vpc_name"`
		AccessMode                  string          `json:"access_mode"`
		InternetAccessAddress       string          `json:"internet_access_address,omitempty"`
		InternetAccessPort          string          `json:"internet_access_port,omitempty"`
		ManagementSubnetCIDR        string          `json:"management_subnet_cidr"`
		InfrastructureSecurityGroup wsSecurityGroup `json:"infrastructure_security_group"`
		DesktopSecurityGroup        wsSecurityGroup `json:"desktop_security_group"`
		Progress                    string          `json:"progress,omitempty"`
		AccessStatus                string          `json:"access_status"`
		JobID                       string          `json:"job_id,omitempty"`
		FailCode                    int             `json:"fail_code,omitempty"`
		FailReason                  string          `json:"fail_reason,omitempty"`
		IsSendEmail                 bool            `json:"is_send_email"`
		AuthorizedCollectLog        bool            `json:"authorized_collect_log"`
		AuthorizedHDAUpgrade        bool            `json:"authorized_hda_upgrade"`
		SiteConfigs                 []wsSiteConfig  `json:"site_configs"`
	}
)

// listWorkspaces answers ListWorkspaces (§4.2.7): the tenant as one
// object, its sites InConfigs in site_configs.
func (a *api) listWorkspaces(_ simulator.Operation, _ *http.Request, b []byte, _ *simulator.Fault) (int, []byte) {
	t := a.tenant()
	w := wsWorkspace{
		ID: t.ID, Status: t.Status, ConfigStatus: t.ConfigStatus, AccessStatus: t.AccessStatus,
		ADDomains: wsADInfo{DomainType: t.DomainType, DomainName: t.DomainName, UseLDAPS: t.UseLDAPS},
		VPCID:     zones[0].networkID, VPCName: "vpc-workspace", AccessMode: t.AccessMode,
		ManagementSubnetCIDR:        "172.31.0.0/24",
		InfrastructureSecurityGroup: wsSecurityGroup{ID: managerSecurityGroupID, Name: "WorkspaceManagerSecurityGroup"},
		DesktopSecurityGroup:        wsSecurityGroup{ID: securityGroupID, Name: securityGroupName},
		Progress:                    t.Progress, JobID: t.JobID, FailCode: t.FailCode,
		IsSendEmail: true, SiteConfigs: []wsSiteConfig{},
	}
	if t.FailCode != 0 {
		w.FailReason = t.FailReason
	}
	if t.DomainType == "LOCAL_AD" {
		w.ADDomains.DomainAdmin, w.ADDomains.ActiveDomainName = "vdsadmin", "dc01."+t.DomainName
		w.ADDomains.ActiveDomainIP, w.ADDomains.ActiveDNSIP = "172.16.0.4", "172.16.0.4"
	}
	if !t.CertStart.IsZero() || !t.CertEnd.IsZero() {
		w.ADDomains.TLSConfig = &wsTLSConfig{CertStart: formatZoneless(t.CertStart, certTimeLayout), CertEnd: formatZoneless(t.CertEnd, certTimeLayout)}
	}
	if t.AccessMode == "INTERNET" || t.AccessMode == "BOTH" {
		w.InternetAccessAddress, w.InternetAccessPort = "https://workspace.example.com", "443"
	}
	for _, s := range t.Sites {
		if !s.InConfigs {
			continue
		}
		sc := wsSiteConfig{SiteID: s.ID, SiteType: s.Type, SiteName: s.Name, Status: s.Status, AccessStatus: s.AccessStatus,
			ConfigStatus: s.ConfigStatus, AvailabilityZones: s.AvailabilityZones, JobID: s.JobID, Progress: s.Progress}
		if sc.AvailabilityZones == nil {
			sc.AvailabilityZones = []string{}
		}
		if s.AccessMode != "" {
			sc.AccessConfig = &wsAccessConfig{AccessMode: s.AccessMode, InternetAccessAddress: s.InternetAccessAddress, InternetAccessPort: s.InternetAccessPort}
		}
		w.SiteConfigs = append(w.SiteConfigs, sc)
	}
	out, err := json.Marshal(w)
	if err != nil { // strings, bools and ints cannot fail to marshal
		panic(err)
	}
	return http.StatusOK, append(b, out...)
}

// formatZoneless formats t in UTC without a zone; "" for the zero time.
func formatZoneless(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(layout)
}

// showWorkspaceLock answers ShowWorkspaceLock (§4.2.12): {"is_lock":0}
// when unlocked; is_lock 1 with lock_time (UTC, yyyy-MM-dd HH:mm:ss) and
// lock_reason when locked.
func (a *api) showWorkspaceLock(_ simulator.Operation, _ *http.Request, b []byte, _ *simulator.Fault) (int, []byte) {
	t := a.tenant()
	if !t.Locked {
		return http.StatusOK, append(b, `{"is_lock":0}`...)
	}
	b = append(b, `{"is_lock":1`...)
	if !t.LockTime.IsZero() {
		b = appendKeyString(b, ',', "lock_time", formatZoneless(t.LockTime, lockTimeLayout))
	}
	if t.LockReason != "" {
		b = appendKeyString(b, ',', "lock_reason", t.LockReason)
	}
	return http.StatusOK, append(b, '}')
}

// floodsStatus reports whether an enum_flood fault fills "status".
func floodsStatus(fields []string) bool { return slices.Contains(fields, "status") }

// listSiteConfigs answers ListSiteConfigs (§4.2.1): the tenant's sites
// InList as SiteInfo (site_id, site_name, site_type, project_id, status
// its ListStatus), with total_count as the TotalCountMode says. The
// availability_zone_id and site_type filters are not served (the
// exporter sends none); the shared page faults apply to site_infos.
func (a *api) listSiteConfigs(op simulator.Operation, _ *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	var sites []TenantSite
	for _, s := range a.tenant().Sites {
		if s.InList {
			sites = append(sites, s)
		}
	}
	projectID := a.projectID
	l := simulator.List[TenantSite]{
		ListKey:  op.ListKey,
		TotalKey: op.TotalKey,
		Mode:     a.srv.TotalCountMode(),
		Items:    sites,
		Page:     simulator.Page{Limit: len(sites)},
		Append: func(b []byte, s TenantSite) []byte {
			b = appendKeyString(b, '{', "site_id", s.ID)
			b = appendKeyString(b, ',', "site_name", s.Name)
			b = appendKeyString(b, ',', "site_type", s.Type)
			b = appendKeyString(b, ',', "project_id", projectID)
			b = appendKeyString(b, ',', "status", s.ListStatus)
			return append(b, '}')
		},
		Flood: func(s TenantSite, fields []string) TenantSite {
			if floodsStatus(fields) {
				s.ListStatus = simulator.FloodPrefix + s.ID
			}
			return s
		},
		ItemSize: 200,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// appendOversizedSite appends the n-th site of an oversized
// ListSiteConfigs answer.
func appendOversizedSite(b []byte, n int) []byte {
	b = append(b, `{"site_id":"oversize-`...)
	b = appendPadded(b, n)
	return append(b, `","status":"openSuccess"}`...)
}

// listWksEdgeSites answers ListWksEdgeSites (§4.2.6): the tenant's edge
// sites as WksEdgeSiteDetail, with total_count as the TotalCountMode
// says. The usage rates are 0, as in the example (their unit is not
// documented). The name, availability_zone_id and status filters are not
// served (the exporter sends none); the shared page faults apply to
// wks_edge_sites.
func (a *api) listWksEdgeSites(op simulator.Operation, _ *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	edges := a.tenant().EdgeSites
	l := simulator.List[TenantEdgeSite]{
		ListKey:  op.ListKey,
		TotalKey: op.TotalKey,
		Mode:     a.srv.TotalCountMode(),
		Items:    edges,
		Page:     simulator.Page{Limit: len(edges)},
		Append: func(b []byte, e TenantEdgeSite) []byte {
			b = appendKeyString(b, '{', "id", e.ID)
			b = appendKeyString(b, ',', "name", e.Name)
			b = appendKeyString(b, ',', "description", e.Description)
			b = appendKeyString(b, ',', "availability_zone_id", e.AvailabilityZone)
			b = appendKeyString(b, ',', "address", e.Address)
			b = appendKeyString(b, ',', "status", e.Status)
			created := e.Created.UTC().Format(timeLayout)
			b = appendKeyString(b, ',', "created_at", created)
			b = appendKeyString(b, ',', "updated_at", created)
			b = append(b, `,"cpu_usage_rate":0,"memory_usage_rate":0,"capacity_usage_rate":0`...)
			if e.SiteID != "" {
				b = append(b, `,"site_info":`...)
				b = appendKeyString(b, '{', "id", e.SiteID)
				b = appendKeyString(b, ',', "status", e.SiteStatus)
				b = append(b, '}')
			}
			return append(b, '}')
		},
		Flood: func(e TenantEdgeSite, fields []string) TenantEdgeSite {
			if floodsStatus(fields) {
				e.Status = simulator.FloodPrefix + e.ID
			}
			return e
		},
		ItemSize: 400,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// appendOversizedEdgeSite appends the n-th edge site of an oversized
// ListWksEdgeSites answer.
func appendOversizedEdgeSite(b []byte, n int) []byte {
	b = append(b, `{"id":"oversize-`...)
	b = appendPadded(b, n)
	return append(b, `","status":"available"}`...)
}
