package huaweicloud

import (
	"bytes"
	"context"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// OpListDesktopsDetail is the operation name of GET /v2/{project_id}/desktops/detail
// (API reference §4.3.8), used in errors and request accounting.
const OpListDesktopsDetail = hwspec.OpListDesktopsDetail

// Paging of §4.3.8: offset from 0, limit 1..500, the total in total_count.
const (
	desktopsListKey  = "desktops"
	desktopsTotalKey = "total_count"
	desktopsMaxLimit = 500
)

// Desktop is one desktop of §4.3.8's DesktopDetailInfo, reduced to what
// the exporter uses, in the provider-neutral model. Enum fields keep
// whatever value the API sent. UserName is user_name, or the first
// attached user when user_name is absent (seed 003's example has none);
// PoolID is not documented in §4.3.8's response and is read from pool_id
// or desktop_pool_id when the API sends one; OSType is metadata.os_type
// and ChargingMode metadata.charging_mode ("1" yearly/monthly, "0"
// pay-per-use).
type Desktop = model.Desktop

// rawDesktop holds the raw JSON values of the members of one
// DesktopDetailInfo that the exporter reads, before conversion. It reads
// them as encoding/json read the struct it replaces (see oracle_test.go):
// member names match case-insensitively; of a repeated member the last
// wins, except that a value of the wrong type for a list or an object
// (attach_user_infos, ip_addresses, product, metadata) is ignored and
// leaves the earlier one, and a repeated object is merged into it.
type rawDesktop struct {
	desktopID, computerName, osHostName, userName    []byte
	desktopType, resourceType, poolID, desktopPoolID []byte
	status, loginStatus, taskStatus, process         []byte
	availabilityZone, siteType, siteName, productID  []byte
	osVersion, inMaintenance, attachState, created   []byte
	ipAddresses, addresses                           []byte // the raw list; the raw value
	osType, chargingMode, desktopOSVersion           []byte
	// products are the product objects, in order: their members merge
	// into one, the last product_id wins.
	products rawList

	// users holds attach_user_infos[i].user_name. Like the slice
	// encoding/json decoded into, it keeps the members of earlier longer
	// lists past nUsers: a repeated attach_user_infos shows them again.
	users  rawList
	nUsers int
}

// rawList is a list of raw values that keeps its first ones inline.
type rawList struct {
	inline [2][]byte
	more   [][]byte
	n      int
}

func (l *rawList) add(v []byte) {
	if l.n >= len(l.inline) {
		l.more = append(l.more, v)
	} else {
		l.inline[l.n] = v
	}
	l.n++
}

func (l *rawList) at(i int) *[]byte {
	if i < len(l.inline) {
		return &l.inline[i]
	}
	return &l.more[i-len(l.inline)]
}

// decodeDesktopJSON decodes one element of the desktops array: ok is
// false when it is not an object. null is an empty desktop (no ID, so
// invalid), as encoding/json leaves a struct that null is decoded into.
func decodeDesktopJSON(s *client.JSONScanner, red *client.Redactor, in *interner) (d Desktop, ok bool) {
	switch s.Kind() {
	case client.JSONObject:
	case client.JSONNull:
		return Desktop{}, true
	default:
		return Desktop{}, false
	}
	var r rawDesktop
	var kb [64]byte
	s.EnterObject()
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		switch string(client.JSONFieldKey(kb[:0], key)) {
		case "desktop_id":
			r.desktopID = s.Raw()
		case "computer_name":
			r.computerName = s.Raw()
		case "os_host_name":
			r.osHostName = s.Raw()
		case "user_name":
			r.userName = s.Raw()
		case "attach_user_infos":
			r.readUsers(s)
		case "desktop_type":
			r.desktopType = s.Raw()
		case "resource_type":
			r.resourceType = s.Raw()
		case "pool_id":
			r.poolID = s.Raw()
		case "desktop_pool_id":
			r.desktopPoolID = s.Raw()
		case "status":
			r.status = s.Raw()
		case "login_status":
			r.loginStatus = s.Raw()
		case "task_status":
			r.taskStatus = s.Raw()
		case "process":
			r.process = s.Raw()
		case "availability_zone":
			r.availabilityZone = s.Raw()
		case "site_type":
			r.siteType = s.Raw()
		case "site_name":
			r.siteName = s.Raw()
		case "product_id":
			r.productID = s.Raw()
		case "product":
			// Only read when product_id is missing: kept for then.
			// null or a value of the wrong type leaves the earlier one.
			if s.Kind() == client.JSONObject {
				r.products.add(s.Raw())
			} else {
				s.Skip()
			}
		case "metadata":
			if !s.EnterObject() {
				s.Skip()
				break
			}
			for {
				key, ok := s.NextKey()
				if !ok {
					break
				}
				switch string(client.JSONFieldKey(kb[:0], key)) {
				case "os_type":
					r.osType = s.Raw()
				case "charging_mode":
					r.chargingMode = s.Raw()
				case "desktop_os_version":
					r.desktopOSVersion = s.Raw()
				default:
					s.Skip()
				}
			}
		case "os_version":
			r.osVersion = s.Raw()
		case "in_maintenance_mode":
			r.inMaintenance = s.Raw()
		case "attach_state":
			r.attachState = s.Raw()
		case "created":
			r.created = s.Raw()
		case "ip_addresses":
			switch s.Kind() {
			case client.JSONArray:
				r.ipAddresses = s.Raw()
			case client.JSONNull:
				r.ipAddresses = nil
				s.Skip()
			default:
				s.Skip()
			}
		case "addresses":
			r.addresses = s.Raw()
		default:
			s.Skip()
		}
	}
	return r.desktop(red, in), true
}

