package huaweicloud

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file is the desktop domain: the one definition of the simulated
// desktop (Desktop, served as encoding/json encodes it), how a fleet record
// becomes one (view, and appendRecord, the same bytes written faster), the
// filters of ListDesktopsDetail and its handler.

// Desktop is one cloud desktop in the shape of DesktopDetailInfo, the item
// type of ListDesktopsDetail (API reference §4.3.8). The JSON tags are the
// API's field names; the simulator serves exactly this shape, with nil slices
// and maps rendered as [] and {} like the real service.
//
// PoolID is not in the documented DesktopDetailInfo; it is the desktop pool
// of a POOLED desktop (the list API filters on pool_id) and is omitted for
// dedicated desktops. Process is nil (JSON null) when no task runs.
type Desktop struct {
	DesktopID           string                   `json:"desktop_id"`
	ComputerName        string                   `json:"computer_name"`
	OSHostName          string                   `json:"os_host_name"`
	Addresses           map[string][]AddressInfo `json:"addresses"`
	IPAddresses         []string                 `json:"ip_addresses"`
	IPv4                string                   `json:"ipv4"`
	IPv6                string                   `json:"ipv6"`
	UserList            []string                 `json:"user_list"`
	UserGroupList       []string                 `json:"user_group_list"`
	DesktopType         string                   `json:"desktop_type"`
	ResourceType        string                   `json:"resource_type"`
	Metadata            map[string]string        `json:"metadata"`
	Flavor              Flavor                   `json:"flavor"`
	Status              string                   `json:"status"`
	TaskStatus          string                   `json:"task_status"`
	InMaintenanceMode   bool                     `json:"in_maintenance_mode"`
	Created             string                   `json:"created"`
	SecurityGroups      []SecurityGroup          `json:"security_groups"`
	LoginStatus         string                   `json:"login_status"`
	UserName            string                   `json:"user_name"`
	AttachUserInfos     []AttachUserInfo         `json:"attach_user_infos"`
	ProductID           string                   `json:"product_id"`
	RootVolume          Volume                   `json:"root_volume"`
	DataVolumes         []Volume                 `json:"data_volumes"`
	UserGroup           string                   `json:"user_group"`
	AvailabilityZone    string                   `json:"availability_zone"`
	SiteType            string                   `json:"site_type"`
	SiteName            string                   `json:"site_name"`
	Product             Product                  `json:"product"`
	OSVersion           string                   `json:"os_version"`
	SID                 string                   `json:"sid"`
	Tags                []Tag                    `json:"tags"`
	IsSupportInternet   bool                     `json:"is_support_internet"`
	InternetMode        string                   `json:"internet_mode,omitempty"`
	InternetModeList    []string                 `json:"internet_mode_list"`
	IsAttachingEIP      bool                     `json:"is_attaching_eip"`
	AttachState         string                   `json:"attach_state"`
	EnterpriseProjectID string                   `json:"enterprise_project_id"`
	SubnetID            string                   `json:"subnet_id"`
	BillResourceID      string                   `json:"bill_resource_id"`
	Process             *int                     `json:"process"`
	PoolID              string                   `json:"pool_id,omitempty"`
}

// AddressInfo is one IP address of a desktop on one network (AddressInfo).
type AddressInfo struct {
	Addr    string `json:"addr"`
	Version string `json:"version"`
	MACAddr string `json:"OS-EXT-IPS-MAC:mac_addr"`
	Type    string `json:"OS-EXT-IPS:type"`
}

// Flavor is the desktop flavor (FlavorInfo).
type Flavor struct {
	ID    string       `json:"id"`
	Links []FlavorLink `json:"links"`
}

// FlavorLink is a shortcut link of a flavor (FlavorLinkInfo).
type FlavorLink struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

// SecurityGroup is a security group of a desktop (SecurityGroupInfo).
type SecurityGroup struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// AttachUserInfo is a user or group a desktop is assigned to
// (AttachInstancesUserInfo); Type is USER or GROUP.
type AttachUserInfo struct {
	UserID    string `json:"user_id"`
	UserName  string `json:"user_name"`
	UserGroup string `json:"user_group"`
	Type      string `json:"type"`
}

// Tag is a desktop tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Volume is a system or data disk (VolumeDetail). Size is in GB.
type Volume struct {
	Type             string `json:"type"`
	Size             int    `json:"size"`
	Device           string `json:"device"`
	ID               string `json:"id"`
	VolumeID         string `json:"volume_id"`
	BillResourceID   string `json:"bill_resource_id"`
	CreateTime       string `json:"create_time"`
	DisplayName      string `json:"display_name"`
	ResourceSpecCode string `json:"resource_spec_code"`
}

