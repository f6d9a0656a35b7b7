package client

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// capAPI is a listAPI that records the offsets asked for and answers an
// offset past maxOffset with 400, as an API enforcing its cap would.
type capAPI struct {
	listAPI
	maxOffset int
	mu        sync.Mutex
	offsets   []int
}

func newCapAPI(n, maxOffset int, total string) *capAPI {
	a := &capAPI{listAPI: listAPI{n: n}, maxOffset: maxOffset}
	if total != "" {
		a.rewrite = func(_ pageReq, elems []string, _ int) string { return listBody(elems, total) }
	}
	return a
}

func (a *capAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	a.mu.Lock()
	a.offsets = append(a.offsets, offset)
	a.mu.Unlock()
	if offset > a.maxOffset {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error_code":"OFFSET","error_msg":"offset out of range"}`)
		return
	}
	a.listAPI.ServeHTTP(w, r)
}

// requests counts every request, refused ones included.
func (a *capAPI) requests() int { a.mu.Lock(); defer a.mu.Unlock(); return len(a.offsets) }

func (a *capAPI) largest() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	most := -1
	for _, o := range a.offsets {
		most = max(most, o)
	}
	return most
}

func walkCapped(t *testing.T, a *capAPI, limit int) ([]thing, WalkStats, error) {
	t.Helper()
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	tr, _ := newTestTransport(t, srv.URL, nil)
	return WalkOffset(context.Background(), tr, OffsetList{
		Op: testOp, ListKey: "things", TotalKey: "total", Limit: limit, MaxPages: 50, Concurrency: 3, MaxOffset: a.maxOffset,
	}, decodeThing)
}

// A trusted total the cap cannot reach fails at once, after the first
// page, with no request past the cap.
func TestOffsetCapTrustedTotalFailsFirst(t *testing.T) {
	for _, n := range []int{3001, 4500, 10000} {
		a := newCapAPI(n, 2000, "")
		items, _, err := walkCapped(t, a, 1000)
		var ce *OffsetCapError
		if !errors.As(err, &ce) || items != nil {
			t.Fatalf("%d: %v, %d items; want an *OffsetCapError", n, err, len(items))
		}
		if ce.Total != int64(n) || ce.MaxOffset != 2000 || ce.Limit != 1000 || ce.Op != testOp.Name {
			t.Errorf("%d: %+v", n, ce)
		}
		if a.requests() != 1 || a.largest() != 0 {
			t.Errorf("%d: %d requests, largest offset %d; want only the first page", n, a.requests(), a.largest())
		}
	}
}

// Without a total to trust, full pages are followed up to the cap, and
// the walk stops before the first request past it.
func TestOffsetCapPlaceholderTotalStopsAtTheCap(t *testing.T) {
	for _, total := range []string{"0", "null", strconv.Itoa(math.MaxInt32), "-1"} {
		a := newCapAPI(10000, 2000, total)
		items, _, err := walkCapped(t, a, 1000)
		var ce *OffsetCapError
		if !errors.As(err, &ce) || items != nil || ce.Total != -1 {
			t.Fatalf("total %s: %v %+v, %d items", total, err, ce, len(items))
		}
		if a.requests() != 3 || a.largest() != 2000 {
			t.Errorf("total %s: %d requests, largest offset %d; want 0, 1000 and 2000", total, a.requests(), a.largest())
		}
	}
}

// A list that fits under the cap is walked as without one: a trusted
// total whose last page starts at the cap, and a placeholder total whose
// short page comes at or before it.
func TestOffsetCapListThatFits(t *testing.T) {
	for _, c := range []struct {
		n        int
		total    string
		requests int
	}{{3000, "", 3}, {2999, "0", 3}, {2500, "", 3}, {999, "", 1}, {0, "", 1}, {1500, "null", 2}} {
		a := newCapAPI(c.n, 2000, c.total)
		items, stats, err := walkCapped(t, a, 1000)
		if err != nil {
			t.Fatalf("%d/%q: %v", c.n, c.total, err)
		}
		checkAll(t, items, c.n)
		if a.requests() != c.requests || stats.Requests != c.requests || a.largest() > 2000 {
			t.Errorf("%d/%q: %d requests (stats %d), largest offset %d; want %d", c.n, c.total, a.requests(), stats.Requests, a.largest(), c.requests)
		}
	}
	// MaxOffset 0 is no cap.
	a := newCapAPI(5000, 0, "")
	a.maxOffset = math.MaxInt
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	tr, _ := newTestTransport(t, srv.URL, nil)
	items, _, err := WalkOffset(context.Background(), tr, OffsetList{Op: testOp, ListKey: "things", TotalKey: "total", Limit: 1000, MaxPages: 50}, decodeThing)
	if err != nil || len(items) != 5000 {
		t.Errorf("no cap: %d items, %v", len(items), err)
	}
}

// The error names the operation, the total, the cap and how far a client
// can read.
func TestOffsetCapErrorMessage(t *testing.T) {
	for _, c := range []struct {
		err  *OffsetCapError
		want []string
	}{
		{&OffsetCapError{Op: "ListConnectDesktops", Total: 4500, MaxOffset: 2000, Limit: 2000},
			[]string{"ListConnectDesktops", "4500", "offsets stop at 2000", "first 4000"}},
		{&OffsetCapError{Op: "ListThings", Total: -1, MaxOffset: 2000, Limit: 500},
			[]string{"ListThings", "past offset 2000", "first 2500"}},
	} {
		msg := c.err.Error()
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q does not name %q", msg, w)
			}
		}
		if c.err.Total < 0 && strings.Contains(msg, "-1") {
			t.Errorf("%q shows the absent total", msg)
		}
	}
}
