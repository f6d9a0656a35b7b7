package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

func TestNewServerValidatesOptions(t *testing.T) {
	cred := []Credential{{AccessKey: "ak", SecretKey: "sk"}}
	for name, c := range map[string]struct {
		o    ServerOptions
		want string
	}{
		"no credentials":   {ServerOptions{}, "at least one credential"},
		"empty secret key": {ServerOptions{Credentials: []Credential{{AccessKey: "ak"}}}, "credential 0: AccessKey and SecretKey"},
		"empty access key": {ServerOptions{Credentials: []Credential{cred[0], {SecretKey: "sk"}}}, "credential 1: AccessKey and SecretKey"},
		"duplicate key":    {ServerOptions{Credentials: []Credential{{AccessKey: "ak", SecretKey: "1"}, {AccessKey: "ak", SecretKey: "2"}}}, `access key "ak" is configured twice`},
		"bad total mode":   {ServerOptions{Credentials: cred, TotalCount: TotalCountMode(99)}, "TotalCount mode 99"},
	} {
		if _, err := NewServer(&toy{}, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to say %s", name, err, c.want)
		}
	}
	s, err := NewServer(&toy{}, ServerOptions{Credentials: cred})
	if err != nil {
		t.Fatal(err)
	}
	if s.TotalCountMode() != TotalExact || time.Since(s.Now()).Abs() > time.Minute {
		t.Errorf("defaults: mode %s, clock %v", s.TotalCountMode(), s.Now())
	}
	if c, ok := s.Credential("ak"); !ok || c != cred[0] {
		t.Errorf("Credential(ak) = %+v, %v", c, ok)
	}
	if _, ok := s.Credential("nope"); ok {
		t.Error("Credential(nope) found")
	}
}

func TestStartAndClose(t *testing.T) {
	s, _ := newToy(t, 1, toyOptions())
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(base) {
		t.Errorf("base URL %q", base)
	}
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("second Start succeeded")
	}
	if r := get(t, base, req{}); r.status != 200 {
		t.Errorf("status %d", r.status)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := http.Get(base); err == nil {
		t.Error("server still answers after Close")
	}
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("Start after Close succeeded")
	}
	s2, _ := newToy(t, 1, toyOptions())
	if _, err := s2.Start("256.0.0.1:0"); err == nil {
		t.Error("Start on a bad address succeeded")
	}
}

var requestIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func checkCommonHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	if id := h.Get("X-Request-Id"); !requestIDPattern.MatchString(id) {
		t.Errorf("%s: X-Request-Id %q", what, id)
	}
	if h.Get("Server") != "toy-gateway" || h.Get("Content-Type") != "application/json" {
		t.Errorf("%s: Server %q, Content-Type %q", what, h.Get("Server"), h.Get("Content-Type"))
	}
}

// TestCommonResponseHeaders: every answer carries a fresh request id, the
// provider's headers and the JSON content type.
func TestCommonResponseHeaders(t *testing.T) {
	s, base := startToy(t, 5)
	seen := map[string]bool{}
	check := func(what string, r response, status int) {
		t.Helper()
		if r.status != status {
			t.Errorf("%s: status %d, want %d: %s", what, r.status, status, r.body)
		}
		checkCommonHeaders(t, what, r.header)
		id := r.header.Get("X-Request-Id")
		if seen[id] {
			t.Errorf("%s: X-Request-Id %s repeated", what, id)
		}
		seen[id] = true
	}
	check("200", get(t, base, req{}), 200)
	check("401", get(t, base, req{ak: toyAK, sk: "wrong"}), 401)
	check("400", get(t, base, req{query: url.Values{"limit": {"0"}}}), 400)
	check("404", get(t, base, req{path: "/v1/nope"}), 404)
	check("405", get(t, base, req{method: http.MethodPut}), 405)
	s.InjectFault(Fault{Kind: FaultThrottle, Count: 1})
	check("429", get(t, base, req{}), 429)
}

