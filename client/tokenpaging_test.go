package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

var tokenOp = Operation{Name: "ListTokens", Method: http.MethodGet, Path: "/v2/tokens"}

// tokenAPI serves n things in pages of MaxResults, the token being the
// next position; answer, when set, may rewrite a page (call counts from 1).
type tokenAPI struct {
	n      int
	total  bool
	answer func(call, pos int, items []string, next string) string
	calls  atomic.Int32
}

func (a *tokenAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := int(a.calls.Add(1))
	limit, _ := strconv.Atoi(r.URL.Query().Get("MaxResults"))
	pos := 0
	if tok := r.URL.Query().Get("NextToken"); tok != "" {
		pos, _ = strconv.Atoi(strings.TrimPrefix(tok, "tok-"))
	}
	var items []string
	for i := pos; i < min(pos+limit, a.n); i++ {
		items = append(items, fmt.Sprintf(`{"id":"t%05d"}`, i))
	}
	next := ""
	if pos+limit < a.n {
		next = fmt.Sprintf("tok-%d", pos+limit)
	}
	if a.answer != nil {
		if body := a.answer(call, pos, items, next); body != "" {
			fmt.Fprint(w, body)
			return
		}
	}
	fmt.Fprint(w, tokenBody(items, next, a.total, a.n))
}

func tokenBody(items []string, next string, withTotal bool, total int) string {
	b := `{"Items":[` + strings.Join(items, ",") + `],"NextToken":` + strconv.Quote(next)
	if withTotal {
		b += `,"TotalCount":` + strconv.Itoa(total)
	}
	return b + `}`
}

func walkTokens(t *testing.T, api *tokenAPI, limit int) ([]thing, WalkStats, error) {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	tr, _ := newTestTransport(t, srv.URL, nil)
	return WalkToken(context.Background(), tr, TokenList{Op: tokenOp, ListKey: "Items", TokenKey: "NextToken", TotalKey: "TotalCount",
		LimitParam: "MaxResults", TokenParam: "NextToken", Limit: limit, MaxPages: 50}, decodeThingRaw)
}

func TestWalkTokenExact(t *testing.T) {
	for _, c := range []struct{ n, requests int }{{0, 1}, {1, 1}, {100, 1}, {101, 2}, {250, 3}} {
		for _, total := range []bool{false, true} {
			api := &tokenAPI{n: c.n, total: total}
			items, stats, err := walkTokens(t, api, 100)
			if err != nil {
				t.Fatalf("%d: %v", c.n, err)
			}
			checkAll(t, items, c.n)
			if int(api.calls.Load()) != c.requests || stats.Requests != c.requests || stats.Walks != 1 {
				t.Errorf("%d (total %v): %d requests, stats %+v", c.n, total, api.calls.Load(), stats)
			}
		}
	}
}

func TestWalkTokenFailures(t *testing.T) {
	cases := map[string]struct {
		answer func(call, pos int, items []string, next string) string
		check  func(error) bool
		calls  int32
	}{
		"token repeated": {func(_, pos int, items []string, _ string) string {
			return tokenBody(items, "tok-100", false, 0) // always points at the second page
		}, func(err error) bool { return strings.Contains(err.Error(), "same NextToken twice") }, 2},
		"page too long": {func(_, _ int, items []string, next string) string {
			return tokenBody(append(items, `{"id":"x"}`), next, false, 0)
		}, func(err error) bool { var e *InvalidResponseError; return errors.As(err, &e) }, 1},
		"token not a string": {func(int, int, []string, string) string { return `{"Items":[],"NextToken":7}` },
			func(err error) bool { var e *InvalidResponseError; return errors.As(err, &e) }, 1},
		"token too long": {func(_, _ int, items []string, _ string) string {
			return tokenBody(items, strings.Repeat("t", maxTokenLen+1), false, 0)
		}, func(err error) bool { return strings.Contains(err.Error(), "bytes long") }, 1},
		"duplicate every walk": {func(_, pos int, items []string, next string) string {
			if pos == 100 {
				items[0] = `{"id":"t00000"}`
				return tokenBody(items, next, false, 0)
			}
			return ""
		}, func(err error) bool { var e *InconsistentError; return errors.As(err, &e) }, 6},
		"total never matches": {func(_, _ int, items []string, next string) string {
			return tokenBody(items, next, true, 999)
		}, func(err error) bool { var e *InconsistentError; return errors.As(err, &e) }, 6},
	}
	for name, c := range cases {
		api := &tokenAPI{n: 250, answer: c.answer}
		items, _, err := walkTokens(t, api, 100)
		if err == nil || items != nil || !c.check(err) || api.calls.Load() != c.calls {
			t.Errorf("%s: err %v, %d items, %d requests (want %d)", name, err, len(items), api.calls.Load(), c.calls)
		}
	}
	// Endless distinct tokens stop at max_pages.
	endless := &tokenAPI{n: 1 << 30}
	var me *MaxPagesError
	if _, _, err := walkTokens(t, endless, 10); !errors.As(err, &me) || !strings.Contains(err.Error(), "max_pages") || endless.calls.Load() != 50 {
		t.Errorf("endless: %v after %d requests", err, endless.calls.Load())
	}
}

// One duplicate (the list changed during the walk) costs a fresh walk;
// junk elements are skipped and counted.
func TestWalkTokenRecoversAndSkips(t *testing.T) {
	api := &tokenAPI{n: 250}
	api.answer = func(call, pos int, items []string, next string) string {
		switch {
		case call == 2: // the first walk's second page repeats an item
			items[0] = `{"id":"t00000"}`
			return tokenBody(items, next, false, 0)
		case pos == 200:
			items[0], items[1] = `42`, `{"name":"no id"}`
			return tokenBody(items, next, false, 0)
		}
		return ""
	}
	items, stats, err := walkTokens(t, api, 100)
	if err != nil || len(items) != 248 || stats.Walks != 2 || stats.Invalid != 2 {
		t.Fatalf("err %v, %d items, stats %+v", err, len(items), stats)
	}
}
