package collector

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// The pools collector reads the desktop pools through the provider's
// model.PoolReader (Huawei: GET /v2/{project_id}/desktop-pools, §4.4.2;
// for a list entry that lacks the desktop counters or the status, GET
// /v2/{project_id}/desktop-pools/{pool_id}, §4.4.5, at most
// max_detail_requests per refresh; and, unless authorizations is off, GET
// /v2/{project_id}/desktop-pools/{pool_id}/users, §4.4.13, for at most
// max_authorization_pools pools). Pools are few, so every series is per
// pool (pool_id, pool_name). A pool deleted between the list and its
// per-pool call is left out of the refresh; any other failure fails it.

func init() {
	registerCollector(Collector{
		Name:            "pools",
		DefaultEnabled:  true,
		DefaultInterval: 5 * time.Minute,
		Capability:      model.CapabilityPools,
		NewOptions:      func() any { return newPoolsOptions() },
		New:             newPoolsCollector,
		Families: []*FamilyDesc{poolsDesc, poolInfoDesc, poolStatusDesc, poolDesktopsDesc, poolInMaintenanceDesc,
			poolAutoscaleEnabledDesc, poolAutoscaleMinIdleDesc, poolAutoscaleMaxDesc, poolAutoscaleOnceDesc,
			poolRetentionDesc, poolAuthorizedDesc, labelValuesFoldedDesc},
	})
}

// PoolsOptions are the pools collector's own settings.
type PoolsOptions struct {
	// MaxPools bounds the pools exported (the first by pool ID); the
	// others are counted in workspace_pools only.
	MaxPools int `yaml:"max_pools"`
	// MaxDetailRequests bounds the per-pool detail reads of one refresh,
	// made only for list entries without the counters or the status.
	MaxDetailRequests int `yaml:"max_detail_requests"`
	// Authorizations turns workspace_pool_authorized_objects on (the
	// default): one list walk per pool and refresh.
	Authorizations bool `yaml:"authorizations"`
	// MaxAuthorizationPools bounds the pools whose authorized objects are
	// read (the first by pool ID).
	MaxAuthorizationPools int `yaml:"max_authorization_pools"`
}

func newPoolsOptions() *PoolsOptions {
	return &PoolsOptions{MaxPools: 500, MaxDetailRequests: 20, Authorizations: true, MaxAuthorizationPools: 50}
}

// Validate implements config.OptionsValidator.
func (o *PoolsOptions) Validate(v *config.Validation) {
	v.IntRange("max_pools", o.MaxPools, 1, 10000)
	v.IntRange("max_detail_requests", o.MaxDetailRequests, 0, 1000)
	v.IntRange("max_authorization_pools", o.MaxAuthorizationPools, 0, 1000)
}

// The states of workspace_pool_desktops.
const (
	poolStateUsed = "used"
	poolStateFree = "free"
)

var (
	poolsDesc = NewFamilyDesc(Namespace+"_pools",
		"Desktop pools the API lists (also those beyond max_pools, which have no per-pool series).",
		prometheus.GaugeValue, "target")
	poolInfoDesc = NewFamilyDesc(Namespace+"_pool_info",
		"Attributes of each desktop pool, for joins on pool_id. Always 1.",
		prometheus.GaugeValue, "target", "pool_id", "pool_name", "type", "availability_zone", "product_id", "os_type", "autoscale_type")
	poolStatusDesc = NewFamilyDesc(Namespace+"_pool_status",
		"Status of each desktop pool: 1 for its status, 0 for every other documented one.",
		prometheus.GaugeValue, "target", "pool_id", "pool_name", "status")
	poolDesktopsDesc = NewFamilyDesc(Namespace+"_pool_desktops",
		"Desktops of each pool bound to users (used) and not (free, the pool's desktops minus the used ones, at least 0); they add up to the pool's size.",
		prometheus.GaugeValue, "target", "pool_id", "pool_name", "state")
	poolInMaintenanceDesc = NewFamilyDesc(Namespace+"_pool_in_maintenance",
		"1 when the pool is in administrator maintenance mode, else 0.",
		prometheus.GaugeValue, "target", "pool_id", "pool_name")
	poolAutoscaleEnabledDesc = NewFamilyDesc(Namespace+"_pool_autoscale_enabled",
		"1 when auto-scaling is enabled for the pool, else 0.",
		prometheus.GaugeValue, "target", "pool_id", "pool_name")
	poolAutoscaleMinIdleDesc = NewFamilyDesc(Namespace+"_pool_autoscale_min_idle_desktops",
		"Auto-scaling policy: desktops are created when fewer than this many of the pool's desktops are idle.",
		prometheus.GaugeValue, "target", "pool_id", "pool_name")
	poolAutoscaleMaxDesc = NewFamilyDesc(Namespace+"_pool_autoscale_max_auto_created_desktops",
		"Auto-scaling policy: the most desktops auto-scaling may create in the pool.",
		prometheus.GaugeValue, "target", "pool_id", "pool_name")
	poolAutoscaleOnceDesc = NewFamilyDesc(Namespace+"_pool_autoscale_once_auto_created_desktops",
		"Auto-scaling policy: desktops created at a time.",
		prometheus.GaugeValue, "target", "pool_id", "pool_name")
	poolRetentionDesc = NewFamilyDesc(Namespace+"_pool_disconnected_retention_seconds",
		"How long a disconnected user keeps a desktop of the (dynamic) pool before it is unbound.",
		prometheus.GaugeValue, "target", "pool_id", "pool_name")
	poolAuthorizedDesc = NewFamilyDesc(Namespace+"_pool_authorized_objects",
		"Users and user groups authorized to use the pool, by object type. Every documented type is present (0 when none).",
		prometheus.GaugeValue, "target", "pool_id", "pool_name", "object_type")
)

