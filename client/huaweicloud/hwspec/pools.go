package hwspec

import (
	"net/http"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The pools domain's operations (API reference seed 003 §4.4). Their paths
// sit beside writes (digest §0.9): POST /desktop-pools (§4.4.1), PUT and
// DELETE /desktop-pools/{pool_id} (§4.4.3, §4.4.4), POST
// /desktop-pools/{pool_id}/users (§4.4.14) and the POST actions under
// /desktop-pools/{pool_id}/ (§4.4.6-4.4.12); spec_test.go holds the table
// to refusing them.
const (
	// OpListDesktopPools is GET /v2/{project_id}/desktop-pools (§4.4.2).
	OpListDesktopPools = "ListDesktopPools"
	// OpShowDesktopPool is GET /v2/{project_id}/desktop-pools/{pool_id} (§4.4.5).
	OpShowDesktopPool = "ShowDesktopPool"
	// OpListDesktopPoolAuthorizedObjects is GET
	// /v2/{project_id}/desktop-pools/{pool_id}/users (§4.4.13).
	OpListDesktopPoolAuthorizedObjects = "ListDesktopPoolAuthorizedObjects"
)

func init() {
	register([]client.OperationSpec{{
		// §4.4.2, seed 003 L11743-12034: offset from 0, limit 0..1000
		// default 1000 (L11771), total_count and desktop_pools (L11792-11793).
		Name:    OpListDesktopPools,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/desktop-pools",
		Section: "4.4.2",
		Paging:  client.OffsetPaging, ListKey: "desktop_pools", TotalKey: "total_count",
		MinLimit: 1, MaxLimit: 1000,
	}, {
		// §4.4.5, seed 003 L12331-12592: one pool object.
		Name:    OpShowDesktopPool,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/desktop-pools/{pool_id}",
		Section: "4.4.5",
		Paging:  client.NoPaging,
	}, {
		// §4.4.13, seed 003 L13656-13811: offset from 0, limit 0..100
		// default 10 (L13681-13682), objects and total_count (L13700-13701).
		Name:    OpListDesktopPoolAuthorizedObjects,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/desktop-pools/{pool_id}/users",
		Section: "4.4.13",
		Paging:  client.OffsetPaging, ListKey: "objects", TotalKey: "total_count",
		MinLimit: 1, MaxLimit: 100,
	}}, map[string][]string{
		// §4.4.2 SimpleDesktopPoolInfo.status (L11828), as §4.4.5 (L12394).
		model.FieldPoolStatus: {"STEADY", "TEMPORARY", "EXIST_FROZEN", "UNKNOWN"},
		// §4.4.2 type (L11801); the example's "DEDICATED" (L11979) is not
		// documented.
		model.FieldPoolType: {"DYNAMIC", "STATIC"},
		// §4.4.2 AutoscalePolicy.autoscale_type (Table 4-711, L11878).
		model.FieldPoolAutoscaleType: {"ACCESS_CREATED", "AUTO_CREATED"},
		// §4.4.13 AuthorizedObjects.object_type (Table 4-825, L13707).
		model.FieldPoolAuthorizedObjectType: {"USER", "USER_GROUP"},
	})
}
