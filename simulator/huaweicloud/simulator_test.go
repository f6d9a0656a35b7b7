package huaweicloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer/algorithm"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// eventually polls cond for up to five seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const (
	testProject = "0bec5db98280d2d02fd6c00c2de791ce"
	testAK      = "HPUAEXAMPLEPERMANENT"
	testSK      = "pErManentSecretKey0123456789abcdefGHIJKL"
	testTempAK  = "HSTAEXAMPLETEMPORARY"
	testTempSK  = "tEmporarySecretKey0123456789abcdefGHIJKL"
	testToken   = "gQpjbi1ub3J0aC00iwEAAHsiYWNjZXNzIjoiVEVNUE9SQVJZIn0-example-security-token"
	listPath    = "/v2/{project_id}/desktops/detail"
)

func testOptions(n int) Options {
	return Options{
		ProjectID: testProject,
		Credentials: []simulator.Credential{
			{AccessKey: testAK, SecretKey: testSK},
			{AccessKey: testTempAK, SecretKey: testTempSK, SecurityToken: testToken},
		},
		Desktops: n,
		Seed:     42,
	}
}

// startSim starts a simulator on loopback and closes it when the test ends.
func startSim(t testing.TB, opts Options) (*Simulator, string) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, base
}

// signed describes a request signed by the real SDK.
type signed struct {
	ak, sk, token string
	credProject   string // project of the credentials (X-Project-Id); default testProject
	pathProject   string // explicit {project_id}; default: filled from the credentials
	method, path  string
	query         map[string]any // string or []string values
	headers       map[string]string
}

// sdkRequest builds and signs a request with huaweicloud-sdk-go-v3, the
// way the exporter's client does.
func sdkRequest(t testing.TB, base string, o signed) *http.Request {
	t.Helper()
	if o.ak == "" {
		o.ak, o.sk = testAK, testSK
	}
	if o.credProject == "" {
		o.credProject = testProject
	}
	if o.method == "" {
		o.method = http.MethodGet
	}
	if o.path == "" {
		o.path = listPath
	}
	b := request.NewHttpRequestBuilder().WithEndpoint(base).WithPath(o.path).WithMethod(o.method).
		WithSigningAlgorithm(algorithm.HmacSHA256)
	if o.pathProject != "" {
		b.AddPathParam("project_id", o.pathProject)
	}
	for k, v := range o.query {
		b.AddQueryParam(k, reflect.ValueOf(v))
	}
	b.AddHeaderParam("Content-Type", "application/json")
	for k, v := range o.headers {
		b.AddHeaderParam(k, v)
	}
	req := b.Build()
	cb := basic.NewCredentialsBuilder().WithAk(o.ak).WithSk(o.sk).WithProjectId(o.credProject)
	if o.token != "" {
		cb.WithSecurityToken(o.token)
	}
	cred, err := cb.SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	req, err = cred.ProcessAuthRequest(nil, req)
	if err != nil {
		t.Fatal(err)
	}
	hr, err := req.ConvertRequest()
	if err != nil {
		t.Fatal(err)
	}
	return hr
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t testing.TB, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

type apiErrorBody struct {
	Code   string `json:"error_code"`
	Msg    string `json:"error_msg"`
	Detail string `json:"error_detail"`
}

func errorCode(t testing.TB, r response) string {
	t.Helper()
	var e apiErrorBody
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", r.body, err)
	}
	return e.Code
}

type listBody struct {
	Desktops   []Desktop `json:"desktops"`
	TotalCount *int      `json:"total_count"`
}

// list fetches one page with the given query.
func list(t testing.TB, base string, query map[string]any) (response, listBody) {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{query: query}))
	var lb listBody
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &lb); err != nil {
			t.Fatalf("list body is not JSON: %v", err)
		}
	}
	return r, lb
}