// readUsers reads attach_user_infos into r.users as encoding/json decodes
// a list into an existing slice: element i is decoded over what index i
// last held, an element that is not an object leaves it, null empties the
// list, and a value that is not a list is ignored.
func (r *rawDesktop) readUsers(s *client.JSONScanner) {
	switch s.Kind() {
	case client.JSONArray:
	case client.JSONNull:
		r.users, r.nUsers = rawList{}, 0
		s.Skip()
		return
	default:
		s.Skip()
		return
	}
	var kb [32]byte
	s.EnterArray()
	i := 0
	for ; s.NextElement(); i++ {
		if i == r.users.n {
			r.users.add(nil)
		}
		if !s.EnterObject() {
			s.Skip()
			continue
		}
		for {
			key, ok := s.NextKey()
			if !ok {
				break
			}
			if string(client.JSONFieldKey(kb[:0], key)) == "user_name" {
				*r.users.at(i) = s.Raw()
			} else {
				s.Skip()
			}
		}
	}
	r.nUsers = i
	if i == 0 {
		r.users = rawList{} // [] is a new empty slice
	}
}

// productProductID is product.product_id: the last one of the product
// objects.
func (r *rawDesktop) productProductID() []byte {
	var id []byte
	var s client.JSONScanner
	var kb [32]byte
	for i := range r.products.n {
		s.Reset(*r.products.at(i))
		s.EnterObject()
		for {
			key, ok := s.NextKey()
			if !ok {
				break
			}
			if string(client.JSONFieldKey(kb[:0], key)) == "product_id" {
				id = s.Raw()
			} else {
				s.Skip()
			}
		}
	}
	return id
}

