package huaweicloud

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file verifies AK/SK signatures the way the API gateway does for the
// official SDK's SDK-HMAC-SHA256 signer (huaweicloud-sdk-go-v3
// core/auth/signer). It is an independent implementation: the canonical
// request is rebuilt from the incoming *http.Request.

const (
	signAlgorithm    = "SDK-HMAC-SHA256"
	sdkDateLayout    = "20060102T150405Z"
	headerSdkDate    = "X-Sdk-Date"
	headerProjectID  = "X-Project-Id"
	headerToken      = "X-Security-Token"
	headerContentSHA = "X-Sdk-Content-Sha256"
	maxClockSkew     = 15 * time.Minute
)

const (
	codeAuthFailed      = "WKS.00000039"
	msgAuthFailed       = "Failed to authenticate the IAM user, please contact your system administrator."
	codeProjectMismatch = "WKS.00010025"
	msgProjectMismatch  = "The project id in the request URL does not match the token."
)

func authFailure(detail string) *simulator.Error {
	return &simulator.Error{Status: http.StatusUnauthorized, Code: codeAuthFailed, Message: msgAuthFailed, Detail: detail}
}

var errProjectMismatch = &simulator.Error{Status: http.StatusUnauthorized, Code: codeProjectMismatch, Message: msgProjectMismatch}

// authorization is the parsed Authorization header.
type authorization struct {
	access        string
	signedHeaders []string
	signature     []byte
}

func parseAuthorization(v string) (authorization, bool) {
	var a authorization
	alg, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || alg != signAlgorithm {
		return a, false
	}
	var sh, sig string
	for part := range strings.SplitSeq(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, false
		}
		switch k {
		case "Access":
			a.access = val
		case "SignedHeaders":
			sh = val
		case "Signature":
			sig = val
		default:
			return a, false
		}
	}
	if a.access == "" || sh == "" || len(sig) != 2*sha256.Size {
		return a, false
	}
	s, err := hex.DecodeString(sig)
	if err != nil {
		return a, false
	}
	a.signature = s
	a.signedHeaders = strings.Split(sh, ";")
	for _, h := range a.signedHeaders {
		if h == "" || h != strings.ToLower(h) {
			return a, false
		}
	}
	return a, true
}

// Authenticate checks the signature of r, whose body is body, and that the
// project of the path (if it names one) and of X-Project-Id (if set) is the
// simulated one. The details in the returned error never contain the
// secret key or the security token.
func (a *api) Authenticate(r *http.Request, body []byte) *simulator.Error {
	raw := r.Header.Get("Authorization")
	if raw == "" {
		return authFailure("The Authorization header is missing.")
	}
	auth, ok := parseAuthorization(raw)
	if !ok {
		return authFailure("The Authorization header is malformed; want " + signAlgorithm + " Access=..., SignedHeaders=..., Signature=<64 hex digits>.")
	}
	cred, ok := a.srv.Credential(auth.access)
	if !ok {
		return authFailure("The access key is unknown.")
	}
	date := r.Header.Get(headerSdkDate)
	t, err := time.Parse(sdkDateLayout, date)
	if err != nil {
		return authFailure("The X-Sdk-Date header is missing or not in the format 20060102T150405Z.")
	}
	if skew := a.srv.Now().Sub(t); skew > maxClockSkew || skew < -maxClockSkew {
		return authFailure("The request has expired: X-Sdk-Date is more than 15 minutes from the server time.")
	}
	if !slices.Contains(auth.signedHeaders, "x-sdk-date") {
		return authFailure("x-sdk-date must be a signed header.")
	}
	token := r.Header.Get(headerToken)
	switch {
	case cred.SecurityToken == "" && token != "":
		return authFailure("A security token was sent with a permanent access key.")
	case cred.SecurityToken != "" && token == "":
		return authFailure("The X-Security-Token header is required for a temporary access key.")
	case cred.SecurityToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(cred.SecurityToken)) != 1:
		return authFailure("The security token is invalid.")
	case cred.SecurityToken != "" && !slices.Contains(auth.signedHeaders, "x-security-token"):
		return authFailure("x-security-token must be a signed header.")
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return authFailure("The query string is malformed.")
	}
	canonical := canonicalRequest(r, query, auth.signedHeaders, body)
	sts := signAlgorithm + "\n" + t.UTC().Format(sdkDateLayout) + "\n" + hexSHA256([]byte(canonical))
	mac := hmac.New(sha256.New, []byte(cred.SecretKey))
	mac.Write([]byte(sts))
	if !hmac.Equal(mac.Sum(nil), auth.signature) {
		return authFailure("The request signature does not match.")
	}
	pathProject := pathProject(r.URL.Path)
	if pathProject != "" && pathProject != a.projectID {
		return errProjectMismatch
	}
	if hp := r.Header.Get(headerProjectID); hp != "" && (hp != a.projectID || pathProject != "" && hp != pathProject) {
		return errProjectMismatch
	}
	return nil
}