// Product is the desktop's product package (ProductInfo). As in the API,
// CPU, Memory (MB) and SystemDiskSize (GB) are strings.
type Product struct {
	ProductID         string `json:"product_id"`
	FlavorID          string `json:"flavor_id"`
	Type              string `json:"type"`
	CPU               string `json:"cpu"`
	Memory            string `json:"memory"`
	Descriptions      string `json:"descriptions"`
	ChargeMode        string `json:"charge_mode"`
	Architecture      string `json:"architecture"`
	IsGPU             bool   `json:"is_gpu"`
	PackageType       string `json:"package_type"`
	SystemDiskType    string `json:"system_disk_type"`
	SystemDiskSize    string `json:"system_disk_size"`
	ContainDataDisk   bool   `json:"contain_data_disk"`
	ResourceType      string `json:"resource_type"`
	CloudServiceType  string `json:"cloud_service_type"`
	VolumeProductType string `json:"volume_product_type"`
	Status            string `json:"status"`
}

// clone returns a deep copy of d.
func (d Desktop) clone() Desktop {
	c := d
	if d.Addresses != nil {
		c.Addresses = make(map[string][]AddressInfo, len(d.Addresses))
		for k, v := range d.Addresses {
			c.Addresses[k] = slices.Clone(v)
		}
	}
	if d.Metadata != nil {
		c.Metadata = make(map[string]string, len(d.Metadata))
		for k, v := range d.Metadata {
			c.Metadata[k] = v
		}
	}
	c.IPAddresses = slices.Clone(d.IPAddresses)
	c.UserList = slices.Clone(d.UserList)
	c.UserGroupList = slices.Clone(d.UserGroupList)
	c.Flavor.Links = slices.Clone(d.Flavor.Links)
	c.SecurityGroups = slices.Clone(d.SecurityGroups)
	c.AttachUserInfos = slices.Clone(d.AttachUserInfos)
	c.DataVolumes = slices.Clone(d.DataVolumes)
	c.Tags = slices.Clone(d.Tags)
	c.InternetModeList = slices.Clone(d.InternetModeList)
	if d.Process != nil {
		p := *d.Process
		c.Process = &p
	}
	return c
}

// fillEmpty replaces the nil slices and maps of d, which must not share
// them with anyone, by empty ones: the service serves [] and {}, never
// null.
func (d *Desktop) fillEmpty() {
	if d.Addresses == nil {
		d.Addresses = map[string][]AddressInfo{}
	}
	for k, v := range d.Addresses {
		if v == nil {
			d.Addresses[k] = []AddressInfo{}
		}
	}
	if d.Metadata == nil {
		d.Metadata = map[string]string{}
	}
	for _, p := range []*[]string{&d.IPAddresses, &d.UserList, &d.UserGroupList, &d.InternetModeList} {
		if *p == nil {
			*p = []string{}
		}
	}
	if d.Flavor.Links == nil {
		d.Flavor.Links = []FlavorLink{}
	}
	if d.SecurityGroups == nil {
		d.SecurityGroups = []SecurityGroup{}
	}
	if d.AttachUserInfos == nil {
		d.AttachUserInfos = []AttachUserInfo{}
	}
	if d.DataVolumes == nil {
		d.DataVolumes = []Volume{}
	}
	if d.Tags == nil {
		d.Tags = []Tag{}
	}
}

// applyState copies the evolving fields of r into d.
func (r *record) applyState(d *Desktop) {
	d.Status, d.TaskStatus, d.LoginStatus, d.AttachState = r.status, r.task, r.login, r.attach
	d.InMaintenanceMode, d.IsAttachingEIP = r.maintenance, r.attachingEIP
	d.Process = nil
	if r.process != nullProcess {
		p := int(r.process)
		d.Process = &p
	}
}

