package simulator

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParsePage(t *testing.T) {
	for _, c := range []struct {
		query string
		want  Page
		err   *Error
	}{
		{"", Page{0, 20}, nil},
		{"offset=7&limit=1", Page{7, 1}, nil},
		{"limit=20", Page{0, 20}, nil},
		{"offset=&limit=3", Page{0, 3}, nil},
		{"offset=9223372036854775807", Page{9223372036854775807, 20}, nil},
		{"offset=-1", Page{}, toyLimits.BadOffset},
		{"offset=x", Page{}, toyLimits.BadOffset},
		{"offset=1.5", Page{}, toyLimits.BadOffset},
		{"offset=-1&limit=0", Page{}, toyLimits.BadOffset},
		{"limit=0", Page{}, toyLimits.BadLimit},
		{"limit=21", Page{}, toyLimits.BadLimit},
		{"limit=", Page{}, toyLimits.BadLimit},
		{"limit=abc", Page{}, toyLimits.BadLimit},
		{"limit=-3", Page{}, toyLimits.BadLimit},
	} {
		q, _ := url.ParseQuery(c.query)
		got, err := ParsePage(q, toyLimits)
		if err != c.err || err == nil && got != c.want {
			t.Errorf("%q: %+v, %v; want %+v, %v", c.query, got, err, c.want, c.err)
		}
	}
}

func TestWindow(t *testing.T) {
	items := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	even := func(i int) bool { return i%2 == 0 }
	for _, c := range []struct {
		match func(int) bool
		p     Page
		want  []int
		total int
	}{
		{nil, Page{0, 3}, []int{0, 1, 2}, 10},
		{nil, Page{8, 5}, []int{8, 9}, 10},
		{nil, Page{10, 5}, []int{}, 10},
		{nil, Page{1 << 62, 5}, []int{}, 10},
		{even, Page{1, 2}, []int{2, 4}, 5},
		{even, Page{4, 2}, []int{8}, 5},
		{even, Page{5, 2}, nil, 5},
	} {
		got, total := Window(items, c.match, c.p)
		if !reflect.DeepEqual(got, c.want) || total != c.total {
			t.Errorf("match %v, %+v: %v, %d; want %v, %d", c.match != nil, c.p, got, total, c.want, c.total)
		}
	}
	// Without a filter the page is a window on the items.
	if got, _ := Window(items, nil, Page{2, 3}); &got[0] != &items[2] {
		t.Error("Window copied the items")
	}
}

// walk pages through the items the way a careful client does: it stops on
// a short page, whatever the total says.
func walk(t *testing.T, base string, limit int) (ids []string, totals []*int) {
	t.Helper()
	for offset := 0; ; offset += limit {
		ib := page(t, base, offset, limit)
		ids = append(ids, idsOf(ib.Items)...)
		totals = append(totals, ib.Count)
		if len(ib.Items) < limit {
			return ids, totals
		}
		if offset > 100*limit {
			t.Fatal("runaway walk")
		}
	}
}

