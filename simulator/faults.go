package simulator

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind names a misbehaviour the simulator can inject.
type FaultKind string

// The fault kinds. All of them apply only to requests that passed
// authentication.
const (
	// FaultLatency delays the response by Fault.Latency, then lets the
	// request continue (other faults may still apply).
	FaultLatency FaultKind = "latency"
	// FaultThrottle answers 429 with Retry-After and an APIGW.0308 body.
	FaultThrottle FaultKind = "throttle"
	// FaultServerError answers Fault.Status (500, 502, 503 or 504) with a
	// WKS.0002 body, or APIGW.0202 for 504.
	FaultServerError FaultKind = "server_error"
	// FaultMalformed answers 200 with a body that is not valid JSON.
	FaultMalformed FaultKind = "malformed"
	// FaultTruncated answers 200 with the real Content-Length, sends half
	// of the body and closes the connection.
	FaultTruncated FaultKind = "truncated"
	// FaultTimeout hangs for Fault.Latency (default 10 minutes) or until the
	// request's context ends or the simulator is closed, then answers 504.
	FaultTimeout FaultKind = "timeout"
)

const defaultTimeoutHang = 10 * time.Minute

// Fault is a rule that makes matching requests misbehave.
type Fault struct {
	Kind FaultKind
	// Operation restricts the fault to one operation, e.g.
	// "ListDesktopsDetail"; "" matches every operation.
	Operation string
	// Count > 0 applies the fault to the next Count matching requests, after
	// which the rule expires.
	Count int
	// Probability is used when Count is 0: each matching request is hit
	// with this probability (0 < p <= 1), drawn from the simulator's RNG.
	Probability float64
	// Latency is the added delay of a latency fault and the hang of a
	// timeout fault (default 10 minutes).
	Latency time.Duration
	// RetryAfter is the Retry-After of a throttle fault, sent in whole
	// seconds rounded up, at least 1.
	RetryAfter time.Duration
	// Status is the HTTP status of a server_error fault: 500 (default),
	// 502, 503 or 504.
	Status int
}

// validate checks f and fills in its defaults.
func (f *Fault) validate() error {
	switch f.Kind {
	case FaultLatency:
		if f.Latency <= 0 {
			return fmt.Errorf("latency fault needs a positive Latency, got %s", f.Latency)
		}
	case FaultTimeout:
		if f.Latency < 0 {
			return fmt.Errorf("timeout fault needs a non-negative Latency, got %s", f.Latency)
		}
		if f.Latency == 0 {
			f.Latency = defaultTimeoutHang
		}
	case FaultThrottle:
		if f.RetryAfter < 0 {
			return fmt.Errorf("throttle fault needs a non-negative RetryAfter, got %s", f.RetryAfter)
		}
	case FaultServerError:
		switch f.Status {
		case 0:
			f.Status = http.StatusInternalServerError
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		default:
			return fmt.Errorf("server_error fault status must be 500, 502, 503 or 504, got %d", f.Status)
		}
	case FaultMalformed, FaultTruncated:
	default:
		return fmt.Errorf("unknown fault kind %q (want latency, throttle, server_error, malformed, truncated or timeout)", f.Kind)
	}
	switch {
	case f.Count < 0:
		return fmt.Errorf("%s fault: Count must not be negative, got %d", f.Kind, f.Count)
	case f.Count == 0 && !(f.Probability > 0 && f.Probability <= 1):
		return fmt.Errorf("%s fault: Probability must be in (0, 1] when Count is 0, got %v", f.Kind, f.Probability)
	}
	return nil
}

// retryAfterSeconds is the Retry-After header value of a throttle fault.
func (f *Fault) retryAfterSeconds() int {
	return max(1, int(math.Ceil(f.RetryAfter.Seconds())))
}

// ParseFaults parses a comma-separated fault specification into
// probability faults that apply to every operation, for example
//
//	throttle=0.05,server_error=0.01,latency=200ms:0.1,malformed=0.01
//
// Each item is KIND=PROBABILITY or KIND=PARAMETER:PROBABILITY, where the
// parameter is the delay of latency (required) and timeout (default 10m),
// the Retry-After of throttle (default 1s) and the HTTP status of
// server_error (default 500). The probability must be in (0, 1]. An empty
// specification yields no faults.
func ParseFaults(spec string) ([]Fault, error) {
	var faults []Fault
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	for i, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		f, err := parseFault(item)
		if err != nil {
			return nil, fmt.Errorf("fault %d %q: %w", i+1, item, err)
		}
		faults = append(faults, f)
	}
	return faults, nil
}

