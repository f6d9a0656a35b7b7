package huaweicloud

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// The faults that play a hostile API are package simulator's, tested there
// on a toy provider; these tests hold ListDesktopsDetail, the desktops'
// encoding and the SDK-signed requests to them.

// rawList is a list body whose elements are kept as raw JSON.
type rawList struct {
	Desktops   []json.RawMessage `json:"desktops"`
	TotalCount *int              `json:"total_count"`
}

// pageAt fetches the page at offset with the given limit and wants 200.
func pageAt(t *testing.T, base string, offset, limit int) listBody {
	t.Helper()
	r, lb := list(t, base, map[string]any{"offset": strconv.Itoa(offset), "limit": strconv.Itoa(limit)})
	if r.status != http.StatusOK {
		t.Fatalf("offset %d: status %d: %s", offset, r.status, r.body)
	}
	return lb
}

// rawPageAt is pageAt keeping the elements as raw JSON.
func rawPageAt(t *testing.T, base string, offset, limit int) rawList {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{query: map[string]any{"offset": strconv.Itoa(offset), "limit": strconv.Itoa(limit)}}))
	var rl rawList
	if r.status != http.StatusOK {
		t.Fatalf("offset %d: status %d: %s", offset, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &rl); err != nil {
		t.Fatalf("offset %d: %v: %s", offset, err, r.body)
	}
	return rl
}

func idsOf(ds []Desktop) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.DesktopID
	}
	return out
}

// checkPage wants the page's ids and total_count.
func checkPage(t *testing.T, what string, lb listBody, ids []string, total int) {
	t.Helper()
	if got := idsOf(lb.Desktops); !slices.Equal(got, ids) {
		t.Errorf("%s: ids %v, want %v", what, got, ids)
	}
	if lb.TotalCount == nil || *lb.TotalCount != total {
		t.Errorf("%s: total_count %s, want %d", what, deref(lb.TotalCount), total)
	}
}

func TestFaultShortPage(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	all := idsOf(s.Desktops())
	s.InjectFault(simulator.Fault{Kind: simulator.FaultShortPage, Count: 1})
	checkPage(t, "default", pageAt(t, base, 10, 10), all[10:15], 30)
	s.InjectFault(simulator.Fault{Kind: simulator.FaultShortPage, Count: 2, Items: 3})
	checkPage(t, "Items 3", pageAt(t, base, 0, 10), all[0:7], 30)
	checkPage(t, "Items 3, second", pageAt(t, base, 0, 10), all[0:7], 30)
	checkPage(t, "expired", pageAt(t, base, 0, 10), all[0:10], 30)
	s.InjectFault(simulator.Fault{Kind: simulator.FaultShortPage, Count: 1})
	checkPage(t, "one-desktop page", pageAt(t, base, 29, 10), []string{}, 30)
	s.InjectFault(simulator.Fault{Kind: simulator.FaultShortPage, Count: 1, Items: 50})
	checkPage(t, "more than the page", pageAt(t, base, 0, 10), []string{}, 30)
}

func TestFaultOffsetsFilter(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	all := idsOf(s.Desktops())
	s.InjectFault(simulator.Fault{Kind: simulator.FaultShortPage, Count: 1, Items: 9, Offsets: []int{10}})
	checkPage(t, "offset 0", pageAt(t, base, 0, 10), all[0:10], 30)
	checkPage(t, "offset 20", pageAt(t, base, 20, 10), all[20:30], 30)
	checkPage(t, "offset 10", pageAt(t, base, 10, 10), all[10:11], 30)
	checkPage(t, "offset 10, expired", pageAt(t, base, 10, 10), all[10:20], 30)

	// A probability fault on the first page only; an absent offset is 0.
	s.InjectFault(simulator.Fault{Kind: simulator.FaultServerError, Probability: 1, Offsets: []int{0}})
	if r, _ := list(t, base, nil); r.status != 500 {
		t.Errorf("no offset: %d, want 500", r.status)
	}
	if r, _ := list(t, base, map[string]any{"offset": "0"}); r.status != 500 {
		t.Errorf("offset 0: %d, want 500", r.status)
	}
	checkPage(t, "offset 10", pageAt(t, base, 10, 10), all[10:20], 30)
	// An invalid offset matches no Offsets list and gets its 400.
	if r, _ := list(t, base, map[string]any{"offset": "-1"}); r.status != 400 {
		t.Errorf("offset -1: %d, want 400", r.status)
	}
}

