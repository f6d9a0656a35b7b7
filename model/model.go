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
	CapabilityDesktops    = "desktops"
	CapabilityConnections = "connections"
	CapabilityLogins      = "logins"
	CapabilityUsage       = "usage"
)

// Enum fields whose documented values a provider's spec table lists; a
// collector exports every documented value (at 0 when absent).
const (
	FieldDesktopStatus      = "desktop.status"
	FieldDesktopLoginStatus = "desktop.login_status"
	FieldDesktopTaskStatus  = "desktop.task_status"
	// FieldConnectStatus is a desktop's connection state.
	FieldConnectStatus = "desktop.connect_status"
	// FieldGroupConnectionState names the counts of GroupStates.
	FieldGroupConnectionState = "connection_group.state"
	// FieldLoginStateStatistic, FieldRunStateStatistic and
	// FieldAttachStateStatistic name the counts of the provider's
	// pre-aggregated desktop statistics.
	FieldLoginStateStatistic  = "statistics.login_state"
	FieldRunStateStatistic    = "statistics.run_state"
	FieldAttachStateStatistic = "statistics.attach_state"
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

// DesktopConnection is one desktop's connection state.
type DesktopConnection struct {
	DesktopID, DesktopName string
	// ConnectStatus keeps whatever value the API sent ("" when absent).
	ConnectStatus string
	// Users are the names of the desktop's attached users (not groups),
	// without duplicates, at most MaxConnectionUsers.
	Users []string
}

// MaxConnectionUsers bounds DesktopConnection.Users.
const MaxConnectionUsers = 16

// Connections is every desktop's connection state.
type Connections struct {
	Desktops []DesktopConnection
	// Fallback is true when the provider's connection list could not be
	// read completely (the fleet is longer than its paging allows) and
	// the states come from the desktop list's login status instead.
	Fallback bool
	Stats    ListStats
}

// StateCounts are pre-aggregated desktop counts of one group of desktops,
// by state (the provider's FieldGroupConnectionState values).
type StateCounts struct {
	Group  string
	Counts map[string]int64
}

// ConnectionReader reads who is connected: per desktop, per group and for
// the whole fleet. Each method returns complete data or an error.
type ConnectionReader interface {
	ListConnections(ctx context.Context) (Connections, error)
	// GroupStates are the provider's pre-aggregated counts per desktop
	// group.
	GroupStates(ctx context.Context) ([]StateCounts, error)
	// LoginStateStatistics are the provider's fleet-wide counts by login
	// state (FieldLoginStateStatistic values).
	LoginStateStatistics(ctx context.Context) (map[string]int64, error)
}

// LoginRecord is one login (connection) record.
type LoginRecord struct {
	// Key identifies the record across requests: the provider's
	// transaction ID, or a digest of the record's identifying fields when
	// it has none.
	Key           string
	UserName      string
	ComputerName  string
	Start         time.Time // zero when absent
	Setup         time.Time // zero when absent
	End           time.Time // zero when absent or still connected
	Reconnect     bool
	FailureReason string // "" for a successful login
	NetworkRTT    time.Duration
	E2ERTT        time.Duration
	HasNetworkRTT bool
	HasE2ERTT     bool
}

// LoginUsers are the numbers of users who logged in, in the current hour
// and the current day, as the provider counts them.
type LoginUsers struct {
	Hour, Day       int64
	HasHour, HasDay bool
	// HourBucket and DayBucket are the provider's names of the buckets
	// read (e.g. "10:00"), for logs.
	HourBucket, DayBucket string
}

// LoginReader reads login records and login user counts.
type LoginReader interface {
	// ListLoginRecords returns every record whose start lies in
	// [from, to], complete or an error.
	ListLoginRecords(ctx context.Context, from, to time.Time) ([]LoginRecord, ListStats, error)
	LoginUsers(ctx context.Context) (LoginUsers, error)
}

// UsagePeriod is the period a usage report covers: [Start, End).
type UsagePeriod struct{ Start, End time.Time }

// DesktopUsage is one desktop's usage in a period.
type DesktopUsage struct {
	DesktopID, DesktopName, PoolID string
	UsedSeconds, IdleSeconds       float64
	HasUsed, HasIdle               bool
}

// UserUsage is one user's usage in a period.
type UserUsage struct {
	UserName                                           string
	UsedSeconds, Logins, LoginSuccesses, LoginFailures float64
	HasUsed, HasLogins, HasSuccesses, HasFailures      bool
}

// DesktopStatistics are the provider's pre-aggregated desktop counts.
type DesktopStatistics struct {
	Total int64
	// By FieldRunStateStatistic, FieldLoginStateStatistic and
	// FieldAttachStateStatistic values.
	RunState, LoginState, AttachState map[string]int64
}

// UsageReader reads usage reports and desktop statistics.
type UsageReader interface {
	// UsagePeriod is the latest complete period the provider reports,
	// as of now.
	UsagePeriod(now time.Time) UsagePeriod
	DesktopUsage(ctx context.Context, p UsagePeriod) ([]DesktopUsage, ListStats, error)
	UserUsage(ctx context.Context, p UsagePeriod) ([]UserUsage, ListStats, error)
	DesktopStatistics(ctx context.Context) (DesktopStatistics, error)
	RunStateStatistics(ctx context.Context) (map[string]int64, error)
}
