package hwspec

import (
	"net/http"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// Operation names of the scheduled tasks domain (API reference §4.20,
// seed 003). The writes beside these paths have no row: POST
// …/scheduled-tasks (§4.20.2, creates), PUT and DELETE
// …/scheduled-tasks/{task_id} (§4.20.4, §4.20.5), POST
// …/scheduled-tasks/future-executions (§4.20.6, a read-only POST the
// exporter does not need) and POST …/scheduled-tasks/batch-delete
// (§4.20.7, deletes).
const (
	// OpListScheduledTasks is GET /v2/{project_id}/scheduled-tasks
	// (§4.20.1, 003 L37755-37880).
	OpListScheduledTasks = "ListScheduledTasks"
	// OpShowScheduledTask is GET /v2/{project_id}/scheduled-tasks/{task_id}
	// (§4.20.3, 003 L38016-38151).
	OpShowScheduledTask = "ShowScheduledTask"
	// OpListScheduledTaskRecords is GET
	// /v2/{project_id}/scheduled-tasks/{task_id}/records (§4.20.8, 003
	// L38561-38681).
	OpListScheduledTaskRecords = "ListScheduledTaskRecords"
	// OpListScheduledTaskRecordDetails is GET
	// /v2/{project_id}/scheduled-tasks/{task_id}/records/{record_id}
	// (§4.20.9, 003 L38682-38796).
	OpListScheduledTaskRecordDetails = "ListScheduledTaskRecordDetails"
)

// ScheduledTaskTypes are the documented task_type values of §4.20.1
// (003 L37782, L37809), in the document's order.
var ScheduledTaskTypes = []string{"START", "STOP", "REBOOT", "HIBERNATE", "REBUILD", "EXECUTE_SCRIPT", "CREATE_SNAPSHOT"}

// ScheduledTypeLifeCycle is the scheduled_type of triggered tasks, which
// §4.20.1 returns only when asked for with that filter (003 L37783).
const ScheduledTypeLifeCycle = "LIFE_CYCLE"

// ScheduledTypes are the documented scheduled_type values: §4.20.1's
// filter (003 L37783) and §4.20.3's field (L38054); §4.20.1's field
// (L37810) lists them without LIFE_CYCLE.
var ScheduledTypes = []string{"FIXED_TIME", "DAY", "WEEK", "MONTH", ScheduledTypeLifeCycle}

// Documented last_status values of §4.20.1 (003 L37785, L37814). The
// execution status of a record (§4.20.8 status, L38616; §4.20.9
// exec_status, L38733) is not enumerated; its example is SUCCESS
// (L38659, L38774).
const (
	ScheduledStatusSuccess = "SUCCESS"
	ScheduledStatusSkip    = "SKIP"
	ScheduledStatusFail    = "FAIL"
)

// ScheduledLastStatuses are the documented last_status values.
var ScheduledLastStatuses = []string{ScheduledStatusSuccess, ScheduledStatusSkip, ScheduledStatusFail}

func init() {
	register([]client.OperationSpec{{
		// §4.20.1, 003 L37755-37880: offset (from 0) and limit (0-50)
		// mandatory (L37777-37778), scheduled_tasks and total_count
		// (L37801-37802).
		Name:    OpListScheduledTasks,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/scheduled-tasks",
		Section: "4.20.1",
		Paging:  client.OffsetPaging, ListKey: "scheduled_tasks", TotalKey: "total_count",
		MinLimit: 1, MaxLimit: 50,
	}, {
		// §4.20.3, 003 L38016-38151: one task, its expire_time and
		// apply_objects.
		Name:    OpShowScheduledTask,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/scheduled-tasks/{task_id}",
		Section: "4.20.3",
		Paging:  client.NoPaging,
	}, {
		// §4.20.8, 003 L38561-38681: offset from 0, limit 0-100
		// (default 10, L38584-38587), tasks_records and total_count
		// (L38603-38604).
		Name:    OpListScheduledTaskRecords,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/scheduled-tasks/{task_id}/records",
		Section: "4.20.8",
		Paging:  client.OffsetPaging, ListKey: "tasks_records", TotalKey: "total_count",
		MinLimit: 1, MaxLimit: 100,
	}, {
		// §4.20.9, 003 L38682-38796: offset and limit (0-100) mandatory
		// (L38706-38707), tasks_records_details and total_count
		// (L38723-38724).
		Name:    OpListScheduledTaskRecordDetails,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/scheduled-tasks/{task_id}/records/{record_id}",
		Section: "4.20.9",
		Paging:  client.OffsetPaging, ListKey: "tasks_records_details", TotalKey: "total_count",
		MinLimit: 1, MaxLimit: 100,
	}}, map[string][]string{
		model.FieldScheduledTaskType:       ScheduledTaskTypes,
		model.FieldScheduledType:           ScheduledTypes,
		model.FieldScheduledTaskLastStatus: ScheduledLastStatuses,
	})
}
