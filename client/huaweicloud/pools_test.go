package huaweicloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// §4.4.2's example (003 L11941-12014, page break removed, L12013 repaired
// to "]") decodes: two pools, neither with the counters or the status (so
// neither is Complete), POOL2 with the undocumented type DEDICATED kept
// as sent.
func TestPoolsSeedExample(t *testing.T) {
	p, err := DecodePoolsPage(readFixture(t, "list_desktop_pools_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.TotalKnown || p.Total != 2 || p.Invalid != 0 || len(p.Items) != 2 {
		t.Fatalf("total %d (known %v), invalid %d, %d pools", p.Total, p.TotalKnown, p.Invalid, len(p.Items))
	}
	created := time.Date(2023, 1, 4, 7, 10, 56, 696e6, time.UTC)
	want := []model.Pool{{
		ID: "ca689892-25f2-4c68-88cb-56be3565f3f5", Name: "POOL1", Type: "STATIC", AvailabilityZone: "cn-north-4a",
		ProductID: "workspace.x86.ultimate.large2", Created: created,
	}, {
		ID: "2c2be3fb-0013-48d5-a081-0731f3473997", Name: "POOL2", Type: "DEDICATED", AvailabilityZone: "cn-north-4b",
		ProductID: "workspace.x86.ultimate.large2", Created: time.Date(2023, 1, 4, 7, 10, 53, 554e6, time.UTC),
	}}
	for i, w := range want {
		if p.Items[i] != w {
			t.Errorf("pool %d:\n got %+v\nwant %+v", i, p.Items[i], w)
		}
		if p.Items[i].Complete() {
			t.Errorf("pool %d is complete without counters", i)
		}
	}
}

// §4.4.5's example (003 L12515-12575) decodes in full.
func TestPoolDetailSeedExample(t *testing.T) {
	p, err := DecodePool(readFixture(t, "show_desktop_pool_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := model.Pool{
		ID: "1ad74b36-0de7-45fe-aed3-6cb047d69e99", Name: "yay-test", Type: "STATIC", Status: "STEADY",
		AvailabilityZone: "cn-north-7c", ProductID: "workspace.x86.ultimate.large2", ImageOSType: "Windows", ChargingMode: "1",
		Created:      time.Date(2025, 5, 22, 9, 48, 47, 0, time.UTC),
		DesktopCount: 10, HasDesktopCount: true, DesktopUsed: 0, HasDesktopUsed: true,
		InMaintenance: false, HasInMaintenance: true,
		DisconnectedRetention: 0, HasDisconnectedRetention: true,
		AutoscaleEnabled: true, HasAutoscaleEnabled: true, AutoscaleType: "AUTO_CREATED",
		MinIdle: 10, HasMinIdle: true, MaxAutoCreated: 1, HasMaxAutoCreated: true, OnceAutoCreated: 1, HasOnceAutoCreated: true,
	}
	if p != want {
		t.Errorf("\n got %+v\nwant %+v", p, want)
	}
	if !p.Complete() {
		t.Error("the detail is not complete")
	}
}

// §4.4.13's example (003 L13780-13793, page break removed, L13788
// dropped) decodes: one USER object.
func TestPoolAuthorizedObjectsSeedExample(t *testing.T) {
	p, err := DecodePoolAuthorizedObjectsPage(readFixture(t, "list_desktop_pool_authorized_objects_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.TotalKnown || p.Total != 1 || p.Invalid != 0 || len(p.Items) != 1 || p.Items[0] != "USER" {
		t.Fatalf("%+v", p)
	}
}

// Hostile pool members: wrong types are absent, never an error; a pool
// without a safe ID is an invalid element; a missing, null or mistyped
// list fails the page.
func TestPoolsHostile(t *testing.T) {
	p, err := DecodePoolsPage([]byte(`{"total_count":"6","desktop_pools":[
		42, null, {"name":"no id"}, {"id":".."}, {"id":"a/b"}, {"id":"` + strings.Repeat("x", 65) + `"},
		{"id":"p1","name":{"x":1},"type":7,"status":null,"desktop_count":-3,"desktop_used":"2.5","in_maintenance_mode":"maybe",
		 "disconnected_retention_period":1e12,"enable_autoscale":1,"autoscale_policy":[1],"product":"x","created_time":"yesterday"},
		{"id":"p2","desktop_count":"12","desktop_used":12,"status":"FROZEN_SOLID","autoscale_policy":{"min_idle":"3","max_auto_created":true},
		 "in_maintenance_mode":"true","enable_autoscale":false,"disconnected_retention_period":"30","id":"p2"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Invalid != 6 || len(p.Items) != 2 {
		t.Fatalf("invalid %d, %d pools", p.Invalid, len(p.Items))
	}
	if got := p.Items[0]; got != (model.Pool{ID: "p1"}) {
		t.Errorf("p1: %+v", got)
	}
	want := model.Pool{ID: "p2", Status: "FROZEN_SOLID", DesktopCount: 12, HasDesktopCount: true, DesktopUsed: 12, HasDesktopUsed: true,
		InMaintenance: true, HasInMaintenance: true, DisconnectedRetention: 30 * time.Minute, HasDisconnectedRetention: true,
		HasAutoscaleEnabled: true, MinIdle: 3, HasMinIdle: true}
	if got := p.Items[1]; got != want {
		t.Errorf("p2:\n got %+v\nwant %+v", got, want)
	}
	for _, body := range []string{`{"total_count":1}`, `{"desktop_pools":null}`, `{"desktop_pools":{"id":"p"}}`, `[]`, `{"desktop_pools":[`, ``} {
		if _, err := DecodePoolsPage([]byte(body)); err == nil {
			t.Errorf("%q decoded", body)
		}
	}
	for _, body := range []string{`null`, `[]`, `{"id":".."}`, `{"name":"x"}`, `{`, ``, `{"id":"p"}` + strings.Repeat(" ", maxPoolDetailBody)} {
		if _, err := DecodePool([]byte(body)); err == nil {
			t.Errorf("detail %.20q decoded", body)
		}
	}
}

// Authorized objects are counted by type: documented types always, at
// most model.MaxPoolAuthorizationTypes types in all.
func TestCountPoolAuthorizations(t *testing.T) {
	var types []string
	for i := range 100 {
		types = append(types, fmt.Sprintf("T%d", i), "USER")
	}
	m, dropped := countPoolAuthorizations(types)
	if len(m) != model.MaxPoolAuthorizationTypes || m["USER"] != 100 || m["USER_GROUP"] != 0 || dropped != 100-(model.MaxPoolAuthorizationTypes-2) {
		t.Fatalf("%d types, USER %d, dropped %d", len(m), m["USER"], dropped)
	}
}

// poolsServer answers the pool operations from a small table of pools and
// objects, recording the paths it was asked.
type poolsServer struct {
	mu    sync.Mutex
	paths []string
}

func (ps *poolsServer) handler(t *testing.T, objects int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ps.mu.Lock()
		ps.paths = append(ps.paths, r.URL.Path+"?"+r.URL.RawQuery)
		ps.mu.Unlock()
		base := "/v2/" + testProject + "/desktop-pools"
		switch p := r.URL.Path; {
		case p == base:
			fmt.Fprint(w, `{"total_count":2,"desktop_pools":[{"id":"p1","name":"one"},{"id":"p2","name":"two","desktop_count":3,"desktop_used":1,"status":"STEADY"}]}`)
		case p == base+"/p1":
			fmt.Fprint(w, `{"id":"p1","name":"one","desktop_count":5,"desktop_used":4,"status":"TEMPORARY"}`)
		case p == base+"/gone", p == base+"/gone/users":
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error_code":"WKS.0010","error_msg":"No resources found in the system."}`)
		case p == base+"/other":
			fmt.Fprint(w, `{"id":"p1"}`)
		case p == base+"/p1/users":
			q := r.URL.Query()
			if q.Get("limit") != "100" {
				t.Errorf("limit %q", q.Get("limit"))
			}
			var off int
			fmt.Sscan(q.Get("offset"), &off)
			var items []string
			for i := off; i < min(off+100, objects); i++ {
				typ := "USER"
				if i%10 == 0 {
					typ = "USER_GROUP"
				}
				items = append(items, fmt.Sprintf(`{"object_type":%q,"object_id":"o%d"}`, typ, i))
			}
			fmt.Fprintf(w, `{"objects":[%s],"total_count":%d}`, strings.Join(items, ","), objects)
		default:
			t.Errorf("unexpected path %s", p)
			w.WriteHeader(http.StatusNotFound)
		}
	}
}

func TestPoolsRequests(t *testing.T) {
	ps := &poolsServer{}
	srv := httptest.NewServer(ps.handler(t, 250))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	ctx := context.Background()

	pools, stats, err := c.ListPools(ctx)
	if err != nil || len(pools) != 2 || stats.Requests != 1 {
		t.Fatalf("%v, %d pools, %d requests", err, len(pools), stats.Requests)
	}
	if pools[0].Complete() || !pools[1].Complete() {
		t.Error("completeness")
	}
	if !strings.Contains(ps.paths[0], "limit=1000") || !strings.Contains(ps.paths[0], "offset=0") {
		t.Errorf("list query %s", ps.paths[0])
	}
	p1, err := c.ShowPool(ctx, "p1")
	if err != nil || p1.DesktopCount != 5 || p1.DesktopUsed != 4 || p1.Status != "TEMPORARY" {
		t.Fatalf("%v %+v", err, p1)
	}
	if _, err := c.ShowPool(ctx, "gone"); !errors.Is(err, model.ErrPoolNotFound) {
		t.Errorf("gone: %v", err)
	}
	var ir *client.InvalidResponseError
	if _, err := c.ShowPool(ctx, "other"); !errors.As(err, &ir) {
		t.Errorf("an answer about another pool: %v", err)
	}
	for _, id := range []string{"..", "a/b", "", "x?y", "%2e"} {
		if _, err := c.ShowPool(ctx, id); err == nil || errors.Is(err, model.ErrPoolNotFound) {
			t.Errorf("ShowPool(%q): %v", id, err)
		}
		if _, _, err := c.PoolAuthorizations(ctx, id); err == nil {
			t.Errorf("PoolAuthorizations(%q) succeeded", id)
		}
	}
	m, st, err := c.PoolAuthorizations(ctx, "p1")
	if err != nil || st.Requests != 3 || m["USER"] != 225 || m["USER_GROUP"] != 25 || len(m) != 2 {
		t.Fatalf("%v, %d requests, %v", err, st.Requests, m)
	}
	if _, _, err := c.PoolAuthorizations(ctx, "gone"); !errors.Is(err, model.ErrPoolNotFound) {
		t.Errorf("gone: %v", err)
	}
	for _, p := range ps.paths {
		if strings.Contains(p, "..") || strings.Contains(p, "a/b") {
			t.Errorf("requested %s", p)
		}
	}
}
