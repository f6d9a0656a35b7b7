package huaweicloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The service domain (model.ServiceReader) reads four operations, none
// of them paged:
//
//   - ListWorkspaces, GET /v2/{project_id}/workspaces (API reference
//     §4.2.7, seed 003 L3709-4032): the service's status, access_status,
//     config_status, subscription job and progress, the directory's
//     LDAPS certificate, and per site its state (site_configs).
//   - ShowWorkspaceLock, GET /v2/{project_id}/workspaces/lock-status
//     (§4.2.12, L4783-4909): is_lock 0/1, lock_time, lock_reason.
//   - ListSiteConfigs, GET /v2/{project_id}/sites (§4.2.1, L2758-2908):
//     the sites and their (undocumented) status.
//   - ListWksEdgeSites, GET /v2/{project_id}/wks-edge-sites (§4.2.6,
//     L3527-3708): the edge sites, their deployment status and the
//     service status at each.
const (
	OpListWorkspaces    = hwspec.OpListWorkspaces
	OpShowWorkspaceLock = hwspec.OpShowWorkspaceLock
	OpListSiteConfigs   = hwspec.OpListSiteConfigs
	OpListWksEdgeSites  = hwspec.OpListWksEdgeSites
)

// Bounds of the single-object answers: §4.2.7 is a few kilobytes plus
// about 2 KiB per site configuration (at most model.MaxServiceSites);
// §4.2.12 holds three members.
const (
	maxWorkspaceBody = 4 << 20
	maxLockBody      = 1 << 20
)

