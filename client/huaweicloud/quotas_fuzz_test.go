package huaweicloud

import (
	"math"
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// checkQuotaResources fails unless every entry is bounded and clean: a
// valid, unique type, finite values, a use ≥ 0.
func checkQuotaResources(t *testing.T, rs []model.QuotaResource) {
	t.Helper()
	if len(rs) > maxQuotaResources {
		t.Fatalf("%d entries", len(rs))
	}
	seen := map[string]bool{}
	for _, r := range rs {
		if !client.ValidID(r.Type) || seen[r.Type] || !validLabel(r.Unit) {
			t.Fatalf("entry %+v", r)
		}
		seen[r.Type] = true
		if math.IsNaN(r.Limit) || math.IsInf(r.Limit, 0) || math.IsNaN(r.Used) || math.IsInf(r.Used, 0) || r.Used < 0 ||
			(!r.HasLimit && (r.Limit != 0 || r.Unlimited)) || (r.Unlimited && r.Limit != 0) || (!r.HasUsed && r.Used != 0) {
			t.Fatalf("values %+v", r)
		}
	}
}

// Any body is either decoded by the two quota decoders into bounded,
// clean values, or refused with an error; nothing panics.
func FuzzDecodeQuotas(f *testing.F) {
	addFixtures(f)
	for _, s := range []string{
		`{"quotas":{"resources":[42,null,{"type":"cores","quota":-1,"used":"3"},{"type":"cores"}]},"site_quotas":[{"site_id":1,"resources":[{"type":"x","quota":1e400}]},{"site_id":1,"resources":[]}]}`,
		`{"quotas":{"resources":null}}`, `{"quotas":[]}`, `{"resources":[{"type":"\ud800","quota":"0x1"}],"site_id":{}}`,
		`{"quotas":{"resources":[]},"site_quotas":[{"site_id":"s"}]}`, `[]`, `null`, `{"resources":[{"type":"a","used":2147483647}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := DecodeQuotas(body)
		if err != nil {
			if len(q.Tenant) != 0 || len(q.Sites) != 0 {
				t.Fatal("quotas returned with an error")
			}
		} else {
			checkQuotaResources(t, q.Tenant)
			if len(q.Sites) > maxQuotaSites || q.Invalid < 0 {
				t.Fatalf("%d sites, %d invalid", len(q.Sites), q.Invalid)
			}
			ids := map[string]bool{}
			for _, s := range q.Sites {
				if !client.ValidID(s.SiteID) || ids[s.SiteID] {
					t.Fatalf("site %q", s.SiteID)
				}
				ids[s.SiteID] = true
				checkQuotaResources(t, s.Resources)
			}
		}
		res, site, invalid, err := DecodeQuotaDetail(body)
		if err != nil {
			if res != nil || site != "" {
				t.Fatal("details returned with an error")
			}
			return
		}
		if !validLabel(site) || invalid < 0 {
			t.Fatalf("site %q invalid %d", site, invalid)
		}
		checkQuotaResources(t, res)
	})
}