// view builds the full Desktop of a record.
func (r *record) view() Desktop {
	if r.custom != nil {
		d := r.custom.clone()
		r.applyState(&d)
		return d
	}
	p, img, z, h := r.product, r.image, r.zone, r.hash
	ip := ipString(r.ip)
	charge := "0"
	if r.period {
		charge = "1"
	}
	d := Desktop{
		DesktopID:    r.id,
		ComputerName: r.name,
		OSHostName:   r.name,
		Addresses: map[string][]AddressInfo{z.networkID: {{
			Addr: ip, Version: "4", MACAddr: macString(mix(h, 1)), Type: "fixed",
		}}},
		IPAddresses:   []string{ip},
		IPv4:          ip,
		UserList:      []string{},
		UserGroupList: []string{},
		DesktopType:   "DEDICATED",
		ResourceType:  "DEDICATED_DESKTOP",
		Metadata: map[string]string{
			"charging_mode":             charge,
			"image_name":                img.name,
			"metering.image_id":         img.id,
			"metering.resourcespeccode": p.flavor + img.specSuffix,
			"metering.resourcetype":     "1",
			"os_type":                   img.osType,
			"os_bit":                    "64",
			"desktop_os_version":        img.version,
		},
		Flavor:         Flavor{ID: p.flavor, Links: []FlavorLink{}},
		Created:        formatMillis(r.created),
		SecurityGroups: []SecurityGroup{{ID: securityGroupID, Name: securityGroupName}},
		UserName:       r.user,
		ProductID:      p.id,
		RootVolume: Volume{
			Type: p.diskType, Size: p.diskGB, Device: "/dev/vda",
			ID: hex32(mix(h, 2), mix(h, 3)), VolumeID: uuidString(mix(h, 4), mix(h, 5)),
			CreateTime: formatMillis(r.created - 9000 - int64(h%1000)), DisplayName: r.name + "-volume-0000",
			ResourceSpecCode: volumeSpec(p.diskType),
		},
		DataVolumes:      []Volume{},
		UserGroup:        r.userGroup,
		AvailabilityZone: z.name,
		SiteType:         "CENTER",
		SiteName:         siteName,
		Product: Product{
			ProductID: p.id, FlavorID: p.flavor, Type: "BASE", CPU: p.cpuS, Memory: p.memS,
			Descriptions: p.des, ChargeMode: charge, Architecture: "x86", IsGPU: p.gpu,
			PackageType: p.pkg, SystemDiskType: p.diskType, SystemDiskSize: p.diskS,
			ResourceType: productResource, CloudServiceType: cloudServiceType,
			VolumeProductType: "workspace", Status: "normal",
		},
		OSVersion:           img.version,
		SID:                 uuidString(mix(h, 6), mix(h, 7)),
		InternetModeList:    []string{},
		EnterpriseProjectID: "0",
		SubnetID:            z.subnetID,
		BillResourceID:      r.id,
	}
	d.RootVolume.BillResourceID = d.RootVolume.VolumeID
	if r.user != "" {
		d.AttachUserInfos = []AttachUserInfo{{UserID: hex32(mix(h, 8), mix(h, 9)), UserName: r.user, UserGroup: r.userGroup, Type: "USER"}}
	} else {
		d.AttachUserInfos = []AttachUserInfo{}
	}
	if r.dataGB > 0 {
		vid := uuidString(mix(h, 10), mix(h, 11))
		d.DataVolumes = []Volume{{
			Type: "SAS", Size: int(r.dataGB), Device: "/dev/vdb",
			ID: hex32(mix(h, 12), mix(h, 13)), VolumeID: vid, BillResourceID: vid,
			CreateTime: formatMillis(r.created - 8990 - int64(h%1000)), DisplayName: r.name + "-volume-0001",
			ResourceSpecCode: volumeSpec("SAS"),
		}}
	}
	switch r.internet {
	case internetNAT:
		d.IsSupportInternet, d.InternetMode, d.InternetModeList = true, "NAT", []string{"NAT"}
	case internetEIP:
		d.IsSupportInternet, d.InternetMode, d.InternetModeList = true, "EIP", []string{"EIP"}
		d.IPAddresses = append(d.IPAddresses, ipString(119<<24|13<<16|uint32(mix(h, 14)&0xffff)))
	}
	if r.pool != nil {
		d.DesktopType, d.ResourceType, d.PoolID = "POOLED", "POOLED_DESKTOP", r.pool.id
		d.Tags = []Tag{{Key: "pool", Value: r.pool.name}}
	} else {
		if p.gpu {
			d.ResourceType = "RENDER_DESKTOP"
		}
		d.Tags = []Tag{{Key: "department", Value: r.dept.tag}}
		d.EnterpriseProjectID = r.dept.epID
	}
	r.applyState(&d)
	return d
}

