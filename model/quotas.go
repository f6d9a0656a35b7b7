package model

import "context"

// The quotas domain: the tenant's resource quotas, for the central site
// and per edge site (Huawei: §4.25.1 and §4.25.2 of the API reference).

// CapabilityQuotas is the capability of a client that implements
// QuotaReader.
const CapabilityQuotas = "quotas"

// FieldQuotaResource names the documented quota resource types, spelled
// exactly as the provider documents them (Huawei has both "cores" and
// "Cores").
const FieldQuotaResource = "quota.resource"

// QuotaResource is one quota: a limit and its use, in the provider's unit
// of the resource (a count, or e.g. GB for memory and disk capacity).
type QuotaResource struct {
	// Type is the resource type as the API sent it (case kept; safe for a
	// label value: redacted, valid UTF-8, bounded, never empty).
	Type string
	// Unit is the unit the API gave ("" when none), for logs.
	Unit string
	// Limit is the quota, when HasLimit; Unlimited says the provider
	// reported no limit (Limit is then meaningless).
	Limit     float64
	HasLimit  bool
	Unlimited bool
	// Used is the quota in use, when HasUsed.
	Used    float64
	HasUsed bool
}

// SiteQuota is the quota of one site.
type SiteQuota struct {
	// SiteID is the site's ID (safe for a label value, never empty).
	SiteID    string
	Resources []QuotaResource
}

// Quotas are a tenant's quotas.
type Quotas struct {
	// Tenant are the quotas of the tenant at the central site.
	Tenant []QuotaResource
	// Sites are the quotas of the other (edge) sites, in the API's order,
	// each site once.
	Sites []SiteQuota
	// Invalid counts entries skipped: not objects, without a usable type
	// or site ID, or repeated.
	Invalid int
}

// QuotaReader reads quotas. Each method returns complete data or an error.
type QuotaReader interface {
	// Quotas reads the tenant's quotas and those of its edge sites.
	Quotas(ctx context.Context) (Quotas, error)
	// SiteQuota reads the detailed quotas of one site (a SiteID that
	// Quotas returned).
	SiteQuota(ctx context.Context, siteID string) (SiteQuota, error)
}