// readServiceObject reads a single-object body of op, at most limit bytes,
// and returns a scanner entered into the object. A body over the limit or
// that is not an object is an *client.InvalidResponseError; an empty body
// or broken JSON a plain error (retried by the transport).
func readServiceObject(body io.Reader, op string, limit int) (*client.JSONScanner, error) {
	b, err := io.ReadAll(io.LimitReader(body, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, &client.InvalidResponseError{Operation: op, Problem: fmt.Sprintf("the body is larger than %d bytes", limit)}
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, errors.New("empty body")
	}
	if !json.Valid(b) {
		return nil, errors.New("invalid JSON")
	}
	s := new(client.JSONScanner)
	s.Reset(b)
	if !s.EnterObject() {
		return nil, &client.InvalidResponseError{Operation: op, Problem: fmt.Sprintf("the body is %s, not a JSON object", describeRaw(b))}
	}
	return s, nil
}

// decodeWorkspace reads one §4.2.7 body. Every member is optional (the
// example, L3958-4017, omits site_configs, job_id and fail_*); unknown
// members and members of an unexpected type read as absent, except
// site_configs: a value other than a list or null, or more than
// model.MaxServiceSites elements, is an *client.InvalidResponseError.
// Of a repeated member the last wins.
func decodeWorkspace(body io.Reader, red *client.Redactor) (model.Service, error) {
	s, err := readServiceObject(body, OpListWorkspaces, maxWorkspaceBody)
	if err != nil {
		return model.Service{}, err
	}
	var (
		w                                             model.Service
		id, status, access, config, mode, job, reason []byte
		progress, failCode                            []byte
		domainType, useLDAPS, certStart, certEnd      []byte
	)
	var kb [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		switch string(client.JSONFieldKey(kb[:0], key)) {
		case "id":
			id = s.Raw()
		case "status":
			status = s.Raw()
		case "access_status":
			access = s.Raw()
		case "config_status":
			config = s.Raw()
		case "access_mode":
			mode = s.Raw()
		case "job_id":
			job = s.Raw()
		case "fail_reason":
			reason = s.Raw()
		case "fail_code":
			failCode = s.Raw()
		case "progress":
			progress = s.Raw()
		case "ad_domains":
			// A repeated ad_domains replaces the earlier one.
			domainType, useLDAPS, certStart, certEnd = nil, nil, nil, nil
			readADDomains(s, &domainType, &useLDAPS, &certStart, &certEnd)
		case "site_configs":
			sites, invalid, err := readSiteConfigs(s, red)
			if err != nil {
				return model.Service{}, err
			}
			w.Sites, w.InvalidSites = sites, invalid
		default:
			s.Skip()
		}
	}
	w.ID = red.Label(rawString(id))
	w.Status = red.Label(rawString(status))
	w.AccessStatus = red.Label(rawString(access))
	w.ConfigStatus = red.Label(rawString(config))
	w.AccessMode = red.Label(rawString(mode))
	w.JobID = red.Label(rawString(job))
	w.FailReason = red.Message(rawString(reason))
	w.FailCode, w.HasFailCode = rawInt(failCode)
	w.DomainType = red.Label(rawString(domainType))
	if len(useLDAPS) > 0 && useLDAPS[0] != 'n' && useLDAPS[0] != '{' && useLDAPS[0] != '[' {
		w.UseLDAPS, w.HasUseLDAPS = rawBool(useLDAPS), true
	}
	w.CertStart = parseTime(rawString(certStart))
	if text := rawString(certEnd); text != "" {
		if w.CertEnd = parseTime(text); w.CertEnd.IsZero() {
			w.CertEndText = red.Label(text)
		}
	}
	if text := rawString(progress); text != "" {
		if p, ok := parseProgress(text); ok {
			w.Progress, w.HasProgress = p, true
		} else {
			w.ProgressText = red.Label(text)
		}
	}
	return w, nil
}

// readADDomains reads §4.2.7's AdInfo (Table 4-215): domain_type,
// use_ldaps and tls_config's certificate times (Table 4-216). A value
// that is not an object reads as absent.
func readADDomains(s *client.JSONScanner, domainType, useLDAPS, certStart, certEnd *[]byte) {
	if !s.EnterObject() {
		s.Skip()
		return
	}
	var kb [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			return
		}
		switch string(client.JSONFieldKey(kb[:0], key)) {
		case "domain_type":
			*domainType = s.Raw()
		case "use_ldaps":
			*useLDAPS = s.Raw()
		case "tls_config":
			*certStart, *certEnd = nil, nil
			if !s.EnterObject() {
				s.Skip()
				continue
			}
			for {
				k, ok := s.NextKey()
				if !ok {
					break
				}
				switch string(client.JSONFieldKey(kb[:0], k)) {
				case "cert_start_time":
					*certStart = s.Raw()
				case "cert_end_time":
					*certEnd = s.Raw()
				default:
					s.Skip()
				}
			}
		default:
			s.Skip()
		}
	}
}

// readSiteConfigs reads §4.2.7's site_configs (Table 4-218): null reads as
// none; another value than a list, or a list of more than
// model.MaxServiceSites elements, is an *client.InvalidResponseError.
// Elements that are not objects or lack a valid site_id are skipped and
// counted; of a repeated site_id the last wins, at the first one's place.
func readSiteConfigs(s *client.JSONScanner, red *client.Redactor) ([]model.ServiceSiteConfig, int, error) {
	switch s.Kind() {
	case client.JSONNull:
		s.Skip()
		return nil, 0, nil
	case client.JSONArray:
	default:
		return nil, 0, &client.InvalidResponseError{Operation: OpListWorkspaces,
			Problem: fmt.Sprintf("%q is %s, not a list", "site_configs", describeRaw(s.Raw()))}
	}
	s.EnterArray()
	var (
		out     []model.ServiceSiteConfig
		invalid int
		n       int
	)
	index := map[string]int{}
	for s.NextElement() {
		n++
		if n > model.MaxServiceSites {
			return nil, 0, &client.InvalidResponseError{Operation: OpListWorkspaces,
				Problem: fmt.Sprintf("%q holds more than %d sites, the most the exporter reads", "site_configs", model.MaxServiceSites)}
		}
		var id, name, typ, status, access, config []byte
		if !s.Members(func(k []byte) bool {
			switch string(k) {
			case "site_id":
				id = s.Raw()
			case "site_name":
				name = s.Raw()
			case "site_type":
				typ = s.Raw()
			case "status":
				status = s.Raw()
			case "access_status":
				access = s.Raw()
			case "config_status":
				config = s.Raw()
			default:
				return false
			}
			return true
		}) {
			invalid++
			continue
		}
		sc := model.ServiceSiteConfig{
			SiteID:       red.Label(rawString(id)),
			SiteName:     red.Label(rawString(name)),
			SiteType:     red.Label(rawString(typ)),
			Status:       red.Label(rawString(status)),
			AccessStatus: red.Label(rawString(access)),
			ConfigStatus: red.Label(rawString(config)),
		}
		if !client.ValidID(sc.SiteID) {
			invalid++
			continue
		}
		if i, dup := index[sc.SiteID]; dup {
			out[i] = sc
			continue
		}
		index[sc.SiteID] = len(out)
		out = append(out, sc)
	}
	if out == nil {
		out = []model.ServiceSiteConfig{}
	}
	return out, invalid, nil
}

