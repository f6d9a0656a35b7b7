package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestFaultOversizedPage(t *testing.T) {
	s, base := startToy(t, 30)
	s.InjectFault(Fault{Kind: FaultOversizedPage, Count: 1, Items: 5000})
	resp, err := http.DefaultClient.Do(toyRequest(t, base, req{query: url.Values{"limit": {"10"}}}))
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
	var ib itemsBody
	if err := json.Unmarshal(body, &ib); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if len(ib.Items) != 5000 || ib.Count == nil || *ib.Count != 5000 {
		t.Fatalf("%d items, count %s; want 5000", len(ib.Items), deref(ib.Count))
	}
	for i, it := range ib.Items {
		if it != (toyItemJSON{ID: "big-" + strconv.Itoa(i+1)}) {
			t.Fatalf("item %d is %+v", i, it)
		}
	}
	if ib := page(t, base, 0, 10); len(ib.Items) != 10 {
		t.Errorf("after expiry: %d items", len(ib.Items))
	}
	// The counters are updated after the response is sent.
	eventually(t, "both requests to be counted as 200", func() bool {
		return s.RequestsByStatus(opItems.Name)[200] == 2
	})
}

// TestFaultOversizedPageBoundedMemory reads 1 MiB of a 10,000,000-item
// page (about 170 MB) and hangs up: the Server must neither build the body
// in memory nor go on writing it.
func TestFaultOversizedPageBoundedMemory(t *testing.T) {
	const bound = 64 << 20
	s, base := startToy(t, 3)
	s.InjectFault(Fault{Kind: FaultOversizedPage, Count: 1, Items: 10_000_000})
	r := toyRequest(t, base, req{})
	var before, during, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 10)
	if _, err := io.ReadFull(resp.Body, head); err != nil || string(head) != `{"items":[` {
		t.Fatalf("body starts %q, %v", head, err)
	}
	if n, err := io.CopyN(io.Discard, resp.Body, 1<<20); n != 1<<20 || err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	runtime.ReadMemStats(&during)
	resp.Body.Close()
	eventually(t, "the handler to stop after the client left", func() bool {
		return s.RequestsByStatus(opItems.Name)[200] == 1
	})
	runtime.ReadMemStats(&after)
	if d := int64(during.HeapInuse) - int64(before.HeapInuse); d > bound {
		t.Errorf("HeapInuse grew by %d MiB while streaming", d>>20)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > bound {
		t.Errorf("%d MiB allocated to stream 1 MiB", d>>20)
	}
	if r := get(t, base, req{}); r.status != 200 || !json.Valid(r.body) {
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
	s, _ := newToy(t, 3, toyOptions())
	for _, byCancel := range []bool{false, true} {
		s.InjectFault(Fault{Kind: FaultOversizedPage, Count: 1, Items: 10_000_000})
		ctx, cancel := context.WithCancel(context.Background())
		w := &hangUpWriter{header: http.Header{}, n: 3}
		if byCancel {
			w.cancel = cancel
		}
		s.ServeHTTP(w, toyRequest(t, "http://127.0.0.1:9", req{}).WithContext(ctx))
		cancel()
		if w.writes != 3 {
			t.Errorf("cancel %v: %d writes, want 3", byCancel, w.writes)
		}
	}
}

func TestFaultOversizedPageAbortedByClose(t *testing.T) {
	s, _ := newToy(t, 3, toyOptions())
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.InjectFault(Fault{Kind: FaultOversizedPage, Probability: 1, Items: 10_000_000})
	resp, err := http.DefaultClient.Do(toyRequest(t, base, req{}))
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
	s, base := startToy(t, 3)
	rec := newRecorder(t)
	target := rec.URL() + "/v1/elsewhere?limit=5"
	for _, c := range []struct{ status, want int }{{0, 302}, {301, 301}, {303, 303}, {307, 307}, {308, 308}} {
		s.InjectFault(Fault{Kind: FaultRedirect, Count: 1, Status: c.status, Location: target})
		resp, err := noRedirects.Do(toyRequest(t, base, req{}))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || resp.Header.Get("Location") != target || len(body) != 0 || resp.ContentLength != 0 || resp.Header.Get("Content-Type") != "" {
			t.Errorf("Status %d: %d Location %q Content-Type %q body %q", c.status, resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Content-Type"), body)
		}
	}
	if r := get(t, base, req{}); r.status != 200 {
		t.Errorf("after expiry: %d", r.status)
	}

	// A client that follows the redirect lands on the Recorder.
	s.InjectFault(Fault{Kind: FaultRedirect, Count: 1, Location: target})
	r := get(t, base, req{})
	if r.status != 200 || string(r.body) != `{"desktops":[],"total_count":0}` {
		t.Errorf("followed redirect: %d %s", r.status, r.body)
	}
	got := rec.Requests()
	if len(got) != 1 {
		t.Fatalf("Recorder got %d requests", len(got))
	}
	if g := got[0]; g.Method != "GET" || g.URL != "/v1/elsewhere?limit=5" || g.Host != strings.TrimPrefix(rec.URL(), "http://") {
		t.Errorf("recorded %+v", g)
	}
}

func TestFaultEchoSecret(t *testing.T) {
	s, base := startToy(t, 3)
	x := strings.Repeat
	for _, c := range []struct {
		name              string
		f                 Fault
		req               req
		status            int
		code, msg, header string
	}{
		{"padded", Fault{}, req{}, 400,
			x("x", 100) + toySK, x("x", 1000) + toySK + " " + toyAK, x("x", 300) + toySK},
		{"temporary", Fault{Status: 503, Variant: EchoPadded}, req{ak: toyTempAK, sk: toyTempSK, token: toyToken}, 503,
			x("x", 100) + toyTempSK, x("x", 1000) + toyTempSK + " " + toyTempAK + " " + toyToken, x("x", 300) + toyTempSK},
		{"start", Fault{Status: 403, Variant: EchoStart}, req{}, 403,
			toySK, toySK + " " + toyAK, toySK},
	} {
		f := c.f
		f.Kind, f.Count = FaultEchoSecret, 1
		s.InjectFault(f)
		r := get(t, base, c.req)
		if e := toyErr(t, r); r.status != c.status || e != (toyError{Code: c.code, Message: c.msg, Status: c.status}) {
			t.Errorf("%s: %d %+v", c.name, r.status, e)
		}
		if r.header.Get("X-Request-Id") != c.header || r.header.Get("X-Echo") != c.header {
			t.Errorf("%s: X-Request-Id %q X-Echo %q", c.name, r.header.Get("X-Request-Id"), r.header.Get("X-Echo"))
		}
	}
	if r := get(t, base, req{}); r.status != 200 || len(r.header.Get("X-Request-Id")) != 32 || r.header.Get("X-Echo") != "" {
		t.Errorf("after expiry: %d X-Request-Id %q", r.status, r.header.Get("X-Request-Id"))
	}
}

func TestHostileFaultDefaults(t *testing.T) {
	for _, c := range []struct{ in, want Fault }{
		{Fault{Kind: FaultShortPage, Count: 1}, Fault{Kind: FaultShortPage, Count: 1}},
		{Fault{Kind: FaultJunkItems, Count: 1}, Fault{Kind: FaultJunkItems, Count: 1, Items: 5}},
		{Fault{Kind: FaultOversizedPage, Count: 1}, Fault{Kind: FaultOversizedPage, Count: 1, Items: 1_000_000}},
		{Fault{Kind: FaultBadList, Count: 1}, Fault{Kind: FaultBadList, Count: 1, Variant: BadListMissing}},
		{Fault{Kind: FaultEnumFlood, Count: 1}, Fault{Kind: FaultEnumFlood, Count: 1}}, // the provider's fields: TestEnumFloodFields
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
		{Kind: FaultEnumFlood, Probability: 0.01},
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
		"enum_flood=status+:0.1":  `Fields must be field names, got ""`,
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
	s, _ := newToy(t, 1, toyOptions())
	for f, part := range map[*Fault]string{
		{Kind: FaultShortPage, Count: 1, Items: -1}:                         "Items",
		{Kind: FaultOversizedPage, Count: 1, Items: -5}:                     "Items",
		{Kind: FaultShortPage, Count: 1, Offsets: []int{0, -10}}:            "Offsets",
		{Kind: FaultBadList, Count: 1, Variant: "array"}:                    "Variant",
		{Kind: FaultEnumFlood, Count: 1, Fields: []string{"state", "size"}}: `Fields may name state and mood, got "size"`,
		{Kind: FaultRedirect, Count: 1}:                                     "Location",
		{Kind: FaultRedirect, Count: 1, Location: "/relative"}:              "Location",
		{Kind: FaultRedirect, Count: 1, Location: "ftp://example.com/"}:     "Location",
		{Kind: FaultRedirect, Count: 1, Location: "http:///nohost"}:         "Location",
		{Kind: FaultRedirect, Count: 1, Location: "http://a/\r\nX: y"}:      "Location",
		{Kind: FaultRedirect, Count: 1, Status: 200, Location: "http://a/"}: "301",
		{Kind: FaultEchoSecret, Count: 1, Status: 302}:                      "4xx",
		{Kind: FaultEchoSecret, Count: 1, Variant: "end"}:                   "Variant",
		{Kind: FaultDuplicate}:                                              "Probability",
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
	s, base := startToy(t, 30)
	offsets := []int{10}
	fields := []string{"mood"}
	s.InjectFault(Fault{Kind: FaultServerError, Probability: 1, Offsets: offsets})
	s.InjectFault(Fault{Kind: FaultEnumFlood, Probability: 1, Fields: fields})
	offsets[0], fields[0] = 0, "state"
	if _, ib := list(t, base, nil); ib.Items[0].State == "FLOOD_item-0001" || ib.Items[0].Mood != "FLOOD_item-0001" {
		t.Errorf("offset 0: %+v", ib.Items[0])
	}
	if r, _ := list(t, base, url.Values{"offset": {"10"}}); r.status != 500 {
		t.Errorf("offset 10: %d", r.status)
	}
}
