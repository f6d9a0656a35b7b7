package simulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func statuses(t *testing.T, base string, n int) []int {
	t.Helper()
	var out []int
	for range n {
		out = append(out, get(t, base, req{}).status)
	}
	return out
}

func TestFaultThrottle(t *testing.T) {
	s, base := startToy(t, 3)
	s.InjectFault(Fault{Kind: FaultThrottle, Count: 2, RetryAfter: 1500 * time.Millisecond})
	for i := range 2 {
		r := get(t, base, req{})
		if e := toyErr(t, r); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "2" || e != (toyError{Code: "TOY.429", Message: "Slow down.", Status: 429}) {
			t.Fatalf("request %d: %d Retry-After %q %s", i, r.status, r.header.Get("Retry-After"), r.body)
		}
		checkCommonHeaders(t, "throttle", r.header)
	}
	if r := get(t, base, req{}); r.status != 200 {
		t.Errorf("after the count expired: %d", r.status)
	}
	s.InjectFault(Fault{Kind: FaultThrottle, Count: 1})
	if r := get(t, base, req{}); r.header.Get("Retry-After") != "1" {
		t.Errorf("default Retry-After %q, want 1", r.header.Get("Retry-After"))
	}
	if got := s.RequestsByStatus(opItems.Name); got[429] != 3 || got[200] != 1 {
		t.Errorf("RequestsByStatus %v", got)
	}
}

func TestFaultServerError(t *testing.T) {
	s, base := startToy(t, 3)
	for _, c := range []struct {
		status int
		want   toyError
	}{
		{0, toyError{Code: "TOY.500", Message: "Oops.", Status: 500}},
		{500, toyError{Code: "TOY.500", Message: "Oops.", Status: 500}},
		{502, toyError{Code: "TOY.500", Message: "Oops.", Status: 502}},
		{503, toyError{Code: "TOY.500", Message: "Oops.", Status: 503}},
		{504, toyError{Code: "TOY.504", Message: "Too slow.", Status: 504}},
	} {
		s.InjectFault(Fault{Kind: FaultServerError, Count: 1, Status: c.status})
		r := get(t, base, req{})
		if r.status != c.want.Status || toyErr(t, r) != c.want {
			t.Errorf("Status %d: got %d %s", c.status, r.status, r.body)
		}
		checkCommonHeaders(t, "server_error", r.header)
		if r := get(t, base, req{}); r.status != 200 {
			t.Errorf("Status %d: fault did not expire: %d", c.status, r.status)
		}
	}
}

func TestFaultMalformed(t *testing.T) {
	s, base := startToy(t, 3)
	s.InjectFault(Fault{Kind: FaultMalformed, Count: 2})
	bodies := map[string]bool{}
	for range 2 {
		r := get(t, base, req{})
		if r.status != 200 || json.Valid(r.body) || len(r.body) == 0 {
			t.Fatalf("malformed: %d %q", r.status, r.body)
		}
		bodies[string(r.body)] = true
	}
	if len(bodies) != 2 {
		t.Errorf("want two different malformed bodies, got %d", len(bodies))
	}
	if r := get(t, base, req{}); r.status != 200 || !json.Valid(r.body) {
		t.Errorf("after expiry: %d valid=%v", r.status, json.Valid(r.body))
	}
}

func TestFaultTruncated(t *testing.T) {
	s, base := startToy(t, 20)
	full := get(t, base, req{}).body
	s.InjectFault(Fault{Kind: FaultTruncated, Count: 1})
	resp, err := http.DefaultClient.Do(toyRequest(t, base, req{}))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("status %d, read error %v, want unexpected EOF", resp.StatusCode, err)
	}
	if resp.ContentLength != int64(len(full)) || string(body) != string(full[:len(full)/2]) {
		t.Errorf("Content-Length %d, got %q; want %d and the first half of %q", resp.ContentLength, body, len(full), full)
	}
	checkCommonHeaders(t, "truncated", resp.Header)
	if r := get(t, base, req{}); r.status != 200 || !json.Valid(r.body) {
		t.Errorf("after expiry: %d", r.status)
	}
	// Accounted before the answer is sent: no waiting.
	if got := s.RequestsByStatus(opItems.Name); got[200] != 3 {
		t.Errorf("RequestsByStatus %v", got)
	}
}

func TestFaultTruncatedWithoutHijacker(t *testing.T) {
	s, _ := newToy(t, 20, toyOptions())
	s.InjectFault(Fault{Kind: FaultTruncated, Count: 1})
	rec := httptest.NewRecorder()
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", p)
			}
		}()
		s.ServeHTTP(rec, toyRequest(t, "http://127.0.0.1:9", req{}))
	}()
	n, _ := strconv.Atoi(rec.Header().Get("Content-Length"))
	if rec.Code != 200 || n == 0 || rec.Body.Len() != n/2 {
		t.Errorf("code %d, Content-Length %d, body %d bytes", rec.Code, n, rec.Body.Len())
	}
	if got := s.RequestsByStatus(""); got[200] != 1 {
		t.Errorf("RequestsByStatus %v", got)
	}
}

