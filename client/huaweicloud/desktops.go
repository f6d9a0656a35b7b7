package huaweicloud

import (
	"bytes"
	"context"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
)

// OpListDesktopsDetail is the operation name of GET /v2/{project_id}/desktops/detail
// (API reference §4.3.8), used in errors and request accounting.
const OpListDesktopsDetail = "ListDesktopsDetail"

// Paging of §4.3.8: offset from 0, limit 1..500, the total in total_count.
const (
	desktopsListKey  = "desktops"
	desktopsTotalKey = "total_count"
	desktopsMaxLimit = 500
)

// Desktop is one desktop of §4.3.8's DesktopDetailInfo, reduced to what the
// exporter uses. Enum fields keep whatever value the API sent.
type Desktop struct {
	ID           string
	ComputerName string
	OSHostName   string
	// UserName is user_name, or the first attached user when user_name is
	// absent (seed 003's example has none).
	UserName     string
	DesktopType  string // DEDICATED, POOLED, …
	ResourceType string // DEDICATED_DESKTOP, POOLED_DESKTOP, …
	// PoolID is not documented in §4.3.8's response; it is read from
	// pool_id or desktop_pool_id when the API sends one.
	PoolID           string
	Status           string // ACTIVE, SHUTOFF, ERROR, HIBERNATED, …
	LoginStatus      string // UNREGISTER, REGISTERED, CONNECTED, DISCONNECTED, …
	TaskStatus       string // "" when no task runs
	TaskProgress     int    // 0..100; valid when HasTaskProgress
	HasTaskProgress  bool
	AvailabilityZone string
	SiteType         string
	SiteName         string
	ProductID        string
	OSType           string // metadata.os_type: Windows, Linux, Others
	OSVersion        string
	ChargingMode     string // metadata.charging_mode: "1" yearly/monthly, "0" pay-per-use
	InMaintenance    bool
	AttachState      string
	Created          time.Time
	IPAddresses      []string
	Addresses        []Address
}

type rawDesktop struct {
	DesktopID       flexString `json:"desktop_id"`
	ComputerName    flexString `json:"computer_name"`
	OSHostName      flexString `json:"os_host_name"`
	UserName        flexString `json:"user_name"`
	AttachUserInfos []struct {
		UserName flexString `json:"user_name"`
	} `json:"attach_user_infos"`
	DesktopType      flexString `json:"desktop_type"`
	ResourceType     flexString `json:"resource_type"`
	PoolID           flexString `json:"pool_id"`
	DesktopPoolID    flexString `json:"desktop_pool_id"`
	Status           flexString `json:"status"`
	LoginStatus      flexString `json:"login_status"`
	TaskStatus       flexString `json:"task_status"`
	Process          flexInt    `json:"process"`
	AvailabilityZone flexString `json:"availability_zone"`
	SiteType         flexString `json:"site_type"`
	SiteName         flexString `json:"site_name"`
	ProductID        flexString `json:"product_id"`
	Product          struct {
		ProductID flexString `json:"product_id"`
	} `json:"product"`
	Metadata          rawMetadata   `json:"metadata"`
	OSVersion         flexString    `json:"os_version"`
	InMaintenanceMode flexBool      `json:"in_maintenance_mode"`
	AttachState       flexString    `json:"attach_state"`
	Created           flexString    `json:"created"`
	IPAddresses       []flexString  `json:"ip_addresses"`
	Addresses         flexAddresses `json:"addresses"`
}

// desktop converts r, cleaning every string that can become a label value
// (secrets removed, length bounded, valid UTF-8).
func (r *rawDesktop) desktop(red *client.Redactor) Desktop {
	d := Desktop{
		ID:               string(r.DesktopID),
		ComputerName:     red.Label(string(r.ComputerName)),
		OSHostName:       red.Label(string(r.OSHostName)),
		UserName:         red.Label(string(r.UserName)),
		DesktopType:      red.Label(string(r.DesktopType)),
		ResourceType:     red.Label(string(r.ResourceType)),
		PoolID:           red.Label(string(r.PoolID)),
		Status:           red.Label(string(r.Status)),
		LoginStatus:      red.Label(string(r.LoginStatus)),
		TaskStatus:       red.Label(string(r.TaskStatus)),
		TaskProgress:     int(r.Process.Value),
		HasTaskProgress:  r.Process.Set,
		AvailabilityZone: red.Label(string(r.AvailabilityZone)),
		SiteType:         red.Label(string(r.SiteType)),
		SiteName:         red.Label(string(r.SiteName)),
		ProductID:        red.Label(string(r.ProductID)),
		OSType:           red.Label(string(r.Metadata.OSType)),
		OSVersion:        red.Label(string(r.OSVersion)),
		ChargingMode:     red.Label(string(r.Metadata.ChargingMode)),
		InMaintenance:    bool(r.InMaintenanceMode),
		AttachState:      red.Label(string(r.AttachState)),
		Created:          parseTime(string(r.Created)),
		Addresses:        r.Addresses,
	}
	if d.UserName == "" {
		for _, u := range r.AttachUserInfos {
			if u.UserName != "" {
				d.UserName = red.Label(string(u.UserName))
				break
			}
		}
	}
	if d.PoolID == "" {
		d.PoolID = red.Label(string(r.DesktopPoolID))
	}
	if d.ProductID == "" {
		d.ProductID = red.Label(string(r.Product.ProductID))
	}
	if d.OSVersion == "" {
		d.OSVersion = red.Label(string(r.Metadata.DesktopOSVersion))
	}
	if len(r.IPAddresses) > 0 {
		d.IPAddresses = make([]string, len(r.IPAddresses))
		for i, ip := range r.IPAddresses {
			d.IPAddresses[i] = red.Label(string(ip))
		}
	}
	return d
}

// rawMetadata holds the metadata keys the exporter reads; the others are
// skipped rather than decoded into a map.
type rawMetadata struct {
	OSType           flexString `json:"os_type"`
	ChargingMode     flexString `json:"charging_mode"`
	DesktopOSVersion flexString `json:"desktop_os_version"`
}

// decodeDesktop decodes one element of the desktops array.
func decodeDesktop(red *client.Redactor) client.ItemDecoder[Desktop] {
	return client.DecodeObject(func(r *rawDesktop) (Desktop, string) {
		d := r.desktop(red)
		return d, string(r.DesktopID)
	})
}

// DecodeDesktopsPage decodes one §4.3.8 response body with the same
// streaming decoder ListDesktops uses for every page (limit 500). It is
// exported for fixture tests and tools. Elements that are not desktops
// are skipped and counted in invalid.
func DecodeDesktopsPage(body []byte) (desktops []Desktop, total int64, totalKnown bool, invalid int, err error) {
	p, err := client.DecodePage(bytes.NewReader(body), OpListDesktopsDetail, desktopsListKey, desktopsTotalKey, desktopsMaxLimit, decodeDesktop(&client.Redactor{}))
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
	return client.WalkOffset(ctx, c.tr, client.OffsetList{
		Op:          c.operation(OpListDesktopsDetail, "/desktops/detail"),
		ListKey:     desktopsListKey,
		TotalKey:    desktopsTotalKey,
		Limit:       c.cfg.PageSize,
		MaxPages:    c.cfg.MaxPages,
		Concurrency: c.cfg.Concurrency,
	}, decodeDesktop(c.tr.Redactor()))
}
