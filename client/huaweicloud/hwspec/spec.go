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

// Spec is the table of every Workspace API operation the exporter calls,
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
	}},
	Enums: map[string][]string{
		model.FieldDesktopStatus:      {"ACTIVE", "SHUTOFF", "ERROR", "HIBERNATED"},
		model.FieldDesktopLoginStatus: {"UNREGISTER", "REGISTERED", "CONNECTED", "DISCONNECTED"},
		model.FieldDesktopTaskStatus: {
			"scheduling", "block_device_mapping", "networking", "spawning",
			"rebooting", "reboot_pending", "reboot_started", "rebooting_hard", "reboot_pending_hard", "reboot_started_hard",
			"rebuilding", "rebuild_block_device_mapping", "rebuild_spawning",
			"migrating", "resize_prep", "resize_migrating", "resize_migrated", "resize_finish", "resize_reverting",
			"powering-off", "powering-on", "deleting", "deleteFailed", "updating", "desktopNetworkChanging",
		},
	},
}

// ProviderName is the `provider` of Huawei Cloud Workspace targets.
const ProviderName = "huaweicloud"

// OpListDesktopsDetail is GET /v2/{project_id}/desktops/detail (§4.3.8).
const OpListDesktopsDetail = "ListDesktopsDetail"
