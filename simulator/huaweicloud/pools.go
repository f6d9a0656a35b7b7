package huaweicloud

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file is the pools domain, served from the one fleet:
// ListDesktopPools (§4.4.2), ShowDesktopPool (§4.4.5) and
// ListDesktopPoolAuthorizedObjects (§4.4.13). The pools are the fleet's
// (fleet.go's pools table): a pool's desktop_count is the number of the
// fleet's desktops whose pool it is, in any state, and desktop_used those
// of them whose attach_state is ATTACHED ("bound to users", 003 L11812),
// so they agree with the POOLED desktops ListDesktopsDetail lists. On the
// default demo fleet (3,000 desktops, seed 1) contractor-pool is nearly
// full (84 of 97 used).
//
// linux-lab-pool is listed the way §4.4.2's only example lists its pools
// (003 L11941-12014): without desktop_count, desktop_used, charging_mode
// and status; ShowDesktopPool gives them. So a client that trusts the list
// alone misses them, as it would against the documented answer.

// poolConfig is what the fleet's pools table does not say: how each pool
// is set up, by pool index.
type poolConfig struct {
	typ, status            string
	retentionMinutes       int
	autoscale              bool
	policy                 *AutoscalePolicy // nil: no autoscale_policy member
	maintenance, summarize bool             // summarize: listed without counters and status
	groups                 []string         // user groups authorized besides the users
}

var poolConfigs = []poolConfig{
	{typ: "DYNAMIC", status: "STEADY", retentionMinutes: 30, autoscale: true,
		policy: &AutoscalePolicy{AutoscaleType: "ACCESS_CREATED", MaxAutoCreated: 250, MinIdle: 5, OnceAutoCreated: 5},
		groups: []string{"callcenter-agents", "callcenter-leads"}},
	{typ: "STATIC", status: "STEADY", groups: []string{"trainees"}},
	{typ: "DYNAMIC", status: "STEADY", retentionMinutes: 60, autoscale: true,
		policy: &AutoscalePolicy{AutoscaleType: "AUTO_CREATED", MaxAutoCreated: 120, MinIdle: 2, OnceAutoCreated: 2},
		groups: []string{"contractors"}},
	{typ: "STATIC", status: "TEMPORARY", maintenance: true, summarize: true,
		policy: &AutoscalePolicy{AutoscaleType: "AUTO_CREATED", MaxAutoCreated: 0, MinIdle: 0, OnceAutoCreated: 1}},
}

// Pool is one desktop pool as §4.4.5 answers it (SimpleDesktopPoolInfo,
// 003 Table 4-707); §4.4.2 lists the same objects.
type Pool struct {
	ID                          string           `json:"id"`
	Name                        string           `json:"name"`
	Type                        string           `json:"type"`
	Description                 string           `json:"description"`
	CreatedTime                 string           `json:"created_time"`
	ChargingMode                string           `json:"charging_mode,omitempty"`
	DesktopCount                *int             `json:"desktop_count,omitempty"`
	DesktopUsed                 *int             `json:"desktop_used,omitempty"`
	AvailabilityZone            string           `json:"availability_zone"`
	SubnetID                    string           `json:"subnet_id"`
	Product                     Product          `json:"product"`
	ImageID                     string           `json:"image_id"`
	ImageName                   string           `json:"image_name"`
	ImageOSType                 string           `json:"image_os_type"`
	ImageOSVersion              string           `json:"image_os_version"`
	ImageOSPlatform             string           `json:"image_os_platform"`
	RootVolume                  PoolVolume       `json:"root_volume"`
	DataVolumes                 []PoolVolume     `json:"data_volumes"`
	SecurityGroups              []SecurityGroup  `json:"security_groups"`
	DisconnectedRetentionPeriod int              `json:"disconnected_retention_period"`
	EnableAutoscale             bool             `json:"enable_autoscale"`
	AutoscalePolicy             *AutoscalePolicy `json:"autoscale_policy,omitempty"`
	Status                      string           `json:"status,omitempty"`
	EnterpriseProjectID         string           `json:"enterprise_project_id"`
	InMaintenanceMode           bool             `json:"in_maintenance_mode"`
	DesktopNamePolicyID         string           `json:"desktop_name_policy_id"`
}

