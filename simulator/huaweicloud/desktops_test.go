package huaweicloud

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/workspace/v2/model"
)

func TestFilters(t *testing.T) {
	s, base := startSim(t, testOptions(600))
	all := s.Desktops()
	count := func(pred func(Desktop) bool) int {
		n := 0
		for _, d := range all {
			if pred(d) {
				n++
			}
		}
		return n
	}
	for _, st := range []string{statusActive, statusShutoff, statusHibernated, statusError} {
		_, lb := list(t, base, map[string]any{"status": st})
		want := count(func(d Desktop) bool { return d.Status == st })
		if *lb.TotalCount != want || len(lb.Desktops) != min(want, 500) {
			t.Errorf("status=%s: total %d, %d desktops; want %d", st, *lb.TotalCount, len(lb.Desktops), want)
		}
		for _, d := range lb.Desktops {
			if d.Status != st {
				t.Fatalf("status=%s returned a %s desktop", st, d.Status)
			}
		}
	}
	ids := []string{all[7].DesktopID, all[3].DesktopID, all[500].DesktopID}
	_, lb := list(t, base, map[string]any{"desktop_id": ids})
	if len(lb.Desktops) != 3 || lb.Desktops[0].DesktopID != ids[1] || lb.Desktops[1].DesktopID != ids[0] || lb.Desktops[2].DesktopID != ids[2] {
		t.Errorf("desktop_id filter returned %d desktops", len(lb.Desktops))
	}
	_, lb = list(t, base, map[string]any{"desktop_type": "POOLED", "limit": "500"})
	wantPooled := count(func(d Desktop) bool { return d.DesktopType == "POOLED" })
	if *lb.TotalCount != wantPooled || wantPooled == 0 {
		t.Errorf("desktop_type=POOLED: total %d, want %d", *lb.TotalCount, wantPooled)
	}
	pool := pools[0].id
	_, lb = list(t, base, map[string]any{"pool_id": pool + "," + pools[1].id, "status": statusActive})
	want := count(func(d Desktop) bool {
		return (d.PoolID == pool || d.PoolID == pools[1].id) && d.Status == statusActive
	})
	if *lb.TotalCount != want {
		t.Errorf("pool_id+status: total %d, want %d", *lb.TotalCount, want)
	}
	_, lb = list(t, base, map[string]any{"availability_zone": "ap-southeast-3c", "offset": "2", "limit": "5"})
	want = count(func(d Desktop) bool { return d.AvailabilityZone == "ap-southeast-3c" })
	if *lb.TotalCount != want || len(lb.Desktops) != 5 {
		t.Errorf("availability_zone: total %d (want %d), %d desktops", *lb.TotalCount, want, len(lb.Desktops))
	}
}

func TestSetDesktopsRoundTripAndTasks(t *testing.T) {
	s, err := New(testOptions(10))
	if err != nil {
		t.Fatal(err)
	}
	ds := s.Desktops()
	// Hand-made desktops: a power-on in progress, one being deleted, one
	// with nil slices and awkward strings.
	p := 40
	ds[0].Status, ds[0].TaskStatus, ds[0].LoginStatus, ds[0].Process = statusShutoff, taskPoweringOn, loginUnregister, &p
	ds[1].TaskStatus, ds[1].Process = taskDeleting, &p
	ds[2] = Desktop{DesktopID: "weird", ComputerName: "<Ünïcode & \"quotes\">\u2028", Status: "BUILD", Process: &p, TaskStatus: "unheard-of"}
	s.SetDesktops(ds)
	got := s.Desktops()
	if !reflect.DeepEqual(got, ds) {
		t.Fatal("Desktops() after SetDesktops differs from the input")
	}
	got[0].Metadata["os_type"] = "changed"
	if s.Desktops()[0].Metadata["os_type"] == "changed" {
		t.Fatal("Desktops() shares maps with the simulator")
	}
	ds[3].ComputerName = "changed"
	if s.Desktops()[3].ComputerName == "changed" {
		t.Fatal("SetDesktops keeps the caller's slice")
	}

	// The served JSON of the hand-made desktop: nil slices and maps as []
	// and {}, strings escaped as encoding/json does.
	_, base := startSimWith(t, s)
	r, lb := list(t, base, map[string]any{"desktop_id": "weird"})
	if len(lb.Desktops) != 1 || lb.Desktops[0].ComputerName != ds[2].ComputerName {
		t.Fatalf("weird desktop: %s", r.body)
	}
	for _, frag := range []string{`"addresses":{}`, `"ip_addresses":[]`, `"metadata":{}`, `"links":[]`, `"tags":[]`, `"process":40`, `"status":"BUILD"`, `\u003c`, `\u2028`} {
		if !bytes.Contains(r.body, []byte(frag)) {
			t.Errorf("weird desktop JSON lacks %s: %s", frag, r.body)
		}
	}

	s.Step()
	after := map[string]Desktop{}
	for _, d := range s.Desktops() {
		after[d.DesktopID] = d
	}
	d0 := after[ds[0].DesktopID]
	if d0.Status != statusActive || d0.TaskStatus != "" || d0.Process != nil || d0.LoginStatus != loginRegistered {
		t.Errorf("powering-on desktop after a step: %s %q %v %s", d0.Status, d0.TaskStatus, d0.Process, d0.LoginStatus)
	}
	if d1, ok := after[ds[1].DesktopID]; ok && (d1.TaskStatus != taskDeleteFailed || d1.Status != statusError) {
		t.Errorf("deleting desktop after a step: %s %q", d1.Status, d1.TaskStatus)
	}
	if d2 := after["weird"]; d2.TaskStatus != "" || d2.Status != "BUILD" || d2.Process != nil {
		t.Errorf("unknown task after a step: %s %q %v", d2.Status, d2.TaskStatus, d2.Process)
	}
}

