package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

type thing struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

var decodeThing = DecodeObject(func(r *thing) (thing, string) { return *r, r.ID })

// pageReq is one request the fake list API saw.
type pageReq struct{ call, offset, limit int }

// listAPI serves a list of n things as {"things":[…],"total":n}. rewrite,
// when set, may change the answer: it gets the request and the honest
// elements and total, and returns the body to send ("" keeps the honest
// one).
type listAPI struct {
	n       int
	maxLim  int
	rewrite func(r pageReq, elems []string, total int) string
	mu      sync.Mutex
	calls   int
}

func (a *listAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	a.mu.Lock()
	a.calls++
	call := a.calls
	a.mu.Unlock()
	if a.maxLim > 0 && limit > a.maxLim {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error_code":"LIMIT","error_msg":"limit out of range"}`)
		return
	}
	var elems []string
	for i := offset; i < min(offset+limit, a.n); i++ {
		elems = append(elems, fmt.Sprintf(`{"id":"t%05d","name":"n%d"}`, i, i))
	}
	if a.rewrite != nil {
		if body := a.rewrite(pageReq{call, offset, limit}, elems, a.n); body != "" {
			fmt.Fprint(w, body)
			return
		}
	}
	fmt.Fprint(w, listBody(elems, strconv.Itoa(a.n)))
}

func (a *listAPI) requests() int { a.mu.Lock(); defer a.mu.Unlock(); return a.calls }

func listBody(elems []string, total string) string {
	b := `{"things":[` + strings.Join(elems, ",") + `]`
	if total != "" {
		b += `,"total":` + total
	}
	return b + `}`
}

func walk(t *testing.T, api *listAPI, limit int) ([]thing, WalkStats, *countingObserver, error) {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	tr, obs := newTestTransport(t, srv.URL, nil)
	items, stats, err := WalkOffset(context.Background(), tr, OffsetList{
		Op: testOp, ListKey: "things", TotalKey: "total", Limit: limit, MaxPages: 50, Concurrency: 3,
	}, decodeThing)
	return items, stats, obs, err
}

func checkAll(t *testing.T, items []thing, n int) {
	t.Helper()
	if len(items) != n {
		t.Fatalf("%d items, want %d", len(items), n)
	}
	for i, it := range items {
		if it.ID != fmt.Sprintf("t%05d", i) {
			t.Fatalf("item %d is %s", i, it.ID)
		}
	}
}

func TestWalkExactCounts(t *testing.T) {
	for _, c := range []struct{ n, limit, requests int }{
		{0, 500, 1}, {1, 500, 1}, {500, 500, 1}, {501, 500, 2}, {1000, 500, 2}, {1234, 500, 3}, {1234, 100, 13},
	} {
		api := &listAPI{n: c.n}
		items, stats, _, err := walk(t, api, c.limit)
		if err != nil {
			t.Fatalf("%d/%d: %v", c.n, c.limit, err)
		}
		checkAll(t, items, c.n)
		if api.requests() != c.requests || stats.Requests != c.requests || stats.Walks != 1 || stats.Total != int64(c.n) {
			t.Errorf("%d/%d: %d requests (stats %+v), want %d", c.n, c.limit, api.requests(), stats, c.requests)
		}
	}
}

// Documented placeholder totals are not trusted: the walk ends on the
// first short page.
func TestWalkPlaceholderTotals(t *testing.T) {
	for _, total := range []string{"", "0", "null", strconv.Itoa(math.MaxInt32), `"abc"`, "-1"} {
		api := &listAPI{n: 1000, rewrite: func(_ pageReq, elems []string, _ int) string { return listBody(elems, total) }}
		items, stats, _, err := walk(t, api, 500)
		if err != nil {
			t.Fatalf("total %q: %v", total, err)
		}
		checkAll(t, items, 1000)
		if api.requests() != 3 || stats.Total != -1 {
			t.Errorf("total %q: %d requests, stats %+v; want 3 (the empty third page ends it)", total, api.requests(), stats)
		}
	}
}