func TestNewValidatesOptions(t *testing.T) {
	cred := []simulator.Credential{{AccessKey: "ak", SecretKey: "sk"}}
	for name, o := range map[string]Options{
		"no project":         {Credentials: cred},
		"slash in project":   {ProjectID: "a/b", Credentials: cred},
		"no credentials":     {ProjectID: "p"},
		"empty secret key":   {ProjectID: "p", Credentials: []simulator.Credential{{AccessKey: "ak"}}},
		"empty access key":   {ProjectID: "p", Credentials: []simulator.Credential{{SecretKey: "sk"}}},
		"duplicate key":      {ProjectID: "p", Credentials: []simulator.Credential{{AccessKey: "ak", SecretKey: "1"}, {AccessKey: "ak", SecretKey: "2"}}},
		"negative desktops":  {ProjectID: "p", Credentials: cred, Desktops: -1},
		"negative max limit": {ProjectID: "p", Credentials: cred, MaxLimit: -5},
		"huge max limit":     {ProjectID: "p", Credentials: cred, MaxLimit: 1001},
		"bad total mode":     {ProjectID: "p", Credentials: cred, TotalCount: simulator.TotalCountMode(99)},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: New accepted %+v", name, o)
		}
	}
	s, err := New(Options{ProjectID: "p", Credentials: cred})
	if err != nil {
		t.Fatal(err)
	}
	if s.api.desktopLimits.Max != DefaultMaxLimit || len(s.Desktops()) != 0 {
		t.Errorf("defaults: maxLimit %d, %d desktops", s.api.desktopLimits.Max, len(s.Desktops()))
	}
}

// walk pages through the fleet the way a careful client does: it stops on
// a short page, whatever total_count says.
func walk(t *testing.T, base string, limit int) (ids []string, totals []*int) {
	t.Helper()
	for offset := 0; ; offset += limit {
		r, lb := list(t, base, map[string]any{"offset": strconv.Itoa(offset), "limit": strconv.Itoa(limit)})
		if r.status != http.StatusOK {
			t.Fatalf("offset %d: status %d: %s", offset, r.status, r.body)
		}
		for _, d := range lb.Desktops {
			ids = append(ids, d.DesktopID)
		}
		totals = append(totals, lb.TotalCount)
		if len(lb.Desktops) < limit {
			return ids, totals
		}
		if offset > 100*limit {
			t.Fatal("runaway walk")
		}
	}
}

func TestPagingWalksEveryDesktopOnce(t *testing.T) {
	s, base := startSim(t, testOptions(1234))
	var want []string
	for _, d := range s.Desktops() {
		want = append(want, d.DesktopID)
	}
	wantTotal := map[simulator.TotalCountMode]*int{
		simulator.TotalExact:   ptr(1234),
		simulator.TotalOmitted: nil,
		simulator.TotalZero:    ptr(0),
		simulator.TotalMaxInt:  ptr(2147483647),
		simulator.TotalStale:   ptr(1227),
	}
	for mode := simulator.TotalExact; mode <= simulator.TotalStale; mode++ {
		t.Run(mode.String(), func(t *testing.T) {
			s.SetTotalCountMode(mode)
			ids, totals := walk(t, base, 500)
			if !slices.Equal(ids, want) {
				t.Fatalf("walk returned %d ids, want the %d desktops in creation order", len(ids), len(want))
			}
			if len(totals) != 3 {
				t.Fatalf("%d pages, want 3", len(totals))
			}
			for i, got := range totals {
				if !reflect.DeepEqual(got, wantTotal[mode]) {
					t.Errorf("page %d: total_count %v, want %v", i, deref(got), deref(wantTotal[mode]))
				}
			}
		})
	}
	s.SetTotalCountMode(simulator.TotalOmitted)
	r, _ := list(t, base, nil)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["total_count"]; ok {
		t.Error("simulator.TotalOmitted: total_count present")
	}
	s.SetTotalCountMode(simulator.TotalExact)
	// Default limit is 500; an offset past the end gives an empty page.
	_, lb := list(t, base, nil)
	if len(lb.Desktops) != 500 || *lb.TotalCount != 1234 {
		t.Errorf("default page: %d desktops, total %d", len(lb.Desktops), *lb.TotalCount)
	}
	r, lb = list(t, base, map[string]any{"offset": "5000"})
	if r.status != 200 || len(lb.Desktops) != 0 || *lb.TotalCount != 1234 || !bytes.Contains(r.body, []byte(`"desktops":[]`)) {
		t.Errorf("offset past the end: %d %s", r.status, r.body)
	}
	r, lb = list(t, base, map[string]any{"offset": "9223372036854775807"})
	if r.status != 200 || len(lb.Desktops) != 0 {
		t.Errorf("offset MaxInt64: %d %s", r.status, r.body)
	}
	_, lb = list(t, base, map[string]any{"offset": "1233", "limit": "1"})
	if len(lb.Desktops) != 1 || lb.Desktops[0].DesktopID != want[1233] {
		t.Errorf("last desktop: got %v", lb.Desktops)
	}
}