func volumeSpec(diskType string) string {
	if diskType == "SSD" {
		return "workspace.volume.ultrahigh"
	}
	return "workspace.volume.high"
}

// appendRecord appends the JSON of r's desktop: the bytes encoding/json
// gives for r.view() with nil slices and maps served as [] and {}
// (TestAppendRecordMatchesEncodingJSON holds it to that). A generated
// desktop is written straight from the record, with next to no
// allocations: about 4.5 times faster than encoding/json of the view
// (BenchmarkDesktopPageEncoding), and a page is rendered on every list
// call. A desktop installed with SetDesktops goes through
// encoding/json.
func appendRecord(b []byte, r *record) []byte {
	if r.custom != nil {
		d := r.view()
		d.fillEmpty()
		j, _ := json.Marshal(&d) // a Desktop has nothing encoding/json rejects
		return append(b, j...)
	}
	p, img, z, h := r.product, r.image, r.zone, r.hash
	charge := "0"
	if r.period {
		charge = "1"
	}
	b = appendKeyString(b, '{', "desktop_id", r.id)
	b = appendKeyString(b, ',', "computer_name", r.name)
	b = appendKeyString(b, ',', "os_host_name", r.name)
	b = append(b, `,"addresses":{`...)
	b = appendString(b, z.networkID)
	b = append(b, `:[{"addr":"`...)
	b = appendIP(b, r.ip)
	b = append(b, `","version":"4","OS-EXT-IPS-MAC:mac_addr":"`...)
	b = appendMAC(b, mix(h, 1))
	b = append(b, `","OS-EXT-IPS:type":"fixed"}]},"ip_addresses":["`...)
	b = appendIP(b, r.ip)
	if r.internet == internetEIP {
		b = append(b, `","`...)
		b = appendIP(b, 119<<24|13<<16|uint32(mix(h, 14)&0xffff))
	}
	b = append(b, `"],"ipv4":"`...)
	b = appendIP(b, r.ip)
	b = append(b, `","ipv6":"","user_list":[],"user_group_list":[]`...)
	switch {
	case r.pool != nil:
		b = append(b, `,"desktop_type":"POOLED","resource_type":"POOLED_DESKTOP"`...)
	case p.gpu:
		b = append(b, `,"desktop_type":"DEDICATED","resource_type":"RENDER_DESKTOP"`...)
	default:
		b = append(b, `,"desktop_type":"DEDICATED","resource_type":"DEDICATED_DESKTOP"`...)
	}
	b = append(b, `,"metadata":`...)
	b = appendKeyString(b, '{', "charging_mode", charge)
	b = appendKeyString(b, ',', "desktop_os_version", img.version)
	b = appendKeyString(b, ',', "image_name", img.name)
	b = appendKeyString(b, ',', "metering.image_id", img.id)
	b = append(b, `,"metering.resourcespeccode":"`...) // table values and generated names are plain ASCII
	b = append(b, p.flavor...)
	b = append(b, img.specSuffix...)
	b = append(b, '"')
	b = append(b, `,"metering.resourcetype":"1","os_bit":"64"`...)
	b = appendKeyString(b, ',', "os_type", img.osType)
	b = append(b, `},"flavor":`...)
	b = appendKeyString(b, '{', "id", p.flavor)
	b = append(b, `,"links":[]}`...)
	b = appendKeyString(b, ',', "status", r.status)
	b = appendKeyString(b, ',', "task_status", r.task)
	b = appendKeyBool(b, "in_maintenance_mode", r.maintenance)
	b = append(b, `,"created":"`...)
	b = appendMillis(b, r.created)
	b = append(b, `","security_groups":[{"id":"`+securityGroupID+`","name":"`+securityGroupName+`"}]`...)
	b = appendKeyString(b, ',', "login_status", r.login)
	b = appendKeyString(b, ',', "user_name", r.user)
	b = append(b, `,"attach_user_infos":[`...)
	if r.user != "" {
		b = append(b, `{"user_id":"`...)
		b = appendHex32(b, mix(h, 8), mix(h, 9))
		b = append(b, '"')
		b = appendKeyString(b, ',', "user_name", r.user)
		b = appendKeyString(b, ',', "user_group", r.userGroup)
		b = append(b, `,"type":"USER"}`...)
	}
	b = append(b, ']')
	b = appendKeyString(b, ',', "product_id", p.id)
	b = append(b, `,"root_volume":`...)
	b = appendKeyString(b, '{', "type", p.diskType)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, int64(p.diskGB), 10)
	b = append(b, `,"device":"/dev/vda","id":"`...)
	b = appendHex32(b, mix(h, 2), mix(h, 3))
	b = append(b, `","volume_id":"`...)
	b = appendUUID(b, mix(h, 4), mix(h, 5))
	b = append(b, `","bill_resource_id":"`...)
	b = appendUUID(b, mix(h, 4), mix(h, 5))
	b = append(b, `","create_time":"`...)
	b = appendMillis(b, r.created-9000-int64(h%1000))
	b = append(b, `","display_name":"`...)
	b = append(b, r.name...)
	b = append(b, `-volume-0000"`...)
	b = appendKeyString(b, ',', "resource_spec_code", volumeSpec(p.diskType))
	b = append(b, `},"data_volumes":[`...)
	if r.dataGB > 0 {
		b = append(b, `{"type":"SAS","size":`...)
		b = strconv.AppendInt(b, int64(r.dataGB), 10)
		b = append(b, `,"device":"/dev/vdb","id":"`...)
		b = appendHex32(b, mix(h, 12), mix(h, 13))
		b = append(b, `","volume_id":"`...)
		b = appendUUID(b, mix(h, 10), mix(h, 11))
		b = append(b, `","bill_resource_id":"`...)
		b = appendUUID(b, mix(h, 10), mix(h, 11))
		b = append(b, `","create_time":"`...)
		b = appendMillis(b, r.created-8990-int64(h%1000))
		b = append(b, `","display_name":`...)
		b = appendString(b, r.name+"-volume-0001")
		b = appendKeyString(b, ',', "resource_spec_code", volumeSpec("SAS"))
		b = append(b, '}')
	}
	b = append(b, ']')
	b = appendKeyString(b, ',', "user_group", r.userGroup)
	b = appendKeyString(b, ',', "availability_zone", z.name)
	b = append(b, `,"site_type":"CENTER","site_name":"`+siteName+`","product":`...)
	b = appendKeyString(b, '{', "product_id", p.id)
	b = appendKeyString(b, ',', "flavor_id", p.flavor)
	b = append(b, `,"type":"BASE"`...)
	b = appendKeyString(b, ',', "cpu", p.cpuS)
	b = appendKeyString(b, ',', "memory", p.memS)
	b = appendKeyString(b, ',', "descriptions", p.des)
	b = appendKeyString(b, ',', "charge_mode", charge)
	b = append(b, `,"architecture":"x86"`...)
	b = appendKeyBool(b, "is_gpu", p.gpu)
	b = appendKeyString(b, ',', "package_type", p.pkg)
	b = appendKeyString(b, ',', "system_disk_type", p.diskType)
	b = appendKeyString(b, ',', "system_disk_size", p.diskS)
	b = append(b, `,"contain_data_disk":false,"resource_type":"`+productResource+`","cloud_service_type":"`+cloudServiceType+`","volume_product_type":"workspace","status":"normal"}`...)
	b = appendKeyString(b, ',', "os_version", img.version)
	b = append(b, `,"sid":"`...)
	b = appendUUID(b, mix(h, 6), mix(h, 7))
	b = append(b, `","tags":[`...)
	if r.pool != nil {
		b = appendKeyString(b, '{', "key", "pool")
		b = appendKeyString(b, ',', "value", r.pool.name)
	} else {
		b = appendKeyString(b, '{', "key", "department")
		b = appendKeyString(b, ',', "value", r.dept.tag)
	}
	b = append(b, '}', ']')
	switch r.internet {
	case internetNAT:
		b = append(b, `,"is_support_internet":true,"internet_mode":"NAT","internet_mode_list":["NAT"]`...)
	case internetEIP:
		b = append(b, `,"is_support_internet":true,"internet_mode":"EIP","internet_mode_list":["EIP"]`...)
	default:
		b = append(b, `,"is_support_internet":false,"internet_mode_list":[]`...)
	}
	b = appendKeyBool(b, "is_attaching_eip", r.attachingEIP)
	b = appendKeyString(b, ',', "attach_state", r.attach)
	ep := "0"
	if r.dept != nil {
		ep = r.dept.epID
	}
	b = appendKeyString(b, ',', "enterprise_project_id", ep)
	b = appendKeyString(b, ',', "subnet_id", z.subnetID)
	b = appendKeyString(b, ',', "bill_resource_id", r.id)
	b = append(b, `,"process":`...)
	if r.process == nullProcess {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(r.process), 10)
	}
	if r.pool != nil {
		b = appendKeyString(b, ',', "pool_id", r.pool.id)
	}
	return append(b, '}')
}

