package collector

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

// The documented quota types, from the Huawei spec table the collector
// gets them from.
var quotaTypes = huaweicloud.Spec.Enums[model.FieldQuotaResource]

func qres(typ string, limit, used float64) model.QuotaResource {
	return model.QuotaResource{Type: typ, Limit: limit, HasLimit: true, Used: used, HasUsed: true}
}

// The spelling rule: the API's spelling is kept (cores and Cores are two
// resources); a case variant of exactly one documented type takes its
// spelling unless that spelling is in the list or taken; a variant of a
// type documented in two spellings keeps its own; a repeat is dropped.
func TestQuotaResourceLabels(t *testing.T) {
	for _, tc := range []struct {
		types, want []string
	}{
		{[]string{"cores", "Cores", "Memory"}, []string{"cores", "Cores", "Memory"}},
		{[]string{"memory", "GENERAL_INSTANCES"}, []string{"Memory", "general_instances"}},
		// Both spellings present: neither is lost.
		{[]string{"memory", "Memory"}, []string{"memory", "Memory"}},
		{[]string{"Memory", "memory"}, []string{"Memory", "memory"}},
		// Two variants of one type: the first takes the documented
		// spelling, the second keeps its own.
		{[]string{"memory", "MEMORY"}, []string{"Memory", "MEMORY"}},
		// cores is documented twice: a third spelling keeps its own.
		{[]string{"CORES", "cOres"}, []string{"CORES", "cOres"}},
		{[]string{"CORES", "cores"}, []string{"CORES", "cores"}},
		// Repeats are dropped ("" marks them).
		{[]string{"cores", "cores", "memory", "memory"}, []string{"cores", "", "Memory", ""}},
		{[]string{"ies_instances", "IES_INSTANCES"}, []string{"ies_instances", "IES_INSTANCES"}},
	} {
		rs := make([]model.QuotaResource, len(tc.types))
		for i, typ := range tc.types {
			rs[i] = model.QuotaResource{Type: typ}
		}
		if got := quotaResourceLabels(rs, quotaTypes); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %q, want %q", tc.types, got, tc.want)
		}
	}
}

const quotasExposition = `
# HELP workspace_quota_limit Quota of the resource (the provider's quota type, spelling kept) in the provider's unit of it; +Inf when the provider reports no limit. site is "" for the tenant's quota, else an edge site's ID.
# TYPE workspace_quota_limit gauge
workspace_quota_limit{resource="Cores",site="",target="t"} 80
workspace_quota_limit{resource="Memory",site="",target="t"} 100
workspace_quota_limit{resource="cores",site="",target="t"} 80
workspace_quota_limit{resource="gpu_instances",site="147258369",target="t"} 60
workspace_quota_limit{resource="ies_instances",site="147258369",target="t"} 500
workspace_quota_limit{resource="users",site="",target="t"} +Inf
workspace_quota_limit{resource="volumes",site="147258369",target="t"} 5
# HELP workspace_quota_used Quota of the resource in use, in the unit of workspace_quota_limit. site is "" for the tenant's quota, else an edge site's ID.
# TYPE workspace_quota_used gauge
workspace_quota_used{resource="Cores",site="",target="t"} 0
workspace_quota_used{resource="Memory",site="",target="t"} 19
workspace_quota_used{resource="cores",site="",target="t"} 10
workspace_quota_used{resource="general_instances",site="",target="t"} 3
workspace_quota_used{resource="gpu_instances",site="147258369",target="t"} 2
workspace_quota_used{resource="ies_instances",site="147258369",target="t"} 0
workspace_quota_used{resource="users",site="",target="t"} 29
workspace_quota_used{resource="volumes",site="147258369",target="t"} 1
# HELP workspace_label_values_folded Distinct undocumented values of a label folded into "other" in the latest data, because more than 20 undocumented values appeared for that label of the target.
# TYPE workspace_label_values_folded gauge
workspace_label_values_folded{collector="quotas",label="resource",target="t"} 0
`

