package huaweicloud

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSDKSignedRequestAccepted sends requests signed by the official SDK
// signer and expects them to be verified.
func TestSDKSignedRequestAccepted(t *testing.T) {
	s, base := startSim(t, testOptions(40))
	host := strings.TrimPrefix(base, "http://")
	ids := []string{s.Desktops()[5].DesktopID, s.Desktops()[1].DesktopID}
	for name, o := range map[string]signed{
		"brief recipe": {pathProject: testProject, query: map[string]any{"limit": "500"}},
		"no query":     {},
		"temporary key with security token": {
			ak: testTempAK, sk: testTempSK, token: testToken, query: map[string]any{"limit": "500", "offset": "0"},
		},
		"array and escaped query values": {query: map[string]any{
			"desktop_id":    ids,
			"computer_name": "FIN VDI+ü/~*'();:@&=$,!",
			"sort_field":    "computer_name",
			"status":        "",
		}},
		"extra signed headers like the SDK client's": {headers: map[string]string{
			"User-Agent":   "huaweicloud-usdk-go/3.0",
			"X-Request-Id": "abc",
		}},
		"signed host header": {headers: map[string]string{"Host": host}},
	} {
		t.Run(name, func(t *testing.T) {
			r := do(t, sdkRequest(t, base, o))
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var lb listBody
			if err := json.Unmarshal(r.body, &lb); err != nil {
				t.Fatal(err)
			}
			if lb.TotalCount == nil {
				t.Fatal("no total_count")
			}
		})
	}
	// The desktop_id filter of the escaped-query case was honoured.
	r, lb := list(t, base, map[string]any{"desktop_id": ids})
	if r.status != 200 || len(lb.Desktops) != 2 {
		t.Errorf("desktop_id filter: %d, %d desktops", r.status, len(lb.Desktops))
	}
}

func TestAuthRejections(t *testing.T) {
	_, base := startSim(t, testOptions(5))
	stale := time.Now().Add(-16 * time.Minute).UTC().Format(sdkDateLayout)
	future := time.Now().Add(16 * time.Minute).UTC().Format(sdkDateLayout)
	for _, c := range []struct {
		name   string
		o      signed
		tamper func(*http.Request)
		code   string
	}{
		{name: "tampered signature", tamper: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			last := a[len(a)-1]
			flip := byte('0')
			if last == '0' {
				flip = '1'
			}
			r.Header.Set("Authorization", a[:len(a)-1]+string(flip))
		}, code: codeAuthFailed},
		{name: "wrong secret key", o: signed{ak: testAK, sk: testSK + "x"}, code: codeAuthFailed},
		{name: "secret key of another credential", o: signed{ak: testAK, sk: testTempSK}, code: codeAuthFailed},
		{name: "unknown access key", o: signed{ak: "UNKNOWNAK", sk: testSK}, code: codeAuthFailed},
		{name: "missing Authorization", tamper: func(r *http.Request) { r.Header.Del("Authorization") }, code: codeAuthFailed},
		{name: "malformed Authorization", tamper: func(r *http.Request) { r.Header.Set("Authorization", "Basic dXNlcjpwYXNz") }, code: codeAuthFailed},
		{name: "upper-case signed headers", tamper: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "x-sdk-date", "X-Sdk-Date", 1))
		}, code: codeAuthFailed},
		{name: "stale X-Sdk-Date", o: signed{headers: map[string]string{"X-Sdk-Date": stale}}, code: codeAuthFailed},
		{name: "future X-Sdk-Date", o: signed{headers: map[string]string{"X-Sdk-Date": future}}, code: codeAuthFailed},
		{name: "missing X-Sdk-Date", tamper: func(r *http.Request) { r.Header.Del("X-Sdk-Date") }, code: codeAuthFailed},
		{name: "X-Sdk-Date changed after signing", tamper: func(r *http.Request) {
			t, _ := time.Parse(sdkDateLayout, r.Header.Get("X-Sdk-Date"))
			r.Header.Set("X-Sdk-Date", t.Add(time.Second).Format(sdkDateLayout))
		}, code: codeAuthFailed},
		{name: "query changed after signing", o: signed{query: map[string]any{"limit": "500"}}, tamper: func(r *http.Request) {
			r.URL.RawQuery = "limit=499"
		}, code: codeAuthFailed},
		{name: "query added after signing", tamper: func(r *http.Request) { r.URL.RawQuery = "status=ACTIVE" }, code: codeAuthFailed},
		{name: "signed header changed", o: signed{headers: map[string]string{"User-Agent": "x"}}, tamper: func(r *http.Request) {
			r.Header.Set("User-Agent", "y")
		}, code: codeAuthFailed},
		{name: "missing security token", o: signed{ak: testTempAK, sk: testTempSK}, code: codeAuthFailed},
		{name: "wrong security token", o: signed{ak: testTempAK, sk: testTempSK, token: "forged-token-value"}, code: codeAuthFailed},
		{name: "token stripped after signing", o: signed{ak: testTempAK, sk: testTempSK, token: testToken}, tamper: func(r *http.Request) {
			r.Header.Del("X-Security-Token")
		}, code: codeAuthFailed},
		{name: "token sent with a permanent key", o: signed{token: "forged-token-value"}, code: codeAuthFailed},
		{name: "wrong project in path", o: signed{pathProject: "aaaabbbbccccdddd0000111122223333"}, code: codeProjectMismatch},
		{name: "wrong project everywhere", o: signed{credProject: "aaaabbbbccccdddd0000111122223333"}, code: codeProjectMismatch},
		{name: "X-Project-Id differs from path", o: signed{pathProject: testProject, credProject: "aaaabbbbccccdddd0000111122223333"}, code: codeProjectMismatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := sdkRequest(t, base, c.o)
			if c.tamper != nil {
				c.tamper(req)
			}
			r := do(t, req)
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", r.status, r.body)
			}
			if got := errorCode(t, r); got != c.code {
				t.Errorf("error_code %s, want %s (%s)", got, c.code, r.body)
			}
			checkCommonHeaders(t, c.name, r.header)
			for _, secret := range []string{testSK, testTempSK, testToken, "forged-token-value"} {
				if bytes.Contains(r.body, []byte(secret)) {
					t.Errorf("error body echoes a secret: %s", r.body)
				}
			}
		})
	}
}

