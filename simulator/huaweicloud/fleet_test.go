package huaweicloud

import (
	"reflect"
	"regexp"
	"strconv"
	"testing"
	"time"
)

var fixedClock = func() time.Time { return time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC) }

func newFleetSim(t testing.TB, n int, seed int64) *Simulator {
	t.Helper()
	o := testOptions(n)
	o.Seed = seed
	o.Now = fixedClock
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var documentedTasks = func() map[string]bool {
	m := map[string]bool{"": true}
	for _, v := range []string{
		"scheduling", "block_device_mapping", "networking", "spawning", "rebooting", "reboot_pending",
		"reboot_started", "rebooting_hard", "reboot_pending_hard", "reboot_started_hard", "rebuilding",
		"rebuild_block_device_mapping", "rebuild_spawning", "migrating", "resize_prep", "resize_migrating",
		"resize_migrated", "resize_finish", "resize_reverting", "powering-off", "powering-on", "deleting",
		"deleteFailed", "updating", "desktopNetworkChanging",
	} {
		m[v] = true
	}
	return m
}()

var (
	uuidPattern    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	createdPattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	namePattern    = regexp.MustCompile(`^[A-Z]{2,4}-(VDI|DEV|LAP|WKS|P)-\d{4,}$`)
)

// checkInvariants verifies that every desktop is internally consistent.
func checkInvariants(t *testing.T, ds []Desktop) {
	t.Helper()
	ids := map[string]bool{}
	names := map[string]bool{}
	for _, d := range ds {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("desktop %s (%s, %s/%s/%s): "+format, append([]any{d.DesktopID, d.ComputerName, d.Status, d.TaskStatus, d.LoginStatus}, args...)...)
		}
		if ids[d.DesktopID] || names[d.ComputerName] {
			fail("duplicate id or name")
		}
		ids[d.DesktopID], names[d.ComputerName] = true, true
		if !uuidPattern.MatchString(d.DesktopID) || !uuidPattern.MatchString(d.SID) || !namePattern.MatchString(d.ComputerName) {
			fail("malformed id, sid or name")
		}
		if !createdPattern.MatchString(d.Created) || !createdPattern.MatchString(d.RootVolume.CreateTime) {
			fail("malformed created %q", d.Created)
		}
		switch d.Status {
		case statusActive, statusShutoff, statusHibernated, statusError:
		default:
			fail("unknown status")
		}
		if !documentedTasks[d.TaskStatus] {
			fail("undocumented task status")
		}
		running := d.TaskStatus != "" && d.TaskStatus != taskDeleteFailed
		if running != (d.Process != nil) || d.Process != nil && (*d.Process < 0 || *d.Process > 100) {
			fail("process %v with task %q", d.Process, d.TaskStatus)
		}
		switch d.LoginStatus {
		case loginUnregister, loginRegistered:
		case loginConnected, loginDisconnected:
			if d.Status != statusActive || d.UserName == "" {
				fail("a %s desktop cannot be %s", d.Status, d.LoginStatus)
			}
		default:
			fail("unknown login status")
		}
		if d.Status != statusActive && d.LoginStatus != loginUnregister {
			fail("a %s desktop must be UNREGISTER", d.Status)
		}
		if (d.UserName != "") != (len(d.AttachUserInfos) == 1) {
			fail("user %q with %d attach_user_infos", d.UserName, len(d.AttachUserInfos))
		}
		switch d.AttachState {
		case attachAttached, attachAttaching, attachFail:
			if d.UserName == "" {
				fail("attach_state %s without a user", d.AttachState)
			}
		case attachUnattach, attachDeattached:
			if d.UserName != "" {
				fail("attach_state %s with a user", d.AttachState)
			}
		default:
			fail("unknown attach_state")
		}
		pooled := d.DesktopType == "POOLED"
		if pooled != (d.PoolID != "") || pooled != (d.ResourceType == "POOLED_DESKTOP") {
			fail("desktop_type %s, resource_type %s, pool_id %q", d.DesktopType, d.ResourceType, d.PoolID)
		}
		if !pooled && d.UserName == "" && d.AttachState == attachAttached {
			fail("unassigned dedicated desktop is ATTACHED")
		}
		if d.IPv4 == "" || d.IPAddresses[0] != d.IPv4 || len(d.Addresses) != 1 || d.Addresses[networkOf(d)][0].Addr != d.IPv4 {
			fail("addresses %v, ipv4 %s", d.Addresses, d.IPv4)
		}
		os := d.Metadata["os_type"]
		if os != "Windows" && os != "Linux" || d.Metadata["charging_mode"] != d.Product.ChargeMode || d.Product.ProductID != d.ProductID {
			fail("metadata %v / product %+v", d.Metadata, d.Product)
		}
		if d.Product.SystemDiskSize != strconv.Itoa(d.RootVolume.Size) || d.Flavor.ID != d.Product.FlavorID {
			fail("product and root volume disagree")
		}
	}
}

