package hwspec

import (
	"net/http"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The scripts domain's operations (API reference seed 003 §4.24 and
// §4.4.16). Their paths sit beside writes (digest §0.9 "every other
// non-GET"): POST /v2/{project_id}/script-executions (§4.24.6, 003 L42034,
// executes scripts), POST …/script-executions/retry (§4.24.10, L42650),
// POST …/script-executions/stop (§4.24.11, L42783), POST
// /v2/{project_id}/desktop-pools/{pool_id}/script-executions (§4.4.17,
// L14597) and the script library's POST, PUT and DELETE /scripts…
// (§4.24.1-4.24.5); spec_test.go holds the table to refusing them.
//
// §4.24.7 GET /v2/{project_id}/script-execution-records/{record_id}
// (003 L42162-42303) is deliberately NOT called and has no row: it adds
// only `output` over §4.24.8, the free text a script printed on a desktop,
// which may hold secrets and is never exported. GET /scripts and
// /scripts/{script_id} (§4.24.2-4.24.3) are not called either: they hold
// the scripts' content.
const (
	// OpListScriptTasks is GET /v2/{project_id}/script-execution-tasks
	// (§4.24.9, 003 L42467-42637).
	OpListScriptTasks = "ListScriptTasks"
	// OpListScriptRecords is GET /v2/{project_id}/script-execution-records
	// (§4.24.8, 003 L42304-42466).
	OpListScriptRecords = "ListScriptRecords"
	// OpListPoolScriptTasks is GET
	// /v2/{project_id}/desktop-pools/script-execution-tasks/detail
	// (§4.4.16, 003 L14404-14584). It cannot collide with the pools
	// domain's /desktop-pools/{pool_id} (one segment fewer) or
	// /desktop-pools/{pool_id}/users (its last segment is "detail").
	OpListPoolScriptTasks = "ListPoolScriptTasks"
)

// PoolScriptTaskStatuses are §4.4.16 ScriptExecutionTask.status's
// documented values (Table 4-866, 003 L14473), in the document's
// order. The status filter's values (SUCCESS, FAILED, RUNNING, WAITING,
// Table 4-863 L14431) differ. §4.24.8's and §4.24.9's statuses are not enumerated.
var PoolScriptTaskStatuses = []string{"FINISH", "FAILED", "RUNNING", "INIT"}

func init() {
	register([]client.OperationSpec{{
		// §4.24.9, 003 L42467-42637: offset default 0, limit 1..100
		// default 10 (L42489, L42492), script_tasks and count
		// (L42517-42518). Its example is broken (see testdata/README.md).
		Name:    OpListScriptTasks,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/script-execution-tasks",
		Section: "4.24.9",
		Paging:  client.OffsetPaging, ListKey: "script_tasks", TotalKey: "count",
		MinLimit: 1, MaxLimit: 100,
	}, {
		// §4.24.8, 003 L42304-42466: offset default 0, limit 1..100
		// default 10 (L42326-42327), script_records and count
		// (L42356-42357).
		Name:    OpListScriptRecords,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/script-execution-records",
		Section: "4.24.8",
		Paging:  client.OffsetPaging, ListKey: "script_records", TotalKey: "count",
		MinLimit: 1, MaxLimit: 100,
	}, {
		// §4.4.16, 003 L14404-14584: offset from 0, limit 0..100
		// default 10 (Table 4-863, L14433-14434), script_execution_tasks
		// and total_count (Table 4-865, L14455-14456).
		Name:    OpListPoolScriptTasks,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/desktop-pools/script-execution-tasks/detail",
		Section: "4.4.16",
		Paging:  client.OffsetPaging, ListKey: "script_execution_tasks", TotalKey: "total_count",
		MinLimit: 1, MaxLimit: 100,
	}}, map[string][]string{
		model.FieldPoolScriptTaskStatus: PoolScriptTaskStatuses,
	})
}