func TestFaultBadList(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	for variant, want := range map[string]string{
		"":        `{"total_count":30}`,
		"missing": `{"total_count":30}`,
		"null":    `{"desktops":null,"total_count":30}`,
		"object":  `{"desktops":{},"total_count":30}`,
		"string":  `{"desktops":"x","total_count":30}`,
		"number":  `{"desktops":7,"total_count":30}`,
	} {
		s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Count: 1, Variant: variant})
		r := do(t, sdkRequest(t, base, signed{query: map[string]any{"limit": "10"}}))
		if r.status != 200 || string(r.body) != want {
			t.Errorf("variant %q: %d %s, want %s", variant, r.status, r.body, want)
		}
		checkCommonHeaders(t, "bad_list", r.header)
		if lb := pageAt(t, base, 0, 10); len(lb.Desktops) != 10 {
			t.Errorf("variant %q did not expire", variant)
		}
	}
	// total_count follows the simulator.TotalCountMode.
	s.SetTotalCountMode(simulator.TotalOmitted)
	s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Count: 1, Variant: "null"})
	if r := do(t, sdkRequest(t, base, signed{})); string(r.body) != `{"desktops":null}` {
		t.Errorf("simulator.TotalOmitted: %s", r.body)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Count: 1})
	if r := do(t, sdkRequest(t, base, signed{})); string(r.body) != `{}` {
		t.Errorf("simulator.TotalOmitted, missing: %s", r.body)
	}
}

func TestFaultOversizedPage(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	s.InjectFault(simulator.Fault{Kind: simulator.FaultOversizedPage, Count: 1, Items: 5000})
	resp, err := http.DefaultClient.Do(sdkRequest(t, base, signed{query: map[string]any{"limit": "10"}}))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.ContentLength != -1 || !slices.Equal(resp.TransferEncoding, []string{"chunked"}) {
		t.Errorf("status %d, Content-Length %d, Transfer-Encoding %v; want a chunked 200", resp.StatusCode, resp.ContentLength, resp.TransferEncoding)
	}
	checkCommonHeaders(t, "oversized_page", resp.Header)
	var lb listBody
	if err := json.Unmarshal(body, &lb); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if len(lb.Desktops) != 5000 || lb.TotalCount == nil || *lb.TotalCount != 5000 {
		t.Fatalf("%d desktops, total_count %s; want 5000", len(lb.Desktops), deref(lb.TotalCount))
	}
	seen := map[string]bool{}
	for _, d := range lb.Desktops {
		if seen[d.DesktopID] || !strings.HasPrefix(d.DesktopID, "oversize-") || d.Status != "ACTIVE" {
			t.Fatalf("bad or repeated element %+v", d)
		}
		seen[d.DesktopID] = true
	}
	if lb.Desktops[0].DesktopID != "oversize-00000001" || lb.Desktops[4999].DesktopID != "oversize-00005000" {
		t.Errorf("ids %s .. %s", lb.Desktops[0].DesktopID, lb.Desktops[4999].DesktopID)
	}
	if lb := pageAt(t, base, 0, 10); len(lb.Desktops) != 10 {
		t.Errorf("after expiry: %d desktops", len(lb.Desktops))
	}
	// The counters are updated after the response is sent.
	eventually(t, "both requests to be counted as 200", func() bool {
		return s.RequestsByStatus(hwspec.OpListDesktopsDetail)[200] == 2
	})
}

func TestFaultJunkItems(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	real := rawPageAt(t, base, 10, 10)
	s.InjectFault(simulator.Fault{Kind: simulator.FaultJunkItems, Count: 1})
	got := rawPageAt(t, base, 10, 10)
	want := []string{`42`, `"junk"`, `null`, `[1,2]`, `{"status":"ACTIVE"}`}
	for _, d := range real.Desktops[5:] {
		want = append(want, string(d))
	}
	check := func(what string, got rawList, want []string) {
		t.Helper()
		if len(got.Desktops) != len(want) || got.TotalCount == nil || *got.TotalCount != 30 {
			t.Fatalf("%s: %d elements, total_count %s", what, len(got.Desktops), deref(got.TotalCount))
		}
		for i, el := range got.Desktops {
			if string(el) != want[i] {
				t.Errorf("%s: element %d is %.60s, want %.60s", what, i, el, want[i])
			}
		}
	}
	check("default", got, want)
	s.InjectFault(simulator.Fault{Kind: simulator.FaultJunkItems, Count: 1, Items: 9})
	want = append([]string{`42`, `"junk"`, `null`, `[1,2]`, `{"status":"ACTIVE"}`, `{"desktop_id":"","status":"ERROR"}`, `true`, `42`, `"junk"`}, string(real.Desktops[9]))
	check("Items 9", rawPageAt(t, base, 10, 10), want)
	s.InjectFault(simulator.Fault{Kind: simulator.FaultJunkItems, Count: 1, Items: 50})
	check("more than the page", rawPageAt(t, base, 25, 10), []string{`42`, `"junk"`, `null`, `[1,2]`, `{"status":"ACTIVE"}`})
	var plain []string
	for _, d := range real.Desktops {
		plain = append(plain, string(d))
	}
	check("expired", rawPageAt(t, base, 10, 10), plain)
}