// networkOf returns the network id of the desktop's subnet.
func networkOf(d Desktop) string {
	for _, z := range zones {
		if z.subnetID == d.SubnetID {
			return z.networkID
		}
	}
	return ""
}

func TestGenerate100k(t *testing.T) {
	// Speed is BenchmarkGenerate100k's business; this checks the fleet.
	s := newFleetSim(t, 100_000, 7)
	ds := s.Desktops()
	if len(ds) != 100_000 {
		t.Fatalf("%d desktops", len(ds))
	}
	checkInvariants(t, ds)
	frac := func(pred func(Desktop) bool) float64 {
		n := 0
		for _, d := range ds {
			if pred(d) {
				n++
			}
		}
		return float64(n) / float64(len(ds))
	}
	for _, c := range []struct {
		what     string
		pred     func(Desktop) bool
		min, max float64
	}{
		{"ACTIVE", func(d Desktop) bool { return d.Status == statusActive }, 0.68, 0.75},
		{"SHUTOFF", func(d Desktop) bool { return d.Status == statusShutoff }, 0.18, 0.22},
		{"HIBERNATED", func(d Desktop) bool { return d.Status == statusHibernated }, 0.06, 0.08},
		{"ERROR", func(d Desktop) bool { return d.Status == statusError }, 0.01, 0.02},
		{"with a task", func(d Desktop) bool { return d.TaskStatus != "" }, 0.01, 0.03},
		{"CONNECTED", func(d Desktop) bool { return d.LoginStatus == loginConnected }, 0.3, 0.45},
		{"pooled", func(d Desktop) bool { return d.DesktopType == "POOLED" }, 0.12, 0.18},
		{"Linux", func(d Desktop) bool { return d.Metadata["os_type"] == "Linux" }, 0.08, 0.25},
		{"without a user", func(d Desktop) bool { return d.UserName == "" }, 0.05, 0.12},
		{"in maintenance", func(d Desktop) bool { return d.InMaintenanceMode }, 0.002, 0.01},
	} {
		if f := frac(c.pred); f < c.min || f > c.max {
			t.Errorf("%s: %.4f of the fleet, want %.3f..%.3f", c.what, f, c.min, c.max)
		}
	}
	azs := map[string]bool{}
	pools := map[string]bool{}
	for _, d := range ds {
		azs[d.AvailabilityZone] = true
		if d.PoolID != "" {
			pools[d.PoolID] = true
		}
	}
	if len(azs) != 3 || len(pools) != 4 {
		t.Errorf("%d AZs, %d pools", len(azs), len(pools))
	}
	for i := 1; i < len(ds); i++ {
		if ds[i].Created < ds[i-1].Created {
			t.Fatalf("desktops %d and %d are not in creation order", i-1, i)
		}
	}
}

func TestStepIsDeterministic(t *testing.T) {
	a, b := newFleetSim(t, 3000, 99), newFleetSim(t, 3000, 99)
	if !reflect.DeepEqual(a.Desktops(), b.Desktops()) {
		t.Fatal("same seed, different initial fleets")
	}
	for range 40 {
		a.Step()
		b.Step()
	}
	if !reflect.DeepEqual(a.Desktops(), b.Desktops()) {
		t.Fatal("same seed, different fleets after 40 steps")
	}
	c := newFleetSim(t, 3000, 100)
	if reflect.DeepEqual(a.Desktops()[:10], c.Desktops()[:10]) {
		t.Fatal("different seeds, same fleet")
	}
}