func startSimWith(t *testing.T, s *Simulator) (*Simulator, string) {
	t.Helper()
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, base
}

// normalized is d with every nil slice and map, at any depth, replaced by
// an empty one: what the service serves for nil. It walks d by reflection,
// so a field added to Desktop is covered without changing it here.
func normalized(d Desktop) Desktop {
	d = d.clone()
	fillEmptyValue(reflect.ValueOf(&d).Elem())
	return d
}

func fillEmptyValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fillEmptyValue(v.Field(i))
		}
	case reflect.Slice:
		if v.IsNil() {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
		for i := range v.Len() {
			fillEmptyValue(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			fillEmptyValue(e)
			v.SetMapIndex(k, e)
		}
	}
}

// TestAppendRecordMatchesEncodingJSON holds appendRecord to the reference
// encoding of a desktop, encoding/json of its Desktop: exactly for
// generated desktops (whose views have no nil slice or map), with nil
// slices and maps as [] and {} for desktops installed with SetDesktops.
func TestAppendRecordMatchesEncodingJSON(t *testing.T) {
	s := newFleetSim(t, 5000, 12)
	for range 10 {
		s.Step()
	}
	var generated []*record
	s.ReadFleet(func() { generated = slices.Clone(s.api.fleet.recs) })

	// The sample reaches every branch appendRecord takes for a generated
	// desktop.
	seen := map[string]int{}
	for _, r := range generated {
		for what, ok := range map[string]bool{
			"pooled": r.pool != nil, "dedicated": r.dept != nil, "GPU": r.product.gpu,
			"NAT": r.internet == internetNAT, "EIP": r.internet == internetEIP, "no internet": r.internet == internetNone,
			"data disk": r.dataGB > 0, "no data disk": r.dataGB == 0, "user": r.user != "", "no user": r.user == "",
			"process": r.process != nullProcess, "null process": r.process == nullProcess, "yearly": r.period,
			"maintenance": r.maintenance, "attaching EIP": r.attachingEIP, "Linux": r.image.linux,
		} {
			if ok {
				seen[what]++
			}
		}
	}
	if len(seen) != 16 {
		t.Fatalf("the sample misses a kind of desktop: %v", seen)
	}
	for i, r := range generated {
		want, err := json.Marshal(r.view())
		if err != nil {
			t.Fatal(err)
		}
		if got := appendRecord(nil, r); !bytes.Equal(got, want) {
			t.Fatalf("generated desktop %d:\n got %s\nwant %s", i, got, want)
		}
		if got, want := appendRecord(nil, floodRecord(r, desktopFloodFields)), floodRecord(r, desktopFloodFields).view(); !json.Valid(got) || !bytes.Contains(got, []byte(`"status":"FLOOD_`+want.DesktopID+`"`)) {
			t.Fatalf("flooded desktop %d: %s", i, got)
		}
	}

	p, huge := 77, 1<<40
	full := generated[0].view()
	custom := []Desktop{
		{},
		full,
		{DesktopID: "empty, not nil", Addresses: map[string][]AddressInfo{}, IPAddresses: []string{}, Tags: []Tag{}, Process: &huge},
		{
			DesktopID: "x", ComputerName: "a<b>&c\"d\\e\x01\u2028\u2029é\xff", Process: &p, PoolID: "p", InternetMode: "BOTH",
			Addresses:   map[string][]AddressInfo{"n2": nil, "n1": {{Addr: "1.2.3.4"}, {Addr: "::1", Version: "6"}}},
			Metadata:    map[string]string{"z": "1", "a": "2", "m\n": "3"},
			Flavor:      Flavor{ID: "f", Links: []FlavorLink{{Rel: "self", Href: "https://x/y?a=1&b=2"}}},
			Tags:        []Tag{{Key: "k", Value: "v"}, {Key: "k2"}},
			DataVolumes: []Volume{{Size: 1}, {Size: 2, Type: "SSD"}},
		},
	}
	for i, d := range custom {
		r := recordFor(d)
		want, err := json.Marshal(normalized(r.view()))
		if err != nil {
			t.Fatal(err)
		}
		if got := appendRecord(nil, r); !bytes.Equal(got, want) {
			t.Fatalf("custom desktop %d:\n got %s\nwant %s", i, got, want)
		}
		if bytes.Contains(appendRecord(nil, r), []byte("null,")) {
			t.Errorf("custom desktop %d: a null other than process: %s", i, appendRecord(nil, r))
		}
	}
}

