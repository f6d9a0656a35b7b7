package collector

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// The quotas collector reads the provider's model.QuotaReader: the
// tenant's quotas and those of its edge sites (Huawei: §4.25.1 GET
// /v2/{project_id}/quotas) and, with site_details, each edge site's
// detailed quotas (§4.25.2 GET /v2/{project_id}/quotas/detail?site_id=…).
//
// Series: workspace_quota_limit and workspace_quota_used per resource
// (the quota type) and site. site="" is the tenant's quota, the one the
// provider reports for the tenant as a whole (Huawei: the "quotas" object,
// the central site's; its "site_quotas" exclude the central site); any
// other value is an edge site's ID. An empty site ID is never a site's, so
// the tenant's series cannot collide with a site's.
//
// resource is the type as the provider spells it, so that Huawei's "cores"
// and "Cores" (two documented types, L42942) both stay. A type that
// differs from exactly one documented type only by case (e.g. "memory"
// for "Memory") is exported with the documented spelling, unless that
// spelling is itself in the same list or already taken (then it keeps its
// own): nothing is merged, nothing is lost. A case variant of a type
// documented in two spellings (e.g. "CORES") keeps its own. A type
// repeated in one list keeps its first entry. Undocumented types are
// bounded like any undocumented label value: beyond MaxUndocumentedValues
// the least frequent are dropped (a limit cannot be added to another
// resource's, so they are not summed into "other") and counted in
// workspace_label_values_folded.
//
// A limit the provider reports as none (Huawei: a negative quota, or the
// placeholder 2147483647) is +Inf, so used/limit is 0 and no ratio alert
// fires; an absent or unreadable limit or use has no series.

func init() {
	registerCollector(Collector{
		Name:            "quotas",
		DefaultEnabled:  true,
		DefaultInterval: 10 * time.Minute,
		Capability:      model.CapabilityQuotas,
		NewOptions:      func() any { return newQuotasOptions() },
		New:             newQuotasCollector,
		Families:        []*FamilyDesc{quotaLimitDesc, quotaUsedDesc, labelValuesFoldedDesc},
	})
}

// QuotasOptions are the quotas collector's own settings.
type QuotasOptions struct {
	// SiteDetails reads each edge site's detailed quotas too (one request
	// per site and refresh).
	SiteDetails bool `yaml:"site_details"`
}

func newQuotasOptions() *QuotasOptions { return &QuotasOptions{SiteDetails: true} }

// maxQuotaSites bounds the sites of one refresh (Huawei's client refuses
// more than 64 already).
const maxQuotaSites = 256

var (
	quotaLimitDesc = NewFamilyDesc(Namespace+"_quota_limit",
		"Quota of the resource (the provider's quota type, spelling kept) in the provider's unit of it; +Inf when the provider reports no limit. site is \"\" for the tenant's quota, else an edge site's ID.",
		prometheus.GaugeValue, "target", "resource", "site")
	quotaUsedDesc = NewFamilyDesc(Namespace+"_quota_used",
		"Quota of the resource in use, in the unit of workspace_quota_limit. site is \"\" for the tenant's quota, else an edge site's ID.",
		prometheus.GaugeValue, "target", "resource", "site")
)

func newQuotasCollector(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error) {
	r, ok := api.(model.QuotaReader)
	if !ok {
		return nil, fmt.Errorf("the provider client has no %s capability (model.QuotaReader)", model.CapabilityQuotas)
	}
	o, _ := opts.(*QuotasOptions)
	if o == nil {
		o = newQuotasOptions()
	}
	details := o.SiteDetails
	documented := api.Documented(model.FieldQuotaResource)
	return func(ctx context.Context) (Snapshot, error) {
		q, err := r.Quotas(ctx)
		if err != nil {
			return nil, err
		}
		if len(q.Sites) > maxQuotaSites {
			return nil, fmt.Errorf("the provider reported %d sites with quotas, more than the %d the exporter reads", len(q.Sites), maxQuotaSites)
		}
		var siteDetails map[string][]model.QuotaResource
		if details {
			siteDetails = make(map[string][]model.QuotaResource, len(q.Sites))
			for _, s := range q.Sites {
				if _, done := siteDetails[s.SiteID]; done || s.SiteID == "" {
					continue
				}
				d, err := r.SiteQuota(ctx, s.SiteID)
				if err != nil {
					return nil, err
				}
				siteDetails[s.SiteID] = d.Resources
			}
		}
		snap := newQuotasSnapshot(q, siteDetails, documented)
		logger.Debug("read the quotas", "tenant_quotas", len(q.Tenant), "sites", len(q.Sites), "site_details", len(siteDetails),
			"series", len(snap.rows), "repeated_types", snap.repeated)
		logFolded(logger, snap.folder)
		return snap, nil
	}, nil
}