// poolEnums are the provider's documented values.
type poolEnums struct{ status, typ, autoscale, objectType []string }

func newPoolsCollector(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error) {
	r, ok := api.(model.PoolReader)
	if !ok {
		return nil, fmt.Errorf("the provider client has no %s capability (model.PoolReader)", model.CapabilityPools)
	}
	o, _ := opts.(*PoolsOptions)
	if o == nil {
		o = newPoolsOptions()
	}
	enums := poolEnums{
		status:     api.Documented(model.FieldPoolStatus),
		typ:        api.Documented(model.FieldPoolType),
		autoscale:  api.Documented(model.FieldPoolAutoscaleType),
		objectType: api.Documented(model.FieldPoolAuthorizedObjectType),
	}
	return func(ctx context.Context) (Snapshot, error) {
		pools, stats, err := r.ListPools(ctx)
		if err != nil {
			return nil, err
		}
		logger.Debug("listed desktop pools", "pools", len(pools), "requests", stats.Requests,
			"total", stats.Total, "skipped_items", stats.Invalid, "walks", stats.Walks)
		listed := len(pools)
		slices.SortFunc(pools, func(a, b model.Pool) int { return cmp.Compare(a.ID, b.ID) })
		if len(pools) > o.MaxPools {
			logger.Warn("more desktop pools than max_pools; the rest have no per-pool series",
				"pools", len(pools), "max_pools", o.MaxPools)
			pools = pools[:o.MaxPools]
		}
		pools, err = completePools(ctx, r, pools, o.MaxDetailRequests, logger)
		if err != nil {
			return nil, err
		}
		var auth map[string]map[string]int64
		if o.Authorizations {
			if pools, auth, err = poolAuthorizations(ctx, r, pools, o.MaxAuthorizationPools, logger); err != nil {
				return nil, err
			}
		}
		snap := newPoolsSnapshot(listed, pools, auth, enums)
		logFolded(logger, snap.status, snap.typ, snap.autoscale, snap.objectType)
		if len(snap.overUsed) > 0 {
			logger.Warn("the API reports more used desktops than the pool has; free is exported as 0",
				"pools", strings.Join(snap.overUsed, ","))
		}
		return snap, nil
	}, nil
}

// completePools reads the details of the pools whose list entry lacks the
// counters or the status, at most limit of them; a pool that is gone is
// left out.
func completePools(ctx context.Context, r model.PoolReader, pools []model.Pool, limit int, logger *slog.Logger) ([]model.Pool, error) {
	out := pools[:0:0]
	reads, incomplete := 0, 0
	for _, p := range pools {
		if !p.Complete() {
			if reads >= limit {
				incomplete++
			} else {
				reads++
				d, err := r.ShowPool(ctx, p.ID)
				switch {
				case errors.Is(err, model.ErrPoolNotFound):
					logger.Info("a desktop pool was deleted during the refresh", "pool_id", p.ID)
					continue
				case err != nil:
					return nil, err
				}
				p = mergePool(p, d)
			}
		}
		out = append(out, p)
	}
	if incomplete > 0 {
		logger.Warn("desktop pools listed without their desktop counts or status beyond max_detail_requests; their series are absent",
			"pools", incomplete, "max_detail_requests", limit)
	}
	return out, nil
}