func ptr(i int) *int { return &i }

func deref(p *int) string {
	if p == nil {
		return "absent"
	}
	return strconv.Itoa(*p)
}

func TestTotalStaleNeverNegative(t *testing.T) {
	s, base := startSim(t, testOptions(3))
	s.SetTotalCountMode(simulator.TotalStale)
	_, lb := list(t, base, nil)
	if lb.TotalCount == nil || *lb.TotalCount != 0 || len(lb.Desktops) != 3 {
		t.Errorf("total %v, %d desktops", deref(lb.TotalCount), len(lb.Desktops))
	}
}

func TestLimitAndOffsetValidation(t *testing.T) {
	_, base := startSim(t, testOptions(10))
	for _, c := range []struct {
		query map[string]any
		code  string
	}{
		{map[string]any{"limit": "0"}, "WKS.0509"},
		{map[string]any{"limit": "501"}, "WKS.0509"},
		{map[string]any{"limit": "abc"}, "WKS.0509"},
		{map[string]any{"limit": "-3"}, "WKS.0509"},
		{map[string]any{"limit": "1.5"}, "WKS.0509"},
		{map[string]any{"offset": "-1"}, "WKS.0508"},
		{map[string]any{"offset": "x"}, "WKS.0508"},
	} {
		r, _ := list(t, base, c.query)
		if r.status != http.StatusBadRequest || errorCode(t, r) != c.code {
			t.Errorf("%v: %d %s, want 400 %s", c.query, r.status, r.body, c.code)
		}
	}
	r, lb := list(t, base, map[string]any{"limit": "500", "offset": "0"})
	if r.status != 200 || len(lb.Desktops) != 10 {
		t.Errorf("limit 500: %d, %d desktops", r.status, len(lb.Desktops))
	}
	r, lb = list(t, base, map[string]any{"limit": "3", "offset": "8"})
	if r.status != 200 || len(lb.Desktops) != 2 {
		t.Errorf("limit 3 offset 8: %d, %d desktops", r.status, len(lb.Desktops))
	}
}

func TestMaxLimitOption(t *testing.T) {
	o := testOptions(50)
	o.MaxLimit = 20
	_, base := startSim(t, o)
	_, lb := list(t, base, nil)
	if len(lb.Desktops) != 20 {
		t.Errorf("default page with MaxLimit 20: %d desktops", len(lb.Desktops))
	}
	if r, _ := list(t, base, map[string]any{"limit": "21"}); r.status != 400 {
		t.Errorf("limit 21 with MaxLimit 20: status %d", r.status)
	}
}

var requestIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func checkCommonHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	if id := h.Get("X-Request-Id"); !requestIDPattern.MatchString(id) {
		t.Errorf("%s: X-Request-Id %q", what, id)
	}
	if h.Get("Server") != "api-gateway" || h.Get("Content-Type") != "application/json" {
		t.Errorf("%s: Server %q, Content-Type %q", what, h.Get("Server"), h.Get("Content-Type"))
	}
}