// PoolVolume is a pool's disk (VolumeInfo, Table 4-709).
type PoolVolume struct {
	Type string `json:"type"`
	Size int    `json:"size"`
}

// AutoscalePolicy is a pool's auto-scaling policy (Table 4-711).
type AutoscalePolicy struct {
	AutoscaleType   string `json:"autoscale_type"`
	MaxAutoCreated  int    `json:"max_auto_created"`
	MinIdle         int    `json:"min_idle"`
	OnceAutoCreated int    `json:"once_auto_created"`
}

// AuthorizedObject is a user or user group authorized to use a pool
// (AuthorizedObjects, Table 4-825).
type AuthorizedObject struct {
	ObjectType string `json:"object_type"`
	ObjectID   string `json:"object_id"`
	ObjectName string `json:"object_name"`
	UserGroup  string `json:"user_group,omitempty"`
	CreatedAt  string `json:"created_at"`
}

// poolSizes counts each pool's desktops and those bound to users.
func (f *fleet) poolSizes() (count, used map[string]int) {
	count, used = map[string]int{}, map[string]int{}
	for _, r := range f.recs {
		id := r.poolID()
		if id == "" {
			continue
		}
		count[id]++
		if r.attach == attachAttached {
			used[id]++
		}
	}
	return count, used
}

// poolView is pool p as ShowDesktopPool answers it.
func (f *fleet) poolView(p *pool, count, used map[string]int) Pool {
	c := poolConfigs[p.index]
	n, u := count[p.id], used[p.id]
	pr := p.product
	v := Pool{
		ID: p.id, Name: p.name, Type: c.typ, Description: "",
		CreatedTime:  formatMillis(f.epoch - int64(400+100*p.index)*24*3600*1000),
		ChargingMode: "1", DesktopCount: &n, DesktopUsed: &u,
		AvailabilityZone: p.zone.name, SubnetID: p.zone.subnetID,
		Product: Product{ProductID: pr.id, FlavorID: pr.flavor, Type: "BASE", CPU: pr.cpuS, Memory: pr.memS, Descriptions: pr.des,
			ChargeMode: "1", Architecture: "x86", IsGPU: pr.gpu, PackageType: pr.pkg, SystemDiskType: pr.diskType,
			SystemDiskSize: pr.diskS, ResourceType: productResource, CloudServiceType: cloudServiceType,
			VolumeProductType: "workspace", Status: "normal"},
		ImageID: p.image.id, ImageName: p.image.name, ImageOSType: p.image.osType, ImageOSVersion: p.image.version,
		ImageOSPlatform: p.image.osType,
		RootVolume:      PoolVolume{Type: pr.diskType, Size: pr.diskGB}, DataVolumes: []PoolVolume{},
		SecurityGroups:              []SecurityGroup{{ID: securityGroupID, Name: securityGroupName}},
		DisconnectedRetentionPeriod: c.retentionMinutes, EnableAutoscale: c.autoscale, Status: c.status,
		EnterpriseProjectID: "0", InMaintenanceMode: c.maintenance,
	}
	if c.policy != nil {
		pol := *c.policy
		v.AutoscalePolicy = &pol
	}
	return v
}

// listView is v as ListDesktopPools lists it.
func listView(v Pool, c poolConfig) Pool {
	if c.summarize {
		v.DesktopCount, v.DesktopUsed, v.ChargingMode, v.Status = nil, nil, "", ""
	}
	return v
}

// Pools returns the fleet's pools as ShowDesktopPool answers them, in
// list order.
func (s *Simulator) Pools() []Pool {
	var out []Pool
	s.ReadFleet(func() {
		count, used := s.api.fleet.poolSizes()
		for _, p := range pools {
			out = append(out, s.api.fleet.poolView(p, count, used))
		}
	})
	return out
}

