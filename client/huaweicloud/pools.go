package huaweicloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The pools domain: the desktop pool list (§4.4.2), one pool's details
// (§4.4.5) and the users and groups authorized to use a pool (§4.4.13).
// It implements model.PoolReader.

// Operation names of the pools domain (see hwspec).
const (
	OpListDesktopPools                 = hwspec.OpListDesktopPools
	OpShowDesktopPool                  = hwspec.OpShowDesktopPool
	OpListDesktopPoolAuthorizedObjects = hwspec.OpListDesktopPoolAuthorizedObjects
)

// Paging of §4.4.2 (003 L11771, L11792-11793) and §4.4.13 (L13681-13682,
// L13700-13701).
const (
	poolsListKey      = "desktop_pools"
	poolsTotalKey     = "total_count"
	poolsMaxLimit     = 1000
	poolAuthListKey   = "objects"
	poolAuthTotalKey  = "total_count"
	poolAuthMaxLimit  = 100
	maxPoolDetailBody = 1 << 20 // one pool object is a few KB
)

// poolIDRe is the shape of a pool ID that may go into a request path
// (§4.4.5, §4.4.13): the documentation's IDs are UUIDs. Anything else
// ("..", a 200-byte string, a space) never reaches a URL: the pool is an
// invalid list element.
var poolIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// rawPool holds the raw JSON values of the members of one
// SimpleDesktopPoolInfo (§4.4.2 Table 4-707) that the exporter reads. Of a
// repeated member the last wins.
type rawPool struct {
	id, name, typ, status, zone, osType, chargingMode, created []byte
	productID                                                  []byte
	count, used, maintenance, retention, autoscale             []byte
	hasPolicy                                                  bool
	asType, maxAuto, minIdle, onceAuto                         []byte
}

// decodePoolJSON decodes one pool object: ok is false when the value is
// not an object. Members of unexpected types are absent; unknown members
// are skipped.
func decodePoolJSON(s *client.JSONScanner, red *client.Redactor) (model.Pool, bool) {
	if !s.EnterObject() {
		s.Skip()
		return model.Pool{}, false
	}
	var r rawPool
	var kb [64]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		switch string(client.JSONFieldKey(kb[:0], key)) {
		case "id":
			r.id = s.Raw()
		case "name":
			r.name = s.Raw()
		case "type":
			r.typ = s.Raw()
		case "status":
			r.status = s.Raw()
		case "availability_zone":
			r.zone = s.Raw()
		case "image_os_type":
			r.osType = s.Raw()
		case "charging_mode":
			r.chargingMode = s.Raw()
		case "created_time":
			r.created = s.Raw()
		case "desktop_count":
			r.count = s.Raw()
		case "desktop_used":
			r.used = s.Raw()
		case "in_maintenance_mode":
			r.maintenance = s.Raw()
		case "disconnected_retention_period":
			r.retention = s.Raw()
		case "enable_autoscale":
			r.autoscale = s.Raw()
		case "product":
			s.Members(func(k []byte) bool {
				if string(k) == "product_id" {
					r.productID = s.Raw()
					return true
				}
				return false
			})
		case "autoscale_policy":
			// null or another type: no policy
			r.hasPolicy = s.Members(func(k []byte) bool {
				switch string(k) {
				case "autoscale_type":
					r.asType = s.Raw()
				case "max_auto_created":
					r.maxAuto = s.Raw()
				case "min_idle":
					r.minIdle = s.Raw()
				case "once_auto_created":
					r.onceAuto = s.Raw()
				default:
					return false
				}
				return true
			})
		default:
			s.Skip()
		}
	}
	return r.pool(red), true
}

// poolString reads a member that must be a string: anything else (a
// number, an object, null) is absent.
func poolString(raw []byte) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	return rawString(raw)
}

// poolCount reads a count: a JSON integer or numeric string, 0..2^53.
// Anything else (negative, a fraction, null, another type) is absent.
func poolCount(raw []byte) (int64, bool) {
	v, ok := usageCount(raw)
	if !ok || v < 0 {
		return 0, false
	}
	return v, true
}

