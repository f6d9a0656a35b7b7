package huaweicloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

// diffRedactor has a secret, so that label values that contain it are
// redacted by both decoders.
var diffRedactor = client.NewRedactor("SECRETsecret0001")

// pageErrorKind sorts a page error as the transport does: none, an
// invalid response (with its problem, which is not retried), or broken
// JSON (retried).
func pageErrorKind(err error) string {
	var inv *client.InvalidResponseError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &inv):
		return "invalid response: " + inv.Problem
	}
	return "broken JSON"
}

// compareDesktopPages decodes body with the fast decoder and the
// reference, and fails on any difference: the kind of error, and every
// field of every desktop, the IDs, the counts and the total.
func compareDesktopPages(t *testing.T, body []byte) {
	t.Helper()
	want, wantErr := oracleDecodeDesktopsPage(body, diffRedactor)
	got, err := client.DecodePageRaw(bytes.NewReader(body), OpListDesktopsDetail, desktopsListKey, desktopsTotalKey, desktopsMaxLimit, decodeDesktop(diffRedactor))
	if pageErrorKind(err) != pageErrorKind(wantErr) {
		t.Fatalf("body %q:\n got error %v\nwant error %v", body, err, wantErr)
	}
	if err != nil {
		return
	}
	if got.Elements != want.elements || got.Invalid != want.inval || got.Total != want.total || got.HasTotal != want.hasTotal {
		t.Fatalf("body %q: elements %d invalid %d total %d/%v; want %d %d %d/%v", body,
			got.Elements, got.Invalid, got.Total, got.HasTotal, want.elements, want.inval, want.total, want.hasTotal)
	}
	if !reflect.DeepEqual(got.IDs, want.ids) {
		t.Fatalf("body %q: ids %q, want %q", body, got.IDs, want.ids)
	}
	if len(got.Items) != len(want.desktops) {
		t.Fatalf("body %q: %d desktops, want %d", body, len(got.Items), len(want.desktops))
	}
	for i := range got.Items {
		if !reflect.DeepEqual(got.Items[i], want.desktops[i]) {
			t.Fatalf("body %q: desktop %d:\n got %+v\nwant %+v", body, i, got.Items[i], want.desktops[i])
		}
	}
}

// compareDesktopElement holds the fast decoder to the reference on one
// element: inside a page, and alone when it is one valid JSON value.
func compareDesktopElement(t *testing.T, elem []byte) {
	t.Helper()
	compareDesktopPages(t, []byte(`{"total_count":1,"desktops":[`+string(elem)+`]}`))
	if !json.Valid(elem) {
		return
	}
	wd, wid, wok, werr := oracleDecodeDesktop(diffRedactor)(json.NewDecoder(bytes.NewReader(elem)))
	var sc client.JSONScanner
	sc.Reset(bytes.TrimSpace(elem))
	gd, gid, gok, gerr := decodeDesktop(diffRedactor)(&sc)
	if gid != wid || gok != wok || (gerr == nil) != (werr == nil) || !reflect.DeepEqual(gd, wd) {
		t.Fatalf("element %q:\n got %+v id %q ok %v err %v\nwant %+v id %q ok %v err %v", elem, gd, gid, gok, gerr, wd, wid, wok, werr)
	}
}