// BenchmarkDesktopPageEncoding renders a page of 1,000 generated desktops
// the two ways TestAppendRecordMatchesEncodingJSON holds equal:
// encoding/json of each record's view (through a reused json.Encoder, the
// standard library's fastest path), and appendRecord. appendRecord is
// worth keeping only as long as it stays well ahead.
func BenchmarkDesktopPageEncoding(b *testing.B) {
	f := newFleet(1, 1000, fixedClock())
	for range 10 {
		f.step(fixedClock())
	}
	b.Run("encoding-json", func(b *testing.B) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			for i, r := range f.recs {
				if i > 0 {
					buf.WriteByte(',')
				}
				d := r.view()
				if err := enc.Encode(&d); err != nil {
					b.Fatal(err)
				}
				buf.Truncate(buf.Len() - 1) // Encode's newline
			}
		}
		b.SetBytes(int64(buf.Len()))
	})
	b.Run("appendRecord", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf = buf[:0]
			for i, r := range f.recs {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendRecord(buf, r)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
}

// TestPageDecodesIntoSDKModel checks a page against the SDK's own response
// model for ListDesktopsDetail.
func TestPageDecodesIntoSDKModel(t *testing.T) {
	s, base := startSim(t, testOptions(800))
	for range 30 {
		s.Step()
	}
	want := s.Desktops()
	r := do(t, sdkRequest(t, base, signed{query: map[string]any{"limit": "500"}}))
	if r.status != http.StatusOK {
		t.Fatal(r.status)
	}
	var resp model.ListDesktopsDetailResponse
	if err := json.Unmarshal(r.body, &resp); err != nil {
		t.Fatalf("SDK model rejects the page: %v", err)
	}
	if resp.TotalCount == nil || int(*resp.TotalCount) != len(want) || resp.Desktops == nil || len(*resp.Desktops) != 500 {
		t.Fatalf("SDK model: total %v, %v desktops", resp.TotalCount, resp.Desktops)
	}
	tasks := 0
	for i, d := range *resp.Desktops {
		w := want[i]
		if *d.DesktopId != w.DesktopID || *d.Status != w.Status || *d.TaskStatus != w.TaskStatus || *d.LoginStatus != w.LoginStatus ||
			d.AttachState.Value() != w.AttachState || d.Metadata["os_type"] != w.Metadata["os_type"] ||
			*d.Product.Memory != w.Product.Memory || d.RootVolume.Size != int32(w.RootVolume.Size) ||
			len(d.Addresses) != 1 || (d.Process == nil) != (w.Process == nil) {
			t.Fatalf("desktop %d decoded by the SDK differs: %v", i, d)
		}
		if d.Process != nil {
			tasks++
			if int(*d.Process) != *w.Process {
				t.Fatalf("desktop %d: process %d, want %d", i, *d.Process, *w.Process)
			}
		}
	}
	if tasks == 0 {
		t.Error("no running task on the first page")
	}
	if !slices.ContainsFunc(*resp.Desktops, func(d model.DesktopDetailInfo) bool { return d.InternetMode != nil && d.InternetMode.Value() == "EIP" }) {
		t.Error("no EIP desktop on the first page")
	}
}

func BenchmarkListPage(b *testing.B) {
	s, err := New(testOptions(100_000))
	if err != nil {
		b.Fatal(err)
	}
	req := sdkRequest(b, "http://127.0.0.1:9", signed{query: map[string]any{"offset": "50000", "limit": "500"}})
	w := &discardWriter{header: http.Header{}}
	s.ServeHTTP(w, req)
	if w.status != 200 {
		b.Fatalf("status %d", w.status)
	}
	b.SetBytes(int64(w.n))
	b.ReportAllocs()
	for b.Loop() {
		w.n = 0
		s.ServeHTTP(w, req)
	}
}

type discardWriter struct {
	header http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(s int)   { w.status = s }
func (w *discardWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}