// parseProgress reads §4.2.7's progress, "a percentage, for example,
// 100%" (L3780): a number of percent, with or without the sign, as a
// string or a JSON number, in 0..100. It returns the fraction 0..1.
func parseProgress(text string) (float64, bool) {
	t := strings.TrimSpace(text)
	t = strings.TrimSpace(strings.TrimSuffix(t, "%"))
	if t == "" || len(t) > 32 {
		return 0, false
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 100 {
		return 0, false
	}
	return f / 100, true
}

// DecodeWorkspace decodes one §4.2.7 response body as Service does. It
// is exported for fixture tests and tools.
func DecodeWorkspace(body []byte) (model.Service, error) {
	return decodeWorkspace(bytes.NewReader(body), &client.Redactor{})
}

// Service reads GET /v2/{project_id}/workspaces (§4.2.7).
func (c *Client) Service(ctx context.Context) (model.Service, error) {
	var w model.Service
	err := c.tr.Do(ctx, c.operation(OpListWorkspaces), nil, func(body io.Reader) error {
		var err error
		w, err = decodeWorkspace(body, c.tr.Redactor())
		return err
	})
	if err != nil {
		return model.Service{}, err
	}
	if w.InvalidSites > 0 {
		c.observeServiceInvalid(OpListWorkspaces, w.InvalidSites)
	}
	return w, nil
}

// observeInvalid counts and logs list elements skipped.
func (c *Client) observeServiceInvalid(op string, n int) {
	if c.cfg.Observer != nil {
		c.cfg.Observer.ObserveInvalidItems(op, n)
	}
	c.tr.Logger().Warn("skipped list elements that are not objects or have no valid ID", "operation", op, "skipped", n)
}

// decodeWorkspaceLock reads one §4.2.12 body. is_lock (Integer, Table
// 4-274, L4823) is required: absent, null or not a number (a numeric
// string and a boolean are read as their number) it is an
// *client.InvalidResponseError, since the answer then says nothing.
// lock_time (yyyy-MM-dd HH:mm:ss, UTC, L4824) and lock_reason are
// optional.
func decodeWorkspaceLock(body io.Reader, red *client.Redactor) (model.ServiceLock, error) {
	s, err := readServiceObject(body, OpShowWorkspaceLock, maxLockBody)
	if err != nil {
		return model.ServiceLock{}, err
	}
	var isLock, lockTime, reason []byte
	var kb [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		switch string(client.JSONFieldKey(kb[:0], key)) {
		case "is_lock":
			isLock = s.Raw()
		case "lock_time":
			lockTime = s.Raw()
		case "lock_reason":
			reason = s.Raw()
		default:
			s.Skip()
		}
	}
	invalid := func(format string, args ...any) error {
		return &client.InvalidResponseError{Operation: OpShowWorkspaceLock, Problem: fmt.Sprintf(format, args...)}
	}
	var l model.ServiceLock
	switch {
	case len(isLock) == 0:
		return l, invalid("%q is missing", "is_lock")
	case isLock[0] == 'n':
		return l, invalid("%q is null", "is_lock")
	case isLock[0] == 't':
		l.Value = 1
	case isLock[0] == 'f':
		l.Value = 0
	default:
		v, ok := rawInt(isLock)
		if !ok {
			return l, invalid("%q is not a number but %s", "is_lock", describeRaw(isLock))
		}
		l.Value = v
	}
	l.Locked = l.Value != 0
	l.Time = parseTime(rawString(lockTime))
	l.Reason = red.Message(rawString(reason))
	return l, nil
}

// DecodeWorkspaceLock decodes one §4.2.12 response body as ServiceLock
// does. It is exported for fixture tests and tools.
func DecodeWorkspaceLock(body []byte) (model.ServiceLock, error) {
	return decodeWorkspaceLock(bytes.NewReader(body), &client.Redactor{})
}

// ServiceLock reads GET /v2/{project_id}/workspaces/lock-status
// (§4.2.12).
func (c *Client) ServiceLock(ctx context.Context) (model.ServiceLock, error) {
	var l model.ServiceLock
	err := c.tr.Do(ctx, c.operation(OpShowWorkspaceLock), nil, func(body io.Reader) error {
		var err error
		l, err = decodeWorkspaceLock(body, c.tr.Redactor())
		return err
	})
	if err != nil {
		return model.ServiceLock{}, err
	}
	return l, nil
}

// decodeServiceSite decodes one §4.2.1 SiteInfo (Table 4-149): site_id,
// site_name, site_type, status. Elements that are not objects are
// skipped.
func decodeServiceSite(red *client.Redactor) client.RawItemDecoder[model.ServiceSite] {
	return func(s *client.JSONScanner) (model.ServiceSite, string, bool, error) {
		var id, name, typ, status []byte
		if !s.Members(func(k []byte) bool {
			switch string(k) {
			case "site_id":
				id = s.Raw()
			case "site_name":
				name = s.Raw()
			case "site_type":
				typ = s.Raw()
			case "status":
				status = s.Raw()
			default:
				return false
			}
			return true
		}) {
			return model.ServiceSite{}, "", false, nil
		}
		site := model.ServiceSite{
			ID:     red.Label(rawString(id)),
			Name:   red.Label(rawString(name)),
			Type:   red.Label(rawString(typ)),
			Status: red.Label(rawString(status)),
		}
		return site, site.ID, true, nil
	}
}

// decodeEdgeSite decodes one §4.2.6 WksEdgeSiteDetail (Table 4-204): id,
// name, availability_zone_id, status and site_info (Table 4-205: id,
// status). The usage rates are not read: their unit and scale are not
// documented (see collector/service.go).
func decodeEdgeSite(red *client.Redactor) client.RawItemDecoder[model.EdgeSite] {
	return func(s *client.JSONScanner) (model.EdgeSite, string, bool, error) {
		if !s.EnterObject() {
			return model.EdgeSite{}, "", false, nil
		}
		var id, name, az, status, siteID, siteStatus []byte
		var kb [32]byte
		for {
			key, ok := s.NextKey()
			if !ok {
				break
			}
			switch string(client.JSONFieldKey(kb[:0], key)) {
			case "id":
				id = s.Raw()
			case "name":
				name = s.Raw()
			case "availability_zone_id":
				az = s.Raw()
			case "status":
				status = s.Raw()
			case "site_info":
				siteID, siteStatus = nil, nil
				if !s.EnterObject() {
					s.Skip()
					continue
				}
				for {
					k, ok := s.NextKey()
					if !ok {
						break
					}
					switch string(client.JSONFieldKey(kb[:0], k)) {
					case "id":
						siteID = s.Raw()
					case "status":
						siteStatus = s.Raw()
					default:
						s.Skip()
					}
				}
			default:
				s.Skip()
			}
		}
		e := model.EdgeSite{
			ID:               red.Label(rawString(id)),
			Name:             red.Label(rawString(name)),
			AvailabilityZone: red.Label(rawString(az)),
			Status:           red.Label(rawString(status)),
			SiteID:           red.Label(rawString(siteID)),
			SiteStatus:       red.Label(rawString(siteStatus)),
		}
		return e, e.ID, true, nil
	}
}

// serviceList reads one unpaged list answer of op (§4.2.1, §4.2.6): at
// most model.MaxServiceSites elements, more is an
// *client.InvalidResponseError; a missing, null or mistyped list too.
func serviceList[T any](body io.Reader, op string, decode client.RawItemDecoder[T]) (client.Page[T], error) {
	row := Spec.Operation(op)
	p, err := client.DecodePageRaw(body, op, row.ListKey, row.TotalKey, model.MaxServiceSites, decode)
	var inv *client.InvalidResponseError
	if err != nil && p.Elements >= model.MaxServiceSites && errors.As(err, &inv) {
		inv.Problem = fmt.Sprintf("%q holds more than %d sites, the most the exporter reads", row.ListKey, model.MaxServiceSites)
	}
	return p, err
}

// DecodeSiteInfos decodes one §4.2.1 response body as ServiceSites does.
// It is exported for fixture tests and tools.
func DecodeSiteInfos(body []byte) (sites []model.ServiceSite, total int64, totalKnown bool, invalid int, err error) {
	p, err := serviceList(bytes.NewReader(body), OpListSiteConfigs, decodeServiceSite(&client.Redactor{}))
	if err != nil {
		return nil, 0, false, 0, err
	}
	return p.Items, p.Total, p.HasTotal, p.Invalid, nil
}

// DecodeWksEdgeSites decodes one §4.2.6 response body as EdgeSites does.
// It is exported for fixture tests and tools.
func DecodeWksEdgeSites(body []byte) (sites []model.EdgeSite, total int64, totalKnown bool, invalid int, err error) {
	p, err := serviceList(bytes.NewReader(body), OpListWksEdgeSites, decodeEdgeSite(&client.Redactor{}))
	if err != nil {
		return nil, 0, false, 0, err
	}
	return p.Items, p.Total, p.HasTotal, p.Invalid, nil
}

// readServiceList requests an unpaged list of op and decodes it. No
// paging parameter is sent: the API documents none. A total larger than
// the elements listed is logged (the answer may be cut short by a paging
// the documentation does not mention); a smaller one is the usual
// placeholder (§4.2.6's example: 0 beside one site).
func readServiceList[T any](ctx context.Context, c *Client, op string, decode client.RawItemDecoder[T]) ([]T, int, error) {
	var p client.Page[T]
	err := c.tr.Do(ctx, c.operation(op), nil, func(body io.Reader) error {
		var err error
		p, err = serviceList(body, op, decode)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	if p.Invalid > 0 {
		c.observeServiceInvalid(op, p.Invalid)
	}
	if p.HasTotal && p.Total > int64(p.Elements) {
		c.tr.Logger().Warn("the API announces more sites than it listed; only those listed are exported",
			"operation", op, "total", p.Total, "listed", p.Elements)
	}
	if p.Items == nil {
		p.Items = []T{}
	}
	return p.Items, p.Invalid, nil
}

// ServiceSites reads GET /v2/{project_id}/sites (§4.2.1), without filters.
func (c *Client) ServiceSites(ctx context.Context) ([]model.ServiceSite, int, error) {
	return readServiceList(ctx, c, OpListSiteConfigs, decodeServiceSite(c.tr.Redactor()))
}

// EdgeSites reads GET /v2/{project_id}/wks-edge-sites (§4.2.6), without
// filters.
func (c *Client) EdgeSites(ctx context.Context) ([]model.EdgeSite, int, error) {
	return readServiceList(ctx, c, OpListWksEdgeSites, decodeEdgeSite(c.tr.Redactor()))
}

var _ model.ServiceReader = (*Client)(nil)
