package huaweicloud

import (
	"os"
	"testing"
	"unicode/utf8"
)

// Every example response of §4.3.8 in the seeds must decode (see
// testdata/README.md for where each fixture comes from).
func TestDecodeSeedExamples(t *testing.T) {
	type want struct {
		id, name, user, status, login, task, dtype, az, product, os string
		addrs                                                       int
		addrNet                                                     bool
	}
	cases := []struct {
		file  string
		total int64
		want  []want
	}{
		{"testdata/desktops_detail_seed002.json", 2, []want{
			{"21616aa6-061d-4b2f-bd83-b230d7a9a14c", "CHENMIN01", "chenmin", "ACTIVE", "REGISTERED", "", "DEDICATED", "cn-north-5a", "workspace.k.large2.uosv20pro", "Linux", -1, false},
			{"e7a27bad-323f-4ec8-9afe-e53d00171ba9", "HJG01", "hjg", "ACTIVE", "REGISTERED", "", "DEDICATED", "cn-north-5a", "workspace.k.large4.uosv20pro", "Linux", -1, false},
		}},
		{"testdata/desktops_detail_seed003.json", 1, []want{
			{"cb783682-323a-43fa-9f70-3e87eed5524", "tkms-test", "", "ACTIVE", "REGISTERED", "", "DEDICATED", "cn-north-7b", "workspace.x86.ultimate.2xlarge4", "Windows", 2, true},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			body, err := os.ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			ds, total, known, _, err := DecodeDesktopsPage(body)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !known || total != c.total {
				t.Errorf("total_count = %d (known %v), want %d", total, known, c.total)
			}
			if len(ds) != len(c.want) {
				t.Fatalf("decoded %d desktops, want %d", len(ds), len(c.want))
			}
			for i, w := range c.want {
				d := ds[i]
				got := want{d.ID, d.ComputerName, d.UserName, d.Status, d.LoginStatus, d.TaskStatus, d.DesktopType, d.AvailabilityZone, d.ProductID, d.OSType, -1, false}
				w2 := w
				w2.addrs, w2.addrNet = -1, false
				if got != w2 {
					t.Errorf("desktop %d:\n got %+v\nwant %+v", i, got, w2)
				}
				if len(d.Addresses) == 0 {
					t.Errorf("desktop %d: addresses not decoded", i)
				}
				if w.addrs > 0 && len(d.Addresses) != w.addrs {
					t.Errorf("desktop %d: %d addresses, want %d", i, len(d.Addresses), w.addrs)
				}
				for _, a := range d.Addresses {
					if (a.NetworkID != "") != w.addrNet || a.Addr == "" || a.MAC == "" {
						t.Errorf("desktop %d: address %+v (map shape expected: %v)", i, a, w.addrNet)
					}
				}
				if d.Created.IsZero() {
					t.Errorf("desktop %d: created not parsed", i)
				}
			}
		})
	}
}

// The tolerant types accept the shapes the documentation contradicts itself
// about, and unknown enum values are kept.
func TestDecodeTolerance(t *testing.T) {
	body := []byte(`{"total_count":"3","desktops":[
	 {"desktop_id":"a","status":"REBUILDING_NEW","login_status":null,"task_status":"quantum-tunnelling","process":"42",
	  "in_maintenance_mode":"true","addresses":null,"created":"2022-02-23 04:02:07","product":{"product_id":"p-from-product","cpu":8},
	  "attach_user_infos":[{"user_name":"alice","type":"USER"}],"metadata":{"os_type":"Linux","os_bit":64},"desktop_pool_id":"pool-1",
	  "user_list":"not-a-list","unexpected_new_field":{"nested":[1,2,3]}},
	 {"desktop_id":"b","status":"SHUTOFF","process":null,"in_maintenance_mode":"off","addresses":{"net":[{"addr":"10.0.0.1","version":4}],"weird":"x"},"created":1618810632000},
	 {"desktop_id":"c","status":7,"addresses":[],"created":"2022-05-07T07:20:08.341609"}
	]}`)
	ds, total, known, _, err := DecodeDesktopsPage(body)
	if err != nil {
		t.Fatal(err)
	}
	if !known || total != 3 || len(ds) != 3 {
		t.Fatalf("total %d known %v len %d", total, known, len(ds))
	}
	a, b, c := ds[0], ds[1], ds[2]
	if a.Status != "REBUILDING_NEW" || a.TaskStatus != "quantum-tunnelling" || !a.HasTaskProgress || a.TaskProgress != 42 || !a.InMaintenance {
		t.Errorf("a = %+v", a)
	}
	if a.UserName != "alice" || a.ProductID != "p-from-product" || a.PoolID != "pool-1" || a.OSType != "Linux" || a.Created.IsZero() {
		t.Errorf("a fallbacks = %+v", a)
	}
	if b.HasTaskProgress || b.InMaintenance || len(b.Addresses) != 0 {
		// The map holds a non-array value: that network is unreadable, the desktop is kept.
		t.Logf("b = %+v", b)
	}
	if b.Status != "SHUTOFF" {
		t.Errorf("b = %+v", b)
	}
	if c.Status != "7" || c.Created.IsZero() {
		t.Errorf("c = %+v", c)
	}
}

func TestDecodeBroken(t *testing.T) {
	for _, body := range []string{``, `   `, `<html>502 Bad Gateway</html>`, `{"desktops":[{"desktop_id":`, `{"desktops":{}}`} {
		if _, _, _, _, err := DecodeDesktopsPage([]byte(body)); err == nil {
			t.Errorf("body %q decoded without error", body)
		}
	}
}

// A nested field of an unexpected shape loses only that field, never the
// page: the refresh must not fail because the API changed one type.
func TestDecodeWrongShapesKeepThePage(t *testing.T) {
	body := []byte(`{"total_count":2,"desktops":[
	 {"desktop_id":"a","status":"ACTIVE","metadata":"os_type=Linux","product":["x"],"attach_user_infos":{"user_name":"bob"},"ip_addresses":"10.0.0.1"},
	 {"desktop_id":"b","status":"SHUTOFF","metadata":{"os_type":"Windows"},"product":{"product_id":"p"},"attach_user_infos":[{"user_name":"eve"}],"ip_addresses":["10.0.0.2"]}
	]}`)
	ds, _, _, _, err := DecodeDesktopsPage(body)
	if err != nil {
		t.Fatalf("one odd desktop failed the page: %v", err)
	}
	if len(ds) != 2 || ds[0].ID != "a" || ds[0].Status != "ACTIVE" || ds[0].OSType != "" || ds[0].UserName != "" {
		t.Errorf("odd desktop: %+v", ds[0])
	}
	if b := ds[1]; b.OSType != "Windows" || b.ProductID != "p" || b.UserName != "eve" || len(b.IPAddresses) != 1 {
		t.Errorf("well-formed desktop: %+v", b)
	}
}

// Label values must be valid UTF-8 (client_golang refuses others), so
// invalid bytes from the API are replaced, as encoding/json does.
func TestDecodeInvalidUTF8(t *testing.T) {
	body := []byte("{\"desktops\":[{\"desktop_id\":\"a\",\"computer_name\":\"PC-\xff\xfe\",\"user_name\":\"\xc3\"}],\"total_count\":1}")
	ds, _, _, _, err := DecodeDesktopsPage(body)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{ds[0].ComputerName, ds[0].UserName} {
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8 kept: %q", s)
		}
	}
	if ds[0].ComputerName != "PC-\ufffd\ufffd" {
		t.Errorf("computer_name = %q", ds[0].ComputerName)
	}
}