func TestFaultIgnoreOffset(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	all := idsOf(s.Desktops())
	s.InjectFault(simulator.Fault{Kind: simulator.FaultIgnoreOffset, Count: 1})
	// Offset 0 does not match, so it does not use the count up.
	checkPage(t, "offset 0", pageAt(t, base, 0, 10), all[0:10], 30)
	checkPage(t, "offset 10", pageAt(t, base, 10, 10), all[0:10], 30)
	checkPage(t, "expired", pageAt(t, base, 10, 10), all[10:20], 30)
	s.InjectFault(simulator.Fault{Kind: simulator.FaultIgnoreOffset, Probability: 1})
	checkPage(t, "past the end", pageAt(t, base, 100, 7), all[0:7], 30)
}

func TestFaultEnumFlood(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	real := pageAt(t, base, 0, 30).Desktops
	s.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Probability: 1})
	first, second := pageAt(t, base, 0, 30).Desktops, pageAt(t, base, 0, 30).Desktops
	if !reflect.DeepEqual(first, second) {
		t.Error("flooded values differ between requests")
	}
	seen := map[string]bool{}
	for i, d := range first {
		want := "FLOOD_" + real[i].DesktopID
		if d.Status != want || d.LoginStatus != want || d.TaskStatus != want || seen[want] {
			t.Errorf("desktop %d: status %q login_status %q task_status %q, want unique %q", i, d.Status, d.LoginStatus, d.TaskStatus, want)
		}
		seen[want] = true
		d.Status, d.LoginStatus, d.TaskStatus = real[i].Status, real[i].LoginStatus, real[i].TaskStatus
		if !reflect.DeepEqual(d, real[i]) {
			t.Errorf("desktop %d: other fields changed", i)
		}
	}
	// Pages overlap consistently, and only the named fields change.
	s.ClearFaults()
	s.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Count: 1, Fields: []string{"login_status"}})
	for i, d := range pageAt(t, base, 5, 10).Desktops {
		r := real[5+i]
		if d.LoginStatus != "FLOOD_"+r.DesktopID || d.Status != r.Status || d.TaskStatus != r.TaskStatus {
			t.Errorf("login_status only, desktop %d: %q %q %q", 5+i, d.Status, d.LoginStatus, d.TaskStatus)
		}
	}
	if d := pageAt(t, base, 0, 1).Desktops[0]; d.LoginStatus != real[0].LoginStatus {
		t.Errorf("after expiry: login_status %q", d.LoginStatus)
	}
}

func TestFaultEnumFloodCustomDesktops(t *testing.T) {
	s, base := startSim(t, testOptions(0))
	s.SetDesktops([]Desktop{{DesktopID: "a", Status: "ACTIVE"}, {DesktopID: "b", Status: "SHUTOFF"}})
	s.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Count: 1, Fields: []string{"status", "task_status"}})
	got := pageAt(t, base, 0, 10).Desktops
	if len(got) != 2 || got[0].Status != "FLOOD_a" || got[1].TaskStatus != "FLOOD_b" || got[1].LoginStatus != "" {
		t.Errorf("got %+v", got)
	}
	if got := s.Desktops(); got[0].Status != "ACTIVE" || got[1].TaskStatus != "" {
		t.Errorf("the fault changed the fleet: %+v", got)
	}
}

