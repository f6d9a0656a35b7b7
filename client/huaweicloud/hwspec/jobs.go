package hwspec

import (
	"net/http"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// Operation names of the jobs domain (API reference §4.28, seed 003).
const (
	// OpListSubJobs is GET /v2/{project_id}/workspace-sub-jobs (§4.28.2,
	// 003 L44081-44285).
	OpListSubJobs = "ListSubJobs"
	// OpShowJob is GET /v2/{project_id}/workspace-jobs/{job_id} (§4.28.1,
	// 003 L43967-44080). The POST …/workspace-jobs/{job_id}/actions
	// beside it (§4.28.4, retries a task) is a write and has no row.
	OpShowJob = "ShowJob"
)

// JobTypes are the documented job_type values of §4.28.2 (003
// L44107, L44111), in the document's order.
var JobTypes = []string{
	"createDesktops", "applyWorkspace", "cancelWorkspace", "expandVolumes", "addVolumes",
	"rebuildDesktops", "createSnapshot", "deleteSnapshot", "deleteDesktops", "desktopRejoinDomain",
	"operateDesktops", "restoreDesktopBySnapshot", "desktopToImage", "attachDesktops", "deleteVolumes",
	"createWksSnapshot", "deleteWksSnapshot", "createDesktopPool", "expandDesktopPool",
	"deleteDesktopPoolVolumes", "rebuildDesktopPool", "addDesktopPoolVolumes", "detachDesktops",
	"attachDesktopPool", "batchDetachDesktops", "executeDesktopsAction", "changeDesktopNetwork",
	"batchChangeDesktopNetwork",
}

// Job status values of §4.28.2's status filter (003 L44103): the only
// documented job status set (§4.28.1's status is not enumerated).
const (
	JobStatusSuccess = "SUCCESS"
	JobStatusRunning = "RUNNING"
	JobStatusFailed  = "FAILED"
	JobStatusWaiting = "WAITING"
)

func init() {
	register([]client.OperationSpec{{
		// §4.28.2, 003 L44081-44285: offset from 0, limit 0-1000
		// (default 1000, L44112-44113), jobs and total_count
		// (L44130-44131).
		Name:    OpListSubJobs,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/workspace-sub-jobs",
		Section: "4.28.2",
		Paging:  client.OffsetPaging, ListKey: "jobs", TotalKey: "total_count",
		MinLimit: 1, MaxLimit: 1000,
	}, {
		// §4.28.1, 003 L43967-44080: one task and its sub_jobs.
		Name:    OpShowJob,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/workspace-jobs/{job_id}",
		Section: "4.28.1",
		Paging:  client.NoPaging, ListKey: "sub_jobs",
	}}, map[string][]string{
		model.FieldJobType:   JobTypes,
		model.FieldJobStatus: {JobStatusSuccess, JobStatusRunning, JobStatusFailed, JobStatusWaiting},
	})
}