func TestCommonResponseHeaders(t *testing.T) {
	s, base := startSim(t, testOptions(5))
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
	check("200", do(t, sdkRequest(t, base, signed{})), 200)
	check("401", do(t, sdkRequest(t, base, signed{sk: "wrong", ak: testAK})), 401)
	check("400", do(t, sdkRequest(t, base, signed{query: map[string]any{"limit": "0"}})), 400)
	check("404", do(t, sdkRequest(t, base, signed{path: "/v2/{project_id}/desktops/nope"})), 404)
	s.InjectFault(simulator.Fault{Kind: simulator.FaultThrottle, Count: 1})
	check("429", do(t, sdkRequest(t, base, signed{})), 429)
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	s, base := startSim(t, testOptions(5))
	for _, p := range []string{"/v2/{project_id}/desktops", "/v2/{project_id}/desktops/detail/x", "/v1/{project_id}/desktops/detail", "/"} {
		r := do(t, sdkRequest(t, base, signed{path: p}))
		if r.status != http.StatusNotFound || errorCode(t, r) != "WKS.0010" {
			t.Errorf("GET %s: %d %s", p, r.status, r.body)
		}
		var e apiErrorBody
		_ = json.Unmarshal(r.body, &e)
		if e.Msg != "No resources found in the system." {
			t.Errorf("GET %s: error_msg %q", p, e.Msg)
		}
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		r := do(t, sdkRequest(t, base, signed{method: m}))
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET" {
			t.Errorf("%s: %d, Allow %q", m, r.status, r.header.Get("Allow"))
		}
	}
	if got := s.Requests(simulator.OperationUnknown); got != 4 {
		t.Errorf("Requests(Unknown) = %d, want 4", got)
	}
	if got := s.Requests(hwspec.OpListDesktopsDetail); got != 3 {
		t.Errorf("Requests(ListDesktopsDetail) = %d, want 3", got)
	}
	// An unknown path still needs a valid signature.
	req := sdkRequest(t, base, signed{path: "/v2/{project_id}/nothing"})
	req.Header.Del("Authorization")
	if r := do(t, req); r.status != 401 {
		t.Errorf("unsigned unknown path: %d", r.status)
	}
}

func TestServeVerbatim(t *testing.T) {
	s, base := startSim(t, testOptions(5))
	// The 003 example response, with its odd spacing and an id that is
	// not a well-formed UUID, must come back byte for byte.
	example := []byte("{\n \"desktops\" : [{\n \"desktop_id\" : \"cb783682-323a-43fa-9f70-3e87eed5524\",\n \"process\" : null, \"addresses\" : [ ]\n }],\n \"total_count\" : 1\n}\n")
	s.ServeVerbatim(hwspec.OpListDesktopsDetail, 200, example)
	for range 2 {
		r := do(t, sdkRequest(t, base, signed{query: map[string]any{"limit": "0"}}))
		if r.status != 200 || !bytes.Equal(r.body, example) {
			t.Fatalf("verbatim: %d %q", r.status, r.body)
		}
	}
	errBody := []byte(`{"error_code":"WKS.0011","error_msg":"This operation is not allowed because the service has not been enabled for the tenant."}`)
	s.ServeVerbatim(hwspec.OpListDesktopsDetail, 403, errBody)
	if r := do(t, sdkRequest(t, base, signed{})); r.status != 403 || !bytes.Equal(r.body, errBody) {
		t.Fatalf("verbatim 403: %d %q", r.status, r.body)
	}
	// Authentication still applies.
	if r := do(t, sdkRequest(t, base, signed{ak: testAK, sk: "bad"})); r.status != 401 {
		t.Errorf("verbatim skipped authentication: %d", r.status)
	}
	s.ServeVerbatim(hwspec.OpListDesktopsDetail, 0, nil)
	if _, lb := list(t, base, nil); len(lb.Desktops) != 5 {
		t.Errorf("after clearing: %d desktops", len(lb.Desktops))
	}
}