func TestFaultTimeout(t *testing.T) {
	s, base := startToy(t, 3)
	// The default hang (10 minutes) ends when the client gives up.
	s.InjectFault(Fault{Kind: FaultTimeout, Count: 1})
	client := &http.Client{Timeout: 200 * time.Millisecond}
	start := time.Now()
	if _, err := client.Do(toyRequest(t, base, req{})); err == nil {
		t.Fatal("hung request returned")
	}
	if time.Since(start) < 200*time.Millisecond {
		t.Error("returned before the client timeout")
	}
	eventually(t, "the hung handler to notice the client left", func() bool {
		return s.RequestsByStatus(opItems.Name)[0] == 1
	})
	if r := get(t, base, req{}); r.status != 200 {
		t.Errorf("after expiry: %d", r.status)
	}
	// A short hang ends in a gateway timeout.
	s.InjectFault(Fault{Kind: FaultTimeout, Count: 1, Latency: 50 * time.Millisecond})
	start = time.Now()
	r := get(t, base, req{})
	if r.status != 504 || toyErr(t, r).Code != "TOY.504" || time.Since(start) < 50*time.Millisecond {
		t.Errorf("short hang: %d %s after %v", r.status, r.body, time.Since(start))
	}
}

func TestCloseReleasesHungRequests(t *testing.T) {
	s, _ := newToy(t, 3, toyOptions())
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.InjectFault(Fault{Kind: FaultTimeout, Probability: 1})
	r := toyRequest(t, base, req{})
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(r)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	eventually(t, "the request to reach the handler", func() bool { return s.Requests(opItems.Name) == 1 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("hung request got a response after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the hung request")
	}
}

func TestFaultLatency(t *testing.T) {
	s, base := startToy(t, 3)
	s.InjectFault(Fault{Kind: FaultLatency, Count: 1, Latency: 200 * time.Millisecond})
	s.InjectFault(Fault{Kind: FaultThrottle, Count: 1})
	start := time.Now()
	r := get(t, base, req{})
	if elapsed := time.Since(start); elapsed < 200*time.Millisecond {
		t.Errorf("latency fault: answered after %v", elapsed)
	}
	if r.status != 429 {
		t.Errorf("latency does not end a request: the throttle after it should apply, got %d", r.status)
	}
	if r := get(t, base, req{}); r.status != 200 {
		t.Errorf("after expiry: %d", r.status)
	}
	s.ClearFaults()
	s.InjectFault(Fault{Kind: FaultLatency, Probability: 1, Latency: 30 * time.Millisecond})
	s.InjectFault(Fault{Kind: FaultLatency, Probability: 1, Latency: 30 * time.Millisecond})
	for range 2 {
		start = time.Now()
		if r := get(t, base, req{}); r.status != 200 || time.Since(start) < 60*time.Millisecond {
			t.Errorf("two probability latencies: %d after %v", r.status, time.Since(start))
		}
	}
}

func TestFaultOrderAndScope(t *testing.T) {
	s, base := startToy(t, 3)
	// The first terminal fault that fires decides; later Count faults are
	// not used up by it.
	s.InjectFault(Fault{Kind: FaultServerError, Count: 1})
	s.InjectFault(Fault{Kind: FaultThrottle, Count: 1})
	if got := statuses(t, base, 3); !reflect.DeepEqual(got, []int{500, 429, 200}) {
		t.Errorf("statuses %v, want [500 429 200]", got)
	}
	// Faults for another operation do not apply.
	s.InjectFault(Fault{Kind: FaultThrottle, Operation: opStatus.Name, Probability: 1})
	s.InjectFault(Fault{Kind: FaultMalformed, Operation: opItems.Name, Count: 1})
	if got := statuses(t, base, 2); !reflect.DeepEqual(got, []int{200, 200}) {
		t.Errorf("statuses %v", got)
	}
	if r := get(t, base, req{path: "/v1/status"}); r.status != 429 {
		t.Errorf("GetStatus: %d, want its throttle", r.status)
	}
	// Faults never apply before authentication.
	s.ClearFaults()
	s.InjectFault(Fault{Kind: FaultServerError, Probability: 1})
	if r := get(t, base, req{ak: toyAK, sk: "wrong"}); r.status != 401 {
		t.Errorf("unauthenticated request: %d, want 401", r.status)
	}
	if r := get(t, base, req{}); r.status != 500 {
		t.Errorf("authenticated request: %d, want 500", r.status)
	}
	s.ClearFaults()
	if r := get(t, base, req{}); r.status != 200 {
		t.Errorf("after ClearFaults: %d", r.status)
	}
}

func TestFaultProbability(t *testing.T) {
	run := func(seed int64) []int {
		o := toyOptions()
		o.Seed = seed
		s, _ := newToy(t, 2, o)
		s.InjectFault(Fault{Kind: FaultThrottle, Probability: 0.3})
		r := toyRequest(t, "http://127.0.0.1:9", req{})
		var codes []int
		for range 300 {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, r)
			codes = append(codes, rec.Code)
		}
		return codes
	}
	a, b := run(42), run(42)
	throttled := 0
	for _, c := range a {
		if c == 429 {
			throttled++
		}
	}
	if throttled < 50 || throttled > 130 {
		t.Errorf("%d of 300 throttled with p=0.3", throttled)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed drew different faults")
	}
	if reflect.DeepEqual(a, run(43)) {
		t.Error("different seeds drew the same faults")
	}
}

