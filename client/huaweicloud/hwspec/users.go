package hwspec

import (
	"net/http"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The users domain (issue 9): §4.8.1 and §4.9.1, both read-only lists.
//
// Not called, on purpose: §4.8.4 (GET /users/{user_id}), §4.8.10 (GET
// /users/{user_id}/otp-devices) and §4.9.7 (GET /groups/{group_id}/users)
// are one request per user or per group (N+1), and add nothing the
// collector counts that §4.8.1 and §4.9.1 (user_quantity) do not give;
// §4.10.6 (GET /ou-users) needs an ou_dn per OU (one request per OU of
// §4.10.1) and lists AD directory entries, not the Workspace users. The
// NEVER-CALL neighbours of these paths — §4.8.9 GET
// /users/{user_id}/random-password (resets the password, seed 003
// L18066-18200) and §4.8.8 POST /users/{user_id}/actions (LOCK, UNLOCK,
// RESET_PWD, L17916-18065) — have no row, and spec_test.go checks the
// table refuses them.

// Operation names of the users domain.
const (
	// OpListUsers is GET /v2/{project_id}/users (§4.8.1).
	OpListUsers = "ListUsers"
	// OpListUserGroups is GET /v2/{project_id}/groups (§4.9.1).
	OpListUserGroups = "ListUserGroups"
)

func init() {
	register([]client.OperationSpec{{
		// §4.8.1 Querying Users, seed 003 L16756-16963. offset and
		// limit are Strings (L16781-16782) and "if [limit] is not
		// specified, all users ... are returned": the client always
		// sends both, so a page is bounded. No range is documented;
		// 1..500 is the digest's "at most 500 unless tested" (§0.5),
		// the range of §4.3.8, below WKS.0509's "< 1000" (L50603).
		Name:    OpListUsers,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/users",
		Section: "4.8.1",
		Paging:  client.OffsetPaging, ListKey: "users", TotalKey: "total_count",
		MinLimit: 1, MaxLimit: 500,
	}, {
		// §4.9.1 Querying User Groups, seed 003 L18600-18764. limit
		// (String) 1..100, 100 when unset or 0; offset (String) from 0,
		// "must be used together with limit" (Table 4-1142).
		Name:    OpListUserGroups,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/groups",
		Section: "4.9.1",
		Paging:  client.OffsetPaging, ListKey: "user_groups", TotalKey: "total_count",
		MinLimit: 1, MaxLimit: 100,
	}}, map[string][]string{
		// §4.9.1 UserGroupInfo.platform_type (Table 4-1145).
		model.FieldUserGroupPlatformType: {"AD", "LOCAL"},
	})
}
