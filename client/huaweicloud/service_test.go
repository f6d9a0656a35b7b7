package huaweicloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// Every documented example response of the service domain decodes
// (testdata/README.md says where each comes from).
func TestDecodeServiceSeedExamples(t *testing.T) {
	t.Run("workspaces_seed003", func(t *testing.T) {
		w, err := DecodeWorkspace(mustReadFile(t, "testdata/workspaces_seed003.json"))
		if err != nil {
			t.Fatal(err)
		}
		want := model.Service{
			ID: "8aa1908f74824d8701748bf039600065", Status: "SUBSCRIBED", AccessStatus: "openSuccess", ConfigStatus: "0",
			AccessMode: "BOTH", DomainType: "LOCAL_AD", Progress: 1, HasProgress: true, UseLDAPS: true, HasUseLDAPS: true,
			// No zone in the example (L3976-3977): read as UTC.
			CertStart: time.Date(2022, 1, 25, 9, 24, 27, 0, time.UTC),
			CertEnd:   time.Date(2023, 1, 25, 9, 34, 27, 0, time.UTC),
		}
		if !reflect.DeepEqual(w, want) {
			t.Errorf("got  %+v\nwant %+v", w, want)
		}
	})
	t.Run("lock_status_seed003", func(t *testing.T) {
		l, err := DecodeWorkspaceLock(mustReadFile(t, "testdata/lock_status_seed003.json"))
		if err != nil {
			t.Fatal(err)
		}
		if want := (model.ServiceLock{Locked: true, Value: 1}); l != want {
			t.Errorf("got %+v want %+v", l, want)
		}
	})
	t.Run("sites_seed003", func(t *testing.T) {
		sites, total, known, invalid, err := DecodeSiteInfos(mustReadFile(t, "testdata/sites_seed003.json"))
		if err != nil {
			t.Fatal(err)
		}
		if known || total != 0 || invalid != 0 {
			t.Errorf("total %d known %v invalid %d (the example has no total_count)", total, known, invalid)
		}
		want := []model.ServiceSite{{ID: "22033f05-b7e1-44c4-a45f-630aa8acc42c", Name: "Huawei Cloud Central Site", Type: "CENTER", Status: "openSuccess"}}
		if !reflect.DeepEqual(sites, want) {
			t.Errorf("got %+v\nwant %+v", sites, want)
		}
	})
	t.Run("edge_sites_seed003", func(t *testing.T) {
		sites, total, known, invalid, err := DecodeWksEdgeSites(mustReadFile(t, "testdata/edge_sites_seed003.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !known || total != 0 || invalid != 0 {
			t.Errorf("total %d known %v invalid %d", total, known, invalid)
		}
		want := []model.EdgeSite{{ID: "string", Name: "string", AvailabilityZone: "string", Status: "string", SiteID: "string", SiteStatus: "string"}}
		if !reflect.DeepEqual(sites, want) {
			t.Errorf("got %+v\nwant %+v", sites, want)
		}
	})
}

// §4.2.7: every member is optional, members of another type read as
// absent, unknown ones are skipped; site_configs is a list or null, and
// bounded.
func TestDecodeWorkspaceShapes(t *testing.T) {
	cases := []struct {
		name, body string
		want       model.Service
		err        string // "" for success; else a fragment of the error
		invalid    bool   // the error is an *client.InvalidResponseError
	}{
		{name: "empty object", body: `{}`},
		{name: "numbers as strings and vice versa", body: `{"status":7,"config_status":2,"progress":45.5,"fail_code":"WKS.1","use_ldaps":"true","ad_domains":{"use_ldaps":"yes"}}`,
			want: model.Service{Status: "7", ConfigStatus: "2", Progress: 0.455, HasProgress: true, UseLDAPS: true, HasUseLDAPS: true}},
		{name: "numeric fail code", body: `{"fail_code":"42","fail_reason":" AD\nunreachable "}`,
			want: model.Service{FailCode: 42, HasFailCode: true, FailReason: "AD unreachable"}},
		{name: "objects where strings are", body: `{"id":{"a":1},"status":[1],"job_id":null,"ad_domains":"x","progress":{}}`},
		{name: "progress forms", body: `{"progress":" 7 % "}`, want: model.Service{Progress: 0.07, HasProgress: true}},
		{name: "progress out of range", body: `{"progress":"150%"}`, want: model.Service{ProgressText: "150%"}},
		{name: "progress negative", body: `{"progress":"-1%"}`, want: model.Service{ProgressText: "-1%"}},
		{name: "progress NaN", body: `{"progress":"NaN"}`, want: model.Service{ProgressText: "NaN"}},
		{name: "progress words", body: `{"progress":"done"}`, want: model.Service{ProgressText: "done"}},
		{name: "cert times with zone and unreadable", body: `{"ad_domains":{"use_ldaps":false,"tls_config":{"cert_start_time":"soon","cert_end_time":"2030-01-02T03:04:05+08:00"}}}`,
			want: model.Service{HasUseLDAPS: true, CertEnd: time.Date(2030, 1, 1, 19, 4, 5, 0, time.UTC)}},
		{name: "cert end unreadable", body: `{"ad_domains":{"tls_config":{"cert_end_time":"next year"}}}`,
			want: model.Service{CertEndText: "next year"}},
		{name: "repeated members: the last wins", body: `{"status":"CLOSED","status":"SUBSCRIBED","ad_domains":{"domain_type":"LITE_AS"},"ad_domains":{"domain_type":"LOCAL_AD"}}`,
			want: model.Service{Status: "SUBSCRIBED", DomainType: "LOCAL_AD"}},
		{name: "site_configs null", body: `{"site_configs":null}`},
		{name: "site_configs empty", body: `{"site_configs":[]}`, want: model.Service{Sites: []model.ServiceSiteConfig{}}},
		{name: "site_configs junk and duplicates", body: `{"site_configs":[1,null,"x",{"site_name":"no id"},{"site_id":""},
			{"site_id":"s1","site_name":"A","status":"SUBSCRIBING","config_status":0},{"site_id":"s2","status":"CLOSED"},{"site_id":"s1","site_name":"A2","status":"SUBSCRIBED"}]}`,
			want: model.Service{Sites: []model.ServiceSiteConfig{{SiteID: "s1", SiteName: "A2", Status: "SUBSCRIBED"}, {SiteID: "s2", Status: "CLOSED"}}, InvalidSites: 5}},
		{name: "site_configs a string", body: `{"site_configs":"x"}`, err: `"site_configs" is a string, not a list`, invalid: true},
		{name: "site_configs an object", body: `{"site_configs":{}}`, err: "not a list", invalid: true},
		{name: "too many site_configs", body: `{"site_configs":[` + strings.Repeat(`{"site_id":"s"},`, model.MaxServiceSites) + `{}]}`,
			err: "more than 500 sites", invalid: true},
		{name: "not an object", body: `[{"status":"SUBSCRIBED"}]`, err: "not a JSON object", invalid: true},
		{name: "null", body: `null`, err: "null, not a JSON object", invalid: true},
		{name: "empty", body: ``, err: "empty body"},
		{name: "truncated", body: `{"status":"SUBSCRIBED"`, err: "invalid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := DecodeWorkspace([]byte(c.body))
			if c.err != "" {
				var inv *client.InvalidResponseError
				if err == nil || !strings.Contains(err.Error(), c.err) || errors.As(err, &inv) != c.invalid {
					t.Fatalf("err %v, want %q (invalid response: %v)", err, c.err, c.invalid)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(w, c.want) {
				t.Errorf("got  %+v\nwant %+v", w, c.want)
			}
		})
	}
}

// An oversized §4.2.7 body is refused without being read to its end.
func TestDecodeWorkspaceOversized(t *testing.T) {
	body := `{"fail_reason":"` + strings.Repeat("x", maxWorkspaceBody) + `"}`
	_, err := DecodeWorkspace([]byte(body))
	var inv *client.InvalidResponseError
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err %v", err)
	}
}

// §4.2.12: is_lock is required and read as a number; the rest is optional.
func TestDecodeWorkspaceLockShapes(t *testing.T) {
	at := time.Date(2025, 7, 14, 8, 30, 0, 0, time.UTC)
	cases := []struct {
		body string
		want model.ServiceLock
		err  string
	}{
		{`{"is_lock":0}`, model.ServiceLock{}, ""},
		{`{"is_lock":"1","lock_time":"2025-07-14 08:30:00","lock_reason":"arrears"}`, model.ServiceLock{Locked: true, Value: 1, Time: at, Reason: "arrears"}, ""},
		{`{"is_lock":true}`, model.ServiceLock{Locked: true, Value: 1}, ""},
		{`{"is_lock":false,"lock_time":"garbage"}`, model.ServiceLock{}, ""},
		{`{"is_lock":2}`, model.ServiceLock{Locked: true, Value: 2}, ""},
		{`{"is_lock":1,"is_lock":0}`, model.ServiceLock{}, ""},
		{`{"is_lock":1,"lock_reason":{"x":1},"extra":[1,2]}`, model.ServiceLock{Locked: true, Value: 1}, ""},
		{`{}`, model.ServiceLock{}, `"is_lock" is missing`},
		{`{"is_lock":null}`, model.ServiceLock{}, `"is_lock" is null`},
		{`{"is_lock":"locked"}`, model.ServiceLock{}, `"is_lock" is not a number but a string`},
		{`{"is_lock":[1]}`, model.ServiceLock{}, `"is_lock" is not a number but an array`},
		{`"locked"`, model.ServiceLock{}, "not a JSON object"},
	}
	for _, c := range cases {
		l, err := DecodeWorkspaceLock([]byte(c.body))
		if c.err != "" {
			var inv *client.InvalidResponseError
			if !errors.As(err, &inv) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.body, err, c.err)
			}
			continue
		}
		if err != nil || l != c.want {
			t.Errorf("%s: got %+v, %v; want %+v", c.body, l, err, c.want)
		}
	}
}

