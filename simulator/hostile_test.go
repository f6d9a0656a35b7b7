package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

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
	s.InjectFault(Fault{Kind: FaultShortPage, Count: 1})
	checkPage(t, "default", pageAt(t, base, 10, 10), all[10:15], 30)
	s.InjectFault(Fault{Kind: FaultShortPage, Count: 2, Items: 3})
	checkPage(t, "Items 3", pageAt(t, base, 0, 10), all[0:7], 30)
	checkPage(t, "Items 3, second", pageAt(t, base, 0, 10), all[0:7], 30)
	checkPage(t, "expired", pageAt(t, base, 0, 10), all[0:10], 30)
	s.InjectFault(Fault{Kind: FaultShortPage, Count: 1})
	checkPage(t, "one-desktop page", pageAt(t, base, 29, 10), []string{}, 30)
	s.InjectFault(Fault{Kind: FaultShortPage, Count: 1, Items: 50})
	checkPage(t, "more than the page", pageAt(t, base, 0, 10), []string{}, 30)
}

func TestFaultOffsetsFilter(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	all := idsOf(s.Desktops())
	s.InjectFault(Fault{Kind: FaultShortPage, Count: 1, Items: 9, Offsets: []int{10}})
	checkPage(t, "offset 0", pageAt(t, base, 0, 10), all[0:10], 30)
	checkPage(t, "offset 20", pageAt(t, base, 20, 10), all[20:30], 30)
	checkPage(t, "offset 10", pageAt(t, base, 10, 10), all[10:11], 30)
	checkPage(t, "offset 10, expired", pageAt(t, base, 10, 10), all[10:20], 30)

	// A probability fault on the first page only; an absent offset is 0.
	s.InjectFault(Fault{Kind: FaultServerError, Probability: 1, Offsets: []int{0}})
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
		s.InjectFault(Fault{Kind: FaultBadList, Count: 1, Variant: variant})
		r := do(t, sdkRequest(t, base, signed{query: map[string]any{"limit": "10"}}))
		if r.status != 200 || string(r.body) != want {
			t.Errorf("variant %q: %d %s, want %s", variant, r.status, r.body, want)
		}
		checkCommonHeaders(t, "bad_list", r.header)
		if lb := pageAt(t, base, 0, 10); len(lb.Desktops) != 10 {
			t.Errorf("variant %q did not expire", variant)
		}
	}
	// total_count follows the TotalCountMode.
	s.SetTotalCountMode(TotalOmitted)
	s.InjectFault(Fault{Kind: FaultBadList, Count: 1, Variant: "null"})
	if r := do(t, sdkRequest(t, base, signed{})); string(r.body) != `{"desktops":null}` {
		t.Errorf("TotalOmitted: %s", r.body)
	}
	s.InjectFault(Fault{Kind: FaultBadList, Count: 1})
	if r := do(t, sdkRequest(t, base, signed{})); string(r.body) != `{}` {
		t.Errorf("TotalOmitted, missing: %s", r.body)
	}
}

func TestFaultOversizedPage(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	s.InjectFault(Fault{Kind: FaultOversizedPage, Count: 1, Items: 5000})
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
		return s.RequestsByStatus(OperationListDesktopsDetail)[200] == 2
	})
}

// TestFaultOversizedPageBoundedMemory reads 1 MiB of a 10,000,000-desktop
// page (about 450 MB) and hangs up: the simulator must neither build the
// body in memory nor go on writing it.
func TestFaultOversizedPageBoundedMemory(t *testing.T) {
	const bound = 64 << 20
	s, base := startSim(t, testOptions(3))
	s.InjectFault(Fault{Kind: FaultOversizedPage, Count: 1, Items: 10_000_000})
	req := sdkRequest(t, base, signed{})
	var before, during, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 13)
	if _, err := io.ReadFull(resp.Body, head); err != nil || string(head) != `{"desktops":[` {
		t.Fatalf("body starts %q, %v", head, err)
	}
	if n, err := io.CopyN(io.Discard, resp.Body, 1<<20); n != 1<<20 || err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	runtime.ReadMemStats(&during)
	resp.Body.Close()
	eventually(t, "the handler to stop after the client left", func() bool {
		return s.RequestsByStatus(OperationListDesktopsDetail)[200] == 1
	})
	runtime.ReadMemStats(&after)
	if d := int64(during.HeapInuse) - int64(before.HeapInuse); d > bound {
		t.Errorf("HeapInuse grew by %d MiB while streaming", d>>20)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > bound {
		t.Errorf("%d MiB allocated to stream 1 MiB", d>>20)
	}
	if r := do(t, sdkRequest(t, base, signed{})); r.status != 200 || !json.Valid(r.body) {
		t.Errorf("after expiry: %d", r.status)
	}
}