// PoolAuthorizations returns the objects authorized to use the pool, as
// ListDesktopPoolAuthorizedObjects lists them (nil for an unknown pool).
func (s *Simulator) PoolAuthorizations(poolID string) []AuthorizedObject {
	var out []AuthorizedObject
	s.ReadFleet(func() {
		if p := poolByID(poolID); p != nil {
			out = s.api.fleet.authorizedObjects(p)
		}
	})
	return out
}

func poolByID(id string) *pool {
	for _, p := range pools {
		if p.id == id {
			return p
		}
	}
	return nil
}

// authorizedObjects are the objects authorized to use pool p: its user
// groups (poolConfigs), then the users of its desktops (attach_user_infos
// of type USER, each user once) in fleet order.
func (f *fleet) authorizedObjects(p *pool) []AuthorizedObject {
	created := formatMillis(f.epoch - int64(300+100*p.index)*24*3600*1000)
	var out []AuthorizedObject
	for i, g := range poolConfigs[p.index].groups {
		out = append(out, AuthorizedObject{ObjectType: "USER_GROUP", ObjectID: hex32(mix(uint64(p.index), uint64(100+i)), mix(uint64(p.index), uint64(200+i))),
			ObjectName: g, CreatedAt: created})
	}
	seen := map[string]bool{}
	for _, r := range f.recs {
		if r.poolID() != p.id {
			continue
		}
		switch {
		case r.custom != nil:
			for _, u := range r.custom.AttachUserInfos {
				if u.Type == "USER" && u.UserName != "" && !seen[u.UserName] {
					seen[u.UserName] = true
					out = append(out, AuthorizedObject{ObjectType: "USER", ObjectID: u.UserID, ObjectName: u.UserName, UserGroup: u.UserGroup, CreatedAt: created})
				}
			}
		case r.user != "" && !seen[r.user]:
			seen[r.user] = true
			out = append(out, AuthorizedObject{ObjectType: "USER", ObjectID: hex32(mix(r.hash, 8), mix(r.hash, 9)),
				ObjectName: r.user, UserGroup: r.userGroup, CreatedAt: created})
		}
	}
	return out
}

// poolLimits builds the paging rules of a pool list: limit 0..max with
// the documented default; values outside are answered 400 WKS.0001 (003
// L50589), as connectLimits.
func poolLimits(op string, def int) simulator.Limits {
	row := hwspec.Spec.Operation(op)
	bad := func(param string) *simulator.Error {
		return &simulator.Error{Status: http.StatusBadRequest, Code: "WKS.0001",
			Message: "The format of the parameters entered through the interface is invalid. " + param + " is invalid.",
			Detail:  param + " must be an integer in 0.." + strconv.Itoa(row.MaxLimit) + "."}
	}
	return simulator.Limits{Min: 0, Max: row.MaxLimit, Default: def, BadOffset: bad("offset"), BadLimit: bad("limit")}
}

// §4.4.2: limit 0..1000, default 1000 (003 L11771); §4.4.13: limit 0..100,
// default 10 (L13682).
var (
	poolListLimits = poolLimits(hwspec.OpListDesktopPools, 1000)
	poolAuthLimits = poolLimits(hwspec.OpListDesktopPoolAuthorizedObjects, 10)
)

// simPoolIDRe is the shape of a pool ID the gateway lets through; another
// {pool_id} is a 400 WKS.0001.
var simPoolIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// poolFromPath returns the pool of the request path's {pool_id} segment
// (/v2/{project_id}/desktop-pools/{pool_id}[/users]), or the error to
// answer.
func poolFromPath(r *http.Request) (*pool, *simulator.Error) {
	parts := strings.Split(r.URL.Path, "/")
	if len(parts) < 5 || !simPoolIDRe.MatchString(parts[4]) {
		return nil, &simulator.Error{Status: http.StatusBadRequest, Code: "WKS.0001",
			Message: "The format of the parameters entered through the interface is invalid. pool_id is invalid."}
	}
	p := poolByID(parts[4])
	if p == nil {
		return nil, &simulator.Error{Status: http.StatusNotFound, Code: "WKS.00010031",
			Message: "The resource does not found. The resource type is desktop_pool and resource id [" + parts[4] + "]."}
	}
	return p, nil
}