// TestRoutingOrder: an unknown path is answered 404 only after
// authentication; the method is checked after both.
func TestRoutingOrder(t *testing.T) {
	s, base := startToy(t, 5)
	if r := get(t, base, req{path: "/v1/nothing", sk: "wrong", ak: toyAK}); r.status != 401 || toyErr(t, r).Code != "TOY.401" {
		t.Errorf("unsigned unknown path: %d %s", r.status, r.body)
	}
	r := get(t, base, req{path: "/v1/nothing"})
	if e := toyErr(t, r); r.status != 404 || e != (toyError{Code: "TOY.404", Message: "No such thing.", Status: 404}) {
		t.Errorf("unknown path: %d %s", r.status, r.body)
	}
	if r := get(t, base, req{method: http.MethodPost, sk: "wrong", ak: toyAK}); r.status != 401 {
		t.Errorf("unsigned POST: %d", r.status)
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		r := get(t, base, req{method: m})
		want := toyError{Code: "TOY.405", Message: "Wrong method.", Detail: "Method " + m + " is not allowed; use GET.", Status: 405}
		if r.status != 405 || r.header.Get("Allow") != "GET" || toyErr(t, r) != want {
			t.Errorf("%s: %d, Allow %q, %s", m, r.status, r.header.Get("Allow"), r.body)
		}
	}
	if got := s.Requests(OperationUnknown); got != 2 {
		t.Errorf("Requests(Unknown) = %d, want 2", got)
	}
	if got := s.Requests(opItems.Name); got != 4 {
		t.Errorf("Requests(ListItems) = %d, want 4", got)
	}
}

// TestRequestBody: the body is capped at 12 MB and read before the
// request is authenticated.
func TestRequestBody(t *testing.T) {
	_, base := startToy(t, 5)
	r := get(t, base, req{method: http.MethodPost, ak: "nobody", body: bytes.NewReader(make([]byte, 12<<20+1))})
	if e := toyErr(t, r); r.status != 413 || e != (toyError{Code: "TOY.413", Message: "Too big.", Detail: "The request body exceeds 12 MB.", Status: 413}) {
		t.Errorf("13 MB body: %d %s", r.status, r.body)
	}
	if r := get(t, base, req{body: bytes.NewReader(make([]byte, 12<<20))}); r.status != 200 {
		t.Errorf("12 MB body: %d %s", r.status, r.body)
	}
	s, _ := newToy(t, 1, toyOptions())
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/items", iotest.ErrReader(errors.New("reset"))))
	var e toyError
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || rec.Code != 400 || e != (toyError{Code: "TOY.400", Message: "Unreadable.", Detail: "The request body could not be read.", Status: 400}) {
		t.Errorf("unreadable body: %d %s", rec.Code, rec.Body)
	}
}

func TestRequestCounters(t *testing.T) {
	s, base := startToy(t, 5)
	get(t, base, req{})
	get(t, base, req{})
	get(t, base, req{ak: toyAK, sk: "nope"})
	get(t, base, req{query: url.Values{"limit": {"0"}}})
	get(t, base, req{path: "/v1/x"})
	get(t, base, req{path: "/v1/status"})
	if got := s.Requests(opItems.Name); got != 4 {
		t.Errorf("Requests = %d, want 4", got)
	}
	if got := s.Requests(""); got != 6 {
		t.Errorf(`Requests("") = %d, want 6`, got)
	}
	want := map[int]int64{200: 2, 401: 1, 400: 1}
	if got := s.RequestsByStatus(opItems.Name); !reflect.DeepEqual(got, want) {
		t.Errorf("RequestsByStatus = %v, want %v", got, want)
	}
	if got := s.RequestsByStatus(""); !reflect.DeepEqual(got, map[int]int64{200: 3, 401: 1, 400: 1, 404: 1}) {
		t.Errorf(`RequestsByStatus("") = %v`, got)
	}
	s.ResetCounters()
	if s.Requests("") != 0 || len(s.RequestsByStatus("")) != 0 {
		t.Error("ResetCounters left counts")
	}
}