// The tenant's quotas at site="", the sites' at their ID with the
// details replacing the summary; no limit is +Inf; an absent limit or
// use has no series.
func TestQuotasSnapshot(t *testing.T) {
	q := model.Quotas{
		Tenant: []model.QuotaResource{
			qres("cores", 80, 10), qres("memory", 100, 19), qres("Cores", 80, 0),
			{Type: "users", HasLimit: true, Unlimited: true, Used: 29, HasUsed: true},
			{Type: "general_instances", Used: 3, HasUsed: true}, // no limit read
			{Type: "deh"}, // neither
		},
		Sites: []model.SiteQuota{
			{SiteID: "147258369", Resources: []model.QuotaResource{qres("gpu_instances", 50, 0), qres("ies_instances", 500, 0)}},
			{SiteID: "147258369", Resources: []model.QuotaResource{qres("users", 1, 1)}}, // a repeated site is ignored
		},
	}
	details := map[string][]model.QuotaResource{"147258369": {qres("gpu_instances", 60, 2), qres("volumes", 5, 1)}}
	s := newQuotasSnapshot(q, details, quotaTypes)
	c := snapCollector{s, "t"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(quotasExposition)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// Undocumented types beyond MaxUndocumentedValues are dropped, not
// summed, and counted; documented ones never are.
func TestQuotasUndocumentedBounded(t *testing.T) {
	var rs []model.QuotaResource
	for _, typ := range quotaTypes {
		rs = append(rs, qres(typ, 10, 1))
	}
	for i := range MaxUndocumentedValues + 7 {
		rs = append(rs, qres(fmt.Sprintf("kind%02d", i), 10, 1))
	}
	s := newQuotasSnapshot(model.Quotas{Tenant: rs}, nil, quotaTypes)
	c := snapCollector{s, "t"}
	if n := testutil.CollectAndCount(c, "workspace_quota_limit"); n != len(quotaTypes)+MaxUndocumentedValues {
		t.Errorf("%d limit series", n)
	}
	b := NewBuilder()
	s.Render(b, "t")
	text := string(Render(b.Families()).Text())
	for _, want := range []string{`workspace_label_values_folded{collector="quotas",label="resource",target="t"} 7`, `resource="kind19"`, `resource="Cores"`} {
		if !strings.Contains(text, want) {
			t.Errorf("no %s", want)
		}
	}
	for _, no := range []string{`resource="other"`, `resource="kind20"`} {
		if strings.Contains(text, no) {
			t.Errorf("%s exported", no)
		}
	}
}

// quotaSeries gathers the quota series of target "sim" by
// "name/resource/site".
func quotaSeries(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "workspace_quota_limit" && mf.GetName() != "workspace_quota_used" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			out[mf.GetName()+"/"+l["resource"]+"/"+l["site"]] = m.GetGauge().GetValue()
		}
	}
	return out
}

func quotasYAML(url, extra string) string {
	return simYAMLCollectors(url, benchCredentials, "", "quotas: {interval: 1h"+extra+"}"+othersDisabled("quotas"))
}

// Every quota series against a seeded simulated fleet: the use of the
// desktop quotas computed from the fleet's desktop list (§4.3.8, the
// simulator's own view), independently of the simulator's quota code;
// the limits and the edge site's quotas as the simulator serves them;
// the edge site's details read through §4.25.2.
func TestQuotasCollectorAgainstSimulator(t *testing.T) {
	sim, url := startSim(t, 1500)
	m, reg := newTestManager(t, nil)
	applyYAML(t, m, quotasYAML(url, ""))
	got := quotaSeries(t, reg)

	ds := sim.Desktops()
	want := map[string]float64{"general_instances": 0, "gpu_instances": 0, "cores": 0, "volumes": 0, "volume_gigabytes": 0, "Cores": 0, "policy_groups": 3}
	var memMB float64
	users := map[string]bool{}
	for _, d := range ds {
		if d.Product.IsGPU {
			want["gpu_instances"]++
		} else {
			want["general_instances"]++
		}
		cpu, _ := strconv.Atoi(d.Product.CPU)
		mem, _ := strconv.Atoi(d.Product.Memory)
		want["cores"] += float64(cpu)
		memMB += float64(mem)
		want["volumes"] += float64(1 + len(d.DataVolumes))
		want["volume_gigabytes"] += float64(d.RootVolume.Size)
		for _, v := range d.DataVolumes {
			want["volume_gigabytes"] += float64(v.Size)
		}
		if d.UserName != "" {
			users[d.UserName] = true
		}
	}
	want["Memory"] = math.Ceil(memMB / 1024)
	want["users"] = float64(len(users))
	// Cross-endpoint agreement: every desktop of §4.3.8 is one general
	// or GPU instance.
	if want["general_instances"]+want["gpu_instances"] != float64(len(ds)) || want["gpu_instances"] == 0 || want["users"] == 0 {
		t.Fatalf("a degenerate fleet: %v", want)
	}
	tenant, sites := sim.Quotas()
	if len(tenant) != len(want) {
		t.Fatalf("the simulator serves %d tenant quotas, the test expects %d", len(tenant), len(want))
	}
	for _, e := range tenant {
		if u := got["workspace_quota_used/"+e.Type+"/"]; u != want[e.Type] {
			t.Errorf("used %s = %v, want %v from the desktop list", e.Type, u, want[e.Type])
		}
		if l := got["workspace_quota_limit/"+e.Type+"/"]; l != float64(e.Quota) || l < want[e.Type] {
			t.Errorf("limit %s = %v, served %d", e.Type, l, e.Quota)
		}
	}
	if r := got["workspace_quota_used/general_instances/"] / got["workspace_quota_limit/general_instances/"]; r < 0.9 {
		t.Errorf("general_instances used at %.2f of its limit: nothing for an alert to show", r)
	}
	n := len(tenant)
	for _, s := range sites {
		for _, e := range s.Resources {
			n++
			if got["workspace_quota_limit/"+e.Type+"/"+s.SiteID] != float64(e.Quota) || got["workspace_quota_used/"+e.Type+"/"+s.SiteID] != float64(e.Used) {
				t.Errorf("site %s %s: %v / %v", s.SiteID, e.Type, got["workspace_quota_used/"+e.Type+"/"+s.SiteID], got["workspace_quota_limit/"+e.Type+"/"+s.SiteID])
			}
		}
	}
	if len(got) != 2*n {
		t.Errorf("%d series, want %d: %v", len(got), 2*n, got)
	}
	if a, b := sim.Requests(hwspec.OpListQuotas), sim.Requests(hwspec.OpShowQuotaDetail); a != 1 || b != int64(len(sites)) {
		t.Errorf("requests: %d ListQuotas, %d ShowQuotaDetail", a, b)
	}
}

