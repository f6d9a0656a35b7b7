package huaweicloud

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

const (
	quotasPath      = "/v2/{project_id}/quotas"
	quotaDetailPath = "/v2/{project_id}/quotas/detail"
)

// The JSON shapes of §4.25.1 and §4.25.2 (003 Tables 4-2821…4-2824,
// 4-2833).
type (
	quotaJSON struct {
		Type  string `json:"type"`
		Quota int64  `json:"quota"`
		Used  int64  `json:"used"`
		Unit  string `json:"unit"`
	}
	quotasJSON struct {
		Quotas struct {
			Resources []quotaJSON `json:"resources"`
		} `json:"quotas"`
		SiteQuotas []struct {
			SiteID    string      `json:"site_id"`
			Resources []quotaJSON `json:"resources"`
		} `json:"site_quotas"`
	}
	quotaDetailJSON struct {
		Resources []quotaJSON `json:"resources"`
		SiteID    string      `json:"site_id"`
	}
)

func getQuotas(t *testing.T, base string) quotasJSON {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: quotasPath}))
	var q quotasJSON
	if r.status != http.StatusOK || json.Unmarshal(r.body, &q) != nil {
		t.Fatalf("ListQuotas: %d %s", r.status, r.body)
	}
	return q
}

func getQuotaDetail(t *testing.T, base string, query map[string]any) (response, quotaDetailJSON) {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: quotaDetailPath, query: query}))
	var d quotaDetailJSON
	if r.status == http.StatusOK && json.Unmarshal(r.body, &d) != nil {
		t.Fatalf("ShowQuotaDetail: %s", r.body)
	}
	return r, d
}

// expectedQuotaUse computes the desktop quotas' use from the §4.3.8 view
// of the fleet, independently of quotaUse.
func expectedQuotaUse(ds []Desktop) map[string]int64 {
	m := map[string]int64{"general_instances": 0, "gpu_instances": 0, "cores": 0, "Memory": 0, "volumes": 0, "volume_gigabytes": 0, "users": 0, "Cores": 0, "policy_groups": 3}
	var memMB int64
	users := map[string]bool{}
	for _, d := range ds {
		if d.Product.IsGPU {
			m["gpu_instances"]++
		} else {
			m["general_instances"]++
		}
		cpu, _ := strconv.Atoi(d.Product.CPU)
		mem, _ := strconv.Atoi(d.Product.Memory)
		m["cores"] += int64(cpu)
		memMB += int64(mem)
		m["volumes"] += 1 + int64(len(d.DataVolumes))
		m["volume_gigabytes"] += int64(d.RootVolume.Size)
		for _, v := range d.DataVolumes {
			m["volume_gigabytes"] += int64(v.Size)
		}
		if d.UserName != "" {
			users[d.UserName] = true
		}
		for _, a := range d.AttachUserInfos {
			if a.Type == "USER" {
				users[a.UserName] = true
			}
		}
	}
	m["Memory"] = (memMB + 1023) / 1024
	m["users"] = int64(len(users))
	return m
}

// §4.25.1 serves the fleet's use as ListDesktopsDetail shows it, limits
// above it with general_instances near its limit, both cores spellings,
// and the edge site; §4.25.2 serves the same numbers per site.
func TestQuotasServeTheFleet(t *testing.T) {
	for _, n := range []int{0, 7, 3000} {
		s, base := startSim(t, testOptions(n))
		for range 20 {
			s.Step()
		}
		ds := s.Desktops()
		want := expectedQuotaUse(ds)
		q := getQuotas(t, base)
		got := map[string]quotaJSON{}
		var order []string
		for _, e := range q.Quotas.Resources {
			got[e.Type] = e
			order = append(order, e.Type)
		}
		if wantOrder := []string{"general_instances", "volumes", "volume_gigabytes", "cores", "Memory", "gpu_instances", "users", "policy_groups", "Cores"}; !reflect.DeepEqual(order, wantOrder) {
			t.Errorf("%d desktops: types %v", n, order)
		}
		for typ, used := range want {
			e := got[typ]
			if e.Used != used || e.Quota < e.Used || e.Quota < 10 || e.Quota%10 != 0 {
				t.Errorf("%d desktops: %s = %+v, want used %d under a limit", n, typ, e, used)
			}
		}
		if got["Cores"].Quota != got["cores"].Quota || got["Memory"].Unit != "GB" || got["volume_gigabytes"].Unit != "GB" || got["cores"].Unit != "" {
			t.Errorf("%d desktops: %+v", n, got)
		}
		if n == 3000 {
			if r := float64(got["general_instances"].Used) / float64(got["general_instances"].Quota); r < 0.9 || r > 0.94 {
				t.Errorf("general_instances used at %.3f of its limit", r)
			}
			if want["gpu_instances"] == 0 || want["volumes"] <= int64(len(ds)) || want["users"] == 0 {
				t.Errorf("a degenerate fleet: %v", want)
			}
		}
		if len(q.SiteQuotas) != 1 || q.SiteQuotas[0].SiteID != QuotaEdgeSiteID ||
			!reflect.DeepEqual(q.SiteQuotas[0].Resources, []quotaJSON{{Type: "gpu_instances", Quota: 50}, {Type: "ies_instances", Quota: 500}}) {
			t.Errorf("site_quotas %+v", q.SiteQuotas)
		}

		// §4.25.2: the same numbers.
		for _, query := range []map[string]any{nil, {"site_id": QuotaCentralSiteID}, {"site_id": QuotaCentralSiteID, "az_code": "ap-southeast-3a"}} {
			r, d := getQuotaDetail(t, base, query)
			if r.status != http.StatusOK || d.SiteID != QuotaCentralSiteID || !reflect.DeepEqual(d.Resources, q.Quotas.Resources) {
				t.Errorf("detail %v: %d %s", query, r.status, r.body)
			}
		}
		r, d := getQuotaDetail(t, base, map[string]any{"site_id": QuotaEdgeSiteID})
		if r.status != http.StatusOK || d.SiteID != QuotaEdgeSiteID || !reflect.DeepEqual(d.Resources, q.SiteQuotas[0].Resources) {
			t.Errorf("edge detail: %d %s", r.status, r.body)
		}
		r, _ = getQuotaDetail(t, base, map[string]any{"site_id": "nope"})
		if r.status != http.StatusNotFound || errorCode(t, r) != "WKS.0010" {
			t.Errorf("unknown site: %d %s", r.status, r.body)
		}

		// The accessor says what is served.
		tenant, sites := s.Quotas()
		for i, e := range tenant {
			g := q.Quotas.Resources[i]
			if e.Type != g.Type || e.Quota != g.Quota || e.Used != g.Used || e.Unit != g.Unit {
				t.Errorf("accessor %+v, served %+v", e, g)
			}
		}
		if len(sites) != 1 || sites[0].SiteID != QuotaEdgeSiteID {
			t.Errorf("accessor sites %+v", sites)
		}
	}
}