// One inconsistency (the fleet changed during the walk) costs one fresh
// walk; a second one fails the walk. Never a success with wrong data.
func TestWalkInconsistencies(t *testing.T) {
	short := func(elems []string, total int) string { return listBody(elems[:len(elems)-100], strconv.Itoa(total)) }
	cases := map[string]func(r pageReq, elems []string, total int) string{
		"short first page": func(r pageReq, e []string, n int) string {
			if r.offset == 0 {
				return short(e, n)
			}
			return ""
		},
		"short middle page": func(r pageReq, e []string, n int) string {
			if r.offset == 500 {
				return short(e, n)
			}
			return ""
		},
		"total changes": func(r pageReq, e []string, n int) string {
			if r.offset == 1000 {
				return listBody(e, strconv.Itoa(n+1))
			}
			return ""
		},
		"total missing later": func(r pageReq, e []string, n int) string {
			if r.offset == 1000 {
				return listBody(e, "")
			}
			return ""
		},
		"duplicate across pages": func(r pageReq, e []string, n int) string {
			if r.offset == 1000 {
				e[0] = `{"id":"t00003","name":"again"}`
				return listBody(e, strconv.Itoa(n))
			}
			return ""
		},
		"duplicate inside a page": func(r pageReq, e []string, n int) string {
			if r.offset == 0 {
				e[1] = e[0]
				return listBody(e, strconv.Itoa(n))
			}
			return ""
		},
		"last page too long": func(r pageReq, e []string, n int) string {
			if r.offset == 1000 {
				return listBody(append(e, `{"id":"extra"}`), strconv.Itoa(n))
			}
			return ""
		},
	}
	for name, bad := range cases {
		t.Run(name+"/once", func(t *testing.T) {
			var mu sync.Mutex
			fired := false // the fault hits one request only
			api := &listAPI{n: 1234}
			api.rewrite = func(r pageReq, e []string, n int) string {
				mu.Lock()
				defer mu.Unlock()
				if fired {
					return ""
				}
				out := bad(r, e, n)
				fired = out != ""
				return out
			}
			items, stats, _, err := walk(t, api, 500)
			if err != nil {
				t.Fatal(err)
			}
			checkAll(t, items, 1234)
			if stats.Walks != 2 {
				t.Errorf("walks = %d, want 2", stats.Walks)
			}
		})
		t.Run(name+"/always", func(t *testing.T) {
			api := &listAPI{n: 1234, rewrite: bad}
			items, stats, _, err := walk(t, api, 500)
			var inc *InconsistentError
			if !errors.As(err, &inc) || items != nil || stats.Walks != 2 || !strings.Contains(err.Error(), "second walk") {
				t.Fatalf("err %v, %d items, walks %d", err, len(items), stats.Walks)
			}
		})
	}
}

// An API that ignores offset is caught on the second page, with or
// without a total, and not walked again.
func TestWalkIgnoredOffset(t *testing.T) {
	for _, total := range []string{"1234", ""} {
		api := &listAPI{n: 1234}
		api.rewrite = func(r pageReq, _ []string, _ int) string {
			var e []string
			for i := 0; i < r.limit; i++ {
				e = append(e, fmt.Sprintf(`{"id":"t%05d"}`, i))
			}
			return listBody(e, total)
		}
		_, stats, _, err := walk(t, api, 500)
		if err == nil || !strings.Contains(err.Error(), "ignores offset") || api.requests() != 2 || stats.Walks != 1 {
			t.Errorf("total %q: err %v after %d requests, %d walks", total, err, api.requests(), stats.Walks)
		}
	}
}

