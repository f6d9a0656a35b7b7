package collector

import (
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// snapCollector adapts a Snapshot to prometheus.Collector for testutil.
type snapCollector struct {
	s      Snapshot
	target string
}

// Describe sends nothing: an unchecked collector, as the Manager.
func (c snapCollector) Describe(chan<- *prometheus.Desc) {}

// Collect renders the snapshot as a refresh does and sends its metrics.
func (c snapCollector) Collect(ch chan<- prometheus.Metric) {
	b := NewBuilder()
	c.s.Render(b, c.target)
	collectText(ch, Render(b.Families()).Text())
}

// The documented values of the desktops' enum labels, from the Huawei spec
// table the collector gets them from.
var (
	desktopStatuses      = huaweicloud.Spec.Enums[model.FieldDesktopStatus]
	desktopLoginStatuses = huaweicloud.Spec.Enums[model.FieldDesktopLoginStatus]
	desktopTaskStatuses  = huaweicloud.Spec.Enums[model.FieldDesktopTaskStatus]
	testEnums            = desktopEnums{desktopStatuses, desktopLoginStatuses, desktopTaskStatuses}
)

var testFleet = []model.Desktop{
	{ID: "d1", ComputerName: "FIN-01", UserName: "alice", DesktopType: "DEDICATED", AvailabilityZone: "az-a", ProductID: "p.large", OSType: "Windows", Status: "ACTIVE", LoginStatus: "CONNECTED"},
	{ID: "d2", ComputerName: "FIN-02", UserName: "bob", DesktopType: "DEDICATED", AvailabilityZone: "az-a", ProductID: "p.large", OSType: "Windows", Status: "ACTIVE", LoginStatus: "CONNECTED", TaskStatus: "rebooting"},
	{ID: "d3", ComputerName: "POOL-01", DesktopType: "POOLED", PoolID: "pool-1", AvailabilityZone: "az-b", ProductID: "p.small", OSType: "Linux", Status: "ERROR", LoginStatus: "UNREGISTER", TaskStatus: "deleteFailed"},
	// Undocumented values are kept, an empty one becomes "unknown".
	{ID: "d4", ComputerName: "NEW-01", Status: "FROZEN", LoginStatus: "", TaskStatus: "defrosting"},
	// A desktop without an ID is counted but gets no per-desktop series.
	{ID: "", Status: "SHUTOFF", LoginStatus: "REGISTERED"},
}

func fleetExposition() string {
	var b strings.Builder
	b.WriteString("# HELP workspace_desktops Desktops by status and login status. Every documented combination is present (0 when none); undocumented values the API returns are added.\n# TYPE workspace_desktops gauge\n")
	counts := map[string]int{"ACTIVE/CONNECTED": 2, "ERROR/UNREGISTER": 1, "FROZEN/unknown": 1, "SHUTOFF/REGISTERED": 1}
	var lines []string
	for _, s := range []string{"ACTIVE", "SHUTOFF", "ERROR", "HIBERNATED", "FROZEN"} {
		for _, l := range []string{"UNREGISTER", "REGISTERED", "CONNECTED", "DISCONNECTED", "unknown"} {
			lines = append(lines, `workspace_desktops{login_status="`+l+`",status="`+s+`",target="t"} `+itoa(counts[s+"/"+l]))
		}
	}
	b.WriteString(strings.Join(lines, "\n") + "\n")
	b.WriteString("# HELP workspace_desktop_tasks Desktops with an operation in flight, by task status. Every documented task status is present (0 when none).\n# TYPE workspace_desktop_tasks gauge\n")
	for _, ts := range append(append([]string(nil), desktopTaskStatuses...), "defrosting") {
		v := 0
		if ts == "rebooting" || ts == "deleteFailed" || ts == "defrosting" {
			v = 1
		}
		b.WriteString(`workspace_desktop_tasks{target="t",task_status="` + ts + `"} ` + itoa(v) + "\n")
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestDesktopsAggregates(t *testing.T) {
	c := snapCollector{newDesktopsSnapshot(testFleet, testEnums, true), "t"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(fleetExposition()), "workspace_desktops", "workspace_desktop_tasks"); err != nil {
		t.Error(err)
	}
}

func TestDesktopsPerDesktopSeries(t *testing.T) {
	c := snapCollector{newDesktopsSnapshot(testFleet, testEnums, true), "t"}
	want := `
# HELP workspace_desktop_info Per-desktop attributes for joins on desktop_id. Always 1.
# TYPE workspace_desktop_info gauge
workspace_desktop_info{availability_zone="az-a",desktop_id="d1",desktop_name="FIN-01",desktop_type="DEDICATED",os_type="Windows",pool_id="",product_id="p.large",target="t",user_name="alice"} 1
workspace_desktop_info{availability_zone="az-a",desktop_id="d2",desktop_name="FIN-02",desktop_type="DEDICATED",os_type="Windows",pool_id="",product_id="p.large",target="t",user_name="bob"} 1
workspace_desktop_info{availability_zone="az-b",desktop_id="d3",desktop_name="POOL-01",desktop_type="POOLED",os_type="Linux",pool_id="pool-1",product_id="p.small",target="t",user_name=""} 1
workspace_desktop_info{availability_zone="",desktop_id="d4",desktop_name="NEW-01",desktop_type="",os_type="",pool_id="",product_id="",target="t",user_name=""} 1
# HELP workspace_desktop_status Current status of each desktop (the status label). Always 1.
# TYPE workspace_desktop_status gauge
workspace_desktop_status{desktop_id="d1",status="ACTIVE",target="t"} 1
workspace_desktop_status{desktop_id="d2",status="ACTIVE",target="t"} 1
workspace_desktop_status{desktop_id="d3",status="ERROR",target="t"} 1
workspace_desktop_status{desktop_id="d4",status="FROZEN",target="t"} 1
# HELP workspace_desktop_login_status Current login status of each desktop (the login_status label). Always 1.
# TYPE workspace_desktop_login_status gauge
workspace_desktop_login_status{desktop_id="d1",login_status="CONNECTED",target="t"} 1
workspace_desktop_login_status{desktop_id="d2",login_status="CONNECTED",target="t"} 1
workspace_desktop_login_status{desktop_id="d3",login_status="UNREGISTER",target="t"} 1
workspace_desktop_login_status{desktop_id="d4",login_status="unknown",target="t"} 1
# HELP workspace_desktop_task_status Task running on a desktop (the task_status label); present only while a task runs. Always 1.
# TYPE workspace_desktop_task_status gauge
workspace_desktop_task_status{desktop_id="d2",target="t",task_status="rebooting"} 1
workspace_desktop_task_status{desktop_id="d3",target="t",task_status="deleteFailed"} 1
workspace_desktop_task_status{desktop_id="d4",target="t",task_status="defrosting"} 1
`
	names := []string{"workspace_desktop_info", "workspace_desktop_status", "workspace_desktop_login_status", "workspace_desktop_task_status"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	off := snapCollector{newDesktopsSnapshot(testFleet, testEnums, false), "t"}
	if n := testutil.CollectAndCount(off, names...); n != 0 {
		t.Errorf("per-desktop series off: %d series", n)
	}
	if n := testutil.CollectAndCount(off, "workspace_desktops"); n != 25 {
		t.Errorf("aggregates with per-desktop series off: %d, want 25", n)
	}
}

func TestDesktopsEmptyFleetHasZeros(t *testing.T) {
	c := snapCollector{newDesktopsSnapshot(nil, testEnums, true), "t"}
	if n := testutil.CollectAndCount(c, "workspace_desktops"); n != 16 {
		t.Errorf("empty fleet: %d workspace_desktops series, want 16 (4 statuses × 4 login statuses)", n)
	}
	if n := testutil.CollectAndCount(c, "workspace_desktop_tasks"); n != len(desktopTaskStatuses) {
		t.Errorf("empty fleet: %d task series, want %d", n, len(desktopTaskStatuses))
	}
}

func TestDesktopsLint(t *testing.T) {
	c := snapCollector{newDesktopsSnapshot(testFleet, testEnums, true), "t"}
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