func TestPagingWalksEveryItemOnce(t *testing.T) {
	s, base := startToy(t, 47)
	wantTotal := map[TotalCountMode]*int{
		TotalExact:   ptr(47),
		TotalOmitted: nil,
		TotalZero:    ptr(0),
		TotalMaxInt:  ptr(2147483647),
		TotalStale:   ptr(40),
	}
	for mode := TotalExact; mode <= TotalStale; mode++ {
		t.Run(mode.String(), func(t *testing.T) {
			s.SetTotalCountMode(mode)
			if s.TotalCountMode() != mode {
				t.Fatalf("TotalCountMode() = %s", s.TotalCountMode())
			}
			got, totals := walk(t, base, 20)
			if !slices.Equal(got, ids(0, 47)) {
				t.Fatalf("walk returned %v", got)
			}
			if len(totals) != 3 {
				t.Fatalf("%d pages, want 3", len(totals))
			}
			for i, got := range totals {
				if !reflect.DeepEqual(got, wantTotal[mode]) {
					t.Errorf("page %d: count %v, want %v", i, deref(got), deref(wantTotal[mode]))
				}
			}
		})
	}
	s.SetTotalCountMode(TotalCountMode(99))
	if s.TotalCountMode() != TotalStale {
		t.Error("SetTotalCountMode accepted an unknown mode")
	}
	if TotalCountMode(99).String() != "TotalCountMode(99)" {
		t.Errorf("String of an unknown mode: %s", TotalCountMode(99))
	}
	s.SetTotalCountMode(TotalOmitted)
	r, _ := list(t, base, nil)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["count"]; ok {
		t.Error("TotalOmitted: count present")
	}
	s.SetTotalCountMode(TotalExact)
	// Default limit is 20; an offset past the end gives an empty page.
	if _, ib := list(t, base, nil); len(ib.Items) != 20 || *ib.Count != 47 {
		t.Errorf("default page: %d items, count %s", len(ib.Items), deref(ib.Count))
	}
	if r := get(t, base, req{query: url.Values{"offset": {"5000"}}}); r.status != 200 || string(r.body) != `{"items":[],"count":47}` {
		t.Errorf("offset past the end: %d %s", r.status, r.body)
	}
	// A filter selects, pages and counts the matching items.
	on := []string{}
	for i := range 47 {
		if it := newToyItem(i); it.state == "on" {
			on = append(on, it.id)
		}
	}
	_, ib := list(t, base, url.Values{"state": {"on"}, "offset": {"3"}, "limit": {"4"}})
	if !slices.Equal(idsOf(ib.Items), on[3:7]) || *ib.Count != len(on) {
		t.Errorf("state=on: %v, count %s; want %v, %d", idsOf(ib.Items), deref(ib.Count), on[3:7], len(on))
	}
	// The provider's 400 answers.
	if r := get(t, base, req{query: url.Values{"limit": {"21"}}}); r.status != 400 || toyErr(t, r).Code != "TOY.LIMIT" {
		t.Errorf("limit 21: %d %s", r.status, r.body)
	}
}

func TestTotalStaleNeverNegative(t *testing.T) {
	s, base := startToy(t, 3)
	s.SetTotalCountMode(TotalStale)
	if _, ib := list(t, base, nil); ib.Count == nil || *ib.Count != 0 || len(ib.Items) != 3 {
		t.Errorf("count %s, %d items", deref(ib.Count), len(ib.Items))
	}
}

// checkPage wants the page's ids and count.
func checkPage(t *testing.T, what string, ib itemsBody, want []string, count int) {
	t.Helper()
	if got := idsOf(ib.Items); !slices.Equal(got, want) {
		t.Errorf("%s: ids %v, want %v", what, got, want)
	}
	if ib.Count == nil || *ib.Count != count {
		t.Errorf("%s: count %s, want %d", what, deref(ib.Count), count)
	}
}

func TestFaultShortPage(t *testing.T) {
	s, base := startToy(t, 30)
	s.InjectFault(Fault{Kind: FaultShortPage, Count: 1})
	checkPage(t, "default", page(t, base, 10, 10), ids(10, 5), 30)
	s.InjectFault(Fault{Kind: FaultShortPage, Count: 2, Items: 3})
	checkPage(t, "Items 3", page(t, base, 0, 10), ids(0, 7), 30)
	checkPage(t, "Items 3, second", page(t, base, 0, 10), ids(0, 7), 30)
	checkPage(t, "expired", page(t, base, 0, 10), ids(0, 10), 30)
	s.InjectFault(Fault{Kind: FaultShortPage, Count: 1})
	checkPage(t, "one-item page", page(t, base, 29, 10), ids(0, 0), 30)
	s.InjectFault(Fault{Kind: FaultShortPage, Count: 1, Items: 50})
	checkPage(t, "more than the page", page(t, base, 0, 10), ids(0, 0), 30)
}