// hangUpWriter is a ResponseWriter whose client leaves at the n-th write:
// that write fails, or succeeds and cancels the request's context.
type hangUpWriter struct {
	header http.Header
	n      int
	writes int
	cancel context.CancelFunc // nil: fail the write
}

func (w *hangUpWriter) Header() http.Header { return w.header }
func (w *hangUpWriter) WriteHeader(int)     {}
func (w *hangUpWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.writes < w.n {
		return len(p), nil
	}
	if w.cancel == nil {
		return 0, errors.New("connection reset by peer")
	}
	w.cancel()
	return len(p), nil
}

// TestFaultOversizedPageStopsWhenClientLeaves: no write follows a failed
// write or the end of the request's context.
func TestFaultOversizedPageStopsWhenClientLeaves(t *testing.T) {
	s, err := New(testOptions(3))
	if err != nil {
		t.Fatal(err)
	}
	for _, byCancel := range []bool{false, true} {
		s.InjectFault(Fault{Kind: FaultOversizedPage, Count: 1, Items: 10_000_000})
		ctx, cancel := context.WithCancel(context.Background())
		w := &hangUpWriter{header: http.Header{}, n: 3}
		if byCancel {
			w.cancel = cancel
		}
		s.ServeHTTP(w, sdkRequest(t, "http://127.0.0.1:9", signed{}).WithContext(ctx))
		cancel()
		if w.writes != 3 {
			t.Errorf("cancel %v: %d writes, want 3", byCancel, w.writes)
		}
	}
}

func TestFaultOversizedPageAbortedByClose(t *testing.T) {
	s, err := New(testOptions(3))
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.InjectFault(Fault{Kind: FaultOversizedPage, Probability: 1, Items: 10_000_000})
	resp, err := http.DefaultClient.Do(sdkRequest(t, base, signed{}))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.CopyN(io.Discard, resp.Body, 64<<10); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err == nil {
		t.Error("the stream ended cleanly after Close")
	}
}

func TestFaultJunkItems(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	real := rawPageAt(t, base, 10, 10)
	s.InjectFault(Fault{Kind: FaultJunkItems, Count: 1})
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
	s.InjectFault(Fault{Kind: FaultJunkItems, Count: 1, Items: 9})
	want = append([]string{`42`, `"junk"`, `null`, `[1,2]`, `{"status":"ACTIVE"}`, `{"desktop_id":"","status":"ERROR"}`, `true`, `42`, `"junk"`}, string(real.Desktops[9]))
	check("Items 9", rawPageAt(t, base, 10, 10), want)
	s.InjectFault(Fault{Kind: FaultJunkItems, Count: 1, Items: 50})
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
	s.InjectFault(Fault{Kind: FaultIgnoreOffset, Count: 1})
	// Offset 0 does not match, so it does not use the count up.
	checkPage(t, "offset 0", pageAt(t, base, 0, 10), all[0:10], 30)
	checkPage(t, "offset 10", pageAt(t, base, 10, 10), all[0:10], 30)
	checkPage(t, "expired", pageAt(t, base, 10, 10), all[10:20], 30)
	s.InjectFault(Fault{Kind: FaultIgnoreOffset, Probability: 1})
	checkPage(t, "past the end", pageAt(t, base, 100, 7), all[0:7], 30)
}

func TestFaultEnumFlood(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	real := pageAt(t, base, 0, 30).Desktops
	s.InjectFault(Fault{Kind: FaultEnumFlood, Probability: 1})
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
	s.InjectFault(Fault{Kind: FaultEnumFlood, Count: 1, Fields: []string{"login_status"}})
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
	s.InjectFault(Fault{Kind: FaultEnumFlood, Count: 1, Fields: []string{"status", "task_status"}})
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
	s.InjectFault(Fault{Kind: FaultTotalDrift, Count: 1})
	checkPage(t, "default", pageAt(t, base, 10, 10), all[10:20], 31)
	s.InjectFault(Fault{Kind: FaultTotalDrift, Count: 1, Delta: -40})
	checkPage(t, "negative", pageAt(t, base, 0, 10), all[0:10], -10)
	checkPage(t, "expired", pageAt(t, base, 0, 10), all[0:10], 30)
	// The drift applies to the exact total whatever the mode.
	s.SetTotalCountMode(TotalOmitted)
	s.InjectFault(Fault{Kind: FaultTotalDrift, Count: 1, Delta: 5})
	checkPage(t, "TotalOmitted", pageAt(t, base, 0, 10), all[0:10], 35)
}