// poolBool reads true or false (or the strings "true" and "false"); anything
// else is absent.
func poolBool(raw []byte) (v, ok bool) {
	switch string(bytes.Trim(raw, `"`)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// maxRetentionMinutes bounds disconnected_retention_period: a larger value
// (more than a year) is not a retention period.
const maxRetentionMinutes = 366 * 24 * 60

// pool converts r, cleaning every string that can become a label value.
func (r *rawPool) pool(red *client.Redactor) model.Pool {
	p := model.Pool{
		ID:               poolString(r.id),
		Name:             red.Label(poolString(r.name)),
		Type:             red.Label(poolString(r.typ)),
		Status:           red.Label(poolString(r.status)),
		AvailabilityZone: red.Label(poolString(r.zone)),
		ProductID:        red.Label(poolString(r.productID)),
		ImageOSType:      red.Label(poolString(r.osType)),
		ChargingMode:     red.Label(rawString(r.chargingMode)),
		Created:          parseTime(red.Bounded(poolString(r.created), 64)),
	}
	p.DesktopCount, p.HasDesktopCount = poolCount(r.count)
	p.DesktopUsed, p.HasDesktopUsed = poolCount(r.used)
	p.InMaintenance, p.HasInMaintenance = poolBool(r.maintenance)
	if m, ok := poolCount(r.retention); ok && m <= maxRetentionMinutes {
		p.DisconnectedRetention, p.HasDisconnectedRetention = time.Duration(m)*time.Minute, true
	}
	p.AutoscaleEnabled, p.HasAutoscaleEnabled = poolBool(r.autoscale)
	if r.hasPolicy {
		p.AutoscaleType = red.Label(poolString(r.asType))
		p.MinIdle, p.HasMinIdle = poolCount(r.minIdle)
		p.MaxAutoCreated, p.HasMaxAutoCreated = poolCount(r.maxAuto)
		p.OnceAutoCreated, p.HasOnceAutoCreated = poolCount(r.onceAuto)
	}
	return p
}

// decodePool decodes one element of desktop_pools. A pool whose ID is not
// a safe path segment (poolIDRe) is invalid.
func decodePool(red *client.Redactor) client.RawItemDecoder[model.Pool] {
	return func(s *client.JSONScanner) (model.Pool, string, bool, error) {
		p, ok := decodePoolJSON(s, red)
		if !ok || !poolIDRe.MatchString(p.ID) {
			return model.Pool{}, "", false, nil
		}
		return p, p.ID, true, nil
	}
}

// PoolsPage is one decoded page of §4.4.2 or §4.4.13.
type PoolsPage[T any] struct {
	Items []T
	// Total is total_count, when TotalKnown.
	Total      int64
	TotalKnown bool
	// Invalid are elements skipped (not objects, or without a valid ID).
	Invalid int
}

// DecodePoolsPage decodes one §4.4.2 response body with the decoder
// ListPools uses (limit 1000).
func DecodePoolsPage(body []byte) (PoolsPage[model.Pool], error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListDesktopPools, poolsListKey, poolsTotalKey, poolsMaxLimit, decodePool(&client.Redactor{}))
	if err != nil {
		return PoolsPage[model.Pool]{}, err
	}
	return PoolsPage[model.Pool]{Items: p.Items, Total: p.Total, TotalKnown: p.HasTotal, Invalid: p.Invalid}, nil
}

// ListPools implements model.PoolReader: it walks GET
// /v2/{project_id}/desktop-pools (§4.4.2) and returns every pool, or an
// error. Entries may lack desktop_count, desktop_used and status (the
// documentation's example does, 003 L11941-12015): see model.Pool.Complete
// and ShowPool.
func (c *Client) ListPools(ctx context.Context) ([]model.Pool, model.ListStats, error) {
	return client.WalkOffsetRaw(ctx, c.tr, client.OffsetList{
		Op:          c.operation(OpListDesktopPools),
		ListKey:     poolsListKey,
		TotalKey:    poolsTotalKey,
		Limit:       c.limit(OpListDesktopPools),
		MaxPages:    c.cfg.MaxPages,
		Concurrency: c.cfg.Concurrency,
	}, decodePool(c.tr.Redactor()))
}

// poolOperation is the Operation of a per-pool row, its path filled in
// with the project and the pool.
func (c *Client) poolOperation(name, poolID string) (client.Operation, error) {
	if !poolIDRe.MatchString(poolID) {
		return client.Operation{}, fmt.Errorf("%s: %q is not a desktop pool ID", name, c.tr.Redactor().Bounded(poolID, 64))
	}
	row := Spec.Operation(name)
	path, err := client.Expand(row.Path, map[string]string{"project_id": c.cfg.ProjectID, "pool_id": poolID})
	if err != nil {
		return client.Operation{}, fmt.Errorf("%s: %w", name, err)
	}
	return client.Operation{Name: name, Method: row.Method, Path: path}, nil
}

// poolNotFound wraps err with model.ErrPoolNotFound when the API says the
// pool does not exist: HTTP 404, or a not-found code of the error table
// (digest §0.5: WKS.0010, WKS.00010031, WKS.0568).
func poolNotFound(err error) error {
	var ae *client.APIError
	if !errors.As(err, &ae) {
		return err
	}
	switch {
	case ae.Status == 404, ae.Code == "WKS.0010", ae.Code == "WKS.00010031", ae.Code == "WKS.0568":
		return fmt.Errorf("%w: %w", model.ErrPoolNotFound, err)
	}
	return err
}

// DecodePool decodes one §4.4.5 response body: one pool object. It fails
// when the body is over 1 MiB, not an object, or the pool has no valid ID.
func DecodePool(body []byte) (model.Pool, error) {
	return decodePoolBody(bytes.NewReader(body), &client.Redactor{})
}

func decodePoolBody(body io.Reader, red *client.Redactor) (model.Pool, error) {
	b, err := io.ReadAll(io.LimitReader(body, maxPoolDetailBody+1))
	if err != nil {
		return model.Pool{}, err
	}
	invalid := func(problem string) error {
		return &client.InvalidResponseError{Operation: OpShowDesktopPool, Problem: problem}
	}
	if len(b) > maxPoolDetailBody {
		return model.Pool{}, invalid(fmt.Sprintf("the body is over %d bytes, larger than any pool", maxPoolDetailBody))
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return model.Pool{}, errors.New("empty body")
	}
	if !json.Valid(b) {
		var v any
		return model.Pool{}, fmt.Errorf("invalid JSON: %v", json.Unmarshal(b, &v))
	}
	var s client.JSONScanner
	s.Reset(b)
	if s.Kind() != client.JSONObject {
		return model.Pool{}, invalid("the body is " + kindName(s.Kind()) + ", not a JSON object")
	}
	p, _ := decodePoolJSON(&s, red)
	if !poolIDRe.MatchString(p.ID) {
		return model.Pool{}, invalid("the pool has no valid id")
	}
	return p, nil
}

// ShowPool implements model.PoolReader: GET
// /v2/{project_id}/desktop-pools/{pool_id} (§4.4.5). An answer about
// another pool is an invalid response.
func (c *Client) ShowPool(ctx context.Context, id string) (model.Pool, error) {
	op, err := c.poolOperation(OpShowDesktopPool, id)
	if err != nil {
		return model.Pool{}, err
	}
	var p model.Pool
	err = c.tr.Do(ctx, op, nil, func(r io.Reader) error {
		var err error
		p, err = decodePoolBody(r, c.tr.Redactor())
		if err == nil && p.ID != id {
			err = &client.InvalidResponseError{Operation: OpShowDesktopPool, Problem: "the answer is about another pool"}
		}
		return err
	})
	if err != nil {
		return model.Pool{}, poolNotFound(err)
	}
	return p, nil
}

// decodeAuthorizedObject decodes one AuthorizedObjects element of §4.4.13
// (003 Table 4-825): its object_type (the item) and object_id; the item's
// ID is both, since a user and a group could share an ID. An element
// without a valid object_id is invalid.
func decodeAuthorizedObject(red *client.Redactor) client.RawItemDecoder[string] {
	return func(s *client.JSONScanner) (string, string, bool, error) {
		if !s.EnterObject() {
			s.Skip()
			return "", "", false, nil
		}
		var typ, id []byte
		var kb [32]byte
		for {
			key, ok := s.NextKey()
			if !ok {
				break
			}
			switch string(client.JSONFieldKey(kb[:0], key)) {
			case "object_type":
				typ = s.Raw()
			case "object_id":
				id = s.Raw()
			default:
				s.Skip()
			}
		}
		oid := poolString(id)
		if !client.ValidID(oid) {
			return "", "", false, nil
		}
		t := red.Label(poolString(typ))
		return t, t + " " + oid, true, nil
	}
}

// DecodePoolAuthorizedObjectsPage decodes one §4.4.13 response body with
// the decoder PoolAuthorizations uses (limit 100): the object types.
func DecodePoolAuthorizedObjectsPage(body []byte) (PoolsPage[string], error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListDesktopPoolAuthorizedObjects, poolAuthListKey, poolAuthTotalKey, poolAuthMaxLimit, decodeAuthorizedObject(&client.Redactor{}))
	if err != nil {
		return PoolsPage[string]{}, err
	}
	return PoolsPage[string]{Items: p.Items, Total: p.Total, TotalKnown: p.HasTotal, Invalid: p.Invalid}, nil
}