func TestStepEvolvesFleet(t *testing.T) {
	s := newFleetSim(t, 5000, 3)
	before := s.Desktops()
	seenTasks := map[string]bool{}
	for _, d := range before {
		seenTasks[d.TaskStatus] = true
	}
	for range 300 {
		s.Step()
		s.ReadFleet(func() {
			for _, r := range s.api.fleet.recs {
				seenTasks[r.task] = true
			}
		})
	}
	after := s.Desktops()
	checkInvariants(t, after)
	old := map[string]Desktop{}
	for _, d := range before {
		old[d.DesktopID] = d
	}
	var created, kept, statusChanged, loginChanged int
	for _, d := range after {
		o, ok := old[d.DesktopID]
		if !ok {
			created++
			continue
		}
		kept++
		if o.Status != d.Status {
			statusChanged++
		}
		if o.LoginStatus != d.LoginStatus {
			loginChanged++
		}
	}
	deleted := len(before) - kept
	if created == 0 || deleted == 0 || statusChanged < 500 || loginChanged < 500 {
		t.Errorf("after 300 steps: %d created, %d deleted, %d status and %d login changes", created, deleted, statusChanged, loginChanged)
	}
	for task := range documentedTasks {
		if !seenTasks[task] {
			t.Errorf("task status %q never seen", task)
		}
	}
	// The status mix stays near its target.
	counts := map[string]int{}
	for _, d := range after {
		counts[d.Status]++
	}
	n := float64(len(after))
	if f := float64(counts[statusActive]) / n; f < 0.62 || f > 0.8 {
		t.Errorf("ACTIVE drifted to %.3f", f)
	}
	if f := float64(counts[statusShutoff]) / n; f < 0.13 || f > 0.27 {
		t.Errorf("SHUTOFF drifted to %.3f", f)
	}
	if f := float64(counts[statusError]) / n; f > 0.04 {
		t.Errorf("ERROR drifted to %.3f", f)
	}
	// New desktops are appended: the list stays in creation order.
	for i := 1; i < len(after); i++ {
		if after[i].Created < after[i-1].Created {
			t.Fatalf("desktops %d and %d are not in creation order", i-1, i)
		}
	}
}

func TestStepCreatesThroughSpawning(t *testing.T) {
	s := newFleetSim(t, 20_000, 5)
	known := map[string]bool{}
	for _, d := range s.Desktops() {
		known[d.DesktopID] = true
	}
	s.Step()
	var fresh []string
	for _, d := range s.Desktops() {
		if !known[d.DesktopID] {
			fresh = append(fresh, d.DesktopID)
			if d.TaskStatus != taskScheduling || d.Status != statusShutoff || d.Process == nil || d.Created != fixedClock().Format(timeLayout) {
				t.Errorf("new desktop: task %q status %s process %v created %s", d.TaskStatus, d.Status, d.Process, d.Created)
			}
		}
	}
	if len(fresh) == 0 {
		t.Fatal("no desktop created in one step of a 20,000-desktop fleet")
	}
	want := []string{"block_device_mapping", "networking", "spawning", ""}
	for _, task := range want {
		s.Step()
		byID := map[string]Desktop{}
		for _, d := range s.Desktops() {
			byID[d.DesktopID] = d
		}
		for _, id := range fresh {
			d, ok := byID[id]
			if !ok {
				continue // deleted meanwhile
			}
			if d.TaskStatus != task {
				t.Fatalf("new desktop: task %q, want %q", d.TaskStatus, task)
			}
			if task == "" && (d.Status != statusActive || d.LoginStatus != loginRegistered || d.Process != nil) {
				t.Fatalf("created desktop ended %s/%s process %v", d.Status, d.LoginStatus, d.Process)
			}
		}
	}
}

func TestDeletionsEndInRemovalOrDeleteFailed(t *testing.T) {
	s := newFleetSim(t, 400, 11)
	ds := s.Desktops()
	for i := range ds {
		ds[i].TaskStatus = taskDeleting
		p := 10
		ds[i].Process = &p
	}
	s.SetDesktops(ds)
	s.Step()
	left := s.Desktops()
	failed := 0
	for _, d := range left {
		if d.TaskStatus == taskDeleteFailed && d.Status == statusError && d.Process == nil {
			failed++
		}
	}
	if failed != len(left) || failed < 15 || failed > 70 {
		t.Errorf("%d of 400 deletions failed, %d desktops left", failed, len(left))
	}
}

func BenchmarkGenerate100k(b *testing.B) {
	for b.Loop() {
		newFleet(1, 100_000, fixedClock())
	}
}

func BenchmarkStep100k(b *testing.B) {
	f := newFleet(1, 100_000, fixedClock())
	for b.Loop() {
		f.step(fixedClock())
	}
}
