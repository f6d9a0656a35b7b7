package huaweicloud

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

const (
	poolsPath = "/v2/{project_id}/desktop-pools"
)

type poolsBody struct {
	DesktopPools []Pool `json:"desktop_pools"`
	TotalCount   *int   `json:"total_count"`
}

type authBody struct {
	Objects    []AuthorizedObject `json:"objects"`
	TotalCount *int               `json:"total_count"`
}

// getPoolJSON is getJSON with a query.
func getPoolJSON(t *testing.T, base, path string, query map[string]any, v any) {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: path, query: query}))
	if r.status != http.StatusOK {
		t.Fatalf("%s %v: %d %s", path, query, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%s: %v: %s", path, err, r.body)
	}
}

// poolCounts counts the POOLED desktops of the §4.3.8 view by pool: all,
// and those whose attach_state is ATTACHED.
func poolCounts(ds []Desktop) (count, used map[string]int) {
	count, used = map[string]int{}, map[string]int{}
	for _, d := range ds {
		if d.PoolID == "" {
			continue
		}
		if d.DesktopType != "POOLED" {
			panic("a desktop with a pool is not POOLED: " + d.DesktopID)
		}
		count[d.PoolID]++
		if d.AttachState == "ATTACHED" {
			used[d.PoolID]++
		}
	}
	return count, used
}

// §4.4.2 lists the fleet's four pools, their sizes those of the POOLED
// desktops §4.3.8 lists, linux-lab-pool summarized as in the documented
// example; §4.4.5 gives every pool in full, the same sizes.
func TestPoolsServeTheFleet(t *testing.T) {
	s, base := startSim(t, testOptions(2000))
	for range 5 {
		s.Step()
	}
	count, used := poolCounts(s.Desktops())
	var lb poolsBody
	getJSON(t, base, poolsPath, &lb)
	if lb.TotalCount == nil || *lb.TotalCount != len(pools) || len(lb.DesktopPools) != len(pools) {
		t.Fatalf("total %v, %d pools", lb.TotalCount, len(lb.DesktopPools))
	}
	total := 0
	for i, p := range lb.DesktopPools {
		if p.ID != pools[i].id || p.Name != pools[i].name {
			t.Errorf("pool %d: %s %s", i, p.ID, p.Name)
		}
		summarized := p.DesktopCount == nil
		if summarized != (p.Name == "linux-lab-pool") || summarized != (p.Status == "") {
			t.Errorf("%s: listed with counts %v, status %q", p.Name, p.DesktopCount != nil, p.Status)
		}
		if !summarized && (*p.DesktopCount != count[p.ID] || *p.DesktopUsed != used[p.ID]) {
			t.Errorf("%s: %d/%d listed, §4.3.8 has %d/%d", p.Name, *p.DesktopUsed, *p.DesktopCount, used[p.ID], count[p.ID])
		}
		var d Pool
		getJSON(t, base, poolsPath+"/"+p.ID, &d)
		if d.ID != p.ID || d.DesktopCount == nil || *d.DesktopCount != count[p.ID] || *d.DesktopUsed != used[p.ID] || d.Status == "" {
			t.Errorf("%s detail: %+v", p.Name, d)
		}
		total += count[p.ID]
	}
	if total == 0 {
		t.Fatal("no pooled desktops")
	}
	got := s.Pools()
	for i := range got {
		if *got[i].DesktopCount != count[got[i].ID] {
			t.Errorf("Pools()[%d] count %d", i, *got[i].DesktopCount)
		}
	}
}

// The default demo fleet (3,000 desktops, seed 1) has a nearly full pool.
func TestDemoFleetHasANearlyFullPool(t *testing.T) {
	opts := testOptions(3000)
	opts.Seed = 1
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	full := ""
	for _, p := range s.Pools() {
		if n, u := *p.DesktopCount, *p.DesktopUsed; n > 0 && float64(u) >= 0.85*float64(n) {
			full = p.Name
		}
	}
	if full == "" {
		t.Errorf("no pool is 85%% used: %+v", s.Pools())
	}
}

// §4.4.13 lists each pool's user groups, then the users of its desktops,
// paged 0..100 (default 10).
func TestPoolAuthorizedObjects(t *testing.T) {
	s, base := startSim(t, testOptions(1500))
	ds := s.Desktops()
	for _, p := range pools {
		users := map[string]bool{}
		for _, d := range ds {
			if d.PoolID == p.id {
				for _, u := range d.AttachUserInfos {
					users[u.UserName] = true
				}
			}
		}
		want := s.PoolAuthorizations(p.id)
		var got []AuthorizedObject
		for offset := 0; ; offset += 100 {
			var b authBody
			getPoolJSON(t, base, poolsPath+"/"+p.id+"/users", map[string]any{"offset": strconv.Itoa(offset), "limit": "100"}, &b)
			if b.TotalCount == nil || *b.TotalCount != len(want) {
				t.Fatalf("%s: total %v, want %d", p.name, b.TotalCount, len(want))
			}
			got = append(got, b.Objects...)
			if len(b.Objects) < 100 {
				break
			}
		}
		nUsers, nGroups := 0, 0
		for i, o := range got {
			if o != want[i] {
				t.Errorf("%s object %d: %+v, want %+v", p.name, i, o, want[i])
			}
			switch o.ObjectType {
			case "USER":
				nUsers++
				if !users[o.ObjectName] {
					t.Errorf("%s: user %s has no desktop of the pool", p.name, o.ObjectName)
				}
			case "USER_GROUP":
				nGroups++
			default:
				t.Errorf("object type %q", o.ObjectType)
			}
		}
		if nUsers != len(users) || nGroups != len(poolConfigs[p.index].groups) {
			t.Errorf("%s: %d users (pool desktops have %d), %d groups", p.name, nUsers, len(users), nGroups)
		}
		var def authBody
		getJSON(t, base, poolsPath+"/"+p.id+"/users", &def)
		if len(def.Objects) != min(10, len(want)) {
			t.Errorf("%s: default page of %d", p.name, len(def.Objects))
		}
	}
}

