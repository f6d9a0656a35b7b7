package simulator

import (
	"encoding/json"
	"slices"
	"strconv"
)

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

// The encoder below writes a Desktop exactly as encoding/json would after
// replacing nil slices and maps by empty ones (TestAppendDesktopMatchesEncodingJSON
// holds it to that), but several times faster, because a 500-desktop page
// is rendered on every list call.

func appendDesktop(b []byte, d *Desktop) []byte {
	b = appendKeyString(b, '{', "desktop_id", d.DesktopID)
	b = appendKeyString(b, ',', "computer_name", d.ComputerName)
	b = appendKeyString(b, ',', "os_host_name", d.OSHostName)
	b = append(b, `,"addresses":{`...)
	keys := make([]string, 0, len(d.Addresses))
	for k := range d.Addresses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':', '[')
		for j, a := range d.Addresses[k] {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendKeyString(b, '{', "addr", a.Addr)
			b = appendKeyString(b, ',', "version", a.Version)
			b = appendKeyString(b, ',', "OS-EXT-IPS-MAC:mac_addr", a.MACAddr)
			b = appendKeyString(b, ',', "OS-EXT-IPS:type", a.Type)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	b = appendKeyStrings(b, "ip_addresses", d.IPAddresses)
	b = appendKeyString(b, ',', "ipv4", d.IPv4)
	b = appendKeyString(b, ',', "ipv6", d.IPv6)
	b = appendKeyStrings(b, "user_list", d.UserList)
	b = appendKeyStrings(b, "user_group_list", d.UserGroupList)
	b = appendKeyString(b, ',', "desktop_type", d.DesktopType)
	b = appendKeyString(b, ',', "resource_type", d.ResourceType)
	b = append(b, `,"metadata":{`...)
	keys = keys[:0]
	for k := range d.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, d.Metadata[k])
	}
	b = append(b, '}')
	b = append(b, `,"flavor":`...)
	b = appendKeyString(b, '{', "id", d.Flavor.ID)
	b = appendArray(b, `,"links":`, d.Flavor.Links, func(b []byte, l *FlavorLink) []byte {
		b = appendKeyString(b, '{', "rel", l.Rel)
		b = appendKeyString(b, ',', "href", l.Href)
		return append(b, '}')
	})
	b = append(b, '}')
	b = appendKeyString(b, ',', "status", d.Status)
	b = appendKeyString(b, ',', "task_status", d.TaskStatus)
	b = appendKeyBool(b, "in_maintenance_mode", d.InMaintenanceMode)
	b = appendKeyString(b, ',', "created", d.Created)
	b = appendArray(b, `,"security_groups":`, d.SecurityGroups, func(b []byte, g *SecurityGroup) []byte {
		b = appendKeyString(b, '{', "id", g.ID)
		b = appendKeyString(b, ',', "name", g.Name)
		return append(b, '}')
	})
	b = appendKeyString(b, ',', "login_status", d.LoginStatus)
	b = appendKeyString(b, ',', "user_name", d.UserName)
	b = appendArray(b, `,"attach_user_infos":`, d.AttachUserInfos, func(b []byte, u *AttachUserInfo) []byte {
		b = appendKeyString(b, '{', "user_id", u.UserID)
		b = appendKeyString(b, ',', "user_name", u.UserName)
		b = appendKeyString(b, ',', "user_group", u.UserGroup)
		b = appendKeyString(b, ',', "type", u.Type)
		return append(b, '}')
	})
	b = appendKeyString(b, ',', "product_id", d.ProductID)
	b = append(b, `,"root_volume":`...)
	b = appendVolume(b, &d.RootVolume)
	b = appendArray(b, `,"data_volumes":`, d.DataVolumes, appendVolume)
	b = appendKeyString(b, ',', "user_group", d.UserGroup)
	b = appendKeyString(b, ',', "availability_zone", d.AvailabilityZone)
	b = appendKeyString(b, ',', "site_type", d.SiteType)
	b = appendKeyString(b, ',', "site_name", d.SiteName)
	p := &d.Product
	b = append(b, `,"product":`...)
	b = appendKeyString(b, '{', "product_id", p.ProductID)
	b = appendKeyString(b, ',', "flavor_id", p.FlavorID)
	b = appendKeyString(b, ',', "type", p.Type)
	b = appendKeyString(b, ',', "cpu", p.CPU)
	b = appendKeyString(b, ',', "memory", p.Memory)
	b = appendKeyString(b, ',', "descriptions", p.Descriptions)
	b = appendKeyString(b, ',', "charge_mode", p.ChargeMode)
	b = appendKeyString(b, ',', "architecture", p.Architecture)
	b = appendKeyBool(b, "is_gpu", p.IsGPU)
	b = appendKeyString(b, ',', "package_type", p.PackageType)
	b = appendKeyString(b, ',', "system_disk_type", p.SystemDiskType)
	b = appendKeyString(b, ',', "system_disk_size", p.SystemDiskSize)
	b = appendKeyBool(b, "contain_data_disk", p.ContainDataDisk)
	b = appendKeyString(b, ',', "resource_type", p.ResourceType)
	b = appendKeyString(b, ',', "cloud_service_type", p.CloudServiceType)
	b = appendKeyString(b, ',', "volume_product_type", p.VolumeProductType)
	b = appendKeyString(b, ',', "status", p.Status)
	b = append(b, '}')
	b = appendKeyString(b, ',', "os_version", d.OSVersion)
	b = appendKeyString(b, ',', "sid", d.SID)
	b = appendArray(b, `,"tags":`, d.Tags, func(b []byte, t *Tag) []byte {
		b = appendKeyString(b, '{', "key", t.Key)
		b = appendKeyString(b, ',', "value", t.Value)
		return append(b, '}')
	})
	b = appendKeyBool(b, "is_support_internet", d.IsSupportInternet)
	if d.InternetMode != "" {
		b = appendKeyString(b, ',', "internet_mode", d.InternetMode)
	}
	b = appendKeyStrings(b, "internet_mode_list", d.InternetModeList)
	b = appendKeyBool(b, "is_attaching_eip", d.IsAttachingEIP)
	b = appendKeyString(b, ',', "attach_state", d.AttachState)
	b = appendKeyString(b, ',', "enterprise_project_id", d.EnterpriseProjectID)
	b = appendKeyString(b, ',', "subnet_id", d.SubnetID)
	b = appendKeyString(b, ',', "bill_resource_id", d.BillResourceID)
	b = append(b, `,"process":`...)
	if d.Process == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*d.Process), 10)
	}
	if d.PoolID != "" {
		b = appendKeyString(b, ',', "pool_id", d.PoolID)
	}
	return append(b, '}')
}

func appendVolume(b []byte, v *Volume) []byte {
	b = appendKeyString(b, '{', "type", v.Type)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, int64(v.Size), 10)
	b = appendKeyString(b, ',', "device", v.Device)
	b = appendKeyString(b, ',', "id", v.ID)
	b = appendKeyString(b, ',', "volume_id", v.VolumeID)
	b = appendKeyString(b, ',', "bill_resource_id", v.BillResourceID)
	b = appendKeyString(b, ',', "create_time", v.CreateTime)
	b = appendKeyString(b, ',', "display_name", v.DisplayName)
	b = appendKeyString(b, ',', "resource_spec_code", v.ResourceSpecCode)
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

func appendKeyStrings(b []byte, key string, vs []string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':', '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
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

// appendArray appends prefix, then the items as a JSON array.
func appendArray[T any](b []byte, prefix string, items []T, each func([]byte, *T) []byte) []byte {
	b = append(b, prefix...)
	b = append(b, '[')
	for i := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = each(b, &items[i])
	}
	return append(b, ']')
}