func TestFaultOffsetsFilter(t *testing.T) {
	s, base := startToy(t, 30)
	s.InjectFault(Fault{Kind: FaultShortPage, Count: 1, Items: 9, Offsets: []int{10}})
	checkPage(t, "offset 0", page(t, base, 0, 10), ids(0, 10), 30)
	checkPage(t, "offset 20", page(t, base, 20, 10), ids(20, 10), 30)
	checkPage(t, "offset 10", page(t, base, 10, 10), ids(10, 1), 30)
	checkPage(t, "offset 10, expired", page(t, base, 10, 10), ids(10, 10), 30)

	// A probability fault on the first page only; an absent offset is 0.
	s.InjectFault(Fault{Kind: FaultServerError, Probability: 1, Offsets: []int{0}})
	if r, _ := list(t, base, nil); r.status != 500 {
		t.Errorf("no offset: %d, want 500", r.status)
	}
	if r, _ := list(t, base, url.Values{"offset": {"0"}}); r.status != 500 {
		t.Errorf("offset 0: %d, want 500", r.status)
	}
	checkPage(t, "offset 10", page(t, base, 10, 10), ids(10, 10), 30)
	// An invalid offset matches no Offsets list and gets its 400.
	if r, _ := list(t, base, url.Values{"offset": {"-1"}}); r.status != 400 {
		t.Errorf("offset -1: %d, want 400", r.status)
	}
}

func TestFaultBadList(t *testing.T) {
	s, base := startToy(t, 30)
	for variant, want := range map[string]string{
		"":        `{"count":30}`,
		"missing": `{"count":30}`,
		"null":    `{"items":null,"count":30}`,
		"object":  `{"items":{},"count":30}`,
		"string":  `{"items":"x","count":30}`,
		"number":  `{"items":7,"count":30}`,
	} {
		s.InjectFault(Fault{Kind: FaultBadList, Count: 1, Variant: variant})
		r := get(t, base, req{query: url.Values{"limit": {"10"}}})
		if r.status != 200 || string(r.body) != want {
			t.Errorf("variant %q: %d %s, want %s", variant, r.status, r.body, want)
		}
		if ib := page(t, base, 0, 10); len(ib.Items) != 10 {
			t.Errorf("variant %q did not expire", variant)
		}
	}
	// The count follows the TotalCountMode.
	s.SetTotalCountMode(TotalOmitted)
	s.InjectFault(Fault{Kind: FaultBadList, Count: 1, Variant: BadListNull})
	if r := get(t, base, req{}); string(r.body) != `{"items":null}` {
		t.Errorf("TotalOmitted: %s", r.body)
	}
	s.InjectFault(Fault{Kind: FaultBadList, Count: 1})
	if r := get(t, base, req{}); string(r.body) != `{}` {
		t.Errorf("TotalOmitted, missing: %s", r.body)
	}
}

func TestFaultJunkItems(t *testing.T) {
	s, base := startToy(t, 30)
	raw := func(offset, limit int) []string {
		r := get(t, base, req{query: url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}}})
		var l struct {
			Items []json.RawMessage `json:"items"`
			Count int               `json:"count"`
		}
		if err := json.Unmarshal(r.body, &l); err != nil || l.Count != 30 {
			t.Fatalf("offset %d: %v, %s", offset, err, r.body)
		}
		out := []string{}
		for _, it := range l.Items {
			out = append(out, string(it))
		}
		return out
	}
	real := raw(10, 10)
	s.InjectFault(Fault{Kind: FaultJunkItems, Count: 1})
	want := append([]string{`42`, `"junk"`, `null`, `[1,2]`, `{"status":"ACTIVE"}`}, real[5:]...)
	if got := raw(10, 10); !slices.Equal(got, want) {
		t.Errorf("default: %v", got)
	}
	s.InjectFault(Fault{Kind: FaultJunkItems, Count: 1, Items: 9})
	want = []string{`42`, `"junk"`, `null`, `[1,2]`, `{"status":"ACTIVE"}`, `{"desktop_id":"","status":"ERROR"}`, `true`, `42`, `"junk"`, real[9]}
	if got := raw(10, 10); !slices.Equal(got, want) {
		t.Errorf("Items 9: %v", got)
	}
	s.InjectFault(Fault{Kind: FaultJunkItems, Count: 1, Items: 50})
	if got := raw(25, 10); !slices.Equal(got, []string{`42`, `"junk"`, `null`, `[1,2]`, `{"status":"ACTIVE"}`}) {
		t.Errorf("more than the page: %v", got)
	}
	if got := raw(10, 10); !slices.Equal(got, real) {
		t.Errorf("expired: %v", got)
	}
}

