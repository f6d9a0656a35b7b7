package hwspec

import (
	"net/http"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// Operation names of the application installation jobs domain (API
// reference §4.31 App Center, seed 003).
const (
	// OpListAppInstallJobs is GET /v1/{project_id}/app-center/jobs
	// (§4.31.16, 003 L48430-48583). Note the v1 prefix: the App Center
	// lives under /v1 (003 L48442). Every other App Center path is a
	// write or hands out secrets and has no row: §4.31.1 POST
	// …/app-center/buckets/actions/create-credential (OBS access/secret,
	// L46213), §4.31.17 POST …/app-center/jobs/actions/batch-delete
	// (L48584) and §4.31.18 POST …/app-center/jobs/actions/retry (L48697)
	// beside this path, and the POST/PATCH/DELETE of …/apps…
	// (§4.31.2-4.31.14).
	OpListAppInstallJobs = "ListAppInstallJobs"
)

// App installation job_status values (§4.31.16 Table 4-3212 and 4-3215,
// 003 L48457 and L48490: documented twice, the second time mislabelled
// "Instance type"), in the document's order.
const (
	AppInstallStatusInit    = "INIT"
	AppInstallStatusWaiting = "WAITING"
	AppInstallStatusSuccess = "SUCCESS"
	AppInstallStatusFail    = "FAIL"
)

func init() {
	register([]client.OperationSpec{{
		// §4.31.16, 003 L48430-48583: offset default 0, limit 1-100
		// default 10 (L48452-48453), the total in count and the jobs in
		// items (L48473-48474).
		Name:    OpListAppInstallJobs,
		Method:  http.MethodGet,
		Path:    "/v1/{project_id}/app-center/jobs",
		Section: "4.31.16",
		Paging:  client.OffsetPaging, ListKey: "items", TotalKey: "count",
		MinLimit: 1, MaxLimit: 100,
	}}, map[string][]string{
		model.FieldAppInstallStatus: {AppInstallStatusInit, AppInstallStatusWaiting, AppInstallStatusSuccess, AppInstallStatusFail},
	})
}
