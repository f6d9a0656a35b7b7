package hwspec

import (
	"net/http"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The quotas domain (API reference seed 003 §4.25).
const (
	// OpListQuotas is GET /v2/{project_id}/quotas (§4.25.1).
	OpListQuotas = "ListQuotas"
	// OpShowQuotaDetail is GET /v2/{project_id}/quotas/detail (§4.25.2).
	OpShowQuotaDetail = "ShowQuotaDetail"
)

// QuotaResources are the documented quota types, spelled as documented
// (ResourceNoLimit.type, 003 Table 4-2824 L42942 and Table 4-2834 L43125):
// "Memory" and "Cores" capitalised, "cores" not. "ies_instances", in the
// §4.25.1 example (L43054) but not in the table, is not among them.
var QuotaResources = []string{
	"general_instances", "Memory", "cores", "volumes", "volume_gigabytes",
	"gpu_instances", "deh", "users", "policy_groups", "Cores",
}

func init() {
	register([]client.OperationSpec{{
		// §4.25.1 Querying Resource Quotas, 003 L42889-43078: no query
		// parameters, no paging. The answer is {"quotas":{"resources":
		// […]},"site_quotas":[{"site_id","resources":[…]}]} (Tables
		// 4-2821…4-2824, L42919-42945); its one top-level list is
		// site_quotas ("excluding the central site", L42927), the list
		// the simulator's page faults hit.
		Name:    OpListQuotas,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/quotas",
		Section: "4.25.1",
		Paging:  client.NoPaging, ListKey: "site_quotas",
	}, {
		// §4.25.2 Querying Tenant Quota Details of a Single Site, 003
		// L43079-43204: optional site_id and az_code (Table 4-2831,
		// L43101-43104), no paging; {"resources":[…],"site_id"}
		// (Table 4-2833, L43117-43120).
		Name:    OpShowQuotaDetail,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/quotas/detail",
		Section: "4.25.2",
		Paging:  client.NoPaging, ListKey: "resources",
	}}, map[string][]string{
		model.FieldQuotaResource: QuotaResources,
	})
}