func TestFaultDuplicate(t *testing.T) {
	s, base := startSim(t, testOptions(25))
	all := idsOf(s.Desktops())
	s.InjectFault(Fault{Kind: FaultDuplicate, Count: 1})
	checkPage(t, "offset 0", pageAt(t, base, 0, 10), all[0:10], 25)
	checkPage(t, "offset 10", pageAt(t, base, 10, 10), append([]string{all[9]}, all[11:20]...), 25)
	checkPage(t, "expired", pageAt(t, base, 10, 10), all[10:20], 25)
	s.InjectFault(Fault{Kind: FaultDuplicate, Probability: 1})
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
	s.InjectFault(Fault{Kind: FaultDuplicate, Count: 1})
	_, lb := list(t, base, map[string]any{"status": status, "offset": "2", "limit": "2"})
	checkPage(t, "filtered", lb, append([]string{matching[1]}, matching[3:min(4, len(matching))]...), len(matching))
}

// TestPageFaultsPassThrough: page faults leave 400 answers alone and alter
// the simulator's page rather than a ServeVerbatim body.
func TestPageFaultsPassThrough(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	for _, k := range []FaultKind{FaultShortPage, FaultBadList, FaultJunkItems, FaultIgnoreOffset, FaultEnumFlood, FaultTotalDrift, FaultDuplicate} {
		s.InjectFault(Fault{Kind: k, Count: 1})
		r, _ := list(t, base, map[string]any{"offset": "10", "limit": "0"})
		if r.status != 400 || errorCode(t, r) != "WKS.0509" {
			t.Errorf("%s: %d %s, want the 400 of limit=0", k, r.status, r.body)
		}
	}
	s.ServeVerbatim(OperationListDesktopsDetail, 200, []byte(`{"desktops":[],"total_count":0}`))
	s.InjectFault(Fault{Kind: FaultTotalDrift, Count: 1, Delta: 2})
	if lb := pageAt(t, base, 0, 10); len(lb.Desktops) != 10 || *lb.TotalCount != 32 {
		t.Errorf("with ServeVerbatim: %d desktops, total %d", len(lb.Desktops), *lb.TotalCount)
	}
	if lb := pageAt(t, base, 0, 10); len(lb.Desktops) != 0 {
		t.Errorf("verbatim after expiry: %d desktops", len(lb.Desktops))
	}
}

