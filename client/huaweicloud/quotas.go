package huaweicloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The quotas domain: the tenant's quotas at the central site and per edge
// site (§4.25.1), and one site's quota details (§4.25.2). It implements
// model.QuotaReader.

// Operation names of the quotas domain (see hwspec).
const (
	OpListQuotas      = hwspec.OpListQuotas
	OpShowQuotaDetail = hwspec.OpShowQuotaDetail
)

// Bounds of a quota answer. A tenant has about ten quota types (003 Table
// 4-2824, L42942) and a few sites; an answer beyond these is not a quota
// answer and is refused rather than read without end.
const (
	maxQuotaResources = 256 // entries of one resources list
	maxQuotaSites     = 64  // elements of site_quotas
)

// quotaPlaceholder is the Integer maximum, 2147483647: §4.25.2's example
// (003 L43183-43184) shows it for both quota and used. As a quota it is
// read as "no limit"; as a use, as absent.
const quotaPlaceholder = math.MaxInt32

// quotaList is the raw outcome of reading one resources list.
type quotaList struct {
	resources []model.QuotaResource
	invalid   int
}

// quotaListProblem describes a list member that is not a list: nil when it
// is one. A nil raw value is an absent member.
func quotaListProblem(name string, raw []byte) error {
	switch {
	case raw == nil:
		return fmt.Errorf("%s is missing", name)
	case raw[0] == 'n':
		return fmt.Errorf("%s is null", name)
	case raw[0] != '[':
		var s client.JSONScanner
		s.Reset(raw)
		return fmt.Errorf("%s is not a list but %s", name, kindName(s.Kind()))
	}
	return nil
}

