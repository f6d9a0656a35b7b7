package huaweicloud

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

// The NEVER-CALL list of the API digest (§0.9) and the write methods that
// share read paths: the spec table (the client's allow-list) must refuse
// every one, whatever the project and IDs.
var neverCall = []struct{ method, path string }{
	{http.MethodGet, "/v2/p1/users/u1/random-password"},                      // §4.8.9 resets a password
	{http.MethodGet, "/v2/p1/desktops/d1/remote-consoles"},                   // §4.3.14 console URL with a token
	{http.MethodGet, "/v2/p1/desktops/d1/remote-assistance"},                 // §4.3.34 invitation codes
	{http.MethodGet, "/v2/p1/auth-config/method-config"},                     // §4.1.5 LDAP administrator password
	{http.MethodGet, "/v2/p1/assist-auth-config/method-config"},              // §4.1.7 OTP app secret
	{http.MethodPost, "/v2/p1/screen-records/download-address"},              // §4.19.4
	{http.MethodPost, "/v1/p1/app-center/buckets/actions/create-credential"}, // §4.31.1
	{http.MethodPost, "/v1.0/p1/workspaces"},                                 // seed 001: applies for Workspace
	{http.MethodPost, "/v2/p1/workspaces"},                                   // §4.2.8 subscribes
	{http.MethodDelete, "/v2/p1/workspaces"},                                 // §4.2.9
	{http.MethodPut, "/v2/p1/workspaces/lock-status"},                        // §4.2.13 unlocks
	{http.MethodPost, "/v2/p1/desktops"},                                     // §4.3.1 creates
	{http.MethodPost, "/v2/p1/desktops/detail"},                              // a write method on the read path
	{http.MethodDelete, "/v2/p1/desktops/detail"},
	{http.MethodPost, "/v2/p1/desktops/action"},          // §4.3.9 start/stop
	{http.MethodPost, "/v2/p1/users/u1/actions"},         // §4.8.8 lock, unlock, reset password
	{http.MethodPost, "/v2/p1/workspace-jobs/j/actions"}, // §4.28.4 retries a job
}

func TestSpecRefusesTheNeverCallList(t *testing.T) {
	for _, c := range neverCall {
		if Spec.Allows(c.method, c.path) {
			t.Errorf("the spec table allows %s %s", c.method, c.path)
		}
	}
	for _, op := range Spec.Operations {
		if op.Method != http.MethodGet {
			t.Errorf("%s: %s; the exporter only reads", op.Name, op.Method)
		}
		if !strings.HasPrefix(op.Path, "/v2/{project_id}/") || op.Section == "" {
			t.Errorf("%s: path %q section %q", op.Name, op.Path, op.Section)
		}
	}
	if !Spec.Allows(http.MethodGet, "/v2/p1/desktops/detail") {
		t.Error("the desktops list is not allowed")
	}
}

// METRICS.md names every operation's section and lists every documented
// enum value the spec table holds.
func TestMetricsDocumentsTheSpec(t *testing.T) {
	doc, err := os.ReadFile("../../METRICS.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range Spec.Operations {
		if !strings.Contains(string(doc), "§"+op.Section) {
			t.Errorf("METRICS.md does not name §%s (%s)", op.Section, op.Name)
		}
	}
	for field, values := range Spec.Enums {
		for _, v := range values {
			if !strings.Contains(string(doc), "`"+v+"`") {
				t.Errorf("METRICS.md does not list %s value %q", field, v)
			}
		}
	}
}