// A 2xx body whose list is missing or not a list is an error, not an
// empty fleet, and is not retried.
func TestWalkBadListKey(t *testing.T) {
	for name, body := range map[string]string{
		"missing":     `{"total":3}`,
		"null":        `{"things":null,"total":3}`,
		"object":      `{"things":{},"total":3}`,
		"string":      `{"things":"x","total":3}`,
		"number":      `{"things":7,"total":3}`,
		"twice":       `{"things":[],"things":[],"total":0}`,
		"not object":  `[{"id":"a"}]`,
		"bare string": `"hello"`,
	} {
		api := &listAPI{n: 3, rewrite: func(pageReq, []string, int) string { return body }}
		_, _, _, err := walk(t, api, 500)
		var inv *InvalidResponseError
		if !errors.As(err, &inv) || api.requests() != 1 {
			t.Errorf("%s: err %v after %d requests", name, err, api.requests())
		}
	}
}

// Elements that are not objects or lack a valid id are skipped and
// counted, never exported; the page still counts them towards the total.
func TestWalkJunkItems(t *testing.T) {
	junk := []string{`42`, `"junk"`, `null`, `[1,2]`, `true`, `{"name":"no id"}`, `{"id":""}`, `{"id":7}`,
		`{"id":"` + strings.Repeat("x", MaxLabelLen+1) + `"}`, `{"id":"a\u0000b"}`, `{"id":{"x":1}}`}
	api := &listAPI{n: 600, rewrite: func(r pageReq, e []string, n int) string {
		if r.offset == 500 {
			copy(e, junk)
			return listBody(e, strconv.Itoa(n))
		}
		return ""
	}}
	items, stats, obs, err := walk(t, api, 500)
	if err != nil {
		t.Fatal(err)
	}
	// {"id":7}: encoding/json refuses a number for a string field, so the
	// id is absent and the element invalid.
	if want := 600 - len(junk); len(items) != want || stats.Invalid != len(junk) || obs.invalid != len(junk) {
		t.Errorf("%d items (want %d), invalid %d, observed %d", len(items), want, stats.Invalid, obs.invalid)
	}
	for _, it := range items {
		if !ValidID(it.ID) {
			t.Errorf("invalid id exported: %q", it.ID)
		}
	}
}

// A page with more elements than asked for is refused, and read no
// further than the limit.
func TestWalkOversizedPage(t *testing.T) {
	api := &listAPI{n: 2000, rewrite: func(r pageReq, _ []string, _ int) string {
		var e []string
		for i := 0; i < r.limit+1; i++ {
			e = append(e, fmt.Sprintf(`{"id":"o%d"}`, i))
		}
		return listBody(e, "2000")
	}}
	_, _, _, err := walk(t, api, 500)
	if err == nil || !strings.Contains(err.Error(), "more than the 500 items asked for") || api.requests() != 1 {
		t.Fatalf("err %v after %d requests", err, api.requests())
	}
}

func TestWalkPageSizeRejectedIsHalved(t *testing.T) {
	api := &listAPI{n: 700, maxLim: 200}
	items, stats, _, err := walk(t, api, 500)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, items, 700)
	if stats.PageSize != 125 {
		t.Errorf("page size %d", stats.PageSize)
	}
}

func TestWalkBounds(t *testing.T) {
	// A total beyond max_pages is refused before walking.
	api := &listAPI{n: 50*100 + 1}
	var me *MaxPagesError
	if _, _, _, err := walk(t, api, 100); !errors.As(err, &me) || me.Total != 50*100+1 || !strings.Contains(err.Error(), "max_pages") || api.requests() != 1 {
		t.Errorf("huge total: %v after %d requests", err, api.requests())
	}
	// Without a total, endless full pages stop at max_pages.
	endless := &listAPI{n: math.MaxInt32, rewrite: func(_ pageReq, e []string, _ int) string { return listBody(e, "") }}
	if _, _, _, err := walk(t, endless, 10); !errors.As(err, &me) || me.Total != -1 || !strings.Contains(err.Error(), "max_pages") || endless.requests() != 50 {
		t.Errorf("endless: %v after %d requests", err, endless.requests())
	}
}