// §4.2.1 and §4.2.6: the list is required; junk elements are skipped and
// counted; the list is bounded.
func TestDecodeSiteListsShapes(t *testing.T) {
	sites, _, _, invalid, err := DecodeSiteInfos([]byte(`{"site_infos":[1,null,{"site_name":"no id"},{"site_id":"s1","status":7,"site_type":"IES"}],"total_count":"9"}`))
	if err != nil || invalid != 3 || !reflect.DeepEqual(sites, []model.ServiceSite{{ID: "s1", Type: "IES", Status: "7"}}) {
		t.Errorf("sites %+v invalid %d: %v", sites, invalid, err)
	}
	edges, _, _, invalid, err := DecodeWksEdgeSites([]byte(`{"wks_edge_sites":[{"id":"e1","status":"available","site_info":"x"},{"id":"e2","site_info":{"id":"s2","status":"SUBSCRIBED"},"cpu_usage_rate":"high"},"junk"]}`))
	want := []model.EdgeSite{{ID: "e1", Status: "available"}, {ID: "e2", SiteID: "s2", SiteStatus: "SUBSCRIBED"}}
	if err != nil || invalid != 1 || !reflect.DeepEqual(edges, want) {
		t.Errorf("edge sites %+v invalid %d: %v", edges, invalid, err)
	}
	for _, body := range []string{`{}`, `{"site_infos":null}`, `{"site_infos":"x"}`, `{"site_infos":{}}`, `[]`,
		`{"site_infos":[` + strings.Repeat(`{"site_id":"s"},`, model.MaxServiceSites) + `{}]}`} {
		_, _, _, _, err := DecodeSiteInfos([]byte(body))
		var inv *client.InvalidResponseError
		if !errors.As(err, &inv) {
			t.Errorf("%.60s: err %v, want an invalid response", body, err)
		}
	}
	_, _, _, _, err = DecodeSiteInfos([]byte(`{"site_infos":[` + strings.Repeat(`{"site_id":"s"},`, model.MaxServiceSites) + `{}]}`))
	if err == nil || !strings.Contains(err.Error(), "more than 500 sites") {
		t.Errorf("oversized list: %v", err)
	}
	_, _, _, _, err = DecodeWksEdgeSites([]byte(`{"wks_edge_sites":7}`))
	if err == nil || !strings.Contains(err.Error(), `"wks_edge_sites" is a number, not a list`) {
		t.Errorf("mistyped list: %v", err)
	}
}

