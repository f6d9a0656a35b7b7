// Package hwspec is the table of every Huawei Cloud Workspace API
// operation the exporter calls. It is its own package so that the client
// (client/huaweicloud) and the simulator read the same table without
// importing each other.
package hwspec

import (
	"net/http"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// Spec is the table of every Workspace API operation the exporter calls
// (this file's rows, and those each domain file of the package registers),
// with its documentation section (API reference, seed 003), paging and the
// documented values of the enum fields it reads. The client sends nothing
// outside it (method and path together); the collectors export every
// documented value; the simulator serves exactly these routes and limits;
// a test holds METRICS.md to it. The NEVER-CALL list of the API digest
// (§0.9: random-password, console addresses, write methods on read paths)
// has no row here, so no request to it can be made.
var Spec = &client.Spec{
	Provider: ProviderName,
	Operations: []client.OperationSpec{{
		Name:    OpListDesktopsDetail,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/desktops/detail",
		Section: "4.3.8",
		Paging:  client.OffsetPaging, ListKey: "desktops", TotalKey: "total_count",
		MinLimit: 1, MaxLimit: 500,
	}, {
		// Offsets stop at 2,000 (§4.3.37): a fleet longer than
		// 2,000+limit cannot be read here; the client falls back to
		// ListDesktopsDetail's login_status.
		Name:    OpListConnectDesktops,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/connect-desktops",
		Section: "4.3.37",
		Paging:  client.OffsetPaging, ListKey: "desktops", TotalKey: "total_count",
		MinLimit: 1, MaxLimit: 2000, MaxOffset: 2000,
	}, {
		Name:    OpListConnectionStatus,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/connections/status",
		Section: "4.13.2",
		Paging:  client.NoPaging, ListKey: "statics",
	}, {
		Name:    OpListLoginRecords,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/connections/desktops",
		Section: "4.13.1",
		Paging:  client.OffsetPaging, ListKey: "records", TotalKey: "total_count",
		MinLimit: 1, MaxLimit: 1000,
	}, {
		Name:    OpShowLoginUsers,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/connections/online-users",
		Section: "4.13.4",
		Paging:  client.NoPaging, ListKey: "time_counts",
	}, {
		Name:    OpShowLoginStateStatistics,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/desktops/statistics/login-state",
		Section: "4.21.15",
		Paging:  client.NoPaging,
	}, {
		Name:    OpListDesktopUsage,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/statistics/metrics/desktops",
		Section: "4.21.9",
		Paging:  client.OffsetPaging, ListKey: "items", TotalKey: "count",
		MinLimit: 1, MaxLimit: 100,
	}, {
		Name:    OpListUserUsage,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/statistics/metrics/users",
		Section: "4.21.10",
		Paging:  client.OffsetPaging, ListKey: "items", TotalKey: "count",
		MinLimit: 1, MaxLimit: 100,
	}, {
		Name:    OpShowDesktopStatistics,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/statistics",
		Section: "4.21.13",
		Paging:  client.NoPaging,
	}, {
		Name:    OpShowRunStateStatistics,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/desktops/statistics/run-state",
		Section: "4.21.14",
		Paging:  client.NoPaging,
	}},
	Enums: map[string][]string{
		model.FieldDesktopStatus:      {"ACTIVE", "SHUTOFF", "ERROR", "HIBERNATED"},
		model.FieldDesktopLoginStatus: {"UNREGISTER", "REGISTERED", "CONNECTED", "DISCONNECTED"},
		// §4.3.37 ConnectDesktopsInfo.connect_status.
		model.FieldConnectStatus: {"UNREGISTER", "REGISTERED", "CONNECTED", "DISCONNECTED"},
		// §4.13.2 InstanceStatusStatistics: the counters, named without
		// their _num suffix.
		model.FieldGroupConnectionState: {"running", "stop", "hibernate", "other", "attached", "unattached",
			"cannot_attach", "in_process", "in_use", "unregistered", "ready", "disconnected", "unknown"},
		// §4.21.13 and §4.21.15 login_state_statistics, §4.21.13 and
		// §4.21.14 run_state_statistics, §4.21.13 attach_statistics:
		// their counters without the _num suffix.
		model.FieldLoginStateStatistic:  {"in_use", "unregistered", "unable_to_connect", "ready", "disconnected"},
		model.FieldRunStateStatistic:    {"active", "stop", "error", "hibernated"},
		model.FieldAttachStateStatistic: {"attached", "unattached", "attaching", "attach_error"},
		model.FieldDesktopTaskStatus: {
			"scheduling", "block_device_mapping", "networking", "spawning",
			"rebooting", "reboot_pending", "reboot_started", "rebooting_hard", "reboot_pending_hard", "reboot_started_hard",
			"rebuilding", "rebuild_block_device_mapping", "rebuild_spawning",
			"migrating", "resize_prep", "resize_migrating", "resize_migrated", "resize_finish", "resize_reverting",
			"powering-off", "powering-on", "deleting", "deleteFailed", "updating", "desktopNetworkChanging",
		},
	},
}

// register adds a domain's operations and documented enums to Spec; a
// domain file of this package calls it from its init. A name already in
// the table is a programming error.
func register(ops []client.OperationSpec, enums map[string][]string) {
	for _, op := range ops {
		for _, have := range Spec.Operations {
			if have.Name == op.Name || have.Method == op.Method && have.Path == op.Path {
				panic("hwspec: operation registered twice: " + op.Name + " " + op.Method + " " + op.Path)
			}
		}
		Spec.Operations = append(Spec.Operations, op)
	}
	for field, values := range enums {
		if _, dup := Spec.Enums[field]; dup {
			panic("hwspec: enum registered twice: " + field)
		}
		Spec.Enums[field] = values
	}
}

// ProviderName is the `provider` of Huawei Cloud Workspace targets.
const ProviderName = "huaweicloud"

// Operation names, as used in errors, request accounting and the
// simulator.
const (
	// OpListDesktopsDetail is GET /v2/{project_id}/desktops/detail (§4.3.8).
	OpListDesktopsDetail = "ListDesktopsDetail"
	// OpListConnectDesktops is GET /v2/{project_id}/connect-desktops (§4.3.37).
	OpListConnectDesktops = "ListConnectDesktops"
	// OpListConnectionStatus is GET /v2/{project_id}/connections/status (§4.13.2).
	OpListConnectionStatus = "ListConnectionStatus"
	// OpListLoginRecords is GET /v2/{project_id}/connections/desktops (§4.13.1).
	OpListLoginRecords = "ListLoginRecords"
	// OpShowLoginUsers is GET /v2/{project_id}/connections/online-users (§4.13.4).
	OpShowLoginUsers = "ShowLoginUsers"
	// OpShowLoginStateStatistics is GET /v2/{project_id}/desktops/statistics/login-state (§4.21.15).
	OpShowLoginStateStatistics = "ShowLoginStateStatistics"
	// OpListDesktopUsage is GET /v2/{project_id}/statistics/metrics/desktops (§4.21.9).
	OpListDesktopUsage = "ListDesktopUsage"
	// OpListUserUsage is GET /v2/{project_id}/statistics/metrics/users (§4.21.10).
	OpListUserUsage = "ListUserUsage"
	// OpShowDesktopStatistics is GET /v2/{project_id}/statistics (§4.21.13).
	OpShowDesktopStatistics = "ShowDesktopStatistics"
	// OpShowRunStateStatistics is GET /v2/{project_id}/desktops/statistics/run-state (§4.21.14).
	OpShowRunStateStatistics = "ShowRunStateStatistics"
)