// listDesktopPools answers ListDesktopPools: the fleet's pools in table
// order. The filters (name, type, enterprise_project_id,
// in_maintenance_mode) are not served (the exporter sends none); the
// shared page faults apply, enum_flood to status. The caller holds the
// fleet's read lock.
func (a *api) listDesktopPools(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	page, e := simulator.ParsePage(r.URL.Query(), poolListLimits)
	if e != nil {
		return e.Status, errorBody(e)
	}
	count, used := a.fleet.poolSizes()
	items := make([]Pool, len(pools))
	for i, p := range pools {
		items[i] = listView(a.fleet.poolView(p, count, used), poolConfigs[p.index])
	}
	l := simulator.List[Pool]{
		ListKey:  op.ListKey,
		TotalKey: op.TotalKey,
		Mode:     a.srv.TotalCountMode(),
		Items:    items,
		Page:     page,
		Append:   appendPool,
		Flood:    floodPool,
		ItemSize: 1200,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

func appendPool(b []byte, p Pool) []byte {
	j, _ := json.Marshal(p) // strings, numbers and slices of them cannot fail
	return append(b, j...)
}

// floodPool returns a copy of p whose status is simulator.FloodPrefix and
// its ID when the fault names status.
func floodPool(p Pool, fields []string) Pool {
	for _, field := range fields {
		if field == floodStatus {
			p.Status = simulator.FloodPrefix + p.ID
		}
	}
	return p
}

func appendOversizedPool(b []byte, n int) []byte {
	b = append(b, `{"id":"oversize-`...)
	b = appendPadded(b, n)
	return append(b, `","name":"oversize","status":"STEADY","desktop_count":1,"desktop_used":0}`...)
}

// showDesktopPool answers ShowDesktopPool.
func (a *api) showDesktopPool(_ simulator.Operation, r *http.Request, b []byte, _ *simulator.Fault) (int, []byte) {
	p, e := poolFromPath(r)
	if e != nil {
		return e.Status, errorBody(e)
	}
	count, used := a.fleet.poolSizes()
	j, _ := json.Marshal(a.fleet.poolView(p, count, used))
	return http.StatusOK, append(b, j...)
}

// listDesktopPoolAuthorizedObjects answers
// ListDesktopPoolAuthorizedObjects for the path's pool.
func (a *api) listDesktopPoolAuthorizedObjects(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	p, e := poolFromPath(r)
	if e == nil {
		var page simulator.Page
		if page, e = simulator.ParsePage(r.URL.Query(), poolAuthLimits); e == nil {
			l := simulator.List[AuthorizedObject]{
				ListKey:  op.ListKey,
				TotalKey: op.TotalKey,
				Mode:     a.srv.TotalCountMode(),
				Items:    a.fleet.authorizedObjects(p),
				Page:     page,
				Append:   appendAuthorizedObject,
				Flood:    func(o AuthorizedObject, _ []string) AuthorizedObject { return o },
				ItemSize: 200,
			}
			return http.StatusOK, l.AppendTo(b, f)
		}
	}
	return e.Status, errorBody(e)
}

func appendAuthorizedObject(b []byte, o AuthorizedObject) []byte {
	b = appendKeyString(b, '{', "object_type", o.ObjectType)
	b = appendKeyString(b, ',', "object_id", o.ObjectID)
	b = appendKeyString(b, ',', "object_name", o.ObjectName)
	if o.UserGroup != "" {
		b = appendKeyString(b, ',', "user_group", o.UserGroup)
	}
	b = appendKeyString(b, ',', "created_at", o.CreatedAt)
	return append(b, '}')
}

func appendOversizedAuthorizedObject(b []byte, n int) []byte {
	b = append(b, `{"object_type":"USER","object_id":"oversize-`...)
	b = appendPadded(b, n)
	return append(b, `"}`...)
}
