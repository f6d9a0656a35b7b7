package simulator

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FaultKind names a misbehaviour a Server can inject.
type FaultKind string

// The fault kinds. All of them apply only to requests that passed
// authentication. Error answers carry the provider's codes (ErrorCodes)
// in its error body (Provider.ErrorBody).
const (
	// FaultLatency delays the response by Fault.Latency, then lets the
	// request continue (other faults may still apply).
	FaultLatency FaultKind = "latency"
	// FaultThrottle answers 429 with Retry-After and the Throttled code
	// (Huawei: APIGW.0308).
	FaultThrottle FaultKind = "throttle"
	// FaultServerError answers Fault.Status (500, 502, 503 or 504) with the
	// Internal code (Huawei: WKS.0002), or GatewayTimeout (Huawei:
	// APIGW.0202) for 504.
	FaultServerError FaultKind = "server_error"
	// FaultMalformed answers 200 with a body that is not valid JSON.
	FaultMalformed FaultKind = "malformed"
	// FaultTruncated answers 200 with the real Content-Length, sends half
	// of the body and closes the connection.
	FaultTruncated FaultKind = "truncated"
	// FaultTimeout hangs for Fault.Latency (default 10 minutes) or until the
	// request's context ends or the Server is closed, then answers 504 with
	// the GatewayTimeout code.
	FaultTimeout FaultKind = "timeout"

	// The kinds below play a hostile API that answers 200 with a wrong page.
	// Except for oversized_page they alter the page the provider would serve
	// (not a ServeVerbatim response), keep the page's total as the
	// TotalCountMode reports it unless said otherwise, and pass a request
	// whose parameters are invalid through to its 400 answer. These and
	// oversized_page hit list operations only (Operation.ListKey set).

	// FaultShortPage leaves out the last Fault.Items items of the page
	// (default half of the page, at least 1).
	FaultShortPage FaultKind = "short_page"
	// FaultBadList breaks the list key (Huawei: "desktops") as
	// Fault.Variant says: "missing" (default; no key), "null", "object"
	// ({}), "string" ("x") or "number" (7).
	FaultBadList FaultKind = "bad_list"
	// FaultOversizedPage answers 200 with Fault.Items (default 1,000,000)
	// small items made by Provider.AppendOversizedItem (Huawei:
	// {"desktop_id":"oversize-00000001","status":"ACTIVE"}) and the total
	// Fault.Items, whatever the limit. The body is streamed in small chunks
	// at bounded memory and stops when the client leaves.
	FaultOversizedPage FaultKind = "oversized_page"
	// FaultJunkItems replaces the first Fault.Items (default 5) elements of
	// the page by junk, cycling through 42, "junk", null, [1,2],
	// {"status":"ACTIVE"}, {"desktop_id":"","status":"ERROR"} and true.
	FaultJunkItems FaultKind = "junk_items"
	// FaultIgnoreOffset serves the page at offset 0 whatever the offset, as
	// an API that ignores the parameter would. Requests at offset 0 do not
	// match (they would be unchanged), so Count is used up by later pages.
	FaultIgnoreOffset FaultKind = "ignore_offset"
	// FaultEnumFlood sets the Fault.Fields of every item of the page to
	// FloodPrefix ("FLOOD_") followed by the item's id: an undocumented
	// value per item, the same on every request.
	FaultEnumFlood FaultKind = "enum_flood"
	// FaultTotalDrift reports the total as the exact total plus
	// Fault.Delta (default 1; the result may be negative), whatever the
	// TotalCountMode.
	FaultTotalDrift FaultKind = "total_drift"
	// FaultDuplicate replaces the first item of a non-empty page by the
	// item before it (the last one of the previous page), so that one
	// item is served twice and one never. Requests at offset 0 do not
	// match.
	FaultDuplicate FaultKind = "duplicate"
	// FaultRedirect answers Fault.Status (default 302) with Location
	// Fault.Location and an empty body.
	FaultRedirect FaultKind = "redirect"
	// FaultEchoSecret answers Fault.Status (default 400) with an error that
	// echoes the request's credential: the code is 100 'x' then the secret
	// key; the message is 1,000 'x' then the secret key, a space, the access
	// key and, for a temporary key, a space and the security token; the
	// X-Request-Id and X-Echo headers are 300 'x' then the secret key. With
	// Fault.Variant "start" the values have no padding, so the secrets come
	// first.
	FaultEchoSecret FaultKind = "echo_secret"
)

