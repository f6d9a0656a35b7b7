package huaweicloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

func quotaFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func qr(typ string, limit, used float64) model.QuotaResource {
	return model.QuotaResource{Type: typ, Limit: limit, HasLimit: true, Used: used, HasUsed: true}
}

// The seed's §4.25.1 example (repaired, see testdata/README.md) decodes:
// nine tenant quotas with cores and Cores both kept, the site whose
// site_id is an integer in the example, and the undocumented
// ies_instances kept as sent.
func TestQuotasSeedExample(t *testing.T) {
	q, err := DecodeQuotas(quotaFixture(t, "list_quotas_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	gb := func(r model.QuotaResource) model.QuotaResource { r.Unit = "GB"; return r }
	want := model.Quotas{
		Tenant: []model.QuotaResource{
			qr("general_instances", 10, 3), qr("volumes", 500, 33), gb(qr("volume_gigabytes", 21500, 2090)),
			qr("cores", 80, 10), gb(qr("Memory", 100, 19)), qr("gpu_instances", 10, 0), qr("users", 3000, 29),
			qr("policy_groups", 10, 0), qr("Cores", 80, 0),
		},
		Sites: []model.SiteQuota{{SiteID: "147258369", Resources: []model.QuotaResource{qr("gpu_instances", 50, 0), qr("ies_instances", 500, 0)}}},
	}
	if !reflect.DeepEqual(q, want) {
		t.Errorf("§4.25.1 example:\n got %+v\nwant %+v", q, want)
	}
}

// The §4.25.2 example is all placeholders: the quota 2147483647 reads as
// no limit, the use 2147483647 as absent; type "string" is kept.
func TestQuotaDetailSeedExample(t *testing.T) {
	res, site, invalid, err := DecodeQuotaDetail(quotaFixture(t, "show_quota_detail_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []model.QuotaResource{{Type: "string", Unit: "string", HasLimit: true, Unlimited: true}}
	if !reflect.DeepEqual(res, want) || site != "string" || invalid != 0 {
		t.Errorf("§4.25.2 example: %+v site %q invalid %d", res, site, invalid)
	}
}

// Every value shape of quota and used: numbers and numeric strings are
// read, -1 and 2147483647 are "no limit" as a quota and absent as a use,
// anything else is absent.
func TestQuotaValues(t *testing.T) {
	for _, tc := range []struct {
		quota, used string
		want        model.QuotaResource
	}{
		{`10`, `3`, qr("t", 10, 3)},
		{`"10"`, `" 3 "`, qr("t", 10, 3)},
		{`10.5`, `0.25`, qr("t", 10.5, 0.25)},
		{`-1`, `5`, model.QuotaResource{Type: "t", HasLimit: true, Unlimited: true, Used: 5, HasUsed: true}},
		{`-7`, `-1`, model.QuotaResource{Type: "t", HasLimit: true, Unlimited: true}},
		{`2147483647`, `2147483647`, model.QuotaResource{Type: "t", HasLimit: true, Unlimited: true}},
		{`0`, `0`, qr("t", 0, 0)},
		{`-0`, `0`, qr("t", 0, 0)},
		{`null`, `null`, model.QuotaResource{Type: "t"}},
		{`true`, `{}`, model.QuotaResource{Type: "t"}},
		{`"0x10"`, `"1e400"`, model.QuotaResource{Type: "t"}},
		{`1e400`, `[]`, model.QuotaResource{Type: "t"}},
		{`""`, `"NaN"`, model.QuotaResource{Type: "t"}},
	} {
		body := fmt.Sprintf(`{"quotas":{"resources":[{"type":"t","quota":%s,"used":%s}]}}`, tc.quota, tc.used)
		q, err := DecodeQuotas([]byte(body))
		if err != nil {
			t.Errorf("%s: %v", body, err)
			continue
		}
		if len(q.Tenant) != 1 || !reflect.DeepEqual(q.Tenant[0], tc.want) {
			t.Errorf("%s: %+v, want %+v", body, q.Tenant, tc.want)
		}
	}
	// Without quota and used the entry is kept with neither.
	q, err := DecodeQuotas([]byte(`{"quotas":{"resources":[{"type":"x"}]}}`))
	if err != nil || !reflect.DeepEqual(q.Tenant, []model.QuotaResource{{Type: "x"}}) {
		t.Errorf("bare entry: %+v %v", q, err)
	}
}

// What a short, missing, mistyped, repeated, oversized or hostile answer
// does: a broken required list fails with an error that says so; skipped
// entries are counted; site_quotas may be absent.
func TestQuotasHostileAnswers(t *testing.T) {
	many := func(n int, item func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = item(i)
		}
		return strings.Join(parts, ",")
	}
	fails := []struct{ body, problem string }{
		{`{}`, "quotas is missing"},
		{`{"quotas":null}`, "quotas is null"},
		{`{"quotas":[]}`, "quotas is not an object but an array"},
		{`{"quotas":{}}`, "quotas.resources is missing"},
		{`{"quotas":{"resources":null}}`, "quotas.resources is null"},
		{`{"quotas":{"resources":"x"}}`, "quotas.resources is not a list but a string"},
		{`{"quotas":{"resources":{}}}`, "quotas.resources is not a list but an object"},
		{`{"quotas":{"resources":[]},"site_quotas":null}`, "site_quotas is null"},
		{`{"quotas":{"resources":[]},"site_quotas":7}`, "site_quotas is not a list but a number"},
		{`{"quotas":{"resources":[]},"site_quotas":[{"site_id":"s"}]}`, "site_quotas[0].resources is missing"},
		{`{"quotas":{"resources":[]},"site_quotas":[{"site_id":"s","resources":{}}]}`, "site_quotas[0].resources is not a list"},
		{`{"quotas":{"resources":[` + many(maxQuotaResources+1, func(i int) string { return fmt.Sprintf(`{"type":"t%d"}`, i) }) + `]}}`, "more than 256 entries"},
		{`{"quotas":{"resources":[]},"site_quotas":[` + many(maxQuotaSites+1, func(i int) string { return fmt.Sprintf(`{"site_id":"s%d","resources":[]}`, i) }) + `]}`, "more than 64 sites"},
		{`[]`, "not a JSON object"},
		{`null`, "not a JSON object"},
		{`"x"`, "not a JSON object"},
		{`{"quotas":{"resources":[]},"pad":"` + strings.Repeat("x", maxObjectBody) + `"}`, "over 1048576 bytes"},
	}
	for _, tc := range fails {
		_, err := DecodeQuotas([]byte(tc.body))
		var inv *client.InvalidResponseError
		if !errors.As(err, &inv) || !strings.Contains(err.Error(), tc.problem) {
			t.Errorf("%.120s: %v, want an invalid response saying %q", tc.body, err, tc.problem)
		}
	}
	for _, body := range []string{``, ` `, `{"quotas":`, `{"quotas":{"resources":[}}`} {
		if _, err := DecodeQuotas([]byte(body)); err == nil {
			t.Errorf("%q decoded", body)
		}
	}

	// Skipped and counted: junk elements, types that are not strings or
	// not label values, a repeated type (the first wins), junk sites, a
	// repeated site ID (the first wins).
	body := `{"quotas":{"resources":[42,null,"x",[1],{"type":""},{"type":7,"quota":1},{"type":"` + strings.Repeat("a", 200) + `"},` +
		`{"type":"a\u0001b"},{"quota":3},{"type":"cores","quota":1,"used":1},{"type":"cores","quota":2,"used":2},{"type":"Cores","quota":3,"used":0},` +
		`{"type":"new_kind","quota":5,"used":1,"extra":{"deep":[1,2]}},{"type":"users","type":"Memory","quota":4,"used":1,"used":2}]},` +
		`"site_quotas":[1,null,{"resources":[]},{"site_id":"","resources":[]},{"site_id":true,"resources":[]},{"site_id":{"a":1},"resources":[]},` +
		`{"site_id":"s1","resources":[{"type":"gpu_instances","quota":1,"used":0},"junk"]},{"site_id":"s1","resources":[]},{"site_id":12,"resources":[]}],` +
		`"unknown":{"x":[1]}}`
	q, err := DecodeQuotas([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := model.Quotas{
		Tenant: []model.QuotaResource{qr("cores", 1, 1), qr("Cores", 3, 0), qr("new_kind", 5, 1), qr("Memory", 4, 2)},
		Sites: []model.SiteQuota{
			{SiteID: "s1", Resources: []model.QuotaResource{qr("gpu_instances", 1, 0)}},
			{SiteID: "12", Resources: nil},
		},
		// 9 tenant entries (42, null, "x", [1], "", 7, too long, control,
		// no type) + 1 repeated cores; sites: 1, null, no id, "", true,
		// object, repeated s1; s1's "junk".
		Invalid: 10 + 7 + 1,
	}
	if !reflect.DeepEqual(q, want) {
		t.Errorf("hostile entries:\n got %+v\nwant %+v", q, want)
	}

	// site_quotas absent: the tenant only.
	q, err = DecodeQuotas([]byte(`{"quotas":{"resources":[{"type":"users","quota":10,"used":1}]}}`))
	if err != nil || len(q.Sites) != 0 || len(q.Tenant) != 1 {
		t.Errorf("no site_quotas: %+v %v", q, err)
	}

	// §4.25.2: resources required the same way.
	for _, tc := range []struct{ body, problem string }{
		{`{"site_id":"s"}`, "resources is missing"},
		{`{"resources":null}`, "resources is null"},
		{`{"resources":"x"}`, "resources is not a list"},
		{`7`, "not a JSON object"},
	} {
		_, _, _, err := DecodeQuotaDetail([]byte(tc.body))
		var inv *client.InvalidResponseError
		if !errors.As(err, &inv) || !strings.Contains(err.Error(), tc.problem) {
			t.Errorf("%s: %v, want %q", tc.body, err, tc.problem)
		}
	}
	res, site, invalid, err := DecodeQuotaDetail([]byte(`{"resources":[{"type":"cores","quota":8,"used":2},null],"site_id":12}`))
	if err != nil || site != "12" || invalid != 1 || !reflect.DeepEqual(res, []model.QuotaResource{qr("cores", 8, 2)}) {
		t.Errorf("detail: %+v %q %d %v", res, site, invalid, err)
	}
}

// Labels and the unit go through the transport's redactor: a secret in a
// type or site ID never reaches a label.
func TestQuotasRedacted(t *testing.T) {
	red := client.NewRedactor(testSK)
	body := `{"quotas":{"resources":[{"type":"x` + testSK + `","quota":1,"used":0,"unit":"` + testSK + `"}]},"site_quotas":[{"site_id":"s` + testSK + `","resources":[]}]}`
	q, err := decodeQuotas([]byte(body), red)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{q.Tenant[0].Type, q.Tenant[0].Unit, q.Sites[0].SiteID} {
		if strings.Contains(s, testSK[:8]) {
			t.Errorf("%q shows the secret", s)
		}
	}
}

// Quotas and SiteQuota send exactly their documented requests, signed,
// and read the answers; skipped entries are counted by the observer; a
// failed answer is an error.
func TestQuotaRequests(t *testing.T) {
	var mu sync.Mutex
	var reqs []string
	detail := `{"resources":[{"type":"gpu_instances","quota":50,"used":1},{"type":"ies_instances","quota":500,"used":0},7],"site_id":"other"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		if r.Header.Get("Authorization") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/quotas"):
			fmt.Fprint(w, `{"quotas":{"resources":[{"type":"cores","quota":80,"used":10},null]},"site_quotas":[{"site_id":"147258369","resources":[]}]}`)
		case r.URL.Query().Get("site_id") == "bad":
			fmt.Fprint(w, `{"resources":null}`)
		default:
			fmt.Fprint(w, detail)
		}
	}))
	defer srv.Close()
	c, obs, _ := newTestClient(t, srv.URL, nil)
	q, err := c.Quotas(context.Background())
	if err != nil || len(q.Tenant) != 1 || len(q.Sites) != 1 || q.Invalid != 1 {
		t.Fatalf("Quotas: %+v %v", q, err)
	}
	sq, err := c.SiteQuota(context.Background(), q.Sites[0].SiteID)
	if err != nil || sq.SiteID != "147258369" || len(sq.Resources) != 2 {
		t.Fatalf("SiteQuota: %+v %v", sq, err)
	}
	if _, err := c.SiteQuota(context.Background(), "bad"); err == nil || !strings.Contains(err.Error(), "resources is null") {
		t.Errorf("bad detail: %v", err)
	}
	if _, err := c.SiteQuota(context.Background(), ""); err == nil {
		t.Error("an empty site ID was asked for")
	}
	want := []string{
		"GET /v2/" + testProject + "/quotas?",
		"GET /v2/" + testProject + "/quotas/detail?" + url.Values{"site_id": {"147258369"}}.Encode(),
		"GET /v2/" + testProject + "/quotas/detail?site_id=bad",
	}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(reqs, want) {
		t.Errorf("requests %q, want %q", reqs, want)
	}
	if obs.invalid != 2 {
		t.Errorf("invalid items observed: %d", obs.invalid)
	}
}