func TestFaultIgnoreOffset(t *testing.T) {
	s, base := startToy(t, 30)
	s.InjectFault(Fault{Kind: FaultIgnoreOffset, Count: 1})
	// Offset 0 does not match, so it does not use the count up.
	checkPage(t, "offset 0", page(t, base, 0, 10), ids(0, 10), 30)
	checkPage(t, "offset 10", page(t, base, 10, 10), ids(0, 10), 30)
	checkPage(t, "expired", page(t, base, 10, 10), ids(10, 10), 30)
	s.InjectFault(Fault{Kind: FaultIgnoreOffset, Probability: 1})
	checkPage(t, "past the end", page(t, base, 100, 7), ids(0, 7), 30)
	_, ib := list(t, base, url.Values{"state": {"off"}, "offset": {"2"}, "limit": {"2"}})
	checkPage(t, "filtered", ib, []string{ids(0, 1)[0], ids(4, 1)[0]}, 8)
}

func TestFaultEnumFlood(t *testing.T) {
	s, base := startToy(t, 30)
	real := page(t, base, 0, 20).Items
	s.InjectFault(Fault{Kind: FaultEnumFlood, Probability: 1})
	first, second := page(t, base, 0, 20).Items, page(t, base, 0, 20).Items
	if !reflect.DeepEqual(first, second) {
		t.Error("flooded values differ between requests")
	}
	for i, it := range first {
		want := "FLOOD_" + real[i].ID
		if it != (toyItemJSON{ID: real[i].ID, State: want, Mood: want}) {
			t.Errorf("item %d: %+v, want state and mood %q", i, it, want)
		}
	}
	// Only the named fields change, and the items served are copies.
	s.ClearFaults()
	s.InjectFault(Fault{Kind: FaultEnumFlood, Count: 1, Fields: []string{"mood"}})
	for i, it := range page(t, base, 5, 10).Items {
		r := real[5+i]
		if it != (toyItemJSON{ID: r.ID, State: r.State, Mood: "FLOOD_" + r.ID}) {
			t.Errorf("mood only, item %d: %+v", 5+i, it)
		}
	}
	if got := page(t, base, 0, 20).Items; !reflect.DeepEqual(got, real) {
		t.Errorf("after expiry, or the fault changed the items: %+v", got)
	}
}