func TestFaultTotalDrift(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	all := idsOf(s.Desktops())
	s.InjectFault(simulator.Fault{Kind: simulator.FaultTotalDrift, Count: 1})
	checkPage(t, "default", pageAt(t, base, 10, 10), all[10:20], 31)
	s.InjectFault(simulator.Fault{Kind: simulator.FaultTotalDrift, Count: 1, Delta: -40})
	checkPage(t, "negative", pageAt(t, base, 0, 10), all[0:10], -10)
	checkPage(t, "expired", pageAt(t, base, 0, 10), all[0:10], 30)
	// The drift applies to the exact total whatever the mode.
	s.SetTotalCountMode(simulator.TotalOmitted)
	s.InjectFault(simulator.Fault{Kind: simulator.FaultTotalDrift, Count: 1, Delta: 5})
	checkPage(t, "simulator.TotalOmitted", pageAt(t, base, 0, 10), all[0:10], 35)
}

func TestFaultDuplicate(t *testing.T) {
	s, base := startSim(t, testOptions(25))
	all := idsOf(s.Desktops())
	s.InjectFault(simulator.Fault{Kind: simulator.FaultDuplicate, Count: 1})
	checkPage(t, "offset 0", pageAt(t, base, 0, 10), all[0:10], 25)
	checkPage(t, "offset 10", pageAt(t, base, 10, 10), append([]string{all[9]}, all[11:20]...), 25)
	checkPage(t, "expired", pageAt(t, base, 10, 10), all[10:20], 25)
	s.InjectFault(simulator.Fault{Kind: simulator.FaultDuplicate, Probability: 1})
	checkPage(t, "last page", pageAt(t, base, 20, 10), append([]string{all[19]}, all[21:25]...), 25)
	checkPage(t, "one-desktop page", pageAt(t, base, 24, 10), all[23:24], 25)
	checkPage(t, "empty page", pageAt(t, base, 25, 10), []string{}, 25)

	// With a filter, the previous desktop is the previous match.
	s.ClearFaults()
	byStatus := map[string][]string{}
	status := ""
	for _, d := range s.Desktops() {
		byStatus[d.Status] = append(byStatus[d.Status], d.DesktopID)
		if len(byStatus[d.Status]) > len(byStatus[status]) {
			status = d.Status
		}
	}
	matching := byStatus[status]
	if len(matching) < 3 {
		t.Fatalf("only %d desktops with status %s", len(matching), status)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultDuplicate, Count: 1})
	_, lb := list(t, base, map[string]any{"status": status, "offset": "2", "limit": "2"})
	checkPage(t, "filtered", lb, append([]string{matching[1]}, matching[3:min(4, len(matching))]...), len(matching))
}

// TestPageFaultsPassThrough: page faults leave 400 answers alone and alter
// the simulator's page rather than a ServeVerbatim body.
func TestPageFaultsPassThrough(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	for _, k := range []simulator.FaultKind{simulator.FaultShortPage, simulator.FaultBadList, simulator.FaultJunkItems, simulator.FaultIgnoreOffset, simulator.FaultEnumFlood, simulator.FaultTotalDrift, simulator.FaultDuplicate} {
		s.InjectFault(simulator.Fault{Kind: k, Count: 1})
		r, _ := list(t, base, map[string]any{"offset": "10", "limit": "0"})
		if r.status != 400 || errorCode(t, r) != "WKS.0509" {
			t.Errorf("%s: %d %s, want the 400 of limit=0", k, r.status, r.body)
		}
	}
	s.ServeVerbatim(hwspec.OpListDesktopsDetail, 200, []byte(`{"desktops":[],"total_count":0}`))
	s.InjectFault(simulator.Fault{Kind: simulator.FaultTotalDrift, Count: 1, Delta: 2})
	if lb := pageAt(t, base, 0, 10); len(lb.Desktops) != 10 || *lb.TotalCount != 32 {
		t.Errorf("with ServeVerbatim: %d desktops, total %d", len(lb.Desktops), *lb.TotalCount)
	}
	if lb := pageAt(t, base, 0, 10); len(lb.Desktops) != 0 {
		t.Errorf("verbatim after expiry: %d desktops", len(lb.Desktops))
	}
}

func newRecorder(t *testing.T) *simulator.Recorder {
	t.Helper()
	rec, err := simulator.NewRecorder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rec.Close(); err != nil {
			t.Errorf("simulator.Recorder.Close: %v", err)
		}
	})
	return rec
}

