package model

import (
	"context"
	"errors"
	"time"
)

// The pools domain: desktop pools, their sizes, states, auto-scaling
// bounds and the users and groups authorized to use them.

// CapabilityPools is the capability of PoolReader.
const CapabilityPools = "pools"

// Enum fields of the pools domain.
const (
	// FieldPoolStatus is a pool's status.
	FieldPoolStatus = "pool.status"
	// FieldPoolType is a pool's type (dynamic or static).
	FieldPoolType = "pool.type"
	// FieldPoolAutoscaleType is how a pool's auto-scaling creates desktops.
	FieldPoolAutoscaleType = "pool.autoscale_type"
	// FieldPoolAuthorizedObjectType is the kind of an object (user or
	// group) authorized to use a pool.
	FieldPoolAuthorizedObjectType = "pool.authorized_object_type"
)

// ErrPoolNotFound is returned (wrapped) by PoolReader's per-pool methods
// when the pool no longer exists: it was deleted after the list was read.
var ErrPoolNotFound = errors.New("desktop pool not found")

// Pool is one desktop pool. Enum fields keep whatever value the API sent
// ("" when absent); every string is safe for a label value. A Has… flag
// tells that the API sent a readable value of the field before it.
type Pool struct {
	ID, Name         string
	Type             string
	Status           string
	AvailabilityZone string
	ProductID        string
	ImageOSType      string
	ChargingMode     string
	Created          time.Time // zero when absent or unreadable

	// DesktopCount is the pool's desktops; DesktopUsed those bound to
	// users.
	DesktopCount, DesktopUsed       int64
	HasDesktopCount, HasDesktopUsed bool

	InMaintenance, HasInMaintenance bool

	// DisconnectedRetention is how long a disconnected user keeps a
	// dynamic pool's desktop.
	DisconnectedRetention    time.Duration
	HasDisconnectedRetention bool

	AutoscaleEnabled, HasAutoscaleEnabled bool
	// AutoscaleType is the policy's type, "" when there is no policy.
	AutoscaleType string
	// MinIdle: desktops are created when fewer are idle; MaxAutoCreated
	// bounds the desktops auto-scaling creates; OnceAutoCreated is how
	// many it creates at a time.
	MinIdle, MaxAutoCreated, OnceAutoCreated          int64
	HasMinIdle, HasMaxAutoCreated, HasOnceAutoCreated bool
}

// Complete reports whether p holds the counters and status a pool list
// entry may leave out (a provider's list can be a summary; its detail
// call fills them).
func (p *Pool) Complete() bool {
	return p.HasDesktopCount && p.HasDesktopUsed && p.Status != ""
}

// MaxPoolAuthorizationTypes bounds the distinct object types a
// PoolAuthorizations map holds (documented and not).
const MaxPoolAuthorizationTypes = 32

// PoolReader reads desktop pools. Each method returns complete data or an
// error.
type PoolReader interface {
	// ListPools lists every pool of the target.
	ListPools(ctx context.Context) ([]Pool, ListStats, error)
	// ShowPool reads one pool in full; ErrPoolNotFound when it is gone.
	ShowPool(ctx context.Context, id string) (Pool, error)
	// PoolAuthorizations counts the objects authorized to use a pool, by
	// FieldPoolAuthorizedObjectType value (at most
	// MaxPoolAuthorizationTypes of them); ErrPoolNotFound when it is
	// gone.
	PoolAuthorizations(ctx context.Context, id string) (map[string]int64, ListStats, error)
}