// appendKeyString appends sep, "key":, and the JSON string value. Keys are
// constants that need no escaping.
func appendKeyString(b []byte, sep byte, key, value string) []byte {
	b = append(b, sep, '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

func appendKeyBool(b []byte, key string, v bool) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendBool(b, v)
}

// appendString appends s as a JSON string. Plain printable ASCII is copied;
// anything else goes through encoding/json so the escaping (HTML-safe,
// U+2028/U+2029, invalid UTF-8) is exactly the standard library's.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
			q, _ := json.Marshal(s) // marshalling a string cannot fail
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainJSON marks the bytes encoding/json copies into a string unchanged.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// desktopLimits are the paging rules of ListDesktopsDetail: limit 1..maxLimit
// (default maxLimit) and its documented 400 answers.
func desktopLimits(maxLimit int) simulator.Limits {
	return wksLimits(hwspec.Spec.Operation(hwspec.OpListDesktopsDetail).MinLimit, maxLimit, maxLimit, "The value of limit must be greater than 0 and smaller than 1000.", "")
}

// listDesktops answers ListDesktopsDetail (op), with the page fault f (nil
// for none) applied, appending the body to b. The caller holds the fleet's
// read lock.
func (a *api) listDesktops(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	q := r.URL.Query()
	page, e := simulator.ParsePage(q, a.desktopLimits)
	if e != nil {
		return e.Status, errorBody(e)
	}
	l := simulator.List[*record]{
		ListKey:  op.ListKey,
		TotalKey: op.TotalKey,
		Mode:     a.srv.TotalCountMode(),
		Items:    a.fleet.recs,
		Match:    filters(q),
		Page:     page,
		Append:   appendRecord,
		Flood:    floodRecord,
		ItemSize: 3072,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// The fields of a desktop an enum_flood fault can fill.
const (
	floodStatus      = "status"
	floodLoginStatus = "login_status"
	floodTaskStatus  = "task_status"
)

// desktopFloodFields are the fields enum_flood fills by default, in order.
var desktopFloodFields = []string{floodStatus, floodLoginStatus, floodTaskStatus}

// floodRecord returns a copy of rec whose named fields are
// simulator.FloodPrefix followed by its desktop_id.
func floodRecord(rec *record, fields []string) *record {
	d := *rec
	v := simulator.FloodPrefix + d.id
	for _, field := range fields {
		switch field {
		case floodStatus:
			d.status = v
		case floodLoginStatus:
			d.login = v
		case floodTaskStatus:
			d.task = v
		}
	}
	return &d
}

// appendOversizedDesktop appends the n-th desktop of an oversized page,
// {"desktop_id":"oversize-00000001","status":"ACTIVE"}.
func appendOversizedDesktop(b []byte, n int) []byte {
	b = append(b, `{"desktop_id":"oversize-`...)
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], int64(n), 10)
	for i := len(d); i < 8; i++ {
		b = append(b, '0')
	}
	b = append(b, d...)
	return append(b, `","status":"ACTIVE"}`...)
}

// filters returns a predicate for the supported query filters of
// ListDesktopsDetail (status, desktop_id, pool_id, desktop_type,
// availability_zone, user_name, computer_name), or nil when none is set.
// Repeated parameters and comma-separated values are alternatives.
func filters(q map[string][]string) func(*record) bool {
	var preds []func(*record) bool
	add := func(key string, field func(*record) string) {
		vs, ok := q[key]
		if !ok {
			return
		}
		set := map[string]bool{}
		for _, v := range vs {
			for part := range strings.SplitSeq(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					set[part] = true
				}
			}
		}
		if len(set) == 0 {
			return
		}
		preds = append(preds, func(r *record) bool { return set[field(r)] })
	}
	add("status", func(r *record) string { return r.status })
	add("desktop_id", func(r *record) string { return r.id })
	add("pool_id", (*record).poolID)
	add("desktop_type", (*record).desktopType)
	add("availability_zone", (*record).availabilityZone)
	add("user_name", func(r *record) string { return r.user })
	add("computer_name", func(r *record) string { return r.name })
	if len(preds) == 0 {
		return nil
	}
	return func(r *record) bool {
		for _, p := range preds {
			if !p(r) {
				return false
			}
		}
		return true
	}
}