// serviceAPI serves the four operations with the given bodies, records
// the requests, and refuses anything else.
type serviceAPI struct {
	mu     sync.Mutex
	bodies map[string]string // path suffix → body
	seen   []string
}

func (a *serviceAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	suffix := strings.TrimPrefix(r.URL.Path, "/v2/"+testProject)
	body, ok := a.bodies[suffix]
	if !ok || r.Method != http.MethodGet {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error_code":"WKS.0010","error_msg":"No resources found in the system."}`)
		return
	}
	fmt.Fprint(w, body)
}

// The client reads each operation with one GET on its path, without
// query parameters, and passes skipped elements to the observer.
func TestServiceReader(t *testing.T) {
	api := &serviceAPI{bodies: map[string]string{
		"/workspaces":             `{"id":"w1","status":"SUBSCRIBED","job_id":"j1","site_configs":[{"site_id":"s1"},7]}`,
		"/workspaces/lock-status": `{"is_lock":0}`,
		"/sites":                  `{"site_infos":[{"site_id":"s1","status":"openSuccess"},null],"total_count":5}`,
		"/wks-edge-sites":         `{"wks_edge_sites":[],"total_count":0}`,
	}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	var logs strings.Builder
	c, obs, _ := newTestClient(t, srv.URL, func(cfg *Config) { cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	ctx := context.Background()
	w, err := c.Service(ctx)
	if err != nil || w.ID != "w1" || w.JobID != "j1" || len(w.Sites) != 1 || w.InvalidSites != 1 {
		t.Fatalf("service %+v: %v", w, err)
	}
	l, err := c.ServiceLock(ctx)
	if err != nil || l.Locked {
		t.Fatalf("lock %+v: %v", l, err)
	}
	sites, invalid, err := c.ServiceSites(ctx)
	if err != nil || len(sites) != 1 || invalid != 1 {
		t.Fatalf("sites %+v %d: %v", sites, invalid, err)
	}
	edges, invalid, err := c.EdgeSites(ctx)
	if err != nil || edges == nil || len(edges) != 0 || invalid != 0 {
		t.Fatalf("edge sites %+v %d: %v", edges, invalid, err)
	}
	want := []string{
		"GET /v2/" + testProject + "/workspaces?",
		"GET /v2/" + testProject + "/workspaces/lock-status?",
		"GET /v2/" + testProject + "/sites?",
		"GET /v2/" + testProject + "/wks-edge-sites?",
	}
	if !reflect.DeepEqual(api.seen, want) {
		t.Errorf("requests %q", api.seen)
	}
	if obs.invalid != 2 {
		t.Errorf("observed %d invalid elements, want 2", obs.invalid)
	}
	if !strings.Contains(logs.String(), "announces more sites than it listed") {
		t.Errorf("a total over the listed sites is not logged: %s", logs.String())
	}

	// An invalid answer is not retried; an error answer is the error.
	api.bodies["/workspaces/lock-status"] = `{"is_lock":null}`
	api.bodies["/workspaces"] = `{"site_configs":"x"}`
	api.seen = nil
	if _, err := c.ServiceLock(ctx); err == nil || !strings.Contains(err.Error(), "ShowWorkspaceLock: invalid response") {
		t.Errorf("lock: %v", err)
	}
	if _, err := c.Service(ctx); err == nil || !strings.Contains(err.Error(), "ListWorkspaces: invalid response") {
		t.Errorf("service: %v", err)
	}
	if len(api.seen) != 2 {
		t.Errorf("invalid answers were retried: %q", api.seen)
	}
	delete(api.bodies, "/wks-edge-sites")
	if _, _, err := c.EdgeSites(ctx); err == nil || !strings.Contains(err.Error(), "HTTP 404 WKS.0010") {
		t.Errorf("edge sites: %v", err)
	}
}
