package huaweicloud

import (
	"math"
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// Any body is either decoded by the four service decoders into bounded,
// clean values, or refused with an error; nothing panics.
func FuzzDecodeService(f *testing.F) {
	addFixtures(f)
	for _, s := range []string{
		`{"status":"SUBSCRIBED","progress":"1e308%","site_configs":[null,{"site_id":"a"},{"site_id":"a","status":7}],"ad_domains":{"tls_config":{"cert_end_time":"2023-01-25T09:34:27"}}}`,
		`{"site_configs":"x"}`, `{"progress":"-0%","fail_code":1e400,"ad_domains":[]}`, `{"is_lock":"1","lock_time":"2025-07-14 08:30:00"}`,
		`{"is_lock":null}`, `{"is_lock":9223372036854775808}`, `{"site_infos":[{"site_id":"\ud800"}],"total_count":-1}`,
		`{"wks_edge_sites":[{"id":"e","site_info":{"id":1}}]}`, `[]`, `null`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w, err := DecodeWorkspace(body)
		if err != nil && !isZeroService(w) {
			t.Fatal("a service returned with an error")
		}
		for _, s := range []string{w.ID, w.Status, w.AccessStatus, w.ConfigStatus, w.AccessMode, w.DomainType, w.JobID, w.ProgressText, w.CertEndText} {
			if !validLabel(s) {
				t.Fatalf("label %q", s)
			}
		}
		if len(w.FailReason) > client.MaxMessageLen {
			t.Fatalf("fail reason of %d bytes", len(w.FailReason))
		}
		if w.HasProgress && (math.IsNaN(w.Progress) || w.Progress < 0 || w.Progress > 1) {
			t.Fatalf("progress %v", w.Progress)
		}
		if len(w.Sites)+w.InvalidSites > model.MaxServiceSites {
			t.Fatalf("%d sites, %d invalid", len(w.Sites), w.InvalidSites)
		}
		seen := map[string]bool{}
		for _, s := range w.Sites {
			if !client.ValidID(s.SiteID) || seen[s.SiteID] {
				t.Fatalf("site %+v", s)
			}
			seen[s.SiteID] = true
			for _, v := range []string{s.SiteName, s.SiteType, s.Status, s.AccessStatus, s.ConfigStatus} {
				if !validLabel(v) {
					t.Fatalf("site label %q", v)
				}
			}
		}

		l, err := DecodeWorkspaceLock(body)
		if err != nil && l != (model.ServiceLock{}) {
			t.Fatal("a lock returned with an error")
		}
		if l.Locked != (l.Value != 0) || len(l.Reason) > client.MaxMessageLen {
			t.Fatalf("lock %+v", l)
		}

		sites, _, _, invalid, err := DecodeSiteInfos(body)
		if err != nil && len(sites) != 0 {
			t.Fatal("sites returned with an error")
		}
		if len(sites)+invalid > model.MaxServiceSites {
			t.Fatalf("%d sites", len(sites))
		}
		for _, s := range sites {
			if !client.ValidID(s.ID) || !validLabel(s.Name) || !validLabel(s.Type) || !validLabel(s.Status) {
				t.Fatalf("site %+v", s)
			}
		}

		edges, _, _, invalid, err := DecodeWksEdgeSites(body)
		if err != nil && len(edges) != 0 {
			t.Fatal("edge sites returned with an error")
		}
		if len(edges)+invalid > model.MaxServiceSites {
			t.Fatalf("%d edge sites", len(edges))
		}
		for _, e := range edges {
			if !client.ValidID(e.ID) || !validLabel(e.Name) || !validLabel(e.Status) || !validLabel(e.SiteID) || !validLabel(e.SiteStatus) || !validLabel(e.AvailabilityZone) {
				t.Fatalf("edge site %+v", e)
			}
		}
	})
}

func isZeroService(w model.Service) bool {
	return w.ID == "" && w.Status == "" && w.Sites == nil && !w.HasProgress && w.CertEnd.IsZero()
}