func TestRequestCounters(t *testing.T) {
	s, base := startSim(t, testOptions(5))
	do(t, sdkRequest(t, base, signed{}))
	do(t, sdkRequest(t, base, signed{}))
	do(t, sdkRequest(t, base, signed{ak: testAK, sk: "nope"}))
	do(t, sdkRequest(t, base, signed{query: map[string]any{"limit": "0"}}))
	do(t, sdkRequest(t, base, signed{path: "/v2/{project_id}/x"}))
	if got := s.Requests(hwspec.OpListDesktopsDetail); got != 4 {
		t.Errorf("Requests = %d, want 4", got)
	}
	if got := s.Requests(""); got != 5 {
		t.Errorf("Requests(\"\") = %d, want 5", got)
	}
	want := map[int]int64{200: 2, 401: 1, 400: 1}
	if got := s.RequestsByStatus(hwspec.OpListDesktopsDetail); !reflect.DeepEqual(got, want) {
		t.Errorf("RequestsByStatus = %v, want %v", got, want)
	}
	if got := s.RequestsByStatus(""); got[404] != 1 || got[200] != 2 {
		t.Errorf("RequestsByStatus(\"\") = %v", got)
	}
	s.ResetCounters()
	if s.Requests("") != 0 || len(s.RequestsByStatus("")) != 0 {
		t.Error("ResetCounters left counts")
	}
}

func TestServeHTTPDirectly(t *testing.T) {
	s, err := New(testOptions(3))
	if err != nil {
		t.Fatal(err)
	}
	req := sdkRequest(t, "http://workspace.ap-southeast-3.myhuaweicloud.com", signed{})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(req.Method, req.URL.String(), nil))
	// httptest.NewRequest drops the signature headers: 401.
	if rec.Code != 401 {
		t.Errorf("unsigned: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	req.RequestURI = req.URL.RequestURI()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("signed: %d %s", rec.Code, rec.Body)
	}
	var lb listBody
	if err := json.Unmarshal(rec.Body.Bytes(), &lb); err != nil || len(lb.Desktops) != 3 {
		t.Fatalf("body: %v, %d desktops", err, len(lb.Desktops))
	}
	if rec.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) {
		t.Errorf("Content-Length %s for %d bytes", rec.Header().Get("Content-Length"), rec.Body.Len())
	}
}

// TestConcurrentListAndStep pages through the fleet from several clients
// while Run evolves it; run with -race.
func TestConcurrentListAndStep(t *testing.T) {
	s, base := startSim(t, testOptions(3000))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx, time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for c := range 4 {
		var reqs []*http.Request
		for i := range 6 {
			off := (c + i) % 6 * 500
			reqs = append(reqs, sdkRequest(t, base, signed{query: map[string]any{"offset": strconv.Itoa(off)}}))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, req := range reqs {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				var lb listBody
				err = json.NewDecoder(resp.Body).Decode(&lb)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d, decode error %v", resp.StatusCode, err)
					return
				}
			}
		}()
	}
	for range 20 {
		_ = s.Desktops()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := s.RequestsByStatus(""); got[200] != 24 || len(got) != 1 {
		t.Errorf("RequestsByStatus %v, want 24 successes", s.RequestsByStatus(""))
	}
}