// Paging limits, unknown and malformed pool IDs are answered with the
// API's 400 and 404 bodies.
func TestPoolsErrors(t *testing.T) {
	_, base := startSim(t, testOptions(50))
	cases := []struct {
		path   string
		query  map[string]any
		status int
		code   string
	}{
		{poolsPath, map[string]any{"limit": "1001"}, 400, "WKS.0001"},
		{poolsPath, map[string]any{"limit": "-1"}, 400, "WKS.0001"},
		{poolsPath, map[string]any{"offset": "-1"}, 400, "WKS.0001"},
		{poolsPath, map[string]any{"offset": "x"}, 400, "WKS.0001"},
		{poolsPath + "/" + pools[0].id + "/users", map[string]any{"limit": "101"}, 400, "WKS.0001"},
		{poolsPath + "/0b0e6a1c-0000-4000-8000-000000000000", nil, 404, "WKS.00010031"},
		{poolsPath + "/0b0e6a1c-0000-4000-8000-000000000000/users", nil, 404, "WKS.00010031"},
		{poolsPath + "/{pool_id}", nil, 400, "WKS.0001"},
		{poolsPath + "/" + strings.Repeat("a", 65) + "/users", nil, 400, "WKS.0001"},
	}
	for _, c := range cases {
		r := do(t, sdkRequest(t, base, signed{path: c.path, query: c.query}))
		if r.status != c.status || errorCode(t, r) != c.code {
			t.Errorf("%s %v: %d %s", c.path, c.query, r.status, r.body)
		}
	}
	var b poolsBody
	getPoolJSON(t, base, poolsPath, map[string]any{"offset": "3", "limit": "0"}, &b)
	if len(b.DesktopPools) != 0 || *b.TotalCount != len(pools) {
		t.Errorf("limit 0: %+v", b)
	}
	getPoolJSON(t, base, poolsPath, map[string]any{"offset": "2", "limit": "1"}, &b)
	if len(b.DesktopPools) != 1 || b.DesktopPools[0].ID != pools[2].id {
		t.Errorf("offset 2: %+v", b)
	}
	// Write methods on the pool paths are refused.
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		r := do(t, sdkRequest(t, base, signed{method: m, path: poolsPath + "/" + pools[0].id}))
		if r.status != http.StatusMethodNotAllowed && r.status != http.StatusNotFound {
			t.Errorf("%s: %d", m, r.status)
		}
	}
}

// The shared page faults apply to the pool lists: a short page, and
// enum_flood on the pools' status.
func TestPoolsPageFaults(t *testing.T) {
	s, base := startSim(t, testOptions(200))
	s.InjectFault(simulator.Fault{Kind: simulator.FaultShortPage, Operation: hwspec.OpListDesktopPools, Count: 1, Items: 1})
	var b poolsBody
	getJSON(t, base, poolsPath, &b)
	if len(b.DesktopPools) != len(pools)-1 || *b.TotalCount != len(pools) {
		t.Errorf("short page: %d pools, total %d", len(b.DesktopPools), *b.TotalCount)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: hwspec.OpListDesktopPools, Count: 1})
	getJSON(t, base, poolsPath, &b)
	for _, p := range b.DesktopPools {
		if p.Status != simulator.FloodPrefix+p.ID {
			t.Errorf("flooded status %q", p.Status)
		}
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultShortPage, Operation: hwspec.OpListDesktopPoolAuthorizedObjects, Count: 1, Items: 2})
	var a authBody
	getPoolJSON(t, base, poolsPath+"/"+pools[0].id+"/users", map[string]any{"limit": "100"}, &a)
	if want := len(s.PoolAuthorizations(pools[0].id)); len(a.Objects) != min(want, 100)-2 || *a.TotalCount != want {
		t.Errorf("short page: %d objects, total %d, want %d", len(a.Objects), *a.TotalCount, want)
	}
}

// Pools evolve with the fleet: sizes follow the desktops Step creates,
// deletes and attaches.
func TestPoolsFollowStep(t *testing.T) {
	opts := testOptions(800)
	opts.Now = func() time.Time { return time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC) }
	s, _ := startSim(t, opts)
	for range 30 {
		s.Step()
		count, used := poolCounts(s.Desktops())
		for _, p := range s.Pools() {
			if *p.DesktopCount != count[p.ID] || *p.DesktopUsed != used[p.ID] {
				t.Fatalf("%s: %d/%d, §4.3.8 %d/%d", p.Name, *p.DesktopUsed, *p.DesktopCount, used[p.ID], count[p.ID])
			}
		}
	}
	var body []byte
	body, _ = json.Marshal(s.Pools())
	if len(body) == 0 {
		t.Fatal("empty")
	}
}
