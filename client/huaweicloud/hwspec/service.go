package hwspec

import (
	"net/http"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The service domain (issue 9): the Workspace service itself, §4.2.7,
// §4.2.12, §4.2.1 and §4.2.6 of seed 003, all read-only GETs without
// paging (none of the four documents offset or limit).
//
// Write methods share these paths and have no row (spec_test.go checks
// the table refuses them): POST /workspaces subscribes (§4.2.8, L4047),
// DELETE /workspaces unsubscribes (§4.2.9, L4300), PUT /workspaces
// modifies (§4.2.10, L4414), PUT /workspaces/lock-status unlocks
// (§4.2.13, L4922), POST /sites adds a site (§4.2.2, L2921).
//
// Not called, on purpose: §4.28.2 GET /workspace-sub-jobs (the
// subscription job's sub-jobs): §4.2.7's job_id, exported as a label, and
// its progress say what the job has done; following its sub-jobs belongs
// to a jobs domain.

// Operation names of the service domain.
const (
	// OpListWorkspaces is GET /v2/{project_id}/workspaces (§4.2.7): the
	// service's details, one object.
	OpListWorkspaces = "ListWorkspaces"
	// OpShowWorkspaceLock is GET /v2/{project_id}/workspaces/lock-status
	// (§4.2.12).
	OpShowWorkspaceLock = "ShowWorkspaceLock"
	// OpListSiteConfigs is GET /v2/{project_id}/sites (§4.2.1).
	OpListSiteConfigs = "ListSiteConfigs"
	// OpListWksEdgeSites is GET /v2/{project_id}/wks-edge-sites (§4.2.6).
	OpListWksEdgeSites = "ListWksEdgeSites"
)

// serviceStatuses are the service status values of §4.2.7 status (Table
// 4-214, L3763), SiteConfigsResponse.status (Table 4-218, L3842) and
// §4.2.6 SimpleSiteInfo.status (Table 4-205, L3601): the same seven.
var serviceStatuses = []string{"PREPARING", "SUBSCRIBING", "SUBSCRIBED", "SUBSCRIPTION_FAILED",
	"DEREGISTERING", "DEREGISTRATION_FAILED", "CLOSED"}

func init() {
	register([]client.OperationSpec{{
		// §4.2.7 Queries Huawei Cloud Workspace details, seed 003
		// L3709-4032: no query parameter, one object.
		Name:    OpListWorkspaces,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/workspaces",
		Section: "4.2.7",
		Paging:  client.NoPaging,
	}, {
		// §4.2.12 Queries whether Huawei Cloud Workspace is locked,
		// seed 003 L4783-4909: {"is_lock","lock_time","lock_reason"}.
		Name:    OpShowWorkspaceLock,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/workspaces/lock-status",
		Section: "4.2.12",
		Paging:  client.NoPaging,
	}, {
		// §4.2.1 Querying Site Information, seed 003 L2758-2908:
		// filters availability_zone_id and site_type only (Table 4-146),
		// site_infos and total_count (Table 4-148; the example, L2881-
		// 2890, has no total_count).
		Name:    OpListSiteConfigs,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/sites",
		Section: "4.2.1",
		Paging:  client.NoPaging, ListKey: "site_infos", TotalKey: "total_count",
	}, {
		// §4.2.6 Querying Edge Sites, seed 003 L3527-3708: filters name,
		// availability_zone_id, status (Table 4-201), wks_edge_sites and
		// total_count (Table 4-203; the example's is 0 beside one site).
		Name:    OpListWksEdgeSites,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/wks-edge-sites",
		Section: "4.2.6",
		Paging:  client.NoPaging, ListKey: "wks_edge_sites", TotalKey: "total_count",
	}}, map[string][]string{
		model.FieldServiceStatus: serviceStatuses,
		// §4.2.7 access_status (Table 4-214, L3767; SiteConfigsResponse
		// L3843): the fourteen values, as spelt.
		model.FieldServiceAccessStatus: {"init", "available", "internetOpening", "dedicatedOpening",
			"internetOpenFailed", "dedicatedOpenFailed", "openSuccess", "internetClosing", "dedicatedClosing",
			"internetCloseFailed", "dedicatedCloseFailed", "closeSuccess", "internetAccessPortModifying",
			"internetAccessPortModifyFailed"},
		// §4.2.7 config_status, a String (Table 4-214, L3779): 0
		// subscribed and connected to the AD, 1 AD configuration
		// failed, 2 other errors after the AD configuration failed, 3
		// AD not connected.
		model.FieldServiceConfigStatus: {"0", "1", "2", "3"},
		// §4.2.6 WksEdgeSiteDetail.status (Table 4-204, L3585).
		model.FieldEdgeSiteStatus: {"initial", "deploying", "available", "unavailable"},
	})
}