// faultKinds lists every kind, for error messages.
var faultKinds = []FaultKind{
	FaultLatency, FaultThrottle, FaultServerError, FaultMalformed, FaultTruncated, FaultTimeout,
	FaultShortPage, FaultBadList, FaultOversizedPage, FaultJunkItems, FaultIgnoreOffset,
	FaultEnumFlood, FaultTotalDrift, FaultDuplicate, FaultRedirect, FaultEchoSecret,
}

// reshapesPage reports whether the kind alters the list page instead of
// replacing the whole response.
func (k FaultKind) reshapesPage() bool {
	switch k {
	case FaultShortPage, FaultBadList, FaultJunkItems, FaultIgnoreOffset, FaultEnumFlood, FaultTotalDrift, FaultDuplicate:
		return true
	}
	return false
}

// listOnly reports whether the kind hits list operations only.
func (k FaultKind) listOnly() bool { return k.reshapesPage() || k == FaultOversizedPage }

// Values of Fault.Variant: the shapes of bad_list's list (no key, null,
// {}, "x", 7), and echo_secret's secrets after padding or first.
const (
	BadListMissing = "missing"
	BadListNull    = "null"
	BadListObject  = "object"
	BadListString  = "string"
	BadListNumber  = "number"

	EchoPadded = "padded"
	EchoStart  = "start"
)

// badLists maps the bad_list variants to the JSON value of the list key
// ("" leaves the key out).
var badLists = map[string]string{
	BadListMissing: "",
	BadListNull:    "null",
	BadListObject:  "{}",
	BadListString:  `"x"`,
	BadListNumber:  "7",
}

// defaultItems is Fault.Items when it is 0 (short_page has no fixed
// default: it cuts half of each page).
var defaultItems = map[FaultKind]int{
	FaultJunkItems:     5,
	FaultOversizedPage: 1_000_000,
}

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
	// with this probability (0 < p <= 1), drawn from the Server's RNG.
	Probability float64
	// Latency is the added delay of a latency fault and the hang of a
	// timeout fault (default 10 minutes).
	Latency time.Duration
	// RetryAfter is the Retry-After of a throttle fault, sent in whole
	// seconds rounded up, at least 1.
	RetryAfter time.Duration
	// Status is the HTTP status of a server_error fault: 500 (default),
	// 502, 503 or 504; of a redirect: 302 (default), 301, 303, 307 or 308;
	// of echo_secret: any 4xx or 5xx (default 400).
	Status int
	// Offsets, when non-empty, restricts the fault to requests whose offset
	// query parameter (default 0) is one of them, e.g. []int{0} for the
	// first page only.
	Offsets []int
	// Items is how many items short_page leaves out (default half of the
	// page, at least 1), how many elements junk_items replaces (default 5)
	// and how many items oversized_page serves (default 1,000,000).
	Items int
	// Variant is the shape of bad_list (BadListMissing (default),
	// BadListNull, BadListObject, BadListString or BadListNumber) and where
	// echo_secret puts the secrets: after padding (EchoPadded, default) or
	// at the start (EchoStart).
	Variant string
	// Fields are the fields enum_flood fills: any of the provider's
	// Profile.FloodFields (Huawei: status, login_status and task_status);
	// default all of them, filled in when the fault is injected.
	Fields []string
	// Delta is what total_drift adds to the total (default 1; may be
	// negative).
	Delta int
	// Location is the absolute http or https URL of a redirect (required).
	Location string
}