// desktop converts r, cleaning every string that can become a label value
// (secrets removed, length bounded, valid UTF-8). Values that repeat from
// desktop to desktop are interned.
func (r *rawDesktop) desktop(red *client.Redactor, in *interner) Desktop {
	progress, hasProgress := rawInt(r.process)
	name := rawString(r.computerName)
	host := name
	if !bytes.Equal(r.osHostName, r.computerName) {
		host = rawString(r.osHostName)
	}
	d := Desktop{
		ID:               rawString(r.desktopID),
		ComputerName:     red.Label(name),
		OSHostName:       red.Label(host),
		UserName:         red.Label(rawString(r.userName)),
		DesktopType:      red.Label(in.rawString(r.desktopType)),
		ResourceType:     red.Label(in.rawString(r.resourceType)),
		PoolID:           red.Label(in.rawString(r.poolID)),
		Status:           red.Label(in.rawString(r.status)),
		LoginStatus:      red.Label(in.rawString(r.loginStatus)),
		TaskStatus:       red.Label(in.rawString(r.taskStatus)),
		TaskProgress:     int(progress),
		HasTaskProgress:  hasProgress,
		AvailabilityZone: red.Label(in.rawString(r.availabilityZone)),
		SiteType:         red.Label(in.rawString(r.siteType)),
		SiteName:         red.Label(in.rawString(r.siteName)),
		ProductID:        red.Label(in.rawString(r.productID)),
		OSType:           red.Label(in.rawString(r.osType)),
		OSVersion:        red.Label(in.rawString(r.osVersion)),
		ChargingMode:     red.Label(in.rawString(r.chargingMode)),
		InMaintenance:    rawBool(r.inMaintenance),
		AttachState:      red.Label(in.rawString(r.attachState)),
		Created:          parseTime(rawString(r.created)),
		Addresses:        rawAddresses(r.addresses, in),
	}
	if d.UserName == "" {
		for i := range r.nUsers {
			if name := rawString(*r.users.at(i)); name != "" {
				d.UserName = red.Label(name)
				break
			}
		}
	}
	if d.PoolID == "" {
		d.PoolID = red.Label(in.rawString(r.desktopPoolID))
	}
	if d.ProductID == "" {
		d.ProductID = red.Label(in.rawString(r.productProductID()))
	}
	if d.OSVersion == "" {
		d.OSVersion = red.Label(in.rawString(r.desktopOSVersion))
	}
	if len(r.ipAddresses) > 0 {
		var s client.JSONScanner
		s.Reset(r.ipAddresses)
		s.EnterArray()
		n := 0
		for s.NextElement() {
			s.Skip()
			n++
		}
		if n > 0 {
			d.IPAddresses = make([]string, 0, n)
			s.Reset(r.ipAddresses)
			s.EnterArray()
			for s.NextElement() {
				d.IPAddresses = append(d.IPAddresses, red.Label(rawString(s.Raw())))
			}
		}
	}
	return d
}

// decodeDesktop decodes one element of the desktops array.
func decodeDesktop(red *client.Redactor) client.RawItemDecoder[Desktop] {
	return func(s *client.JSONScanner) (Desktop, string, bool, error) {
		in := interners.Get().(*interner)
		d, ok := decodeDesktopJSON(s, red, in)
		interners.Put(in)
		return d, d.ID, ok, nil
	}
}

// DecodeDesktopsPage decodes one §4.3.8 response body with the same
// streaming decoder ListDesktops uses for every page (limit 500). It is
// exported for fixture tests and tools. Elements that are not desktops
// are skipped and counted in invalid.
func DecodeDesktopsPage(body []byte) (desktops []Desktop, total int64, totalKnown bool, invalid int, err error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListDesktopsDetail, desktopsListKey, desktopsTotalKey, desktopsMaxLimit, decodeDesktop(&client.Redactor{}))
	if err != nil {
		return nil, 0, false, 0, err
	}
	return p.Items, p.Total, p.HasTotal, p.Invalid, nil
}

// ListDesktops walks GET /v2/{project_id}/desktops/detail and returns every
// desktop of the project, or an error: never a partial or inconsistent
// list (see client.WalkOffset). A fleet of N desktops costs exactly
// ⌈N/limit⌉ requests when nothing changes during the walk.
func (c *Client) ListDesktops(ctx context.Context) ([]Desktop, client.WalkStats, error) {
	return client.WalkOffsetRaw(ctx, c.tr, client.OffsetList{
		Op:          c.operation(OpListDesktopsDetail),
		ListKey:     desktopsListKey,
		TotalKey:    desktopsTotalKey,
		Limit:       c.limit(OpListDesktopsDetail),
		MaxPages:    c.cfg.MaxPages,
		Concurrency: c.cfg.Concurrency,
	}, decodeDesktop(c.tr.Redactor()))
}