func parseFault(item string) (Fault, error) {
	kind, value, ok := strings.Cut(item, "=")
	kind, value = strings.TrimSpace(kind), strings.TrimSpace(value)
	if !ok || kind == "" || value == "" {
		return Fault{}, fmt.Errorf("want KIND=PROBABILITY or KIND=PARAMETER:PROBABILITY")
	}
	f := Fault{Kind: FaultKind(kind)}
	param, prob, hasParam := strings.Cut(value, ":")
	if !hasParam {
		param, prob = "", value
	}
	p, err := strconv.ParseFloat(prob, 64)
	if err != nil || !(p > 0 && p <= 1) {
		return Fault{}, fmt.Errorf("probability %q must be a number in (0, 1]", prob)
	}
	f.Probability = p
	switch f.Kind {
	case FaultLatency, FaultTimeout, FaultThrottle:
		if !hasParam {
			if f.Kind == FaultLatency {
				return Fault{}, fmt.Errorf("latency needs a delay, e.g. latency=200ms:%s", prob)
			}
			break
		}
		d, err := time.ParseDuration(param)
		if err != nil || d <= 0 {
			return Fault{}, fmt.Errorf("parameter %q must be a positive duration such as 200ms", param)
		}
		if f.Kind == FaultThrottle {
			f.RetryAfter = d
		} else {
			f.Latency = d
		}
	case FaultServerError:
		if hasParam {
			s, err := strconv.Atoi(param)
			if err != nil {
				return Fault{}, fmt.Errorf("parameter %q must be an HTTP status (500, 502, 503 or 504)", param)
			}
			f.Status = s
		}
	case FaultMalformed, FaultTruncated:
		if hasParam {
			return Fault{}, fmt.Errorf("%s takes no parameter", kind)
		}
	}
	if err := f.validate(); err != nil {
		return Fault{}, err
	}
	return f, nil
}

// faultRule is an injected fault with its remaining count.
type faultRule struct {
	Fault
	left int // for Count faults
}

// pickFaults decides which faults hit a request of operation op: the sum
// of the delays of the latency faults that fire, and the first other fault
// that fires (nil if none). Count rules that fire are used up.
func (s *Simulator) pickFaults(op string) (delay time.Duration, terminal *Fault) {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	kept := s.faults[:0]
	for _, r := range s.faults {
		fires := false
		if (r.Operation == "" || r.Operation == op) && (terminal == nil || r.Kind == FaultLatency) {
			if r.Count > 0 {
				fires = true
				r.left--
			} else {
				fires = s.faultRNG.Float64() < r.Probability
			}
		}
		if fires {
			if r.Kind == FaultLatency {
				delay += r.Latency
			} else {
				f := r.Fault
				terminal = &f
			}
		}
		if r.Count == 0 || r.left > 0 {
			kept = append(kept, r)
		}
	}
	clear(s.faults[len(kept):])
	s.faults = kept
	return delay, terminal
}

// Bodies of the injected errors.
var (
	bodyThrottled   = errorBody("APIGW.0308", "The request is throttled.", "")
	bodyInternal    = errorBody("WKS.0002", "Internal error.", "")
	bodyGWTimeout   = errorBody("APIGW.0202", "Backend timeout.", "")
	malformedBodies = [][]byte{
		[]byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>api-gateway</center>\r\n</body>\r\n</html>\r\n"),
		[]byte(`{"desktops":[{"desktop_id":`),
	}
)

// serveFault answers the request with a terminal fault. full is the body
// the request would otherwise have got (used by truncated).
func (s *Simulator) serveFault(w http.ResponseWriter, r *http.Request, st *reqState, f *Fault, full func() (int, []byte)) {
	switch f.Kind {
	case FaultThrottle:
		w.Header().Set("Retry-After", strconv.Itoa(f.retryAfterSeconds()))
		s.write(w, st, http.StatusTooManyRequests, bodyThrottled)
	case FaultServerError:
		body := bodyInternal
		if f.Status == http.StatusGatewayTimeout {
			body = bodyGWTimeout
		}
		s.write(w, st, f.Status, body)
	case FaultMalformed:
		n := s.malformed.Add(1) - 1
		s.write(w, st, http.StatusOK, malformedBodies[n%uint64(len(malformedBodies))])
	case FaultTruncated:
		_, body := full()
		s.truncate(w, st, body)
	case FaultTimeout:
		if !s.sleep(r, f.Latency) {
			return // the client gave up, or the simulator closed
		}
		s.write(w, st, http.StatusGatewayTimeout, bodyGWTimeout)
	}
}

// truncate sends status 200 and headers announcing len(body) bytes, then
// half of the body, and drops the connection.
func (s *Simulator) truncate(w http.ResponseWriter, st *reqState, body []byte) {
	st.status = http.StatusOK
	half := body[:len(body)/2]
	if hj, ok := w.(http.Hijacker); ok {
		conn, rw, err := hj.Hijack()
		if err == nil {
			defer conn.Close()
			h := w.Header().Clone()
			h.Set("Content-Length", strconv.Itoa(len(body)))
			h.Set("Date", s.now().UTC().Format(http.TimeFormat))
			h.Set("Connection", "close")
			_, _ = rw.WriteString("HTTP/1.1 200 OK\r\n")
			_ = h.Write(rw)
			_, _ = rw.WriteString("\r\n")
			_, _ = rw.Write(half)
			_ = rw.Flush()
			return
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(half)
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	panic(http.ErrAbortHandler)
}

// sleep waits for d or the end of the request, and reports whether the
// full delay elapsed. If the simulator is closed meanwhile, the response is
// aborted with http.ErrAbortHandler so that the client sees the connection
// drop rather than an empty answer.
func (s *Simulator) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		panic(http.ErrAbortHandler)
	}
}