func TestServeVerbatim(t *testing.T) {
	s, base := startToy(t, 5)
	// Odd spacing and an invalid limit: the body comes back byte for byte,
	// before parameter validation.
	example := []byte("{\n \"items\" : [{ \"id\" : \"x\" }],\n \"count\" : 1\n}\n")
	s.ServeVerbatim(opItems.Name, 200, example)
	for range 2 {
		r := get(t, base, req{query: url.Values{"limit": {"0"}}})
		if r.status != 200 || !bytes.Equal(r.body, example) {
			t.Fatalf("verbatim: %d %q", r.status, r.body)
		}
	}
	errBody := []byte(`{"code":"TOY.403","message":"Not for you."}`)
	s.ServeVerbatim(opItems.Name, 403, errBody)
	if r := get(t, base, req{}); r.status != 403 || !bytes.Equal(r.body, errBody) {
		t.Fatalf("verbatim 403: %d %q", r.status, r.body)
	}
	// Authentication still applies, faults apply first, other operations
	// are not affected.
	if r := get(t, base, req{ak: toyAK, sk: "bad"}); r.status != 401 {
		t.Errorf("verbatim skipped authentication: %d", r.status)
	}
	s.InjectFault(Fault{Kind: FaultThrottle, Count: 1})
	if r := get(t, base, req{}); r.status != 429 {
		t.Errorf("fault with verbatim: %d", r.status)
	}
	if r := get(t, base, req{path: "/v1/status"}); string(r.body) != `{"ok":true}` {
		t.Errorf("other operation: %s", r.body)
	}
	s.ServeVerbatim(opItems.Name, 0, nil)
	if _, ib := list(t, base, nil); len(ib.Items) != 5 {
		t.Errorf("after clearing: %d items", len(ib.Items))
	}
}

func TestServeHTTPDirectly(t *testing.T) {
	s, _ := newToy(t, 3, toyOptions())
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/items", nil))
	if rec.Code != 401 {
		t.Errorf("unsigned: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/v1/items", nil)
	r.Header.Set("Authorization", "Toy "+toyAK+":"+toySK)
	s.ServeHTTP(rec, r)
	var ib itemsBody
	if err := json.Unmarshal(rec.Body.Bytes(), &ib); rec.Code != 200 || err != nil || len(ib.Items) != 3 {
		t.Fatalf("signed: %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) {
		t.Errorf("Content-Length %s for %d bytes", rec.Header().Get("Content-Length"), rec.Body.Len())
	}
}

// TestStepAndRun: Step calls the provider's step with the Server's clock;
// Run steps until its context ends or the Server closes.
func TestStepAndRun(t *testing.T) {
	clock := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	o := toyOptions()
	o.Now = func() time.Time { return clock }
	s, p := newToy(t, 3, o)
	s.Step()
	s.ReadFleet(func() {
		if len(p.items) != 4 || !p.lastStep.Equal(clock) {
			t.Errorf("after Step: %d items, last step %v", len(p.items), p.lastStep)
		}
	})
	items := func() int {
		n := 0
		s.ReadFleet(func() { n = len(p.items) })
		return n
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx, time.Millisecond); close(done) }()
	eventually(t, "Run to step", func() bool { return items() >= 6 })
	cancel()
	<-done
	after := items()
	time.Sleep(20 * time.Millisecond)
	if items() != after {
		t.Error("Run stepped after its context ended")
	}
	done = make(chan struct{})
	go func() { s.Run(context.Background(), time.Millisecond); close(done) }()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	s.UpdateFleet(func() { p.items = p.items[:1] })
	if items() != 1 {
		t.Errorf("UpdateFleet: %d items", items())
	}
}

// TestConcurrentListAndStep pages through the items from several clients
// while Run evolves them; run with -race.
func TestConcurrentListAndStep(t *testing.T) {
	s, base := startToy(t, 200)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx, time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for c := range 4 {
		var reqs []*http.Request
		for i := range 6 {
			off := (c + i) % 6 * 20
			reqs = append(reqs, toyRequest(t, base, req{query: url.Values{"offset": {strconv.Itoa(off)}, "state": {"on"}}}))
		}
		wg.Go(func() {
			for _, r := range reqs {
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					errs <- err
					return
				}
				var ib itemsBody
				err = json.NewDecoder(resp.Body).Decode(&ib)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d, decode error %v", resp.StatusCode, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := s.RequestsByStatus(""); got[200] != 24 || len(got) != 1 {
		t.Errorf("RequestsByStatus %v, want 24 successes", got)
	}
}