// quotaResourceLabels returns the resource label of each entry of one
// list, "" for an entry dropped as a repeat (see the file comment).
func quotaResourceLabels(rs []model.QuotaResource, documented []string) []string {
	present := make(map[string]bool, len(rs))
	for _, r := range rs {
		present[r.Type] = true
	}
	taken := make(map[string]bool, len(rs))
	seenRaw := make(map[string]bool, len(rs))
	out := make([]string, len(rs))
	for i, r := range rs {
		if r.Type == "" || seenRaw[r.Type] {
			continue
		}
		seenRaw[r.Type] = true
		label := r.Type
		if !slices.Contains(documented, label) {
			if d, ok := uniqueFold(documented, label); ok && !present[d] && !taken[d] {
				label = d
			}
		}
		if taken[label] {
			continue
		}
		taken[label] = true
		out[i] = label
	}
	return out
}

// uniqueFold is the one documented value equal to s under case folding.
func uniqueFold(documented []string, s string) (string, bool) {
	found, n := "", 0
	for _, d := range documented {
		if strings.EqualFold(d, s) {
			found = d
			n++
		}
	}
	return found, n == 1
}

// quotaRow is one resource of one site.
type quotaRow struct {
	site, resource string
	q              model.QuotaResource
}

// quotasSnapshot is immutable once built.
type quotasSnapshot struct {
	rows     []quotaRow
	folder   *labelFolder
	repeated int // entries dropped as repeats
}

func newQuotasSnapshot(q model.Quotas, details map[string][]model.QuotaResource, documented []string) *quotasSnapshot {
	s := &quotasSnapshot{}
	var rows []quotaRow
	// add appends the labelled entries of one list of site, replacing a
	// row of the same site and resource from an earlier list (the site's
	// details replace its summary).
	add := func(site string, rs []model.QuotaResource, from int) {
		for i, label := range quotaResourceLabels(rs, documented) {
			if label == "" {
				if rs[i].Type != "" {
					s.repeated++
				}
				continue
			}
			row := quotaRow{site, label, rs[i]}
			if j := slices.IndexFunc(rows[from:], func(r quotaRow) bool { return r.resource == label }); j >= 0 {
				rows[from+j] = row
				continue
			}
			rows = append(rows, row)
		}
	}
	add("", q.Tenant, 0)
	seen := map[string]bool{}
	for _, site := range q.Sites {
		if site.SiteID == "" || seen[site.SiteID] {
			continue
		}
		seen[site.SiteID] = true
		from := len(rows)
		add(site.SiteID, site.Resources, from)
		if d, ok := details[site.SiteID]; ok {
			add(site.SiteID, d, from)
		}
	}
	weights := map[string]int{}
	for _, r := range rows {
		weights[r.resource]++
	}
	s.folder = newLabelFolder("resource", documented, weights)
	s.rows = slices.DeleteFunc(rows, func(r quotaRow) bool { return !s.folder.kept[r.resource] })
	return s
}

// Render adds the snapshot's series.
func (s *quotasSnapshot) Render(b *Builder, target string) {
	for i := range s.rows {
		r := &s.rows[i]
		switch {
		case r.q.HasLimit && r.q.Unlimited:
			b.Add(quotaLimitDesc, math.Inf(1), target, r.resource, r.site)
		case r.q.HasLimit:
			b.Add(quotaLimitDesc, r.q.Limit, target, r.resource, r.site)
		}
		if r.q.HasUsed {
			b.Add(quotaUsedDesc, r.q.Used, target, r.resource, r.site)
		}
	}
	renderFolded(b, target, "quotas", s.folder)
}
