package huaweicloud

import (
	"net/http"
	"strconv"

	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file is the quotas domain, from the one fleet:
//
//   - ListQuotas (§4.25.1): the tenant's quotas ("quotas", the central
//     site, where every desktop of the fleet is: §4.3.8 shows site_type
//     CENTER for all of them) and those of one edge site ("site_quotas",
//     which excludes the central site, seed 003 L42927).
//   - ShowQuotaDetail (§4.25.2): one site's quotas, the same numbers: the
//     central site's (site_id QuotaCentralSiteID, or no site_id) are the
//     tenant's, the edge site's (QuotaEdgeSiteID) its site_quotas entry.
//
// The use of each desktop quota is what ListDesktopsDetail (§4.3.8) shows:
//
//   - general_instances: desktops whose product is not a GPU product
//     (product.is_gpu false), gpu_instances: those whose product is;
//   - cores: the sum of product.cpu; Memory (GB): the sum of
//     product.memory (MB), divided by 1024 and rounded up;
//   - volumes: the disks, root_volume and data_volumes; volume_gigabytes
//     (GB): the sum of their sizes;
//   - users: the distinct user names of the desktops (user_name and the
//     USER entries of attach_user_infos);
//   - Cores ("used by the quota tool", L42942): the limit of cores, used
//     0, as in the example (L43041-43043); policy_groups: 10, 3 used (the
//     fleet has no policy groups); deh is not reported (as in the
//     example).
//
// Limits follow the fleet: each is its use divided by a share
// (quotaShares) rounded up to a multiple of 10, at least 10, so a fleet
// of any size uses general_instances at about 93% (an alert has something
// to show), cores at about 82%, and the others less. The edge site has no
// desktops: gpu_instances 50 and ies_instances 500, none used, as the
// example's site (L43047-43057).

// Site IDs of the simulated tenant: the central site (the §4.2.1 example's
// site_id, 003 L2888) and one edge site (the §4.25.1 example's, L43048).
const (
	QuotaCentralSiteID = "22033f05-b7e1-44c4-a45f-630aa8acc42c"
	QuotaEdgeSiteID    = "147258369"
)

// QuotaEntry is one ResourceNoLimit as the simulator serves it.
type QuotaEntry struct {
	Type  string
	Quota int64
	Used  int64
	Unit  string // "" is left out
}

// SiteQuotaEntries are the quotas of one site.
type SiteQuotaEntries struct {
	SiteID    string
	Resources []QuotaEntry
}

// quotaShares are the shares of their limits the desktop quotas are used
// at.
var quotaShares = map[string]float64{
	"general_instances": 0.93,
	"cores":             0.82,
	"Memory":            0.78,
	"volume_gigabytes":  0.7,
	"gpu_instances":     0.6,
	"volumes":           0.55,
	"users":             0.45,
}

// quotaLimit is the limit used at share: used/share rounded up to a
// multiple of 10, at least 10.
func quotaLimit(used int64, share float64) int64 {
	v := int64(float64(used) / share)
	if float64(v)*share < float64(used) {
		v++
	}
	v = (v + 9) / 10 * 10
	return max(v, 10)
}

// fleetUse is what the fleet's desktops use.
type fleetUse struct {
	general, gpu, cores, memoryMB, volumes, volumeGB int64
	users                                            int64
}

// use adds up the fleet as ListDesktopsDetail shows it.
func quotaUse(recs []*record) fleetUse {
	var u fleetUse
	users := map[string]bool{}
	for _, r := range recs {
		var gpu bool
		var cpu, mem int64
		var disks, gb int64
		if d := r.custom; d != nil {
			gpu = d.Product.IsGPU
			cpu, _ = strconv.ParseInt(d.Product.CPU, 10, 64)
			mem, _ = strconv.ParseInt(d.Product.Memory, 10, 64)
			disks, gb = 1+int64(len(d.DataVolumes)), int64(d.RootVolume.Size)
			for _, v := range d.DataVolumes {
				gb += int64(v.Size)
			}
			if d.UserName != "" {
				users[d.UserName] = true
			}
			for _, a := range d.AttachUserInfos {
				if a.Type == "USER" && a.UserName != "" {
					users[a.UserName] = true
				}
			}
		} else {
			p := r.product
			gpu = p.gpu
			cpu, _ = strconv.ParseInt(p.cpuS, 10, 64)
			mem, _ = strconv.ParseInt(p.memS, 10, 64)
			disks, gb = 1, int64(p.diskGB)
			if r.dataGB > 0 {
				disks++
				gb += int64(r.dataGB)
			}
			if r.user != "" {
				users[r.user] = true
			}
		}
		if gpu {
			u.gpu++
		} else {
			u.general++
		}
		u.cores += max(cpu, 0)
		u.memoryMB += max(mem, 0)
		u.volumes += disks
		u.volumeGB += max(gb, 0)
	}
	u.users = int64(len(users))
	return u
}

// tenantQuotas are the tenant's (central site's) quotas of recs, in the
// example's order (L42998-43046).
func tenantQuotas(recs []*record) []QuotaEntry {
	u := quotaUse(recs)
	memGB := (u.memoryMB + 1023) / 1024
	e := func(typ, unit string, used int64) QuotaEntry {
		return QuotaEntry{Type: typ, Unit: unit, Used: used, Quota: quotaLimit(used, quotaShares[typ])}
	}
	cores := e("cores", "", u.cores)
	return []QuotaEntry{
		e("general_instances", "", u.general),
		e("volumes", "", u.volumes),
		e("volume_gigabytes", "GB", u.volumeGB),
		cores,
		e("Memory", "GB", memGB),
		e("gpu_instances", "", u.gpu),
		e("users", "", u.users),
		{Type: "policy_groups", Quota: 10, Used: 3},
		{Type: "Cores", Quota: cores.Quota, Used: 0},
	}
}

// edgeSiteQuotas are the edge site's quotas: no desktop is there.
func edgeSiteQuotas() SiteQuotaEntries {
	return SiteQuotaEntries{SiteID: QuotaEdgeSiteID, Resources: []QuotaEntry{
		{Type: "gpu_instances", Quota: 50}, {Type: "ies_instances", Quota: 500},
	}}
}

// Quotas returns the quotas the simulator serves now: the tenant's
// (§4.25.1 quotas, and §4.25.2 of the central site) and the edge sites'
// (§4.25.1 site_quotas, and §4.25.2 of each).
func (s *Simulator) Quotas() (tenant []QuotaEntry, sites []SiteQuotaEntries) {
	s.ReadFleet(func() { tenant = tenantQuotas(s.api.fleet.recs) })
	return tenant, []SiteQuotaEntries{edgeSiteQuotas()}
}

func appendQuotaEntry(b []byte, e QuotaEntry) []byte {
	b = appendKeyString(b, '{', "type", e.Type)
	b = append(b, `,"quota":`...)
	b = strconv.AppendInt(b, e.Quota, 10)
	if e.Unit != "" {
		b = appendKeyString(b, ',', "unit", e.Unit)
	}
	b = append(b, `,"used":`...)
	b = strconv.AppendInt(b, e.Used, 10)
	return append(b, '}')
}

func appendQuotaEntries(b []byte, es []QuotaEntry) []byte {
	b = append(b, '[')
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuotaEntry(b, e)
	}
	return append(b, ']')
}