// Decoding tolerates nested fields of the wrong type and odd totals.
func TestDecodePageShapes(t *testing.T) {
	body := `{"extra":{"deep":[1,{"a":null}]},"total":"2","things":[{"id":"a","name":["x"]},{"id":"b","name":"B"}],"more":"x"}`
	p, err := DecodePage(strings.NewReader(body), "op", "things", "total", 10, decodeThing)
	if err != nil || len(p.Items) != 2 || p.Items[0].Name != "" || p.Items[1].Name != "B" || !p.HasTotal || p.Total != 2 {
		t.Fatalf("%+v %v", p, err)
	}
	for _, broken := range []string{``, `{`, `{"things":[{"id":"a"`, `{"things":[}`, `{"things":[],`} {
		if _, err := DecodePage(strings.NewReader(broken), "op", "things", "total", 10, decodeThing); err == nil {
			t.Errorf("%q decoded", broken)
		}
	}
	var raw json.RawMessage = []byte(`1e3`)
	if n, ok := parseCount(raw); !ok || n != 1000 {
		t.Errorf("1e3 = %d %v", n, ok)
	}
}

// itemStream produces {"things":[{"id":"i0"},…n items…],"total":n} lazily,
// so a huge page costs the reader nothing.
type itemStream struct {
	n, next int
	buf     []byte
	done    bool
}

func (s *itemStream) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && !s.done {
		switch {
		case s.next == 0 && s.buf == nil:
			s.buf = append(s.buf, `{"things":[`...)
		case s.next < s.n:
			if s.next > 0 {
				s.buf = append(s.buf, ',')
			}
			s.buf = fmt.Appendf(s.buf, `{"id":"i%d","name":"desktop"}`, s.next)
			s.next++
		default:
			s.buf = fmt.Appendf(s.buf, `],"total":%d}`, s.n)
			s.done = true
		}
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	if n == 0 && s.done {
		return 0, io.EOF
	}
	return n, nil
}

// One page of 1,000,000 items for limit=500 is rejected after reading
// 501 of them: allocations stay those of one page, whatever the size.
func BenchmarkOversizedPageRejected(b *testing.B) {
	for _, n := range []int{500, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s := &itemStream{n: n}
				_, err := DecodePage(s, "op", "things", "total", 500, decodeThing)
				if (err == nil) != (n <= 500) {
					b.Fatal(err)
				}
			}
		})
	}
}

// The same, as a test: the stream is not read much past the limit.
func TestOversizedPageReadsLittle(t *testing.T) {
	s := &itemStream{n: 1_000_000}
	_, err := DecodePage(s, "op", "things", "total", 500, decodeThing)
	if err == nil || s.next > 2000 {
		t.Fatalf("err %v; %d of 1,000,000 items produced", err, s.next)
	}
}

// Any body either decodes into at most limit valid items or fails; it
// never panics and never returns items with an error.
func FuzzDecodePage(f *testing.F) {
	for _, s := range []string{
		`{"things":[{"id":"a"},{"id":"b"}],"total":2}`, `{"things":[1,"x",null,{"id":""}],"total":"4"}`,
		`{"things":null}`, `{"things":[{"id":"a"}],"things":[]}`, `[1]`, `{"total":1e999,"things":[]}`,
		`{"a":{"b":[{"c":[[[[[]]]]]}]},"things":[{"id":"a","name":{"x":[1]}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodePage(bytes.NewReader(body), "op", "things", "total", 5, decodeThing)
		if err != nil {
			return
		}
		if p.Elements > 5 || len(p.Items)+p.Invalid != p.Elements || len(p.IDs) != len(p.Items) {
			t.Fatalf("page %+v", p)
		}
		for _, id := range p.IDs {
			if !ValidID(id) {
				t.Fatalf("invalid id %q", id)
			}
		}
	})
}