// TestEnumFloodFields: the fields are the provider's; a fault without
// Fields fills all of them, in the provider's order.
func TestEnumFloodFields(t *testing.T) {
	s, _ := newToy(t, 1, toyOptions())
	f, err := s.check(Fault{Kind: FaultEnumFlood, Count: 1})
	if err != nil || !slices.Equal(f.Fields, []string{"state", "mood"}) {
		t.Errorf("default fields %v, %v", f.Fields, err)
	}
	parsed, err := ParseFaults("enum_flood=state+colour:0.5")
	if err != nil {
		t.Fatal(err)
	}
	err = s.CheckFault(parsed[0])
	if err == nil || !strings.Contains(err.Error(), `enum_flood fault: Fields may name state and mood, got "colour"`) {
		t.Errorf("unknown field: %v", err)
	}
	if err := s.CheckFault(Fault{Kind: FaultEnumFlood, Count: 1, Fields: []string{"mood"}}); err != nil {
		t.Errorf("a known field: %v", err)
	}
	none, err := NewServer(&toy{}, toyOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := none.CheckFault(Fault{Kind: FaultEnumFlood, Count: 1}); err == nil || !strings.Contains(err.Error(), "no fields to flood") {
		t.Errorf("a provider without flood fields: %v", err)
	}
}

func TestFaultTotalDrift(t *testing.T) {
	s, base := startToy(t, 30)
	s.InjectFault(Fault{Kind: FaultTotalDrift, Count: 1})
	checkPage(t, "default", page(t, base, 10, 10), ids(10, 10), 31)
	s.InjectFault(Fault{Kind: FaultTotalDrift, Count: 1, Delta: -40})
	checkPage(t, "negative", page(t, base, 0, 10), ids(0, 10), -10)
	checkPage(t, "expired", page(t, base, 0, 10), ids(0, 10), 30)
	// The drift applies to the exact total whatever the mode.
	s.SetTotalCountMode(TotalOmitted)
	s.InjectFault(Fault{Kind: FaultTotalDrift, Count: 1, Delta: 5})
	checkPage(t, "TotalOmitted", page(t, base, 0, 10), ids(0, 10), 35)
}

func TestFaultDuplicate(t *testing.T) {
	s, base := startToy(t, 25)
	all := ids(0, 25)
	s.InjectFault(Fault{Kind: FaultDuplicate, Count: 1})
	checkPage(t, "offset 0", page(t, base, 0, 10), all[0:10], 25)
	checkPage(t, "offset 10", page(t, base, 10, 10), append([]string{all[9]}, all[11:20]...), 25)
	checkPage(t, "expired", page(t, base, 10, 10), all[10:20], 25)
	s.InjectFault(Fault{Kind: FaultDuplicate, Probability: 1})
	checkPage(t, "last page", page(t, base, 20, 10), append([]string{all[19]}, all[21:25]...), 25)
	checkPage(t, "one-item page", page(t, base, 24, 10), all[23:24], 25)
	checkPage(t, "empty page", page(t, base, 25, 10), []string{}, 25)

	// With a filter, the previous item is the previous match.
	s.ClearFaults()
	var on []string
	for i := range 25 {
		if it := newToyItem(i); it.state == "on" {
			on = append(on, it.id)
		}
	}
	s.InjectFault(Fault{Kind: FaultDuplicate, Count: 1})
	_, ib := list(t, base, url.Values{"state": {"on"}, "offset": {"2"}, "limit": {"2"}})
	checkPage(t, "filtered", ib, []string{on[1], on[3]}, len(on))
}

// TestPageFaultsPassThrough: page faults leave 400 answers alone, alter
// the provider's page rather than a ServeVerbatim body, and never hit an
// operation that is not a list (without using their count up).
func TestPageFaultsPassThrough(t *testing.T) {
	s, base := startToy(t, 30)
	for _, k := range []FaultKind{FaultShortPage, FaultBadList, FaultJunkItems, FaultIgnoreOffset, FaultEnumFlood, FaultTotalDrift, FaultDuplicate} {
		s.InjectFault(Fault{Kind: k, Count: 1})
		r, _ := list(t, base, url.Values{"offset": {"10"}, "limit": {"0"}})
		if r.status != 400 || toyErr(t, r).Code != "TOY.LIMIT" {
			t.Errorf("%s: %d %s, want the 400 of limit=0", k, r.status, r.body)
		}
	}
	s.ServeVerbatim(opItems.Name, 200, []byte(`{"items":[],"count":0}`))
	s.InjectFault(Fault{Kind: FaultTotalDrift, Count: 1, Delta: 2})
	checkPage(t, "with ServeVerbatim", page(t, base, 0, 10), ids(0, 10), 32)
	checkPage(t, "verbatim after expiry", page(t, base, 0, 10), []string{}, 0)
	s.ServeVerbatim(opItems.Name, 0, nil)

	normal := get(t, base, req{query: url.Values{"offset": {"10"}, "limit": {"10"}}}).body
	for _, k := range []FaultKind{FaultShortPage, FaultBadList, FaultJunkItems, FaultIgnoreOffset, FaultEnumFlood, FaultTotalDrift, FaultDuplicate, FaultOversizedPage} {
		s.InjectFault(Fault{Kind: k, Count: 1, Items: 50})
		if r := get(t, base, req{path: "/v1/status", query: url.Values{"offset": {"10"}}}); r.status != 200 || string(r.body) != `{"ok":true}` {
			t.Errorf("%s hit GetStatus: %d %s", k, r.status, r.body)
		}
		if r := get(t, base, req{query: url.Values{"offset": {"10"}, "limit": {"10"}}}); r.status != 200 || bytes.Equal(r.body, normal) {
			t.Errorf("%s was used up by GetStatus: %d %s", k, r.status, r.body)
		}
	}
}