// mergePool fills what the list entry p lacks from the pool's details d.
func mergePool(p, d model.Pool) model.Pool {
	fill := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	fill(&p.Name, d.Name)
	fill(&p.Type, d.Type)
	fill(&p.Status, d.Status)
	fill(&p.AvailabilityZone, d.AvailabilityZone)
	fill(&p.ProductID, d.ProductID)
	fill(&p.ImageOSType, d.ImageOSType)
	fill(&p.ChargingMode, d.ChargingMode)
	fill(&p.AutoscaleType, d.AutoscaleType)
	if !p.HasDesktopCount {
		p.DesktopCount, p.HasDesktopCount = d.DesktopCount, d.HasDesktopCount
	}
	if !p.HasDesktopUsed {
		p.DesktopUsed, p.HasDesktopUsed = d.DesktopUsed, d.HasDesktopUsed
	}
	if !p.HasInMaintenance {
		p.InMaintenance, p.HasInMaintenance = d.InMaintenance, d.HasInMaintenance
	}
	if !p.HasDisconnectedRetention {
		p.DisconnectedRetention, p.HasDisconnectedRetention = d.DisconnectedRetention, d.HasDisconnectedRetention
	}
	if !p.HasAutoscaleEnabled {
		p.AutoscaleEnabled, p.HasAutoscaleEnabled = d.AutoscaleEnabled, d.HasAutoscaleEnabled
	}
	if !p.HasMinIdle {
		p.MinIdle, p.HasMinIdle = d.MinIdle, d.HasMinIdle
	}
	if !p.HasMaxAutoCreated {
		p.MaxAutoCreated, p.HasMaxAutoCreated = d.MaxAutoCreated, d.HasMaxAutoCreated
	}
	if !p.HasOnceAutoCreated {
		p.OnceAutoCreated, p.HasOnceAutoCreated = d.OnceAutoCreated, d.HasOnceAutoCreated
	}
	return p
}

// poolAuthorizations reads the authorized objects of the first limit pools;
// a pool that is gone is left out.
func poolAuthorizations(ctx context.Context, r model.PoolReader, pools []model.Pool, limit int, logger *slog.Logger) ([]model.Pool, map[string]map[string]int64, error) {
	out := pools[:0:0]
	auth := map[string]map[string]int64{}
	for i, p := range pools {
		if i < limit {
			m, _, err := r.PoolAuthorizations(ctx, p.ID)
			switch {
			case errors.Is(err, model.ErrPoolNotFound):
				logger.Info("a desktop pool was deleted during the refresh", "pool_id", p.ID)
				continue
			case err != nil:
				return nil, nil, err
			}
			auth[p.ID] = m
		}
		out = append(out, p)
	}
	if len(pools) > limit {
		logger.Warn("more desktop pools than max_authorization_pools; the rest have no workspace_pool_authorized_objects",
			"pools", len(pools), "max_authorization_pools", limit)
	}
	return out, auth, nil
}

// poolRow holds one pool's series values, label values folded.
type poolRow struct {
	id, name                                 string
	info                                     [5]string // type … autoscale_type, in poolInfoDesc order
	status                                   string    // folded; "" when absent
	used, free                               float64
	hasCounts                                bool
	maintenance, autoscale                   float64
	hasMaintenance, hasAutoscale             bool
	minIdle, maxAuto, onceAuto, retention    float64
	hasMinIdle, hasMaxAuto, hasOnce, hasRetn bool
	auth                                     map[string]float64 // folded object type → objects; nil when not read
}

// poolsSnapshot is immutable once built.
type poolsSnapshot struct {
	listed                             int
	status, typ, autoscale, objectType *labelFolder
	rows                               []poolRow // by pool ID
	overUsed                           []string  // pools reporting used > count, for the log
}