// noRedirects is a client that returns redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestFaultRedirect(t *testing.T) {
	s, base := startSim(t, testOptions(3))
	rec := newRecorder(t)
	target := rec.URL() + "/v2/elsewhere/desktops/detail?limit=5"
	for _, c := range []struct{ status, want int }{{0, 302}, {301, 301}, {303, 303}, {307, 307}, {308, 308}} {
		s.InjectFault(simulator.Fault{Kind: simulator.FaultRedirect, Count: 1, Status: c.status, Location: target})
		resp, err := noRedirects.Do(sdkRequest(t, base, signed{}))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || resp.Header.Get("Location") != target || len(body) != 0 || resp.ContentLength != 0 {
			t.Errorf("Status %d: %d Location %q body %q", c.status, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
	if r := do(t, sdkRequest(t, base, signed{})); r.status != 200 {
		t.Errorf("after expiry: %d", r.status)
	}

	// A client that follows the redirect lands on the simulator.Recorder.
	s.InjectFault(simulator.Fault{Kind: simulator.FaultRedirect, Count: 1, Location: target})
	r := do(t, sdkRequest(t, base, signed{}))
	if r.status != 200 || string(r.body) != `{"desktops":[],"total_count":0}` {
		t.Errorf("followed redirect: %d %s", r.status, r.body)
	}
	got := rec.Requests()
	if len(got) != 1 {
		t.Fatalf("simulator.Recorder got %d requests", len(got))
	}
	g := got[0]
	if g.Method != "GET" || g.URL != "/v2/elsewhere/desktops/detail?limit=5" || g.Host != strings.TrimPrefix(rec.URL(), "http://") || g.Header.Get("X-Sdk-Date") == "" {
		t.Errorf("recorded %+v", g)
	}
}

func TestFaultEchoSecret(t *testing.T) {
	s, base := startSim(t, testOptions(3))
	x := strings.Repeat
	for _, c := range []struct {
		name              string
		f                 simulator.Fault
		req               signed
		status            int
		code, msg, header string
	}{
		{"padded", simulator.Fault{}, signed{}, 400,
			x("x", 100) + testSK, x("x", 1000) + testSK + " " + testAK, x("x", 300) + testSK},
		{"temporary", simulator.Fault{Status: 503, Variant: simulator.EchoPadded}, signed{ak: testTempAK, sk: testTempSK, token: testToken}, 503,
			x("x", 100) + testTempSK, x("x", 1000) + testTempSK + " " + testTempAK + " " + testToken, x("x", 300) + testTempSK},
		{"start", simulator.Fault{Status: 403, Variant: simulator.EchoStart}, signed{}, 403,
			testSK, testSK + " " + testAK, testSK},
	} {
		f := c.f
		f.Kind, f.Count = simulator.FaultEchoSecret, 1
		s.InjectFault(f)
		r := do(t, sdkRequest(t, base, c.req))
		var e apiErrorBody
		if err := json.Unmarshal(r.body, &e); err != nil {
			t.Fatalf("%s: %v: %s", c.name, err, r.body)
		}
		if r.status != c.status || e.Code != c.code || e.Msg != c.msg || e.Detail != "" {
			t.Errorf("%s: %d error_code %q error_msg %q error_detail %q", c.name, r.status, e.Code, e.Msg, e.Detail)
		}
		if r.header.Get("X-Request-Id") != c.header || r.header.Get("X-Echo") != c.header {
			t.Errorf("%s: X-Request-Id %q X-Echo %q", c.name, r.header.Get("X-Request-Id"), r.header.Get("X-Echo"))
		}
	}
	if r := do(t, sdkRequest(t, base, signed{})); r.status != 200 || len(r.header.Get("X-Request-Id")) != 32 {
		t.Errorf("after expiry: %d X-Request-Id %q", r.status, r.header.Get("X-Request-Id"))
	}
}

// TestEnumFloodFieldsAreTheDesktops: enum_flood may name a desktop's
// status, login_status and task_status (all three by default:
// TestFaultEnumFlood), nothing else.
func TestEnumFloodFieldsAreTheDesktops(t *testing.T) {
	s, err := New(testOptions(1))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := simulator.ParseFaults("enum_flood=task_status+colour:0.5")
	if err != nil {
		t.Fatal(err)
	}
	want := `enum_flood fault: Fields may name status, login_status and task_status, got "colour"`
	if err := s.CheckFault(parsed[0]); err == nil || err.Error() != want {
		t.Errorf("CheckFault: %v, want %s", err, want)
	}
	func() {
		defer func() {
			if p := recover(); p != "simulator: InjectFault: "+want {
				t.Errorf("InjectFault: panic %v", p)
			}
		}()
		s.InjectFault(parsed[0])
	}()
	for _, field := range desktopFloodFields {
		if err := s.CheckFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Count: 1, Fields: []string{field}}); err != nil {
			t.Errorf("%s: %v", field, err)
		}
	}
}