// Custom desktops count by their own fields.
func TestQuotasOfCustomDesktops(t *testing.T) {
	s, base := startSim(t, testOptions(0))
	d := Desktop{DesktopID: "a", UserName: "u1", Product: Product{CPU: "4", Memory: "1536", IsGPU: true},
		RootVolume: Volume{Size: 80}, DataVolumes: []Volume{{Size: 10}, {Size: 20}},
		AttachUserInfos: []AttachUserInfo{{UserName: "u2", Type: "USER"}, {UserName: "g", Type: "GROUP"}}}
	e := Desktop{DesktopID: "b", UserName: "u1", Product: Product{CPU: "x", Memory: "512"}, RootVolume: Volume{Size: 40}}
	s.SetDesktops([]Desktop{d, e})
	want := expectedQuotaUse(s.Desktops())
	if want["Memory"] != 2 || want["users"] != 2 || want["cores"] != 4 || want["volumes"] != 4 || want["volume_gigabytes"] != 150 {
		t.Fatalf("expectation %v", want)
	}
	for _, r := range getQuotas(t, base).Quotas.Resources {
		if r.Used != want[r.Type] {
			t.Errorf("%s used %d, want %d", r.Type, r.Used, want[r.Type])
		}
	}
}

// The shared page faults hit site_quotas of §4.25.1 and resources of
// §4.25.2.
func TestQuotaPageFaults(t *testing.T) {
	s, base := startSim(t, testOptions(5))
	get := func(path string, query map[string]any) string {
		return string(do(t, sdkRequest(t, base, signed{path: path, query: query})).body)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListQuotas, Count: 1, Variant: simulator.BadListNull})
	if b := get(quotasPath, nil); !strings.HasPrefix(b, `{"quotas":{"resources":[{"type":"general_instances"`) || !strings.HasSuffix(b, `]},"site_quotas":null}`) {
		t.Errorf("bad_list null: %s", b)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListQuotas, Count: 1, Variant: simulator.BadListMissing})
	if b := get(quotasPath, nil); !strings.HasSuffix(b, `"used":0}]}}`) || strings.Contains(b, "site_quotas") {
		t.Errorf("bad_list missing: %s", b)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultJunkItems, Operation: hwspec.OpListQuotas, Count: 1, Items: 1})
	if b := get(quotasPath, nil); !strings.HasSuffix(b, `"site_quotas":[42]}`) {
		t.Errorf("junk_items: %s", b)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: hwspec.OpListQuotas, Count: 1})
	if b := get(quotasPath, nil); !strings.Contains(b, `"type":"FLOOD_147258369_ies_instances"`) {
		t.Errorf("enum_flood: %s", b)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultOversizedPage, Operation: hwspec.OpListQuotas, Count: 1, Items: 2})
	if b := get(quotasPath, nil); !strings.HasPrefix(b, `{"site_quotas":[{"site_id":"oversize-00000001","resources":[]},{"site_id":"oversize-00000002"`) {
		t.Errorf("oversized: %s", b)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpShowQuotaDetail, Count: 1, Variant: simulator.BadListString})
	if b := get(quotaDetailPath, nil); b != `{"resources":"x","site_id":"`+QuotaCentralSiteID+`"}` {
		t.Errorf("detail bad_list: %s", b)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpShowQuotaDetail, Count: 1, Variant: simulator.BadListMissing})
	if b := get(quotaDetailPath, map[string]any{"site_id": QuotaEdgeSiteID}); b != `{"site_id":"`+QuotaEdgeSiteID+`"}` {
		t.Errorf("detail bad_list missing: %s", b)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultShortPage, Operation: hwspec.OpShowQuotaDetail, Count: 1, Items: 8})
	if _, d := getQuotaDetail(t, base, nil); len(d.Resources) != 1 {
		t.Errorf("short_page: %+v", d)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: hwspec.OpShowQuotaDetail, Count: 1})
	if _, d := getQuotaDetail(t, base, nil); d.Resources[3].Type != "FLOOD_cores" {
		t.Errorf("detail enum_flood: %+v", d)
	}
}