func appendSiteQuota(b []byte, s SiteQuotaEntries) []byte {
	b = appendKeyString(b, '{', "site_id", s.SiteID)
	b = append(b, `,"resources":`...)
	b = appendQuotaEntries(b, s.Resources)
	return append(b, '}')
}

// listQuotas answers ListQuotas (§4.25.1):
// {"quotas":{"resources":[…]},"site_quotas":[…]}. The shared page faults
// apply to site_quotas, the answer's list (its spec row's ListKey).
func (a *api) listQuotas(op simulator.Operation, _ *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	b = append(b, `{"quotas":{"resources":`...)
	b = appendQuotaEntries(b, tenantQuotas(a.fleet.recs))
	b = append(b, '}')
	sites := []SiteQuotaEntries{edgeSiteQuotas()}
	l := simulator.List[SiteQuotaEntries]{
		ListKey: op.ListKey,
		Mode:    simulator.TotalOmitted,
		Items:   sites,
		Page:    simulator.Page{Limit: len(sites)},
		Append:  appendSiteQuota,
		Flood: func(s SiteQuotaEntries, _ []string) SiteQuotaEntries {
			rs := make([]QuotaEntry, len(s.Resources))
			for i, e := range s.Resources {
				e.Type = simulator.FloodPrefix + s.SiteID + "_" + e.Type
				rs[i] = e
			}
			s.Resources = rs
			return s
		},
		ItemSize: 160,
	}
	// The list renders as an object, {"site_quotas":[…]} (or {} when a
	// fault leaves the key out): its members join the answer's.
	part := l.AppendTo(nil, f)
	if len(part) > 2 {
		b = append(b, ',')
		b = append(b, part[1:]...)
		return http.StatusOK, b
	}
	return http.StatusOK, append(b, '}')
}

// showQuotaDetail answers ShowQuotaDetail (§4.25.2):
// {"resources":[…],"site_id":…} of the site asked for: no site_id or the
// central site's is the tenant's quota, the edge site's its own; another
// site_id is 404 (as "No resources found", L43198). az_code is accepted
// and not checked. The shared page faults apply to resources.
func (a *api) showQuotaDetail(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	site := r.URL.Query().Get("site_id")
	var rs []QuotaEntry
	switch site {
	case "", QuotaCentralSiteID:
		site, rs = QuotaCentralSiteID, tenantQuotas(a.fleet.recs)
	case QuotaEdgeSiteID:
		rs = edgeSiteQuotas().Resources
	default:
		e := &simulator.Error{Status: http.StatusNotFound, Code: "WKS.0010", Message: "No resources found in the system.", Detail: "site_id " + strconv.Quote(site) + " does not exist."}
		return http.StatusNotFound, errorBody(e)
	}
	l := simulator.List[QuotaEntry]{
		ListKey: op.ListKey,
		Mode:    simulator.TotalOmitted,
		Items:   rs,
		Page:    simulator.Page{Limit: len(rs)},
		Append:  appendQuotaEntry,
		Flood: func(e QuotaEntry, _ []string) QuotaEntry {
			e.Type = simulator.FloodPrefix + e.Type
			return e
		},
		ItemSize: 64,
	}
	b = l.AppendTo(b, f)
	b = b[:len(b)-1] // the closing brace
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, `"site_id":`...)
	b = appendString(b, site)
	return http.StatusOK, append(b, '}')
}

// appendOversizedSiteQuota appends the n-th site of an oversized
// ListQuotas answer.
func appendOversizedSiteQuota(b []byte, n int) []byte {
	b = append(b, `{"site_id":"oversize-`...)
	b = appendPadded(b, n)
	return append(b, `","resources":[]}`...)
}

// appendOversizedQuota appends the n-th entry of an oversized
// ShowQuotaDetail answer.
func appendOversizedQuota(b []byte, n int) []byte {
	b = append(b, `{"type":"oversize-`...)
	b = appendPadded(b, n)
	return append(b, `","quota":1,"used":0}`...)
}