func poolFlag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// newPoolsSnapshot builds the snapshot of pools (sorted by ID) and the
// authorized object counts by pool ID (nil when not read).
func newPoolsSnapshot(listed int, pools []model.Pool, auth map[string]map[string]int64, enums poolEnums) *poolsSnapshot {
	rawStatus, rawType, rawAS, rawObj := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for i := range pools {
		p := &pools[i]
		if p.Status != "" {
			rawStatus[p.Status]++
		}
		rawType[labelValue(p.Type)]++
		if p.AutoscaleType != "" {
			rawAS[p.AutoscaleType]++
		}
		for t := range auth[p.ID] {
			rawObj[labelValue(t)]++
		}
	}
	s := &poolsSnapshot{
		listed:     listed,
		status:     newLabelFolder("status", enums.status, rawStatus),
		typ:        newLabelFolder("type", enums.typ, rawType),
		autoscale:  newLabelFolder("autoscale_type", enums.autoscale, rawAS),
		objectType: newLabelFolder("object_type", enums.objectType, rawObj),
		rows:       make([]poolRow, 0, len(pools)),
	}
	for i := range pools {
		p := &pools[i]
		row := poolRow{id: p.ID, name: p.Name}
		as := ""
		if p.AutoscaleType != "" {
			as = s.autoscale.value(p.AutoscaleType)
		}
		row.info = [5]string{s.typ.value(labelValue(p.Type)), p.AvailabilityZone, p.ProductID, p.ImageOSType, as}
		if p.Status != "" {
			row.status = s.status.value(p.Status)
		}
		if p.HasDesktopCount && p.HasDesktopUsed {
			row.hasCounts = true
			row.used = float64(p.DesktopUsed)
			row.free = float64(max(p.DesktopCount-p.DesktopUsed, 0))
			if p.DesktopUsed > p.DesktopCount {
				s.overUsed = append(s.overUsed, p.ID)
			}
		}
		row.maintenance, row.hasMaintenance = poolFlag(p.InMaintenance), p.HasInMaintenance
		row.autoscale, row.hasAutoscale = poolFlag(p.AutoscaleEnabled), p.HasAutoscaleEnabled
		row.minIdle, row.hasMinIdle = float64(p.MinIdle), p.HasMinIdle
		row.maxAuto, row.hasMaxAuto = float64(p.MaxAutoCreated), p.HasMaxAutoCreated
		row.onceAuto, row.hasOnce = float64(p.OnceAutoCreated), p.HasOnceAutoCreated
		row.retention, row.hasRetn = p.DisconnectedRetention.Seconds(), p.HasDisconnectedRetention
		if m, ok := auth[p.ID]; ok {
			row.auth = map[string]float64{}
			for _, t := range slices.Sorted(maps.Keys(m)) {
				row.auth[s.objectType.value(labelValue(t))] += float64(m[t])
			}
		}
		s.rows = append(s.rows, row)
	}
	return s
}

// Render adds the snapshot's series.
func (s *poolsSnapshot) Render(b *Builder, target string) {
	b.Add(poolsDesc, float64(s.listed), target)
	for i := range s.rows {
		r := &s.rows[i]
		in := &r.info
		b.Add(poolInfoDesc, 1, target, r.id, r.name, in[0], in[1], in[2], in[3], in[4])
		for _, st := range s.status.values {
			b.Add(poolStatusDesc, poolFlag(st == r.status), target, r.id, r.name, st)
		}
		if r.hasCounts {
			b.Add(poolDesktopsDesc, r.used, target, r.id, r.name, poolStateUsed)
			b.Add(poolDesktopsDesc, r.free, target, r.id, r.name, poolStateFree)
		}
		if r.hasMaintenance {
			b.Add(poolInMaintenanceDesc, r.maintenance, target, r.id, r.name)
		}
		if r.hasAutoscale {
			b.Add(poolAutoscaleEnabledDesc, r.autoscale, target, r.id, r.name)
		}
		if r.hasMinIdle {
			b.Add(poolAutoscaleMinIdleDesc, r.minIdle, target, r.id, r.name)
		}
		if r.hasMaxAuto {
			b.Add(poolAutoscaleMaxDesc, r.maxAuto, target, r.id, r.name)
		}
		if r.hasOnce {
			b.Add(poolAutoscaleOnceDesc, r.onceAuto, target, r.id, r.name)
		}
		if r.hasRetn {
			b.Add(poolRetentionDesc, r.retention, target, r.id, r.name)
		}
		if r.auth != nil {
			for _, t := range s.objectType.values {
				b.Add(poolAuthorizedDesc, r.auth[t], target, r.id, r.name, t)
			}
		}
	}
	renderFolded(b, target, "pools", s.status, s.typ, s.autoscale, s.objectType)
}