// validate checks what f says regardless of the provider and fills in the
// provider-independent defaults. Server.check adds the provider's part.
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
	case FaultShortPage, FaultJunkItems, FaultOversizedPage:
		if f.Items < 0 {
			return fmt.Errorf("%s fault: Items must not be negative, got %d", f.Kind, f.Items)
		}
		if f.Items == 0 {
			f.Items = defaultItems[f.Kind]
		}
	case FaultBadList:
		if f.Variant == "" {
			f.Variant = BadListMissing
		}
		if _, ok := badLists[f.Variant]; !ok {
			return fmt.Errorf("bad_list fault: Variant must be missing, null, object, string or number, got %q", f.Variant)
		}
	case FaultEnumFlood:
		for _, name := range f.Fields {
			if name == "" {
				return fmt.Errorf("enum_flood fault: Fields must be field names, got %q", name)
			}
		}
	case FaultTotalDrift:
		if f.Delta == 0 {
			f.Delta = 1
		}
	case FaultRedirect:
		switch f.Status {
		case 0:
			f.Status = http.StatusFound
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			return fmt.Errorf("redirect fault status must be 301, 302, 303, 307 or 308, got %d", f.Status)
		}
		if u, err := url.Parse(f.Location); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("redirect fault needs a Location that is an absolute http or https URL, got %q", f.Location)
		}
	case FaultEchoSecret:
		switch {
		case f.Status == 0:
			f.Status = http.StatusBadRequest
		case f.Status < 400 || f.Status > 599:
			return fmt.Errorf("echo_secret fault status must be a 4xx or 5xx, got %d", f.Status)
		}
		switch f.Variant {
		case "":
			f.Variant = EchoPadded
		case EchoPadded, EchoStart:
		default:
			return fmt.Errorf("echo_secret fault: Variant must be padded or start, got %q", f.Variant)
		}
	case FaultMalformed, FaultTruncated, FaultIgnoreOffset, FaultDuplicate:
	default:
		names := make([]string, len(faultKinds))
		for i, k := range faultKinds {
			names[i] = string(k)
		}
		return fmt.Errorf("unknown fault kind %q (want %s)", f.Kind, joinWords(names, "or"))
	}
	for _, o := range f.Offsets {
		if o < 0 {
			return fmt.Errorf("%s fault: Offsets must not be negative, got %d", f.Kind, o)
		}
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

// joinWords is "a, b <conj> c".
func joinWords(words []string, conj string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + conj + " " + words[len(words)-1]
}

// ParseFaults parses a comma-separated fault specification into
// probability faults that apply to every operation, for example
//
//	throttle=0.05,server_error=0.01,latency=200ms:0.1,malformed=0.01,
//	short_page=0.05,junk_items=3:0.1,bad_list=null:0.01,total_drift=-2:0.05
//
// Each item is KIND=PROBABILITY or KIND=PARAMETER:PROBABILITY, where the
// parameter is the delay of latency (required) and timeout (default 10m),
// the Retry-After of throttle (default 1s), the HTTP status of
// server_error (default 500), the Items of short_page (default half of the
// page), junk_items (default 5) and oversized_page (default 1000000), the
// Variant of bad_list (default missing), the Fields of enum_flood joined
// by '+' (e.g. status+login_status; default every field the provider
// floods) and the Delta of total_drift (default 1). malformed, truncated,
// ignore_offset and duplicate take no parameter; redirect and echo_secret
// cannot be given here (use Server.InjectFault). The probability must be
// in (0, 1]. An empty specification yields no faults.
//
// The field names of enum_flood are the provider's: Server.CheckFault
// reports a name the provider does not flood.
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
	case FaultShortPage, FaultJunkItems, FaultOversizedPage:
		if hasParam {
			n, err := strconv.Atoi(param)
			if err != nil || n <= 0 {
				return Fault{}, fmt.Errorf("parameter %q must be a positive number of items", param)
			}
			f.Items = n
		}
	case FaultTotalDrift:
		if hasParam {
			n, err := strconv.Atoi(param)
			if err != nil || n == 0 {
				return Fault{}, fmt.Errorf("parameter %q must be a non-zero integer", param)
			}
			f.Delta = n
		}
	case FaultBadList:
		f.Variant = param
	case FaultEnumFlood:
		if hasParam {
			f.Fields = strings.Split(param, "+")
		}
	case FaultMalformed, FaultTruncated, FaultIgnoreOffset, FaultDuplicate:
		if hasParam {
			return Fault{}, fmt.Errorf("%s takes no parameter", kind)
		}
	case FaultRedirect, FaultEchoSecret:
		return Fault{}, fmt.Errorf("%s cannot be given in a fault specification; inject it with Server.InjectFault", kind)
	}
	if err := f.validate(); err != nil {
		return Fault{}, err
	}
	return f, nil
}

// check validates a copy of f for this Server's provider and fills in its
// defaults.
func (s *Server) check(f Fault) (Fault, error) {
	f.Offsets, f.Fields = slices.Clone(f.Offsets), slices.Clone(f.Fields)
	if err := f.validate(); err != nil {
		return f, err
	}
	if f.Kind == FaultEnumFlood {
		if len(s.floodFields) == 0 {
			return f, errors.New("enum_flood fault: the provider has no fields to flood")
		}
		for _, name := range f.Fields {
			if !slices.Contains(s.floodFields, name) {
				return f, fmt.Errorf("enum_flood fault: Fields may name %s, got %q", joinWords(s.floodFields, "and"), name)
			}
		}
		if len(f.Fields) == 0 {
			f.Fields = slices.Clone(s.floodFields)
		}
	}
	return f, nil
}

// CheckFault returns the reason InjectFault would reject f, or nil. It
// lets a caller report a bad fault, e.g. one from ParseFaults naming a
// field the provider does not flood, instead of panicking.
func (s *Server) CheckFault(f Fault) error {
	_, err := s.check(f)
	return err
}