// countPoolAuthorizations counts object types: every documented one is a
// key (0 when none), and at most model.MaxPoolAuthorizationTypes keys in
// all; the objects of further undocumented types are left out and counted
// in dropped.
func countPoolAuthorizations(types []string) (m map[string]int64, dropped int) {
	m = map[string]int64{}
	for _, t := range Spec.Enums[model.FieldPoolAuthorizedObjectType] {
		m[t] = 0
	}
	for _, t := range types {
		if _, ok := m[t]; !ok && len(m) >= model.MaxPoolAuthorizationTypes {
			dropped++
			continue
		}
		m[t]++
	}
	return m, dropped
}

// PoolAuthorizations implements model.PoolReader: it walks GET
// /v2/{project_id}/desktop-pools/{pool_id}/users (§4.4.13, limit 100)
// and counts the authorized objects by object_type.
func (c *Client) PoolAuthorizations(ctx context.Context, id string) (map[string]int64, model.ListStats, error) {
	op, err := c.poolOperation(OpListDesktopPoolAuthorizedObjects, id)
	if err != nil {
		return nil, model.ListStats{Total: -1}, err
	}
	types, stats, err := client.WalkOffsetRaw(ctx, c.tr, client.OffsetList{
		Op:          op,
		ListKey:     poolAuthListKey,
		TotalKey:    poolAuthTotalKey,
		Limit:       c.limit(OpListDesktopPoolAuthorizedObjects),
		MaxPages:    c.cfg.MaxPages,
		Concurrency: c.cfg.Concurrency,
	}, decodeAuthorizedObject(c.tr.Redactor()))
	if err != nil {
		return nil, stats, poolNotFound(err)
	}
	m, dropped := countPoolAuthorizations(types)
	if dropped > 0 {
		c.tr.Logger().Warn("a desktop pool's authorized objects have more undocumented types than are kept; those objects are not counted",
			"operation", OpListDesktopPoolAuthorizedObjects, "kept_types", model.MaxPoolAuthorizationTypes, "objects_left_out", dropped)
	}
	return m, stats, nil
}

var _ model.PoolReader = (*Client)(nil)