// pathProject is the project a /v2/{project_id}/... or
// /v1/{project_id}/... path names, or "".
func pathProject(path string) string {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		if rest, ok = strings.CutPrefix(path, "/v1/"); !ok {
			return ""
		}
	}
	project, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return project
}

// AccessKey returns the access key of r's Authorization header, which
// Authenticate has verified.
func (a *api) AccessKey(r *http.Request) string {
	auth, _ := parseAuthorization(r.Header.Get("Authorization"))
	return auth.access
}

// canonicalRequest is
//
//	METHOD \n URI \n QUERY \n HEADERS \n SIGNED-HEADERS \n PAYLOAD-HASH
//
// with the URI path segments escaped and a trailing slash, query pairs
// sorted by key then value, one "name:value" line per signed header value
// (HEADERS ends with a newline of its own), and the hex SHA-256 of the body
// unless the request carries X-Sdk-Content-Sha256 (e.g. UNSIGNED-PAYLOAD),
// whose value is used instead.
func canonicalRequest(r *http.Request, query url.Values, signedHeaders []string, body []byte) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')

	segments := strings.Split(r.URL.Path, "/")
	for i, seg := range segments {
		segments[i] = sdkEscape(seg)
	}
	uri := strings.Join(segments, "/")
	if uri == "" || uri[len(uri)-1] != '/' {
		uri += "/"
	}
	b.WriteString(uri)
	b.WriteByte('\n')

	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	first := true
	for _, k := range keys {
		vs := slices.Clone(query[k])
		slices.Sort(vs)
		for _, v := range vs {
			if !first {
				b.WriteByte('&')
			}
			first = false
			b.WriteString(sdkEscape(k))
			b.WriteByte('=')
			b.WriteString(sdkEscape(v))
		}
	}
	b.WriteByte('\n')

	lines := 0
	for _, name := range signedHeaders {
		var values []string
		if name == "host" {
			values = []string{r.Host}
		} else {
			values = slices.Clone(r.Header.Values(name))
		}
		slices.Sort(values)
		for _, v := range values {
			if lines > 0 {
				b.WriteByte('\n')
			}
			lines++
			b.WriteString(name)
			b.WriteByte(':')
			b.WriteString(strings.TrimSpace(v))
		}
	}
	b.WriteString("\n\n")
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	if v, ok := r.Header[headerContentSHA]; ok && len(v) > 0 {
		b.WriteString(v[0])
	} else {
		b.WriteString(hexSHA256(body))
	}
	return b.String()
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sdkEscape percent-encodes every byte except A-Z a-z 0-9 - _ . ~ with
// upper-case hex digits, as the SDK signer does.
func sdkEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = make([]byte, i, len(s)+16)
			copy(b, s[:i])
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	if b == nil {
		return s
	}
	return string(b)
}