func TestAuthErrorMessage(t *testing.T) {
	_, base := startSim(t, testOptions(1))
	r := do(t, sdkRequest(t, base, signed{ak: testAK, sk: "bad"}))
	var e apiErrorBody
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Code != "WKS.00000039" || !strings.HasPrefix(e.Msg, "Failed to authenticate the IAM user") || e.Detail == "" {
		t.Errorf("401 body %s", r.body)
	}
	r = do(t, sdkRequest(t, base, signed{pathProject: "other"}))
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Code != "WKS.00010025" || e.Msg != "The project id in the request URL does not match the token." {
		t.Errorf("project mismatch body %s", r.body)
	}
}

func TestClockSkewWindow(t *testing.T) {
	for _, c := range []struct {
		offset time.Duration
		status int
	}{
		{14 * time.Minute, 200},
		{-14 * time.Minute, 200},
		{16 * time.Minute, 401},
		{-16 * time.Minute, 401},
	} {
		o := testOptions(1)
		o.Now = func() time.Time { return time.Now().Add(c.offset) }
		_, base := startSim(t, o)
		if r := do(t, sdkRequest(t, base, signed{})); r.status != c.status {
			t.Errorf("simulator clock %v off: status %d, want %d", c.offset, r.status, c.status)
		}
	}
}

func TestUnsignedPayloadHeader(t *testing.T) {
	// With a non-JSON Content-Type the SDK signs X-Sdk-Content-Sha256:
	// UNSIGNED-PAYLOAD and uses that value as the payload hash.
	_, base := startSim(t, testOptions(1))
	req := sdkRequest(t, base, signed{headers: map[string]string{"Content-Type": "text/plain"}})
	if req.Header.Get(headerContentSHA) != "UNSIGNED-PAYLOAD" {
		t.Fatalf("SDK did not set %s", headerContentSHA)
	}
	if r := do(t, req); r.status != 200 {
		t.Errorf("status %d: %s", r.status, r.body)
	}
}

func TestSDKEscape(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"AZaz09-_.~":       "AZaz09-_.~",
		"a b/c":            "a%20b%2Fc",
		"ü":                "%C3%BC",
		"key=v&x+y":        "key%3Dv%26x%2By",
		"desktops;detail%": "desktops%3Bdetail%25",
	} {
		if got := sdkEscape(in); got != want {
			t.Errorf("sdkEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanonicalRequestLayout(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://h:1/v2/p/desktops/detail?b=2&a=z&a=y&e", nil)
	r.Header.Set("X-Sdk-Date", "20240416T095341Z")
	r.Header.Set("X-Project-Id", " p ")
	q, _ := url.ParseQuery(r.URL.RawQuery)
	got := canonicalRequest(r, q, []string{"host", "x-project-id", "x-sdk-date"}, nil)
	want := "GET\n/v2/p/desktops/detail/\na=y&a=z&b=2&e=\nhost:h:1\nx-project-id:p\nx-sdk-date:20240416T095341Z\n\nhost;x-project-id;x-sdk-date\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got != want {
		t.Errorf("canonical request\n%q\nwant\n%q", got, want)
	}
}
