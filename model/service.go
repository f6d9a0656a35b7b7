package model

import (
	"context"
	"time"
)

// CapabilityService is the capability of reading the cloud desktop
// service itself: its subscription, access and directory state, its
// sites, its lock.
const CapabilityService = "service"

// Enum fields of the service domain whose documented values a provider's
// spec table lists.
const (
	// FieldServiceStatus is the service's subscription status, of the
	// tenant and of each site.
	FieldServiceStatus = "service.status"
	// FieldServiceAccessStatus is the state of the service's access
	// (Internet / private line) switching task.
	FieldServiceAccessStatus = "service.access_status"
	// FieldServiceConfigStatus is the service's directory (AD)
	// configuration status.
	FieldServiceConfigStatus = "service.config_status"
	// FieldEdgeSiteStatus is an edge site's deployment status.
	FieldEdgeSiteStatus = "edge_site.status"
)

// Service is the tenant's cloud desktop service. Enum fields keep
// whatever value the API sent ("" when absent); every string is safe for
// a label value (secrets redacted, valid UTF-8, bounded).
type Service struct {
	ID           string
	Status       string
	AccessStatus string
	ConfigStatus string
	AccessMode   string
	DomainType   string
	// JobID is the job of the latest subscription or unsubscription.
	JobID string
	// Progress is that job's progress, 0..1; valid when HasProgress.
	Progress    float64
	HasProgress bool
	// ProgressText is the progress as sent, for logs, when it could not
	// be read ("" otherwise).
	ProgressText string
	FailCode     int64 // valid when HasFailCode
	HasFailCode  bool
	FailReason   string
	// UseLDAPS is the directory's LDAPS switch; valid when HasUseLDAPS.
	UseLDAPS, HasUseLDAPS bool
	// CertStart and CertEnd bound the directory's LDAPS certificate;
	// zero when absent or unreadable. CertEndText is cert_end_time as
	// sent when it was sent but could not be read ("" otherwise).
	CertStart, CertEnd time.Time
	CertEndText        string
	// Sites are the service's per-site configurations, without
	// duplicates (the last of a repeated site ID wins), in the API's
	// order. Nil when the API sends none.
	Sites []ServiceSiteConfig
	// InvalidSites counts site configurations skipped (not objects, or
	// without a valid site ID).
	InvalidSites int
}

// ServiceSiteConfig is the service's state at one site.
type ServiceSiteConfig struct {
	SiteID, SiteName, SiteType         string
	Status, AccessStatus, ConfigStatus string
}

// ServiceLock is whether the service is locked.
type ServiceLock struct {
	Locked bool
	// Value is the lock flag as sent (0 unlocked, 1 locked; other values
	// are read as locked).
	Value int64
	// Time is when the service was locked; zero when not sent or
	// unreadable.
	Time   time.Time
	Reason string
}

// ServiceSite is one site of the tenant.
type ServiceSite struct {
	ID, Name, Type string
	// Status is the site's status as sent ("" when absent); its values
	// are not documented.
	Status string
}

// EdgeSite is one edge site of the tenant.
type EdgeSite struct {
	ID, Name, AvailabilityZone string
	// Status is the edge site's deployment status (FieldEdgeSiteStatus).
	Status string
	// SiteID and SiteStatus are the service's site at the edge site and
	// its service status (FieldServiceStatus); "" when not sent.
	SiteID, SiteStatus string
}

// MaxServiceSites bounds the sites, site configurations and edge sites
// read in one answer: more is refused with an error rather than read
// without end.
const MaxServiceSites = 500

// ServiceReader reads the service's state. Each method returns complete
// data or an error.
type ServiceReader interface {
	Service(ctx context.Context) (Service, error)
	ServiceLock(ctx context.Context) (ServiceLock, error)
	// ServiceSites lists the tenant's sites (invalid counts elements
	// skipped).
	ServiceSites(ctx context.Context) (sites []ServiceSite, invalid int, err error)
	// EdgeSites lists the tenant's edge sites (invalid counts elements
	// skipped).
	EdgeSites(ctx context.Context) (sites []EdgeSite, invalid int, err error)
}