// InjectFault adds a fault rule. Rules are evaluated in the order they were
// added: every latency rule that fires adds its delay, and the first other
// rule that fires decides the response. InjectFault panics if f is invalid
// (unknown kind, Count < 0, Probability outside (0, 1] when Count is 0, a
// non-positive latency, a status the kind does not allow, a negative Items
// or offset, an unknown Variant, a field the provider does not flood, a
// redirect without an absolute http(s) Location); CheckFault and
// ParseFaults return such problems as errors.
func (s *Server) InjectFault(f Fault) {
	f, err := s.check(f)
	if err != nil {
		panic("simulator: InjectFault: " + err.Error())
	}
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	s.faults = append(s.faults, &faultRule{Fault: f, left: f.Count})
}

// ClearFaults removes all fault rules.
func (s *Server) ClearFaults() {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	s.faults = nil
}

// faultRule is an injected fault with its remaining count.
type faultRule struct {
	Fault
	left int // for Count faults
}

// matches reports whether the rule applies to a request of op at offset
// (-1 when the offset parameter is invalid).
func (r *faultRule) matches(op Operation, offset int) bool {
	switch {
	case r.Operation != "" && r.Operation != op.Name:
		return false
	case r.Kind.listOnly() && op.ListKey == "":
		return false
	case len(r.Offsets) > 0 && !slices.Contains(r.Offsets, offset):
		return false
	case (r.Kind == FaultIgnoreOffset || r.Kind == FaultDuplicate) && offset <= 0:
		return false // the page would be unchanged
	}
	return true
}

// requestOffset is the offset parameter of r: 0 when absent, -1 when it is
// not a non-negative integer.
func requestOffset(r *http.Request) int {
	v := r.URL.Query().Get("offset")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// pickFaults decides which faults hit a request of op: the sum of the
// delays of the latency faults that fire, and the first other fault that
// fires (nil if none). Count rules that fire are used up.
func (s *Server) pickFaults(op Operation, req *http.Request) (delay time.Duration, terminal *Fault) {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	if len(s.faults) == 0 {
		return 0, nil
	}
	offset := requestOffset(req)
	kept := s.faults[:0]
	for _, r := range s.faults {
		fires := false
		if r.matches(op, offset) && (terminal == nil || r.Kind == FaultLatency) {
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

// malformedBodies are the answers of malformed faults, in turn.
var malformedBodies = [][]byte{
	[]byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>api-gateway</center>\r\n</body>\r\n</html>\r\n"),
	[]byte(`{"desktops":[{"desktop_id":`),
}

// serveFault answers a request of op with a fault that replaces the whole
// response (not one that reshapesPage). full is the body the request would
// otherwise have got (used by truncated).
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, st *reqState, op Operation, f *Fault, full func() (int, []byte)) {
	switch f.Kind {
	case FaultOversizedPage:
		s.streamOversized(w, r, st, op, f.Items)
	case FaultRedirect:
		w.Header().Del("Content-Type")
		w.Header().Set("Location", f.Location)
		s.write(w, st, f.Status, nil)
	case FaultEchoSecret:
		s.echoSecret(w, r, st, f)
	case FaultThrottle:
		w.Header().Set("Retry-After", strconv.Itoa(f.retryAfterSeconds()))
		s.writeError(w, st, s.errorOf(http.StatusTooManyRequests, s.codes.Throttled, ""))
	case FaultServerError:
		code := s.codes.Internal
		if f.Status == http.StatusGatewayTimeout {
			code = s.codes.GatewayTimeout
		}
		s.writeError(w, st, s.errorOf(f.Status, code, ""))
	case FaultMalformed:
		n := s.malformed.Add(1) - 1
		s.write(w, st, http.StatusOK, malformedBodies[n%uint64(len(malformedBodies))])
	case FaultTruncated:
		_, body := full()
		s.truncate(w, st, body)
	case FaultTimeout:
		if !s.sleep(r, f.Latency) {
			return // the client gave up, or the Server closed
		}
		s.writeError(w, st, s.errorOf(http.StatusGatewayTimeout, s.codes.GatewayTimeout, ""))
	}
}

// truncate sends status 200 and headers announcing len(body) bytes, then
// half of the body, and drops the connection.
func (s *Server) truncate(w http.ResponseWriter, st *reqState, body []byte) {
	st.respond(http.StatusOK)
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
// full delay elapsed. If the Server is closed meanwhile, the response is
// aborted with http.ErrAbortHandler so that the client sees the connection
// drop rather than an empty answer.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
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
