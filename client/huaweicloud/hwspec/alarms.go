package hwspec

import (
	"net/http"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The alarms domain (API reference seed 003 §4.22).
const (
	// OpListAlarms is GET /v2/{project_id}/alarms (§4.22.1).
	OpListAlarms = "ListAlarms"
	// OpShowAlarmStatistics is GET /v2/{project_id}/statistics/alarms (§4.22.2).
	OpShowAlarmStatistics = "ShowAlarmStatistics"
)

// AlarmSeverities are the documented alarm levels 1..4 by name, in
// order (003 L40808 and L40839: "1 (critical), 2 (major), 3 (minor), or
// 4 (warning)").
var AlarmSeverities = []string{"critical", "major", "minor", "warning"}

func init() {
	register([]client.OperationSpec{{
		// §4.22.1 Querying Alarms, 003 L40786-40966. offset is only
		// "Page offset" (L40809): a record offset or a page number; the
		// client's walk tells them apart (client/huaweicloud/alarms.go).
		// limit has a default of 100 (L40810) and no documented range:
		// the client never asks for more than that.
		Name:    OpListAlarms,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/alarms",
		Section: "4.22.1",
		Paging:  client.OffsetPaging, ListKey: "alarm_histories", TotalKey: "count",
		MinLimit: 1, MaxLimit: 100,
	}, {
		// §4.22.2 Querying Alarm Statistics, 003 L40967-41061: no
		// parameters, five counters (Table 4-2675, L41000-41004).
		Name:    OpShowAlarmStatistics,
		Method:  http.MethodGet,
		Path:    "/v2/{project_id}/statistics/alarms",
		Section: "4.22.2",
		Paging:  client.NoPaging,
	}}, map[string][]string{
		model.FieldAlarmSeverity: AlarmSeverities,
		// AlarmHistoryItem.status, 003 L40837.
		model.FieldAlarmStatus: {"ok", "alarm", "invalid"},
	})
}