// TestErrorBodies: the answers the shared Server gives itself carry the
// Workspace API's error object and codes.
func TestErrorBodies(t *testing.T) {
	s, base := startSim(t, testOptions(3))
	for _, c := range []struct {
		name   string
		fault  simulator.Fault
		method string
		status int
		body   string
	}{
		{name: "throttle", fault: simulator.Fault{Kind: simulator.FaultThrottle}, status: 429,
			body: `{"error_code":"APIGW.0308","error_msg":"The request is throttled."}`},
		{name: "server_error", fault: simulator.Fault{Kind: simulator.FaultServerError}, status: 500,
			body: `{"error_code":"WKS.0002","error_msg":"Internal error."}`},
		{name: "server_error 502", fault: simulator.Fault{Kind: simulator.FaultServerError, Status: 502}, status: 502,
			body: `{"error_code":"WKS.0002","error_msg":"Internal error."}`},
		{name: "server_error 503", fault: simulator.Fault{Kind: simulator.FaultServerError, Status: 503}, status: 503,
			body: `{"error_code":"WKS.0002","error_msg":"Internal error."}`},
		{name: "server_error 504", fault: simulator.Fault{Kind: simulator.FaultServerError, Status: 504}, status: 504,
			body: `{"error_code":"APIGW.0202","error_msg":"Backend timeout."}`},
		{name: "timeout", fault: simulator.Fault{Kind: simulator.FaultTimeout, Latency: 10 * time.Millisecond}, status: 504,
			body: `{"error_code":"APIGW.0202","error_msg":"Backend timeout."}`},
		{name: "method", method: http.MethodPost, status: 405,
			body: `{"error_code":"WKS.0001","error_msg":"Invalid request parameter.","error_detail":"Method POST is not allowed; use GET."}`},
		{name: "limit", status: 400,
			body: `{"error_code":"WKS.0509","error_msg":"The value of limit must be greater than 0 and smaller than 1000."}`},
	} {
		o := signed{method: c.method}
		if c.fault.Kind != "" {
			c.fault.Count = 1
			s.InjectFault(c.fault)
		} else if c.method == "" {
			o.query = map[string]any{"limit": "0"}
		}
		r := do(t, sdkRequest(t, base, o))
		if r.status != c.status || string(r.body) != c.body {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.status, r.body, c.status, c.body)
		}
		checkCommonHeaders(t, c.name, r.header)
	}

	// The body is read (and capped at 12 MB) before the signature is checked.
	req, err := http.NewRequest(http.MethodPost, base+"/v2/"+testProject+"/desktops/detail", bytes.NewReader(make([]byte, 12<<20+1)))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"error_code":"WKS.0001","error_msg":"Invalid request parameter.","error_detail":"The request body exceeds 12 MB."}`
	if r := do(t, req); r.status != 413 || string(r.body) != want {
		t.Errorf("oversized body: %d %s", r.status, r.body)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v2/"+testProject+"/desktops/detail", iotest.ErrReader(errors.New("reset"))))
	want = `{"error_code":"WKS.0001","error_msg":"Invalid request parameter.","error_detail":"The request body could not be read."}`
	if rec.Code != 400 || rec.Body.String() != want {
		t.Errorf("unreadable body: %d %s", rec.Code, rec.Body)
	}
}

// TestEndpointsFollowTheSpec: every endpoint is a row of the spec table
// the client reads, routed to its operation and answered by it (200, or
// the 400 of an operation whose parameters are mandatory); the table's
// rows the simulator does not serve are unknown paths.
func TestEndpointsFollowTheSpec(t *testing.T) {
	s, base := startSim(t, testOptions(3))
	for name, ep := range endpoints {
		if !slices.Contains(hwspec.Spec.OperationNames(), name) {
			t.Errorf("endpoint %s is not in the spec table", name)
		}
		if ep.serve == nil || hwspec.Spec.Operation(name).ListKey != "" && ep.oversizedItem == nil {
			t.Errorf("endpoint %s: serve or oversizedItem missing", name)
		}
	}
	unknown := int64(0)
	for _, op := range hwspec.Spec.Operations {
		r := do(t, sdkRequest(t, base, signed{method: op.Method, path: op.Path}))
		if _, served := endpoints[op.Name]; !served {
			unknown++
			if r.status != http.StatusNotFound || errorCode(t, r) != "WKS.0010" || s.Requests(simulator.OperationUnknown) != unknown {
				t.Errorf("%s, not served: %d %s", op.Name, r.status, r.body)
			}
			continue
		}
		var raw map[string]json.RawMessage
		if r.status != http.StatusOK && r.status != http.StatusBadRequest || json.Unmarshal(r.body, &raw) != nil {
			t.Errorf("%s %s: %d %s", op.Method, op.Path, r.status, r.body)
		}
		if _, ok := raw[op.ListKey]; r.status == http.StatusOK && op.ListKey != "" && !ok {
			t.Errorf("%s: no %q in %s", op.Name, op.ListKey, r.body)
		}
		if got := s.Requests(op.Name); got != 1 {
			t.Errorf("%s: Requests = %d, want 1", op.Name, got)
		}
	}
}