func newRecorder(t *testing.T) *Recorder {
	t.Helper()
	rec, err := NewRecorder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rec.Close(); err != nil {
			t.Errorf("Recorder.Close: %v", err)
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
		s.InjectFault(Fault{Kind: FaultRedirect, Count: 1, Status: c.status, Location: target})
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

	// A client that follows the redirect lands on the Recorder.
	s.InjectFault(Fault{Kind: FaultRedirect, Count: 1, Location: target})
	r := do(t, sdkRequest(t, base, signed{}))
	if r.status != 200 || string(r.body) != `{"desktops":[],"total_count":0}` {
		t.Errorf("followed redirect: %d %s", r.status, r.body)
	}
	got := rec.Requests()
	if len(got) != 1 {
		t.Fatalf("Recorder got %d requests", len(got))
	}
	g := got[0]
	if g.Method != "GET" || g.URL != "/v2/elsewhere/desktops/detail?limit=5" || g.Host != strings.TrimPrefix(rec.URL(), "http://") || g.Header.Get("X-Sdk-Date") == "" {
		t.Errorf("recorded %+v", g)
	}
}

func TestRecorder(t *testing.T) {
	rec := newRecorder(t)
	req, err := http.NewRequest(http.MethodPost, rec.URL()+"/a/b?c=d", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=00")
	req.Header.Add("X-Many", "1")
	req.Header.Add("X-Many", "2")
	r := do(t, req)
	if r.status != 200 || string(r.body) != `{"desktops":[],"total_count":0}` || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("answer %d %q %v", r.status, r.body, r.header)
	}
	got := rec.Requests()
	if len(got) != 1 {
		t.Fatalf("%d requests recorded", len(got))
	}
	g := got[0]
	if g.Method != "POST" || g.URL != "/a/b?c=d" || g.Host != strings.TrimPrefix(rec.URL(), "http://") ||
		g.Header.Get("Authorization") != req.Header.Get("Authorization") || !slices.Equal(g.Header.Values("X-Many"), []string{"1", "2"}) {
		t.Errorf("recorded %+v", g)
	}
	// Requests returns copies.
	g.Header.Set("Authorization", "changed")
	if rec.Requests()[0].Header.Get("Authorization") == "changed" {
		t.Error("Requests shares its headers with the Recorder")
	}
	// At most maxRecorded requests are kept: the first ones.
	for i := range maxRecorded + 5 {
		resp, err := http.Get(rec.URL() + "/n/" + strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	got = rec.Requests()
	if len(got) != maxRecorded || got[1].URL != "/n/0" || got[maxRecorded-1].URL != "/n/"+strconv.Itoa(maxRecorded-2) {
		t.Errorf("%d recorded, last %q", len(got), got[len(got)-1].URL)
	}
}

func TestFaultEchoSecret(t *testing.T) {
	s, base := startSim(t, testOptions(3))
	x := strings.Repeat
	for _, c := range []struct {
		name              string
		f                 Fault
		req               signed
		status            int
		code, msg, header string
	}{
		{"padded", Fault{}, signed{}, 400,
			x("x", 100) + testSK, x("x", 1000) + testSK + " " + testAK, x("x", 300) + testSK},
		{"temporary", Fault{Status: 503, Variant: EchoPadded}, signed{ak: testTempAK, sk: testTempSK, token: testToken}, 503,
			x("x", 100) + testTempSK, x("x", 1000) + testTempSK + " " + testTempAK + " " + testToken, x("x", 300) + testTempSK},
		{"start", Fault{Status: 403, Variant: EchoStart}, signed{}, 403,
			testSK, testSK + " " + testAK, testSK},
	} {
		f := c.f
		f.Kind, f.Count = FaultEchoSecret, 1
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

func TestHostileFaultDefaults(t *testing.T) {
	for _, c := range []struct{ in, want Fault }{
		{Fault{Kind: FaultShortPage, Count: 1}, Fault{Kind: FaultShortPage, Count: 1}},
		{Fault{Kind: FaultJunkItems, Count: 1}, Fault{Kind: FaultJunkItems, Count: 1, Items: 5}},
		{Fault{Kind: FaultOversizedPage, Count: 1}, Fault{Kind: FaultOversizedPage, Count: 1, Items: 1_000_000}},
		{Fault{Kind: FaultBadList, Count: 1}, Fault{Kind: FaultBadList, Count: 1, Variant: BadListMissing}},
		{Fault{Kind: FaultEnumFlood, Count: 1}, Fault{Kind: FaultEnumFlood, Count: 1, Fields: []string{"status", "login_status", "task_status"}}},
		{Fault{Kind: FaultTotalDrift, Count: 1}, Fault{Kind: FaultTotalDrift, Count: 1, Delta: 1}},
		{Fault{Kind: FaultRedirect, Count: 1, Location: "https://example.com/x"}, Fault{Kind: FaultRedirect, Count: 1, Location: "https://example.com/x", Status: 302}},
		{Fault{Kind: FaultEchoSecret, Count: 1}, Fault{Kind: FaultEchoSecret, Count: 1, Status: 400, Variant: EchoPadded}},
	} {
		f := c.in
		if err := f.validate(); err != nil || !reflect.DeepEqual(f, c.want) {
			t.Errorf("validate(%+v): %+v, %v; want %+v", c.in, f, err, c.want)
		}
	}
}

func TestParseHostileFaults(t *testing.T) {
	got, err := ParseFaults("short_page=0.05,junk_items=3:0.1,enum_flood=0.01,total_drift=0.05,duplicate=0.05,ignore_offset=0.01,bad_list=null:0.01,oversized_page=2000:0.01")
	if err != nil {
		t.Fatal(err)
	}
	want := []Fault{
		{Kind: FaultShortPage, Probability: 0.05},
		{Kind: FaultJunkItems, Probability: 0.1, Items: 3},
		{Kind: FaultEnumFlood, Probability: 0.01, Fields: []string{"status", "login_status", "task_status"}},
		{Kind: FaultTotalDrift, Probability: 0.05, Delta: 1},
		{Kind: FaultDuplicate, Probability: 0.05},
		{Kind: FaultIgnoreOffset, Probability: 0.01},
		{Kind: FaultBadList, Probability: 0.01, Variant: BadListNull},
		{Kind: FaultOversizedPage, Probability: 0.01, Items: 2000},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	got, err = ParseFaults("short_page=4:1, bad_list=0.5, enum_flood=status+task_status:1, total_drift=-3:0.2, junk_items=1, oversized_page=0.5")
	if err != nil {
		t.Fatal(err)
	}
	want = []Fault{
		{Kind: FaultShortPage, Probability: 1, Items: 4},
		{Kind: FaultBadList, Probability: 0.5, Variant: BadListMissing},
		{Kind: FaultEnumFlood, Probability: 1, Fields: []string{"status", "task_status"}},
		{Kind: FaultTotalDrift, Probability: 0.2, Delta: -3},
		{Kind: FaultJunkItems, Probability: 1, Items: 5},
		{Kind: FaultOversizedPage, Probability: 0.5, Items: 1_000_000},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	for spec, part := range map[string]string{
		"redirect=0.1":            "InjectFault",
		"echo_secret=400:0.1":     "InjectFault",
		"bad_list=array:0.1":      `"array"`,
		"short_page=0:0.1":        `"0"`,
		"junk_items=x:0.1":        `"x"`,
		"oversized_page=-1:0.1":   `"-1"`,
		"total_drift=0:0.1":       `"0"`,
		"total_drift=1.5:0.1":     `"1.5"`,
		"enum_flood=colour:0.1":   `"colour"`,
		"enum_flood=status+:0.1":  `""`,
		"duplicate=1:0.1":         "no parameter",
		"ignore_offset=1:0.1":     "no parameter",
		"nope=0.1":                "duplicate, redirect or echo_secret",
		"short_page=0.1,nope=0.1": "fault 2",
	} {
		_, err := ParseFaults(spec)
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("%q: error %v, want it to name %s", spec, err, part)
		}
	}
}

func TestInjectHostileFaultRejectsInvalid(t *testing.T) {
	s, err := New(testOptions(1))
	if err != nil {
		t.Fatal(err)
	}
	for f, part := range map[*Fault]string{
		{Kind: FaultShortPage, Count: 1, Items: -1}:                            "Items",
		{Kind: FaultOversizedPage, Count: 1, Items: -5}:                        "Items",
		{Kind: FaultShortPage, Count: 1, Offsets: []int{0, -10}}:               "Offsets",
		{Kind: FaultBadList, Count: 1, Variant: "array"}:                       "Variant",
		{Kind: FaultEnumFlood, Count: 1, Fields: []string{"status", "colour"}}: "Fields",
		{Kind: FaultRedirect, Count: 1}:                                        "Location",
		{Kind: FaultRedirect, Count: 1, Location: "/relative"}:                 "Location",
		{Kind: FaultRedirect, Count: 1, Location: "ftp://example.com/"}:        "Location",
		{Kind: FaultRedirect, Count: 1, Location: "http:///nohost"}:            "Location",
		{Kind: FaultRedirect, Count: 1, Location: "http://a/\r\nX: y"}:         "Location",
		{Kind: FaultRedirect, Count: 1, Status: 200, Location: "http://a/"}:    "301",
		{Kind: FaultEchoSecret, Count: 1, Status: 302}:                         "4xx",
		{Kind: FaultEchoSecret, Count: 1, Variant: "end"}:                      "Variant",
		{Kind: FaultDuplicate}:                                                 "Probability",
	} {
		func() {
			defer func() {
				p := recover()
				if msg, _ := p.(string); !strings.Contains(msg, part) {
					t.Errorf("InjectFault(%+v): panic %v, want it to name %s", *f, p, part)
				}
			}()
			s.InjectFault(*f)
		}()
	}
}

// TestInjectFaultCopiesSlices: changing the caller's slices afterwards does
// not change the rule.
func TestInjectFaultCopiesSlices(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	offsets := []int{10}
	s.InjectFault(Fault{Kind: FaultServerError, Probability: 1, Offsets: offsets})
	offsets[0] = 0
	if r, _ := list(t, base, nil); r.status != 200 {
		t.Errorf("offset 0: %d", r.status)
	}
	if r, _ := list(t, base, map[string]any{"offset": "10"}); r.status != 500 {
		t.Errorf("offset 10: %d", r.status)
	}
}
