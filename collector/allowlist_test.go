package collector

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// collectorOperations are the Huawei operations each collector must call
// (required) and may call (optional: the connections collector reads the
// desktop list only when the fleet is longer than §4.3.37's offset cap).
var collectorOperations = map[string]struct{ required, optional []string }{
	"desktops": {required: []string{hwspec.OpListDesktopsDetail}},
	"connections": {
		required: []string{hwspec.OpListConnectDesktops, hwspec.OpListConnectionStatus, hwspec.OpShowLoginStateStatistics},
		optional: []string{hwspec.OpListDesktopsDetail},
	},
	"logins": {required: []string{hwspec.OpListLoginRecords, hwspec.OpShowLoginUsers}},
	"usage": {required: []string{hwspec.OpListDesktopUsage, hwspec.OpListUserUsage,
		hwspec.OpShowDesktopStatistics, hwspec.OpShowRunStateStatistics}},
	"users":  {required: []string{hwspec.OpListUsers, hwspec.OpListUserGroups}},
	"alarms": {required: []string{hwspec.OpListAlarms, hwspec.OpShowAlarmStatistics}},
	"quotas": {required: []string{hwspec.OpListQuotas, hwspec.OpShowQuotaDetail}},
	"service": {required: []string{hwspec.OpListWorkspaces, hwspec.OpShowWorkspaceLock,
		hwspec.OpListSiteConfigs, hwspec.OpListWksEdgeSites}},
	"pools":        {required: []string{hwspec.OpListDesktopPools, hwspec.OpShowDesktopPool, hwspec.OpListDesktopPoolAuthorizedObjects}},
	"jobs":         {required: []string{hwspec.OpListSubJobs, hwspec.OpShowJob}},
	"app_installs": {required: []string{hwspec.OpListAppInstallJobs}},
	"scripts":      {required: []string{hwspec.OpListScriptTasks, hwspec.OpListScriptRecords, hwspec.OpListPoolScriptTasks}},
	"scheduled_tasks": {required: []string{hwspec.OpListScheduledTasks, hwspec.OpShowScheduledTask,
		hwspec.OpListScheduledTaskRecords, hwspec.OpListScheduledTaskRecordDetails}},
}

// TestCollectorsCallOnlyTheirOperations runs each collector alone against
// the simulator and checks that it called exactly its operations from the
// spec table: no other operation, no unknown path (the NEVER-CALL list of
// the API digest, §0.9, has no row in the table, see spec_test.go), no
// method but GET. Every row of the table is used by some collector.
func TestCollectorsCallOnlyTheirOperations(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(registry)), slices.Sorted(maps.Keys(collectorOperations)); !slices.Equal(got, want) {
		t.Fatalf("registered collectors %v, but this test knows %v: add the new collector's operations", got, want)
	}
	used := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(collectorOperations)) {
		ops := collectorOperations[name]
		t.Run(name, func(t *testing.T) {
			sim, url := startSim(t, 300)
			m, _ := newTestManager(t, nil)
			yaml := fmt.Sprintf(`targets:
  - name: sim
    provider: huaweicloud
    region: ap-southeast-3
    project_id: %s
    endpoint: %s
    credentials: %s
    collectors: {%s: {interval: 1h}%s}
`, benchProject, url, benchCredentials, name, othersDisabled(name))
			applyYAML(t, m, yaml)

			called := map[string]bool{}
			for _, op := range hwspec.Spec.OperationNames() {
				if sim.Requests(op) > 0 {
					called[op] = true
					used[op] = true
				}
			}
			if n := sim.Requests(simulator.OperationUnknown); n > 0 {
				t.Errorf("%d requests to paths outside the spec table", n)
			}
			if n := sim.RequestsByStatus("")[http.StatusMethodNotAllowed]; n > 0 {
				t.Errorf("%d requests with a method other than GET", n)
			}
			for _, op := range ops.required {
				if !called[op] {
					t.Errorf("did not call %s", op)
				}
			}
			for op := range called {
				if !slices.Contains(ops.required, op) && !slices.Contains(ops.optional, op) {
					t.Errorf("called %s, which is not its operation", op)
				}
			}
		})
	}
	for _, op := range hwspec.Spec.OperationNames() {
		if !used[op] {
			t.Errorf("spec operation %s is called by no collector: a dead row", op)
		}
	}
}
