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
	// The scheduled tasks domain (§4.20.1, §4.20.3, §4.20.8, §4.20.9 GETs)
	// shares its paths with the task writes.
	{http.MethodPost, "/v2/p1/scheduled-tasks"},                    // §4.20.2 creates a task
	{http.MethodPut, "/v2/p1/scheduled-tasks/t1"},                  // §4.20.4 modifies a task
	{http.MethodDelete, "/v2/p1/scheduled-tasks/t1"},               // §4.20.5 deletes a task
	{http.MethodPost, "/v2/p1/scheduled-tasks/future-executions"},  // §4.20.6 (a read-only POST, not needed)
	{http.MethodPost, "/v2/p1/scheduled-tasks/batch-delete"},       // §4.20.7 deletes tasks
	{http.MethodPost, "/v2/p1/scheduled-tasks/t1/records"},         // a write method on the read path
	{http.MethodDelete, "/v2/p1/scheduled-tasks/t1/records/r1"},    // a write method on the read path
	{http.MethodGet, "/v2/p1/scheduled-tasks/t1/records/r1/extra"}, // no deeper read is documented
	// The app installation jobs domain (§4.31.16 GET /v1/…/app-center/jobs)
	// sits beside the App Center's writes and its OBS credentials.
	{http.MethodPost, "/v1/p1/app-center/jobs"},                             // a write method on the read path
	{http.MethodDelete, "/v1/p1/app-center/jobs"},                           // a write method on the read path
	{http.MethodPost, "/v1/p1/app-center/jobs/actions/batch-delete"},        // §4.31.17 deletes jobs
	{http.MethodPost, "/v1/p1/app-center/jobs/actions/retry"},               // §4.31.18 retries a job
	{http.MethodGet, "/v1/p1/app-center/jobs/actions/retry"},                // §4.31.18's path under another method
	{http.MethodGet, "/v1/p1/app-center/buckets/actions/create-credential"}, // §4.31.1's path under another method
	{http.MethodPost, "/v1/p1/app-center/buckets"},                          // §4.31.2 creates a bucket
	{http.MethodPost, "/v1/p1/app-center/apps/a1/actions/auto-install"},     // §4.31.7 installs an application
	{http.MethodPost, "/v1/p1/app-center/apps/actions/batch-auto-install"},  // §4.31.14 installs applications
	{http.MethodPatch, "/v1/p1/app-center/profiles"},                        // §4.1.1 changes tenant functions
	{http.MethodGet, "/v2/p1/app-center/jobs"},                              // the path under the wrong version
	// The scripts domain (§4.24.8, §4.24.9, §4.4.16 GETs) sits beside the
	// script executions and the script library; §4.24.7 (one record with
	// the script's printed output) is deliberately not called.
	{http.MethodPost, "/v2/p1/script-executions"},                             // §4.24.6 executes scripts on desktops
	{http.MethodPost, "/v2/p1/script-executions/retry"},                       // §4.24.10 retries
	{http.MethodPost, "/v2/p1/script-executions/stop"},                        // §4.24.11 stops
	{http.MethodGet, "/v2/p1/script-executions"},                              // §4.24.6's path under another method
	{http.MethodPost, "/v2/p1/desktop-pools/pl1/script-executions"},           // §4.4.17 executes scripts on a pool
	{http.MethodGet, "/v2/p1/script-execution-records/r1"},                    // §4.24.7: the script's output
	{http.MethodPost, "/v2/p1/script-execution-records"},                      // a write method on the read path
	{http.MethodPost, "/v2/p1/script-execution-tasks"},                        // a write method on the read path
	{http.MethodDelete, "/v2/p1/script-execution-tasks"},                      // a write method on the read path
	{http.MethodPost, "/v2/p1/desktop-pools/script-execution-tasks/detail"},   // a write method on the read path
	{http.MethodGet, "/v2/p1/desktops-pools/script-execution-tasks/detail"},   // the example request's misspelt path (003 L14537)
	{http.MethodGet, "/v2/p1/desktop-pools/script-execution-tasks/detail/t1"}, // no deeper read is documented
	{http.MethodPost, "/v2/p1/scripts"},                                       // §4.24.1 creates a script
	{http.MethodGet, "/v2/p1/scripts"},                                        // §4.24.2: the scripts' content
	{http.MethodGet, "/v2/p1/scripts/s1"},                                     // §4.24.3: a script's content
	{http.MethodPut, "/v2/p1/scripts/s1"},                                     // §4.24.4 modifies a script
	{http.MethodDelete, "/v2/p1/scripts/s1"},                                  // §4.24.5 deletes a script
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
		// Every path is /v2 but the App Center's (§4.31, /v1, 003 L48442).
		if !strings.HasPrefix(op.Path, "/v2/{project_id}/") && !strings.HasPrefix(op.Path, "/v1/{project_id}/app-center/") || op.Section == "" {
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