func TestParseFaults(t *testing.T) {
	got, err := ParseFaults("throttle=0.05,server_error=0.01,latency=200ms:0.1,malformed=0.01")
	if err != nil {
		t.Fatal(err)
	}
	want := []Fault{
		{Kind: FaultThrottle, Probability: 0.05},
		{Kind: FaultServerError, Probability: 0.01, Status: 500},
		{Kind: FaultLatency, Probability: 0.1, Latency: 200 * time.Millisecond},
		{Kind: FaultMalformed, Probability: 0.01},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	got, err = ParseFaults(" timeout=0.5 , timeout=2s:1, server_error=503:0.2, throttle=3s:0.1, truncated=1 ")
	if err != nil {
		t.Fatal(err)
	}
	want = []Fault{
		{Kind: FaultTimeout, Probability: 0.5, Latency: 10 * time.Minute},
		{Kind: FaultTimeout, Probability: 1, Latency: 2 * time.Second},
		{Kind: FaultServerError, Probability: 0.2, Status: 503},
		{Kind: FaultThrottle, Probability: 0.1, RetryAfter: 3 * time.Second},
		{Kind: FaultTruncated, Probability: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got, err := ParseFaults("  "); err != nil || got != nil {
		t.Errorf("empty spec: %v, %v", got, err)
	}
	for spec, part := range map[string]string{
		"bogus=0.1":                      `"bogus=0.1"`,
		"throttle":                       `"throttle"`,
		"throttle=":                      `"throttle="`,
		"throttle=1.5":                   `"1.5"`,
		"throttle=0":                     `"0"`,
		"throttle=abc":                   `"abc"`,
		"latency=0.1":                    "needs a delay",
		"latency=abc:0.1":                `"abc"`,
		"latency=-1s:0.1":                `"-1s"`,
		"server_error=418:0.1":           "418",
		"server_error=five:0.1":          `"five"`,
		"malformed=1s:0.1":               "no parameter",
		"throttle=0.1,,latency=1s:0.1":   "fault 2",
		"throttle=0.1,latency=1s:0.1:2":  "fault 2",
		"throttle=0.1, server_error=0.2": "",
	} {
		_, err := ParseFaults(spec)
		if part == "" {
			if err != nil {
				t.Errorf("%q: %v", spec, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("%q: error %v, want it to name %s", spec, err, part)
		}
	}
}

func TestInjectFaultRejectsInvalid(t *testing.T) {
	s, _ := newToy(t, 1, toyOptions())
	for _, f := range []Fault{
		{Kind: "nope", Count: 1},
		{Kind: FaultThrottle},                           // never applies
		{Kind: FaultThrottle, Probability: 1.2},         // out of range
		{Kind: FaultThrottle, Count: -1},                // negative count
		{Kind: FaultThrottle, Count: 1, RetryAfter: -1}, // negative Retry-After
		{Kind: FaultLatency, Count: 1},                  // no latency
		{Kind: FaultServerError, Count: 1, Status: 404}, // not a server error
		{Kind: FaultTimeout, Count: 1, Latency: -time.Second},
	} {
		if err := s.CheckFault(f); err == nil {
			t.Errorf("CheckFault(%+v) accepted it", f)
		}
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.HasPrefix(msg, "simulator: InjectFault: ") {
					t.Errorf("InjectFault(%+v) did not panic with its reason: %q", f, msg)
				}
			}()
			s.InjectFault(f)
		}()
	}
	if err := s.CheckFault(Fault{Kind: FaultThrottle, Count: 1}); err != nil {
		t.Errorf("CheckFault of a valid fault: %v", err)
	}
}
