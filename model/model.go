// Package model holds the provider-neutral view of a cloud desktop fleet:
// the types the collectors read and the capability interfaces a provider's
// client implements. It imports nothing of the exporter, of any provider,
// or of Prometheus.
//
// A capability is one interface (DesktopLister, …). A provider that can
// list desktops implements DesktopLister; one that cannot simply does not,
// and the collectors that need it are not available for its targets.
package model

import (
	"context"
	"time"
)

// Capability names, as providers declare them and collectors require them.
const (
	CapabilityDesktops = "desktops"
)

// Enum fields whose documented values a provider's spec table lists; a
// collector exports every documented value (at 0 when absent).
const (
	FieldDesktopStatus      = "desktop.status"
	FieldDesktopLoginStatus = "desktop.login_status"
	FieldDesktopTaskStatus  = "desktop.task_status"
)

// Desktop is one cloud desktop. Enum fields keep whatever value the API
// sent; every string is safe for a label value (secrets redacted, valid
// UTF-8, bounded).
type Desktop struct {
	ID           string
	ComputerName string
	OSHostName   string
	// UserName is the desktop's user, or the first attached user.
	UserName     string
	DesktopType  string
	ResourceType string
	PoolID       string
	Status       string
	LoginStatus  string
	TaskStatus   string // "" when no task runs
	TaskProgress int    // 0..100; valid when HasTaskProgress
	// HasTaskProgress tells TaskProgress was sent.
	HasTaskProgress  bool
	AvailabilityZone string
	SiteType         string
	SiteName         string
	ProductID        string
	OSType           string
	OSVersion        string
	ChargingMode     string
	InMaintenance    bool
	AttachState      string
	Created          time.Time
	IPAddresses      []string
	Addresses        []Address
}

// Address is one IP address of a desktop.
type Address struct {
	NetworkID string // "" when the API does not say
	Addr      string
	Version   string
	MAC       string
	Type      string // fixed or floating
}

// ListStats describes one list walk.
type ListStats struct {
	Requests int   // pages fetched, retries not counted
	PageSize int   // the page size finally used
	Total    int64 // the total the API announced; -1 when absent or a placeholder
	Invalid  int   // elements skipped (not objects, or without a valid ID)
	Walks    int   // 2 when the first walk was inconsistent and was walked again
}

// DesktopLister lists every desktop of a target: complete, or an error.
type DesktopLister interface {
	ListDesktops(ctx context.Context) ([]Desktop, ListStats, error)
}