// site_details: false reads §4.25.1 only.
func TestQuotasWithoutSiteDetails(t *testing.T) {
	sim, url := startSim(t, 50)
	m, reg := newTestManager(t, nil)
	applyYAML(t, m, quotasYAML(url, ", site_details: false"))
	if a, b := sim.Requests(hwspec.OpListQuotas), sim.Requests(hwspec.OpShowQuotaDetail); a != 1 || b != 0 {
		t.Errorf("requests: %d ListQuotas, %d ShowQuotaDetail", a, b)
	}
	if got := quotaSeries(t, reg); got["workspace_quota_limit/ies_instances/"+hwsim.QuotaEdgeSiteID] != 500 {
		t.Errorf("series %v", got)
	}
}

// A broken answer of either operation fails the refresh and the last
// complete quotas stay served; site_quotas left out reads as no sites;
// no secret reaches the logs or /metrics.
func TestQuotasHostileAnswers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault simulator.Fault
		fails bool
		log   string
	}{
		{"site_quotas null", simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListQuotas, Probability: 1, Variant: simulator.BadListNull}, true, "site_quotas is null"},
		{"site_quotas string", simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListQuotas, Probability: 1, Variant: simulator.BadListString}, true, "site_quotas is not a list"},
		{"oversized", simulator.Fault{Kind: simulator.FaultOversizedPage, Operation: hwspec.OpListQuotas, Probability: 1, Items: 100_000}, true, "invalid response"},
		{"details missing", simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpShowQuotaDetail, Probability: 1, Variant: simulator.BadListMissing}, true, "resources is missing"},
		{"details malformed", simulator.Fault{Kind: simulator.FaultMalformed, Operation: hwspec.OpShowQuotaDetail, Probability: 1}, true, "invalid JSON"},
		{"echo secret", simulator.Fault{Kind: simulator.FaultEchoSecret, Operation: hwspec.OpListQuotas, Probability: 1, Status: 400}, true, "HTTP 400"},
		{"site_quotas missing", simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListQuotas, Probability: 1, Variant: simulator.BadListMissing}, false, ""},
		{"junk site", simulator.Fault{Kind: simulator.FaultJunkItems, Operation: hwspec.OpListQuotas, Probability: 1, Items: 1}, false, "skipped quota entries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostileTargetWith(t, 100, func(url string) string {
				return simYAMLCollectors(url, benchCredentials, hostileAPI, "quotas: {interval: 1h}"+othersDisabled("quotas"))
			})
			before := quotaSeries(t, h.reg)
			if before["workspace_quota_limit/ies_instances/"+hwsim.QuotaEdgeSiteID] != 500 || len(before) < 20 {
				t.Fatalf("before: %v", before)
			}
			h.sim.InjectFault(tc.fault)
			refreshAll(h.m)
			after := quotaSeries(t, h.reg)
			ok := testutil.ToFloat64(collectOne(t, h.m, "workspace_collector_success"))
			switch {
			case tc.fails && (ok != 0 || !reflect.DeepEqual(after, before)):
				t.Errorf("success %v; series %v, want the last ones", ok, after)
			case !tc.fails && (ok != 1 || after["workspace_quota_limit/ies_instances/"+hwsim.QuotaEdgeSiteID] != 0 || len(after) != len(before)-4):
				t.Errorf("success %v; series %v, want the tenant's only", ok, after)
			}
			logs := h.logs.String()
			if !strings.Contains(logs, tc.log) {
				t.Errorf("the log does not say %q:\n%s", tc.log, logs)
			}
			assertNoSecret(t, "the log", logs)
			assertNoSecret(t, "/metrics", h.exposition(t))
		})
	}
}