// quotaNumber reads quota or used: a JSON number or a numeric string,
// finite. Anything else (null, absent, another type, NaN, ±Inf, hex) is
// absent.
func quotaNumber(raw []byte) (float64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var s string
	switch raw[0] {
	case '"':
		s = strings.TrimSpace(client.JSONStringValue(raw[1 : len(raw)-1]))
		if s == "" || len(s) > 64 || strings.ContainsAny(s, "xXpP_") {
			return 0, false
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		s = string(raw)
	default:
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v + 0, true // -0 is 0
}

// decodeQuotaResource reads one ResourceNoLimit (003 Table 4-2824,
// L42940-42945): type, quota, used, unit. ok is false for an element that
// is not an object or whose type is not a usable label value (empty, too
// long, control characters). Of a repeated member the last wins; unknown
// members are skipped.
//
// The quota: a negative one (-1 is how quota APIs commonly say
// "unlimited"; the seed documents no sentinel) and the Integer maximum
// 2147483647 (§4.25.2's placeholder, L43183) are no limit (Unlimited). The
// use: a negative one or 2147483647 (L43184) is absent. A value that is
// not a finite number is absent.
func decodeQuotaResource(s *client.JSONScanner, red *client.Redactor) (model.QuotaResource, bool) {
	var r model.QuotaResource
	if !s.EnterObject() {
		s.Skip()
		return r, false
	}
	var typ, quota, used, unit []byte
	var kb [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		switch string(client.JSONFieldKey(kb[:0], key)) {
		case "type":
			typ = s.Raw()
		case "quota":
			quota = s.Raw()
		case "used":
			used = s.Raw()
		case "unit":
			unit = s.Raw()
		default:
			s.Skip()
		}
	}
	raw := strings.TrimSpace(rawString(typ))
	if typ == nil || typ[0] != '"' || !client.ValidID(raw) {
		return r, false
	}
	r.Type = red.Label(raw)
	r.Unit = red.Bounded(rawString(unit), 32)
	if v, ok := quotaNumber(quota); ok {
		r.HasLimit = true
		if v < 0 || v == quotaPlaceholder {
			r.Unlimited = true
		} else {
			r.Limit = v
		}
	}
	if v, ok := quotaNumber(used); ok && v >= 0 && v != quotaPlaceholder {
		r.Used, r.HasUsed = v, true
	}
	return r, true
}

// readQuotaResources reads a resources list (the scanner at its '['; the
// caller checked it is an array). Elements that are not objects or lack a
// usable type are skipped and counted; a type repeated in the list keeps
// its first entry (the others are counted). More than maxQuotaResources
// elements is an error.
func readQuotaResources(s *client.JSONScanner, op, where string, red *client.Redactor) (quotaList, error) {
	var l quotaList
	s.EnterArray()
	seen := map[string]bool{}
	n := 0
	for s.NextElement() {
		n++
		if n > maxQuotaResources {
			return quotaList{}, &client.InvalidResponseError{Operation: op, Problem: fmt.Sprintf("%s holds more than %d entries, more than any quota answer", where, maxQuotaResources)}
		}
		r, ok := decodeQuotaResource(s, red)
		if !ok || seen[r.Type] {
			l.invalid++
			continue
		}
		seen[r.Type] = true
		l.resources = append(l.resources, r)
	}
	return l, nil
}

// decodeQuotas reads one §4.25.1 body (003 Tables 4-2821…4-2824,
// L42919-42945): {"quotas":{"resources":[…]},"site_quotas":[{"site_id",
// "resources":[…]}]}.
//
//   - quotas and its resources are required: missing, null or of another
//     type is an *InvalidResponseError.
//   - site_quotas lists the other sites ("excluding the central site",
//     L42927): absent means none (a tenant with the central site only may
//     leave it out; no example shows that answer), null or another type
//     than a list is an error. An element that is not an object, or whose
//     site_id is not a usable label value, is skipped and counted, as is
//     a site_id repeated (the first is kept); a site whose resources are
//     missing or not a list is an error. site_id may be a string (the
//     table, L42937) or a number (the example, L43048).
func decodeQuotas(b []byte, red *client.Redactor) (model.Quotas, error) {
	const op = OpListQuotas
	var out model.Quotas
	invalid := func(err error) error {
		return &client.InvalidResponseError{Operation: op, Problem: err.Error()}
	}
	var s client.JSONScanner
	s.Reset(b)
	s.EnterObject()
	var quotas, sites []byte
	var kb [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		switch string(client.JSONFieldKey(kb[:0], key)) {
		case "quotas":
			quotas = s.Raw()
		case "site_quotas":
			sites = s.Raw()
		default:
			s.Skip()
		}
	}
	switch {
	case quotas == nil:
		return out, invalid(errors.New("quotas is missing"))
	case quotas[0] == 'n':
		return out, invalid(errors.New("quotas is null"))
	case quotas[0] != '{':
		var k client.JSONScanner
		k.Reset(quotas)
		return out, invalid(fmt.Errorf("quotas is not an object but %s", kindName(k.Kind())))
	}
	tenant, err := readResourcesMember(quotas, op, "quotas.resources", red)
	if err != nil {
		return model.Quotas{}, err
	}
	out.Tenant, out.Invalid = tenant.resources, tenant.invalid
	if sites == nil {
		return out, nil
	}
	if err := quotaListProblem("site_quotas", sites); err != nil {
		return model.Quotas{}, invalid(err)
	}
	var ss client.JSONScanner
	ss.Reset(sites)
	ss.EnterArray()
	seen := map[string]bool{}
	i := -1
	for ss.NextElement() {
		i++
		if i >= maxQuotaSites {
			return model.Quotas{}, invalid(fmt.Errorf("site_quotas holds more than %d sites, more than the exporter reads", maxQuotaSites))
		}
		el := ss.Raw()
		if el[0] != '{' {
			out.Invalid++
			continue
		}
		var es client.JSONScanner
		es.Reset(el)
		es.EnterObject()
		var id []byte
		for {
			key, ok := es.NextKey()
			if !ok {
				break
			}
			if string(client.JSONFieldKey(kb[:0], key)) == "site_id" {
				id = es.Raw()
			} else {
				es.Skip()
			}
		}
		rawID := strings.TrimSpace(rawString(id))
		if id == nil || (id[0] != '"' && id[0] != '-' && !isDigit(id[0])) || !client.ValidID(rawID) {
			out.Invalid++
			continue
		}
		siteID := red.Label(rawID)
		if seen[siteID] {
			out.Invalid++
			continue
		}
		seen[siteID] = true
		l, err := readResourcesMember(el, op, fmt.Sprintf("site_quotas[%d].resources", i), red)
		if err != nil {
			return model.Quotas{}, err
		}
		out.Invalid += l.invalid
		out.Sites = append(out.Sites, model.SiteQuota{SiteID: siteID, Resources: l.resources})
	}
	return out, nil
}

// readResourcesMember reads the resources list of the object obj.
func readResourcesMember(obj []byte, op, where string, red *client.Redactor) (quotaList, error) {
	var s client.JSONScanner
	s.Reset(obj)
	s.EnterObject()
	var list []byte
	var kb [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		if string(client.JSONFieldKey(kb[:0], key)) == "resources" {
			list = s.Raw()
		} else {
			s.Skip()
		}
	}
	if err := quotaListProblem(where, list); err != nil {
		return quotaList{}, &client.InvalidResponseError{Operation: op, Problem: err.Error()}
	}
	var ls client.JSONScanner
	ls.Reset(list)
	return readQuotaResources(&ls, op, where, red)
}

// quotaDetail is a decoded §4.25.2 answer.
type quotaDetail struct {
	resources []model.QuotaResource
	invalid   int
	// siteID is the site_id the answer gave ("" when absent), for logs.
	siteID string
}

// decodeQuotaDetail reads one §4.25.2 body (003 Table 4-2833,
// L43117-43120): resources (required, as in decodeQuotas) and site_id.
func decodeQuotaDetail(b []byte, red *client.Redactor) (quotaDetail, error) {
	l, err := readResourcesMember(b, OpShowQuotaDetail, "resources", red)
	if err != nil {
		return quotaDetail{}, err
	}
	d := quotaDetail{resources: l.resources, invalid: l.invalid}
	var s client.JSONScanner
	s.Reset(b)
	s.EnterObject()
	var kb [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		if string(client.JSONFieldKey(kb[:0], key)) == "site_id" {
			d.siteID = red.Label(rawString(s.Raw()))
		} else {
			s.Skip()
		}
	}
	return d, nil
}

// DecodeQuotas decodes one §4.25.1 response body as Quotas does. It is
// exported for fixture tests and tools.
func DecodeQuotas(body []byte) (model.Quotas, error) {
	b, err := readObjectBody(OpListQuotas, "quota answer", bytes.NewReader(body))
	if err != nil {
		return model.Quotas{}, err
	}
	return decodeQuotas(b, &client.Redactor{})
}

// DecodeQuotaDetail decodes one §4.25.2 response body as SiteQuota does:
// the resources, the site_id the answer gave, and how many entries were
// skipped.
func DecodeQuotaDetail(body []byte) (resources []model.QuotaResource, siteID string, invalid int, err error) {
	b, err := readObjectBody(OpShowQuotaDetail, "quota answer", bytes.NewReader(body))
	if err != nil {
		return nil, "", 0, err
	}
	d, err := decodeQuotaDetail(b, &client.Redactor{})
	if err != nil {
		return nil, "", 0, err
	}
	return d.resources, d.siteID, d.invalid, nil
}

// quotaInvalid accounts for skipped entries.
func (c *Client) quotaInvalid(op string, n int) {
	if n == 0 {
		return
	}
	if c.cfg.Observer != nil {
		c.cfg.Observer.ObserveInvalidItems(op, n)
	}
	c.tr.Logger().Warn("skipped quota entries that are not objects, lack a usable type or site ID, or repeat one", "operation", op, "skipped", n)
}

// Quotas implements model.QuotaReader: GET /v2/{project_id}/quotas
// (§4.25.1), the tenant's quotas (the central site's) and those of the
// other sites.
func (c *Client) Quotas(ctx context.Context) (model.Quotas, error) {
	var q model.Quotas
	red := c.tr.Redactor()
	err := c.tr.Do(ctx, c.operation(OpListQuotas), nil, func(r io.Reader) error {
		b, err := readObjectBody(OpListQuotas, "quota answer", r)
		if err != nil {
			return err
		}
		q, err = decodeQuotas(b, red)
		return err
	})
	if err != nil {
		return model.Quotas{}, err
	}
	c.quotaInvalid(OpListQuotas, q.Invalid)
	return q, nil
}

// SiteQuota implements model.QuotaReader: GET
// /v2/{project_id}/quotas/detail?site_id=… (§4.25.2). The site is the one
// asked for; the answer's own site_id (a placeholder "string" in the
// example, L43187) is only logged when it differs.
func (c *Client) SiteQuota(ctx context.Context, siteID string) (model.SiteQuota, error) {
	if !client.ValidID(siteID) {
		return model.SiteQuota{}, fmt.Errorf("%s: invalid site ID", OpShowQuotaDetail)
	}
	var d quotaDetail
	red := c.tr.Redactor()
	err := c.tr.Do(ctx, c.operation(OpShowQuotaDetail), url.Values{"site_id": {siteID}}, func(r io.Reader) error {
		b, err := readObjectBody(OpShowQuotaDetail, "quota answer", r)
		if err != nil {
			return err
		}
		d, err = decodeQuotaDetail(b, red)
		return err
	})
	if err != nil {
		return model.SiteQuota{}, err
	}
	if d.siteID != "" && d.siteID != siteID {
		c.tr.Logger().Debug("the quota details name another site than the one asked for; they are kept as the asked site's",
			"operation", OpShowQuotaDetail, "asked", siteID, "answered", d.siteID)
	}
	c.quotaInvalid(OpShowQuotaDetail, d.invalid)
	return model.SiteQuota{SiteID: siteID, Resources: d.resources}, nil
}

var _ model.QuotaReader = (*Client)(nil)