// elementSeeds are tricky desktops: every shape the tolerance tests show,
// and the corners where encoding/json's rules are easy to get wrong.
var elementSeeds = []string{
	// TestDecodeTolerance, TestDecodeWrongShapesKeepThePage, TestDecodeInvalidUTF8.
	`{"desktop_id":"a","status":"REBUILDING_NEW","login_status":null,"task_status":"quantum-tunnelling","process":"42",
	  "in_maintenance_mode":"true","addresses":null,"created":"2022-02-23 04:02:07","product":{"product_id":"p-from-product","cpu":8},
	  "attach_user_infos":[{"user_name":"alice","type":"USER"}],"metadata":{"os_type":"Linux","os_bit":64},"desktop_pool_id":"pool-1",
	  "user_list":"not-a-list","unexpected_new_field":{"nested":[1,2,3]}}`,
	`{"desktop_id":"b","status":"SHUTOFF","process":null,"in_maintenance_mode":"off","addresses":{"net":[{"addr":"10.0.0.1","version":4}],"weird":"x"},"created":1618810632000}`,
	`{"desktop_id":"c","status":7,"addresses":[],"created":"2022-05-07T07:20:08.341609"}`,
	`{"desktop_id":"a","status":"ACTIVE","metadata":"os_type=Linux","product":["x"],"attach_user_infos":{"user_name":"bob"},"ip_addresses":"10.0.0.1"}`,
	`{"desktop_id":"b","status":"SHUTOFF","metadata":{"os_type":"Windows"},"product":{"product_id":"p"},"attach_user_infos":[{"user_name":"eve"}],"ip_addresses":["10.0.0.2"]}`,
	"{\"desktop_id\":\"a\",\"computer_name\":\"PC-\xff\xfe\",\"user_name\":\"\xc3\"}",
	// Not desktops.
	`42`, `"x"`, `null`, `[1]`, `true`, `{}`, `{"desktop_id":""}`, `{"desktop_id":7}`, `{"desktop_id":{"x":1}}`, `{"desktop_id":"a\u0000b"}`,
	// Escapes, surrogates, invalid UTF-8, secrets.
	`{"desktop_id":"caf\u00e9","computer_name":"\ud83d\ude00\ud800\udc00x\ud800","user_name":"tab\there\n","status":"\"q\"\\\/"}`,
	"{\"desktop_id\":\"d\",\"computer_name\":\"\xed\xa0\x80\",\"os_host_name\":\"ok\xe2\x82\",\"site_name\":\"\xef\xbf\xbd\"}",
	`{"desktop_id":"d","computer_name":"host-SECRETsecret0001-x","user_name":"SECRETsec","status":"` + strings.Repeat("long", 50) + `"}`,
	// Case-insensitive names, Unicode folding (ſ is s, K is k), escaped names.
	`{"DESKTOP_ID":"a","Status":"ACTIVE","LOGIN_status":"x","ta\u017fk_status":"t","de\u0073ktop_type":"D","Metadata":{"OS_TYPE":"Linux"}}`,
	"{\"desktop_id\":\"a\",\"ta\u017fk_\u017ftatu\u017f\":\"folded\",\"desktop_\u212atype\":\"no\",\"\u212aey\":1}",
	`{"desktop_id":"a","desktop_id ":"b","desktopid":"c"}`,
	// Repeated members: the last wins; a value of the wrong type for a list
	// or an object leaves the earlier one; objects merge.
	`{"desktop_id":"a","desktop_id":"b","status":"A","status":null,"process":1,"process":"x"}`,
	`{"desktop_id":"a","product":{"product_id":"p1"},"product":{"cpu":1},"metadata":{"os_type":"L"},"metadata":null,"metadata":{"charging_mode":"1"}}`,
	`{"desktop_id":"a","product":{"product_id":"p1"},"product":"x","ip_addresses":["1"],"ip_addresses":7,"ip_addresses":{"a":1}}`,
	`{"desktop_id":"a","ip_addresses":["1","2"],"ip_addresses":null}`, `{"desktop_id":"a","ip_addresses":["1","2"],"ip_addresses":[]}`,
	`{"desktop_id":"a","ip_addresses":[null,{"x":1},[2],3,true,"s"]}`,
	`{"desktop_id":"a","attach_user_infos":[{"user_name":"u0"},{"user_name":"u1"},{"user_name":"u2"}],"attach_user_infos":[{"type":"x"}]}`,
	`{"desktop_id":"a","attach_user_infos":[{"user_name":""},{"user_name":"u1"},{"user_name":"u2"}],"attach_user_infos":[{}],"attach_user_infos":[{},{},{}]}`,
	`{"desktop_id":"a","attach_user_infos":[{"user_name":"u0"}],"attach_user_infos":[],"attach_user_infos":[{}]}`,
	`{"desktop_id":"a","attach_user_infos":[{"user_name":"u0"}],"attach_user_infos":null,"attach_user_infos":[{}]}`,
	`{"desktop_id":"a","attach_user_infos":[null,5,{"user_name":7},{"USER_NAME":"x"}],"user_name":null}`,
	`{"desktop_id":"a","attach_user_infos":[{"user_name":"a"}],"attach_user_infos":"x","attach_user_infos":{"user_name":"b"}}`,
	// Booleans, progress and times in every shape.
	`{"desktop_id":"a","in_maintenance_mode":"ON","process":" 7 "}`, `{"desktop_id":"a","in_maintenance_mode":1,"process":1.9}`,
	`{"desktop_id":"a","in_maintenance_mode":"YES","process":"-3"}`, `{"desktop_id":"a","in_maintenance_mode":"\"true\"","process":"1e3"}`,
	"{\"desktop_id\":\"a\",\"in_maintenance_mode\":\"\u212a\",\"process\":\"\u00a042\"}", `{"desktop_id":"a","in_maintenance_mode":true,"process":"nan"}`,
	`{"desktop_id":"a","in_maintenance_mode":{"x":1},"process":[1]}`, `{"desktop_id":"a","process":99999999999999999999}`,
	`{"desktop_id":"a","process":"-"}`, `{"desktop_id":"a","process":-0}`, `{"desktop_id":"a","process":"+5"}`, `{"desktop_id":"a","process":""}`,
	`{"desktop_id":"a","created":"2022-02-23T04:02:07Z"}`, `{"desktop_id":"a","created":"2022-02-23T04:02:07.123+08:00"}`,
	`{"desktop_id":"a","created":"2022-02-23T04:02+08:00"}`, `{"desktop_id":"a","created":"2022-02-23"}`, `{"desktop_id":"a","created":" 2022-02-23 "}`,
	`{"desktop_id":"a","created":1618810632000}`, `{"desktop_id":"a","created":"1618810632000"}`, `{"desktop_id":"a","created":"yesterday"}`,
	// Addresses in every shape.
	`{"desktop_id":"a","addresses":{"n2":[{"addr":"2"}],"n1":[{"addr":"1a"},{"addr":"1b"}],"n0":null,"n3":[]}}`,
	`{"desktop_id":"a","addresses":{"n":[{"addr":"1"}],"n":[{"addr":"2"}]}}`, `{"desktop_id":"a","addresses":{"n":[{"addr":"1"}],"n":"x"}}`,
	`{"desktop_id":"a","addresses":{"n":[null,{"ADDR":"1","Version":6,"os-ext-ips-mac:MAC_ADDR":"m","OS-EXT-IPS:TYPE":"fixed"}]}}`,
	`{"desktop_id":"a","addresses":{"n":[1]}}`, `{"desktop_id":"a","addresses":{"n":{"addr":"1"}}}`, `{"desktop_id":"a","addresses":{}}`,
	`{"desktop_id":"a","addresses":[{"addr":"1","addr":"2"},null]}`, `{"desktop_id":"a","addresses":[{"addr":"1"},"x"]}`,
	`{"desktop_id":"a","addresses":"x"}`, `{"desktop_id":"a","addresses":[{"addr":"1"}],"addresses":null}`,
	`{"desktop_id":"a","addresses":{"caf\u00e9":[{"addr":"1"}],"cafe":[{"addr":"2"}],"\ud800":[{}]}}`,
	// Nesting at encoding/json's limit and past it.
	`{"desktop_id":"a","x":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
	`{"desktop_id":"a","x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
	// Broken JSON.
	`{"desktop_id":"a"`, `{"desktop_id":}`, `{"desktop_id":"a",}`, `{"desktop_id" "a"}`, `{"a":1}]}`, `{"a":01}`, `{"a":"\x"}`,
}

// fixtureElements are the desktops of every testdata example.
func fixtureElements(tb testing.TB) [][]byte {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no fixtures: %v", err)
	}
	var out [][]byte
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		var page struct {
			Desktops []json.RawMessage `json:"desktops"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			tb.Fatal(err)
		}
		for _, d := range page.Desktops {
			out = append(out, d)
		}
	}
	return out
}

// simPage returns a page of n desktops exactly as the simulator serves it,
// captured on the wire.
func simPage(tb testing.TB, n int) []byte {
	tb.Helper()
	sim, err := hwsim.New(hwsim.Options{
		ProjectID:   testProject,
		Credentials: []simulator.Credential{{AccessKey: testAK, SecretKey: testSK}},
		Desktops:    n,
		Seed:        42,
	})
	if err != nil {
		tb.Fatal(err)
	}
	for range 20 {
		sim.Step() // tasks in progress, sessions, a realistic mix
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer sim.Close()
	rec := &recordingTransport{rt: http.DefaultTransport}
	c, err := New(Config{Endpoint: url, ProjectID: testProject, AccessKey: testAK, SecretKey: testSK, HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.ListDesktops(context.Background()); err != nil {
		tb.Fatal(err)
	}
	if len(rec.bodies) == 0 {
		tb.Fatal("no page recorded")
	}
	return rec.bodies[0]
}

type recordingTransport struct {
	rt     http.RoundTripper
	mu     sync.Mutex
	bodies [][]byte
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

var (
	simPageOnce sync.Once
	simPage500  []byte
)

// realisticPage is a full simulator page (the first 500 of a fleet of
// 600 after some churn), captured once.
func realisticPage(tb testing.TB) []byte {
	simPageOnce.Do(func() { simPage500 = simPage(tb, 600) })
	if simPage500 == nil {
		tb.Fatal("no simulator page")
	}
	return simPage500
}

func TestDesktopDecoderMatchesEncodingJSON(t *testing.T) {
	for _, e := range elementSeeds {
		compareDesktopElement(t, []byte(e))
	}
	for _, e := range fixtureElements(t) {
		compareDesktopElement(t, e)
	}
	for _, f := range []string{"testdata/desktops_detail_seed002.json", "testdata/desktops_detail_seed003.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		compareDesktopPages(t, b)
	}
	page := realisticPage(t)
	compareDesktopPages(t, page)
	// The same page as one-element pages: each desktop alone.
	var p struct {
		Desktops []json.RawMessage `json:"desktops"`
	}
	if err := json.Unmarshal(page, &p); err != nil || len(p.Desktops) != desktopsMaxLimit {
		t.Fatalf("simulator page: %v, %d desktops", err, len(p.Desktops))
	}
	for _, d := range p.Desktops[:50] {
		compareDesktopElement(t, d)
	}
}

// FuzzDesktopDecoderMatchesEncodingJSON: for any element bytes, the fast
// decoder and the encoding/json reference agree on whether the page is
// broken, on whether the element is a desktop, and on every field of it.
func FuzzDesktopDecoderMatchesEncodingJSON(f *testing.F) {
	for _, e := range elementSeeds {
		if len(e) < 2000 {
			f.Add([]byte(e))
		}
	}
	for _, e := range fixtureElements(f) {
		f.Add(e)
	}
	var p struct {
		Desktops []json.RawMessage `json:"desktops"`
	}
	if err := json.Unmarshal(realisticPage(f), &p); err != nil {
		f.Fatal(err)
	}
	for _, d := range p.Desktops[:8] {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, elem []byte) {
		compareDesktopElement(t, elem)
	})
}

// The decoder's behaviour where it is easy to get wrong, spelled out.
func TestDecodeDesktopEncodingJSONRules(t *testing.T) {
	dec := func(elem string) (Desktop, bool) {
		var sc client.JSONScanner
		sc.Reset([]byte(elem))
		d, _, ok, err := decodeDesktop(&client.Redactor{})(&sc)
		if err != nil {
			t.Fatal(err)
		}
		return d, ok
	}
	// Member names match case-insensitively, with Unicode folding.
	if d, _ := dec("{\"DESKTOP_ID\":\"a\",\"\u017ftatus\":\"ACTIVE\",\"ta\u017fk_status\":\"t\"}"); d.ID != "a" || d.Status != "ACTIVE" || d.TaskStatus != "t" {
		t.Errorf("folded names: %+v", d)
	}
	// The last of a repeated member wins, null included.
	if d, _ := dec(`{"desktop_id":"a","status":"A","status":"B","login_status":"X","login_status":null}`); d.Status != "B" || d.LoginStatus != "" {
		t.Errorf("repeated members: %+v", d)
	}
	// A repeated object is merged; one of the wrong type is ignored.
	if d, _ := dec(`{"desktop_id":"a","product":{"product_id":"p"},"product":{"cpu":1},"product":"x"}`); d.ProductID != "p" {
		t.Errorf("merged product: %+v", d)
	}
	// A shorter repeated attach_user_infos decodes over the earlier list,
	// whose later entries show again when a longer one follows.
	if d, _ := dec(`{"desktop_id":"a","attach_user_infos":[{"user_name":""},{"user_name":"u1"}],"attach_user_infos":[{}],"attach_user_infos":[{},{}]}`); d.UserName != "u1" {
		t.Errorf("attach_user_infos: %+v", d)
	}
	// null is an empty desktop (no ID: invalid); other non-objects are not desktops.
	if d, ok := dec(`null`); !ok || d.ID != "" {
		t.Errorf("null: %+v %v", d, ok)
	}
	if _, ok := dec(`[{"desktop_id":"a"}]`); ok {
		t.Error("an array is a desktop")
	}
}

// Nesting deeper than encoding/json's 10,000 levels is broken JSON, not a
// stack overflow.
func TestDecodeDeepNesting(t *testing.T) {
	for _, depth := range []int{9999, 10000, 1 << 20} {
		body := `{"desktops":[{"desktop_id":"a","x":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}],"total_count":1}`
		ds, _, _, _, err := DecodeDesktopsPage([]byte(body))
		if depth < 10000 && (err != nil || len(ds) != 1) {
			t.Errorf("depth %d (%d with the element): %v", depth, depth+1, err)
		}
		if depth >= 10000 && (err == nil || !strings.Contains(err.Error(), "exceeded max depth")) {
			t.Errorf("depth %d (%d with the element): %v", depth, depth+1, err)
		}
	}
}

// Decoding a desktop allocates its unique strings and its lists only:
// repeated values are interned.
func TestDecodeDesktopAllocs(t *testing.T) {
	page := realisticPage(t)
	var p struct {
		Desktops []json.RawMessage `json:"desktops"`
	}
	if err := json.Unmarshal(page, &p); err != nil {
		t.Fatal(err)
	}
	red, in := client.NewRedactor(testSK, testAK), new(interner) // (the race detector empties sync.Pools at random)
	var sc client.JSONScanner
	allocs := testing.AllocsPerRun(100, func() {
		sc.Reset(p.Desktops[1])
		if _, ok := decodeDesktopJSON(&sc, red, in); !ok {
			t.Fatal("not decoded")
		}
	})
	// ID, computer name, user name, created, IP list and IP, address list,
	// address and MAC.
	if allocs > 10 {
		t.Errorf("%v allocations per desktop", allocs)
	}
	t.Logf("%v allocations per desktop", allocs)
}

func BenchmarkDecodeDesktopsPage500(b *testing.B) {
	page := realisticPage(b)
	b.Run("scanner", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			ds, _, _, _, err := DecodeDesktopsPage(page)
			if err != nil || len(ds) != desktopsMaxLimit {
				b.Fatal(err, len(ds))
			}
		}
	})
	b.Run("encoding-json-reference", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		red := &client.Redactor{}
		for b.Loop() {
			p, err := oracleDecodeDesktopsPage(page, red)
			if err != nil || len(p.desktops) != desktopsMaxLimit {
				b.Fatal(err, len(p.desktops))
			}
		}
	})
}
