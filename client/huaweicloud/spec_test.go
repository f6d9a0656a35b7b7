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
	{http.MethodPost, "/v2/p1/desktops/action"},                    // §4.3.9 start/stop
	{http.MethodPost, "/v2/p1/users/u1/actions"},                   // §4.8.8 lock, unlock, reset password
	{http.MethodPost, "/v2/p1/workspace-jobs/j/actions"},           // §4.28.4 retries a job
	{http.MethodPost, "/v2/p1/desktop-pools"},                      // §4.4.1 creates a pool
	{http.MethodPut, "/v2/p1/desktop-pools/pl1"},                   // §4.4.3 modifies
	{http.MethodDelete, "/v2/p1/desktop-pools/pl1"},                // §4.4.4 deletes
	{http.MethodPost, "/v2/p1/desktop-pools/pl1/users"},            // §4.4.14 authorizes users
	{http.MethodPost, "/v2/p1/desktop-pools/pl1/action"},           // §4.4.12 starts/stops the pool's desktops
	{http.MethodPost, "/v2/p1/desktop-pools/pl1/expand"},           // §4.4.6
	{http.MethodPost, "/v2/p1/desktop-pools/pl1/rebuild"},          // §4.4.8
	{http.MethodGet, "/v2/p1/desktop-pools/pl1/action"},            // a read on a write path
	{http.MethodGet, "/v2/p1/desktop-pools/pl1/script-executions"}, // §4.4.17's path (POST)
	// The jobs domain (§4.28.1 GET /workspace-jobs/{job_id}, §4.28.2 GET
	// /workspace-sub-jobs): no write method on its read paths, and no
	// other path under the task.
	{http.MethodPost, "/v2/p1/workspace-jobs/j"},
	{http.MethodDelete, "/v2/p1/workspace-jobs/j"},
	{http.MethodPost, "/v2/p1/workspace-sub-jobs"},
	{http.MethodGet, "/v2/p1/workspace-jobs/j/actions"},
	// The users domain (§4.8.1 GET /users, §4.9.1 GET /groups) sits
	// beside these writes and per-user reads.
	{http.MethodPost, "/v2/p1/users"},                    // §4.8.2 creates a user
	{http.MethodDelete, "/v2/p1/users/u1"},               // §4.8.3
	{http.MethodPut, "/v2/p1/users/u1"},                  // §4.8.5
	{http.MethodPost, "/v2/p1/users/batch-delete"},       // §4.8.6
	{http.MethodPost, "/v2/p1/users/batch-create"},       // §4.8.7
	{http.MethodGet, "/v2/p1/users/u1/actions"},          // §4.8.8's path under another method
	{http.MethodPost, "/v2/p1/users/u1/random-password"}, // §4.8.9 under another method
	{http.MethodDelete, "/v2/p1/users/u1/otp-devices"},   // §4.8.11 unbinds an OTP device
	{http.MethodPost, "/v2/p1/users/u1/resend-email"},    // §4.8.12
	{http.MethodPost, "/v2/p1/groups"},                   // §4.9.2 creates a group
	{http.MethodPost, "/v2/p1/groups/batch-delete"},      // §4.9.3
	{http.MethodDelete, "/v2/p1/groups/g1"},              // §4.9.4
	{http.MethodPut, "/v2/p1/groups/g1"},                 // §4.9.5
	{http.MethodPost, "/v2/p1/groups/g1/actions"},        // §4.9.6 adds or removes members
	// The service domain (§4.2.7 GET /workspaces, §4.2.12 GET
	// /workspaces/lock-status, §4.2.1 GET /sites, §4.2.6 GET
	// /wks-edge-sites) sits beside these writes.
	{http.MethodPut, "/v2/p1/workspaces"},               // §4.2.10 modifies the service
	{http.MethodPut, "/v2/p1/workspaces/enterprise-id"}, // §4.2.11
	{http.MethodGet, "/v2/p1/workspaces/enterprise-id"}, // §4.2.11's path under another method
	{http.MethodPost, "/v2/p1/workspaces/lock-status"},  // a write method on the read path
	{http.MethodPost, "/v2/p1/sites"},                   // §4.2.2 adds a site
	{http.MethodDelete, "/v2/p1/sites/s1"},              // §4.2.3 deletes a site
	{http.MethodGet, "/v2/p1/sites/s1"},                 // no read of one site is documented
	{http.MethodPut, "/v2/p1/sites/s1/access-mode"},     // §4.2.4
	{http.MethodPut, "/v2/p1/sites/s1/subnet-ids"},      // §4.2.5
	{http.MethodPost, "/v2/p1/wks-edge-sites"},          // a write method on the read path
	{http.MethodDelete, "/v2/p1/wks-edge-sites"},
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
