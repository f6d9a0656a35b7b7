package huaweicloud

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// OpListDesktopsDetail is the operation name of GET /v2/{project_id}/desktops/detail
// (API reference §4.3.8), used in errors and request accounting.
const OpListDesktopsDetail = "ListDesktopsDetail"

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

func (r *rawDesktop) desktop() Desktop {
	d := Desktop{
		ID:               string(r.DesktopID),
		ComputerName:     string(r.ComputerName),
		OSHostName:       string(r.OSHostName),
		UserName:         string(r.UserName),
		DesktopType:      string(r.DesktopType),
		ResourceType:     string(r.ResourceType),
		PoolID:           string(r.PoolID),
		Status:           string(r.Status),
		LoginStatus:      string(r.LoginStatus),
		TaskStatus:       string(r.TaskStatus),
		TaskProgress:     int(r.Process.Value),
		HasTaskProgress:  r.Process.Set,
		AvailabilityZone: string(r.AvailabilityZone),
		SiteType:         string(r.SiteType),
		SiteName:         string(r.SiteName),
		ProductID:        string(r.ProductID),
		OSType:           string(r.Metadata.OSType),
		OSVersion:        string(r.OSVersion),
		ChargingMode:     string(r.Metadata.ChargingMode),
		InMaintenance:    bool(r.InMaintenanceMode),
		AttachState:      string(r.AttachState),
		Created:          parseTime(string(r.Created)),
		Addresses:        r.Addresses,
	}
	if d.UserName == "" {
		for _, u := range r.AttachUserInfos {
			if u.UserName != "" {
				d.UserName = string(u.UserName)
				break
			}
		}
	}
	if d.PoolID == "" {
		d.PoolID = string(r.DesktopPoolID)
	}
	if d.ProductID == "" {
		d.ProductID = string(r.Product.ProductID)
	}
	if d.OSVersion == "" {
		d.OSVersion = string(r.Metadata.DesktopOSVersion)
	}
	if len(r.IPAddresses) > 0 {
		d.IPAddresses = make([]string, len(r.IPAddresses))
		for i, ip := range r.IPAddresses {
			d.IPAddresses[i] = string(ip)
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

type desktopsPage struct {
	Desktops   []rawDesktop `json:"desktops"`
	TotalCount flexInt      `json:"total_count"`
}

// DecodeDesktopsPage decodes one §4.3.8 response body. It is exported for
// fixture tests and tools; ListDesktops uses it for every page.
func DecodeDesktopsPage(body []byte) (desktops []Desktop, total int64, totalKnown bool, err error) {
	var p desktopsPage
	if err := decodeJSON(body, &p); err != nil {
		return nil, 0, false, err
	}
	return p.convert(), p.TotalCount.Value, p.TotalCount.Set, nil
}

func (p *desktopsPage) convert() []Desktop {
	out := make([]Desktop, len(p.Desktops))
	for i := range p.Desktops {
		out[i] = p.Desktops[i].desktop()
	}
	return out
}

// ListStats describes one list walk.
type ListStats struct {
	Requests   int   // pages fetched (retries not counted)
	PageSize   int   // the limit finally used
	TotalCount int64 // the largest total_count seen, -1 when never sent
	Duplicates int   // desktops seen twice (moved between pages during the walk)
}

// page is one fetched page, decoded.
type page struct {
	desktops []Desktop
	total    int64
	hasTotal bool
}

func (c *Client) desktopsPage(ctx context.Context, offset, limit int) (page, error) {
	var p desktopsPage
	q := map[string]string{"offset": strconv.Itoa(offset), "limit": strconv.Itoa(limit)}
	if err := c.get(ctx, OpListDesktopsDetail, "/v2/"+c.cfg.ProjectID+"/desktops/detail", q, &p); err != nil {
		return page{}, err
	}
	return page{desktops: p.convert(), total: p.TotalCount.Value, hasTotal: p.TotalCount.Set}, nil
}

// ListDesktops walks GET /v2/{project_id}/desktops/detail and returns every
// desktop of the project, or an error: never a partial list.
//
// Paging: the first page gives total_count; when it is plausible the
// remaining pages are fetched concurrently (bounded by Concurrency), so a
// fleet of N desktops costs exactly ⌈N/limit⌉ requests. Several documented
// totals are placeholders (0, 2147483647, absent), so a walk also stops on
// a short page, and continues past total_count when the pages hold more
// desktops than it announced. A desktop seen twice (it moved between pages
// while the fleet changed) is kept once. On WKS.0509 (limit out of range)
// the page size is halved and the walk restarts.
func (c *Client) ListDesktops(ctx context.Context) ([]Desktop, ListStats, error) {
	limit := c.cfg.PageSize
	stats := ListStats{TotalCount: -1}
	var first page
	var err error
	for {
		first, err = c.desktopsPage(ctx, 0, limit)
		stats.Requests++
		var ae *APIError
		if err != nil && errors.As(err, &ae) && ae.Code == "WKS.0509" && limit > 1 {
			c.log.Warn("API refused the page size, halving it", "operation", OpListDesktopsDetail, "limit", limit)
			limit /= 2
			continue
		}
		break
	}
	stats.PageSize = limit
	if err != nil {
		return nil, stats, err
	}
	pages := []page{first}
	count := len(first.desktops)
	add := func(ps ...page) {
		for _, p := range ps {
			pages = append(pages, p)
			count += len(p.desktops)
			if p.hasTotal && p.total > stats.TotalCount {
				stats.TotalCount = p.total
			}
		}
	}
	if first.hasTotal {
		stats.TotalCount = first.total
	}
	next := limit
	if len(first.desktops) == limit {
		maxPlausible := int64(limit) * int64(c.cfg.MaxPages)
		if total := stats.TotalCount; total > int64(limit) && total <= maxPlausible {
			n := int((total + int64(limit) - 1) / int64(limit))
			rest, err := c.fetchPages(ctx, limit, 1, n)
			stats.Requests += n - 1
			if err != nil {
				return nil, stats, err
			}
			add(rest...)
			next = n * limit
		}
		// Walk on one page at a time while the last page is full, unless
		// a plausible total_count says the walk is complete and the pages
		// hold no more than it announced.
		for len(pages[len(pages)-1].desktops) == limit {
			if t := stats.TotalCount; t > 0 && t <= maxPlausible && int64(next) >= t && int64(count) <= t {
				break
			}
			if len(pages) >= c.cfg.MaxPages {
				return nil, stats, fmt.Errorf("%s: more than %d pages of %d; the API may ignore offset (raise api.max_pages if the fleet is that large)", OpListDesktopsDetail, c.cfg.MaxPages, limit)
			}
			p, err := c.desktopsPage(ctx, next, limit)
			stats.Requests++
			if err != nil {
				return nil, stats, fmt.Errorf("%w (at offset %d)", err, next)
			}
			add(p)
			next += limit
		}
	}
	out := make([]Desktop, 0, count)
	seen := make(map[string]struct{}, cap(out))
	for _, p := range pages {
		for _, d := range p.desktops {
			if d.ID != "" {
				if _, dup := seen[d.ID]; dup {
					stats.Duplicates++
					continue
				}
				seen[d.ID] = struct{}{}
			}
			out = append(out, d)
		}
	}
	return out, stats, nil
}

// fetchPages fetches pages [from, to) concurrently and returns them in
// order. The first failure cancels the rest.
func (c *Client) fetchPages(ctx context.Context, limit, from, to int) ([]page, error) {
	out := make([]page, to-from)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.cfg.Concurrency)
	var mu sync.Mutex
	var firstErr error
	for i := from; i < to; i++ {
		g.Go(func() error {
			p, err := c.desktopsPage(gctx, i*limit, limit)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("%w (at offset %d)", err, i*limit)
				}
				mu.Unlock()
				return err
			}
			out[i-from] = p
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, firstErr
	}
	return out, nil
}
