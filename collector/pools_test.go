package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

// newPoolsTarget starts a simulator of n desktops (prepare may change
// it) and a Manager running only the pools collector with extra options
// (e.g. ", authorizations: false"), and waits for the first refresh.
func newPoolsTarget(t *testing.T, n int, extra string, prepare func(*hwsim.Simulator)) *connTarget {
	t.Helper()
	sim, url := startSim(t, n)
	if prepare != nil {
		prepare(sim)
	}
	c := &connTarget{sim: sim, logs: &lockedBuffer{}, reg: prometheus.NewRegistry()}
	logger := slog.New(slog.NewTextHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := NewManager(Options{Registerer: c.reg, Logger: logger, StartSpread: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	c.reg.MustRegister(m)
	c.m = m
	applyYAML(t, m, simYAMLCollectors(url, benchCredentials, "api: {max_retries: 1, min_backoff: 10ms, max_backoff: 20ms}",
		"pools: {interval: 1h"+extra+"}"+othersDisabled("pools")))
	return c
}

// poolFamilies are the families of the pools collector.
var poolFamilies = []string{"workspace_pools", "workspace_pool_info", "workspace_pool_status", "workspace_pool_desktops",
	"workspace_pool_in_maintenance", "workspace_pool_autoscale_enabled", "workspace_pool_autoscale_min_idle_desktops",
	"workspace_pool_autoscale_max_auto_created_desktops", "workspace_pool_autoscale_once_auto_created_desktops",
	"workspace_pool_disconnected_retention_seconds", "workspace_pool_authorized_objects"}

// expectedPools computes the pools collector's families from the
// simulator's own view: the pools' sizes and authorized users from the
// §4.3.8 desktops (POOLED desktops by pool_id; used: attach_state
// ATTACHED; users: attach_user_infos of type USER), their set-up and
// authorized groups from the simulator's pool table.
func expectedPools(ds []hwsim.Desktop, pools []hwsim.Pool, groups map[string]int, auth bool) map[string]series {
	count, used := map[string]int{}, map[string]int{}
	users := map[string]map[string]bool{}
	for _, d := range ds {
		if d.PoolID == "" {
			continue
		}
		count[d.PoolID]++
		if d.AttachState == "ATTACHED" {
			used[d.PoolID]++
		}
		for _, u := range d.AttachUserInfos {
			if u.Type == "USER" {
				if users[d.PoolID] == nil {
					users[d.PoolID] = map[string]bool{}
				}
				users[d.PoolID][u.UserName] = true
			}
		}
	}
	out := map[string]series{}
	for _, f := range poolFamilies {
		out[f] = series{}
	}
	out["workspace_pools"][""] = float64(len(pools))
	for _, p := range pools {
		id := "pool_id=" + p.ID + ",pool_name=" + p.Name
		as := ""
		if p.AutoscalePolicy != nil {
			as = p.AutoscalePolicy.AutoscaleType
		}
		out["workspace_pool_info"][fmt.Sprintf("autoscale_type=%s,availability_zone=%s,os_type=%s,%s,product_id=%s,type=%s",
			as, p.AvailabilityZone, p.ImageOSType, id, p.Product.ProductID, p.Type)] = 1
		for _, st := range huaweicloud.Spec.Enums[model.FieldPoolStatus] {
			v := 0.0
			if st == p.Status {
				v = 1
			}
			out["workspace_pool_status"][id+",status="+st] = v
		}
		out["workspace_pool_desktops"][id+",state=used"] = float64(used[p.ID])
		out["workspace_pool_desktops"][id+",state=free"] = float64(count[p.ID] - used[p.ID])
		out["workspace_pool_in_maintenance"][id] = flag(p.InMaintenanceMode)
		out["workspace_pool_autoscale_enabled"][id] = flag(p.EnableAutoscale)
		out["workspace_pool_disconnected_retention_seconds"][id] = float64(p.DisconnectedRetentionPeriod * 60)
		if pol := p.AutoscalePolicy; pol != nil {
			out["workspace_pool_autoscale_min_idle_desktops"][id] = float64(pol.MinIdle)
			out["workspace_pool_autoscale_max_auto_created_desktops"][id] = float64(pol.MaxAutoCreated)
			out["workspace_pool_autoscale_once_auto_created_desktops"][id] = float64(pol.OnceAutoCreated)
		}
		if auth {
			out["workspace_pool_authorized_objects"]["object_type=USER,"+id] = float64(len(users[p.ID]))
			out["workspace_pool_authorized_objects"]["object_type=USER_GROUP,"+id] = float64(groups[p.ID])
		}
	}
	return out
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func comparePools(t *testing.T, got, want map[string]series) {
	t.Helper()
	for _, f := range poolFamilies {
		g, w := got[f], want[f]
		if g == nil {
			g = series{}
		}
		if !maps.Equal(g, w) {
			t.Errorf("%s:\n got %v\nwant %v", f, g, w)
		}
	}
}

// The collector's output equals what the simulator's own view of the
// fleet gives: sizes agree with the POOLED desktops of §4.3.8, the
// summarized list entry (linux-lab-pool) is completed from §4.4.5 with one
// request, authorized objects are read per pool.
func TestPoolsMatchTheFleet(t *testing.T) {
	c := newPoolsTarget(t, 1200, "", func(s *hwsim.Simulator) {
		for range 3 {
			s.Step()
		}
	})
	groups := map[string]int{}
	for _, p := range c.sim.Pools() {
		for _, o := range c.sim.PoolAuthorizations(p.ID) {
			if o.ObjectType == "USER_GROUP" {
				groups[p.ID]++
			}
		}
	}
	got := c.gather(t)
	if got["workspace_collector_success"]["collector=pools"] != 1 {
		t.Fatalf("refresh failed: %s", c.logs)
	}
	comparePools(t, got, expectedPools(c.sim.Desktops(), c.sim.Pools(), groups, true))
	if n := c.sim.Requests(hwspec.OpShowDesktopPool); n != 1 {
		t.Errorf("%d detail requests, want 1 (the summarized pool)", n)
	}
	if n := c.sim.Requests(hwspec.OpListDesktopPoolAuthorizedObjects); n < 4 {
		t.Errorf("%d authorization requests for 4 pools", n)
	}
	if f := got["workspace_label_values_folded"]; f["collector=pools,label=status"] != 0 {
		t.Errorf("folded %v", f)
	}
}

// The options bound the per-pool requests: without authorizations, no
// §4.4.13 call and no such series; without detail requests, the
// summarized pool has no desktop counts and no status; max_pools keeps
// the first pools by ID.
func TestPoolsOptions(t *testing.T) {
	c := newPoolsTarget(t, 300, ", authorizations: false, max_detail_requests: 0, max_pools: 2", nil)
	got := c.gather(t)
	if got["workspace_collector_success"]["collector=pools"] != 1 {
		t.Fatalf("refresh failed: %s", c.logs)
	}
	if n := c.sim.Requests(hwspec.OpListDesktopPoolAuthorizedObjects) + c.sim.Requests(hwspec.OpShowDesktopPool); n != 0 {
		t.Errorf("%d per-pool requests", n)
	}
	if len(got["workspace_pool_authorized_objects"]) != 0 {
		t.Error("authorized objects exported")
	}
	if got["workspace_pools"][""] != 4 || len(got["workspace_pool_info"]) != 2 {
		t.Errorf("pools %v, info %v", got["workspace_pools"], got["workspace_pool_info"])
	}
	// The first two pools by ID are contractor-pool (3e9c…) and
	// callcenter-pool (7a1e…); linux-lab-pool (f0a6…) is beyond max_pools.
	for k := range got["workspace_pool_info"] {
		if !strings.Contains(k, "contractor-pool") && !strings.Contains(k, "callcenter-pool") {
			t.Errorf("exported %s", k)
		}
	}
	if !strings.Contains(c.logs.String(), "more desktop pools than max_pools") {
		t.Error("max_pools not logged")
	}

	c = newPoolsTarget(t, 300, ", max_detail_requests: 0", nil)
	got = c.gather(t)
	for k, v := range got["workspace_pool_status"] {
		if strings.Contains(k, "linux-lab-pool") && v != 0 {
			t.Errorf("%s = %v without a status", k, v)
		}
	}
	for k := range got["workspace_pool_desktops"] {
		if strings.Contains(k, "linux-lab-pool") {
			t.Errorf("%s without counts", k)
		}
	}
	if len(got["workspace_pool_status"]) != 4*4 {
		t.Errorf("status series %d, want every documented status of every pool", len(got["workspace_pool_status"]))
	}
}

// A missing, null or mistyped pool list, or a broken detail, fails the
// refresh (the last snapshot stays); undocumented values are exported,
// bounded; an invalid answer never crashes.
func TestPoolsHostileAnswers(t *testing.T) {
	for _, body := range []string{`{"total_count":1}`, `{"desktop_pools":null}`, `{"desktop_pools":{}}`, `[]`, `{"desktop_pools":[`} {
		c := newPoolsTarget(t, 50, "", func(s *hwsim.Simulator) {
			s.ServeVerbatim(hwspec.OpListDesktopPools, 200, []byte(body))
		})
		if c.success(t, "pools") != 0 {
			t.Errorf("%s: refresh succeeded", body)
		}
	}
	c := newPoolsTarget(t, 50, "", func(s *hwsim.Simulator) {
		s.ServeVerbatim(hwspec.OpShowDesktopPool, 200, []byte(`{"id":"someone-else"}`))
	})
	if c.success(t, "pools") != 0 {
		t.Error("a detail about another pool was accepted")
	}

	var pools []string
	for i := range 40 {
		pools = append(pools, fmt.Sprintf(`{"id":"p%02d","name":"n%d","type":"T%d","status":"S%d","desktop_count":5,"desktop_used":7,
			"autoscale_policy":{"autoscale_type":"A%d"}}`, i, i, i, i, i))
	}
	c = newPoolsTarget(t, 50, ", authorizations: false", func(s *hwsim.Simulator) {
		s.ServeVerbatim(hwspec.OpListDesktopPools, 200, []byte(`{"total_count":40,"desktop_pools":[`+strings.Join(pools, ",")+`]}`))
	})
	got := c.gather(t)
	if c.success(t, "pools") != 1 {
		t.Fatalf("refresh failed: %s", c.logs)
	}
	folded := got["workspace_label_values_folded"]
	for _, l := range []string{"status", "type", "autoscale_type"} {
		if folded["collector=pools,label="+l] != 20 {
			t.Errorf("%s folded %v", l, folded)
		}
	}
	// 40 pools × (4 documented + 20 kept + other) status values.
	if n := len(got["workspace_pool_status"]); n != 40*25 {
		t.Errorf("%d status series", n)
	}
	if got["workspace_pool_desktops"]["pool_id=p00,pool_name=n0,state=free"] != 0 ||
		got["workspace_pool_desktops"]["pool_id=p00,pool_name=n0,state=used"] != 7 {
		t.Errorf("over-used pool: %v", got["workspace_pool_desktops"])
	}
	if !strings.Contains(c.logs.String(), "more used desktops than the pool has") {
		t.Error("over-use not logged")
	}
}

// fakePools is a model.PoolReader whose per-pool calls fail for some
// pools.
type fakePools struct {
	pools     []model.Pool
	gone, bad string
	details   int
}

func (f *fakePools) ListPools(context.Context) ([]model.Pool, model.ListStats, error) {
	return append([]model.Pool(nil), f.pools...), model.ListStats{}, nil
}

func (f *fakePools) ShowPool(_ context.Context, id string) (model.Pool, error) {
	f.details++
	switch id {
	case f.gone:
		return model.Pool{}, fmt.Errorf("wrapped: %w", model.ErrPoolNotFound)
	case f.bad:
		return model.Pool{}, errors.New("HTTP 500")
	}
	return model.Pool{ID: id, Status: "STEADY", DesktopCount: 3, HasDesktopCount: true, DesktopUsed: 1, HasDesktopUsed: true}, nil
}

func (f *fakePools) PoolAuthorizations(_ context.Context, id string) (map[string]int64, model.ListStats, error) {
	if id == f.gone {
		return nil, model.ListStats{}, model.ErrPoolNotFound
	}
	if id == f.bad {
		return nil, model.ListStats{}, errors.New("HTTP 500")
	}
	return map[string]int64{"USER": 2, "": 1}, model.ListStats{}, nil
}

// A pool deleted between the list and its per-pool call is left out; any
// other per-pool failure fails the refresh; details are read at most
// max_detail_requests times.
func TestPoolsPerPoolFailures(t *testing.T) {
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	f := &fakePools{pools: []model.Pool{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}, gone: "b"}
	out, err := completePools(ctx, f, f.pools, 3, logger)
	if err != nil || len(out) != 3 || out[0].DesktopCount != 3 || out[2].HasDesktopCount || f.details != 3 {
		t.Fatalf("%v %+v, %d details", err, out, f.details)
	}
	f.bad = "a"
	if _, err := completePools(ctx, f, f.pools, 3, logger); err == nil {
		t.Error("a failed detail did not fail the refresh")
	}
	if _, _, err := poolAuthorizations(ctx, f, f.pools, 10, logger); err == nil {
		t.Error("a failed authorization list did not fail the refresh")
	}
	f.bad = ""
	out, auth, err := poolAuthorizations(ctx, f, f.pools, 2, logger)
	if err != nil || len(out) != 3 || len(auth) != 1 || auth["a"]["USER"] != 2 {
		t.Fatalf("%v %v %v", err, out, auth)
	}
	s := newPoolsSnapshot(4, out, auth, poolEnums{objectType: []string{"USER", "USER_GROUP"}})
	if r := s.rows[0]; r.auth["USER"] != 2 || r.auth["USER_GROUP"] != 0 || r.auth["unknown"] != 1 {
		t.Errorf("auth %v", r.auth)
	}
	if s.rows[1].auth != nil {
		t.Error("authorizations beyond the bound")
	}
}

// The shared faults on the pool operations: an oversized or broken page,
// a malformed body, an error echoing the secret fail the refresh without
// leaking anything; junk elements are skipped.
func TestPoolsFaults(t *testing.T) {
	for _, f := range []simulator.Fault{
		{Kind: simulator.FaultOversizedPage, Operation: hwspec.OpListDesktopPools, Probability: 1},
		{Kind: simulator.FaultBadList, Operation: hwspec.OpListDesktopPools, Variant: simulator.BadListMissing, Probability: 1},
		{Kind: simulator.FaultMalformed, Operation: hwspec.OpShowDesktopPool, Probability: 1},
		{Kind: simulator.FaultEchoSecret, Operation: hwspec.OpListDesktopPoolAuthorizedObjects, Probability: 1},
		{Kind: simulator.FaultTruncated, Operation: hwspec.OpListDesktopPoolAuthorizedObjects, Probability: 1},
	} {
		c := newPoolsTarget(t, 100, "", func(s *hwsim.Simulator) { s.InjectFault(f) })
		if c.success(t, "pools") != 0 {
			t.Errorf("%s on %s: refresh succeeded", f.Kind, f.Operation)
		}
		h := &hostileTarget{reg: c.reg}
		assertNoSecret(t, string(f.Kind)+" exposition", h.exposition(t))
		assertNoSecret(t, string(f.Kind)+" log", c.logs.String())
	}
	c := newPoolsTarget(t, 100, "", func(s *hwsim.Simulator) {
		s.InjectFault(simulator.Fault{Kind: simulator.FaultJunkItems, Operation: hwspec.OpListDesktopPools, Items: 2, Probability: 1})
	})
	got := c.gather(t)
	if c.success(t, "pools") != 1 || len(got["workspace_pool_info"]) != 2 || got["workspace_pools"][""] != 2 {
		t.Errorf("junk items: %v %v", got["workspace_pool_info"], got["workspace_pools"])
	}
}
