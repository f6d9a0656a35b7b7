package huaweicloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The connections domain (model.ConnectionReader) reads three operations:
//
//   - ListConnectDesktops, GET /v2/{project_id}/connect-desktops (API
//     reference §4.3.37, seed 003 L11254-11421, seed 004 whole file): each
//     desktop's connect_status and attach_users, offset/limit paged with
//     limit 0..2000 and offset 0..2000 (003 L11281-11284). A fleet longer
//     than 2,000 + 2,000 desktops cannot be read through it; the client
//     then falls back to ListDesktopsDetail (§4.3.8), whose login_status
//     has the same four documented values (digest §0.10).
//   - ListConnectionStatus, GET /v2/{project_id}/connections/status
//     (§4.13.2, 003 L21906-22052): pre-aggregated counts per desktop group
//     in "statics" (sic).
//   - ShowLoginStateStatistics, GET
//     /v2/{project_id}/desktops/statistics/login-state (§4.21.15, 003
//     L40439-40520): fleet-wide counts by login state.
const (
	OpListConnectDesktops      = hwspec.OpListConnectDesktops
	OpListConnectionStatus     = hwspec.OpListConnectionStatus
	OpShowLoginStateStatistics = hwspec.OpShowLoginStateStatistics
)

// maxConnectionGroups bounds the "statics" elements of §4.13.2 read in one
// answer: more is refused with an error rather than read without end.
const maxConnectionGroups = 10000

// maxStatisticsBody bounds §4.21.15's body: five counters fit in far less.
const maxStatisticsBody = 1 << 20

// userTypeUser is AttachUsersInfo.type of a user (§4.3.37 Table 4-676);
// the other documented type, GROUP, names a user group and is ignored.
const userTypeUser = "USER"

// rawConnection holds the raw JSON values of one ConnectDesktopsInfo.
type rawConnection struct {
	id, name, status []byte
	users            [model.MaxConnectionUsers]string
	nUsers           int
}

// decodeConnectionJSON decodes one element of §4.3.37's desktops array: ok
// is false when it is not an object (null included). Of a repeated member
// the last wins; attach_users of another type than a list is read as no
// users; members of a type the table does not give read as "" (see
// rawString). Unknown members are skipped.
func decodeConnectionJSON(s *client.JSONScanner, red *client.Redactor) (model.DesktopConnection, bool) {
	if s.Kind() != client.JSONObject {
		return model.DesktopConnection{}, false
	}
	var r rawConnection
	var kb [32]byte
	s.EnterObject()
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		switch string(client.JSONFieldKey(kb[:0], key)) {
		case "desktop_id":
			r.id = s.Raw()
		case "desktop_name":
			r.name = s.Raw()
		case "connect_status":
			r.status = s.Raw()
		case "attach_users":
			r.readUsers(s, red)
		default:
			s.Skip()
		}
	}
	c := model.DesktopConnection{
		DesktopID:     red.Label(rawString(r.id)),
		DesktopName:   red.Label(rawString(r.name)),
		ConnectStatus: red.Label(rawString(r.status)),
	}
	if r.nUsers > 0 {
		c.Users = append([]string(nil), r.users[:r.nUsers]...)
	}
	return c, true
}

// readUsers reads attach_users: the names of the elements of type USER
// (case-insensitive), cleaned for labels, without empty names or
// duplicates, at most model.MaxConnectionUsers of them (the first ones).
// Elements of type GROUP, of no type or of another type, and elements
// that are not objects, are ignored. A repeated attach_users replaces the
// earlier one.
func (r *rawConnection) readUsers(s *client.JSONScanner, red *client.Redactor) {
	r.nUsers = 0
	if !s.EnterArray() {
		s.Skip()
		return
	}
	var kb [16]byte
	for s.NextElement() {
		if !s.EnterObject() {
			s.Skip()
			continue
		}
		var name, typ []byte
		for {
			key, ok := s.NextKey()
			if !ok {
				break
			}
			switch string(client.JSONFieldKey(kb[:0], key)) {
			case "name":
				name = s.Raw()
			case "type":
				typ = s.Raw()
			default:
				s.Skip()
			}
		}
		if r.nUsers >= len(r.users) || !strings.EqualFold(rawString(typ), userTypeUser) {
			continue // the rest of the list is still read, to its end
		}
		u := red.Label(rawString(name))
		if u != "" && !slices.Contains(r.users[:r.nUsers], u) {
			r.users[r.nUsers] = u
			r.nUsers++
		}
	}
}

// decodeConnection decodes one element of the desktops array of §4.3.37.
func decodeConnection(red *client.Redactor) client.RawItemDecoder[model.DesktopConnection] {
	return func(s *client.JSONScanner) (model.DesktopConnection, string, bool, error) {
		c, ok := decodeConnectionJSON(s, red)
		return c, c.DesktopID, ok, nil
	}
}

// DecodeConnectDesktopsPage decodes one §4.3.37 response body with the
// decoder ListConnections uses for every page (limit 2000). It is
// exported for fixture tests and tools. Elements that are not desktops
// are skipped and counted in invalid.
func DecodeConnectDesktopsPage(body []byte) (desktops []model.DesktopConnection, total int64, totalKnown bool, invalid int, err error) {
	row := Spec.Operation(OpListConnectDesktops)
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListConnectDesktops, row.ListKey, row.TotalKey, row.MaxLimit, decodeConnection(&client.Redactor{}))
	if err != nil {
		return nil, 0, false, 0, err
	}
	return p.Items, p.Total, p.HasTotal, p.Invalid, nil
}

// ListConnections walks GET /v2/{project_id}/connect-desktops (§4.3.37)
// and returns every desktop's connection state, or an error: never a
// partial list.
//
// It asks for the largest documented page (limit 2000), whatever the
// configured page size: the walk can only read up to the documented offset
// cap (2000) plus one page, so a smaller page would only make the fallback
// start at a smaller fleet. The walk stops before any request past the
// cap (client.OffsetCapError); the states then come from
// ListDesktopsDetail (§4.3.8) instead, whose login_status has the same
// documented values (digest §0.10): Connections.Fallback is set, the
// users are the desktops' user_name. Nothing is silently left out.
//
// No status filter is sent: seed 003 names it connect_statuses (L11279),
// seed 004 connect_status (004 L54), both dated 2025-07-14. Filtering
// nothing avoids depending on either name, and the exporter wants every
// desktop anyway.
func (c *Client) ListConnections(ctx context.Context) (model.Connections, error) {
	row := Spec.Operation(OpListConnectDesktops)
	items, stats, err := client.WalkOffsetRaw(ctx, c.tr, client.OffsetList{
		Op:          c.operation(OpListConnectDesktops),
		ListKey:     row.ListKey,
		TotalKey:    row.TotalKey,
		Limit:       row.MaxLimit,
		MaxPages:    c.cfg.MaxPages,
		MaxOffset:   row.MaxOffset,
		Concurrency: c.cfg.Concurrency,
	}, decodeConnection(c.tr.Redactor()))
	var capErr *client.OffsetCapError
	switch {
	case err == nil:
		return model.Connections{Desktops: items, Stats: stats}, nil
	case !errors.As(err, &capErr):
		return model.Connections{}, err
	}
	c.tr.Logger().Debug("the connection list is longer than its paging can read; reading the desktop list's login status instead",
		"operation", OpListConnectDesktops, "reason", capErr.Error())
	desktops, dstats, derr := c.ListDesktops(ctx)
	if derr != nil {
		return model.Connections{}, fmt.Errorf("%w (reading the desktop list instead, because %w)", derr, capErr)
	}
	out := make([]model.DesktopConnection, len(desktops))
	for i := range desktops {
		d := &desktops[i]
		out[i] = model.DesktopConnection{DesktopID: d.ID, DesktopName: d.ComputerName, ConnectStatus: d.LoginStatus}
		if d.UserName != "" {
			out[i].Users = []string{d.UserName}
		}
	}
	return model.Connections{Desktops: out, Fallback: true, Stats: dstats}, nil
}

// counterKeys maps the JSON member names of counters (the documented
// state followed by _num) to the states of one enum field.
func counterKeys(field string) map[string]string {
	states := Spec.Enums[field]
	m := make(map[string]string, len(states))
	for _, s := range states {
		m[s+"_num"] = s
	}
	return m
}

var (
	groupCounterKeys = counterKeys(model.FieldGroupConnectionState)
	loginCounterKeys = counterKeys(model.FieldLoginStateStatistic)
)

// readCounters reads the members of the object s has entered: static_name
// into *name (when name is not nil), and each documented counter into
// counts (keys without _num). A counter that is absent or null is left
// out (not 0); one that is negative, fractional, too large or not a
// number (a string of digits is read as its number) is an
// *client.InvalidResponseError naming it, at where. Unknown members are
// skipped; of a repeated member the last wins.
func readCounters(s *client.JSONScanner, op, where string, keys map[string]string, name *[]byte, counts map[string]int64) error {
	var kb [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			return nil
		}
		k := string(client.JSONFieldKey(kb[:0], key))
		if k == "static_name" && name != nil {
			*name = s.Raw()
			continue
		}
		state, known := keys[k]
		if !known {
			s.Skip()
			continue
		}
		raw := s.Raw()
		if len(raw) > 0 && raw[0] == 'n' {
			delete(counts, state)
			continue
		}
		n, err := parseCounter(raw)
		if err != nil {
			return &client.InvalidResponseError{Operation: op, Problem: fmt.Sprintf("%s%s %s", where, k, err)}
		}
		counts[state] = n
	}
}

// maxCounter bounds a counter: beyond 2^53 a count of desktops is not
// meaningful, and float64 sums of many of them stay exact enough.
const maxCounter = 1 << 53

// parseCounter reads a non-negative integer: a JSON number or a string of
// one. The reason it cannot is the error.
func parseCounter(raw []byte) (int64, error) {
	text := raw
	if len(text) >= 2 && text[0] == '"' {
		text = text[1 : len(text)-1]
	} else if len(text) > 0 && !(text[0] == '-' || isDigit(text[0])) {
		return 0, fmt.Errorf("is not a number but %s", rawKindName(raw))
	}
	str := strings.TrimSpace(string(text))
	if n, err := strconv.ParseInt(str, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("is negative (%d)", n)
		}
		if n > maxCounter {
			return 0, fmt.Errorf("is too large (%d)", n)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(str, 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("is not a number (%.40q)", str)
	case f < 0:
		return 0, fmt.Errorf("is negative (%.40s)", str)
	case f != math.Trunc(f):
		return 0, fmt.Errorf("is not an integer (%.40s)", str)
	case err != nil || f > maxCounter:
		return 0, fmt.Errorf("is too large (%.40s)", str)
	}
	return int64(f), nil
}

// rawKindName names the kind of a raw JSON value for error messages.
func rawKindName(raw []byte) string {
	var s client.JSONScanner
	s.Reset(raw)
	return kindName(s.Kind())
}

// decodeGroup decodes one element of §4.13.2's statics list. Every
// element that is an object is a group, even without a static_name (its
// Group is then ""): its counts are not lost. Elements that are not
// objects (null included) are skipped and counted.
func decodeGroup(red *client.Redactor) client.RawItemDecoder[model.StateCounts] {
	index := 0
	return func(s *client.JSONScanner) (model.StateCounts, string, bool, error) {
		index++
		if !s.EnterObject() {
			return model.StateCounts{}, "", false, nil
		}
		var name []byte
		counts := make(map[string]int64, len(groupCounterKeys))
		if err := readCounters(s, OpListConnectionStatus, fmt.Sprintf("statics[%d].", index-1), groupCounterKeys, &name, counts); err != nil {
			return model.StateCounts{}, "", false, err
		}
		// The id only has to be valid: groups are not deduplicated here
		// (two groups may share a name; the collector adds them up).
		return model.StateCounts{Group: red.Label(rawString(name)), Counts: counts}, "group", true, nil
	}
}

// decodeConnectionStatus reads one §4.13.2 body: the groups, and how many
// elements were not objects.
func decodeConnectionStatus(body io.Reader, red *client.Redactor) ([]model.StateCounts, int, error) {
	row := Spec.Operation(OpListConnectionStatus)
	p, err := client.DecodePageRaw(body, OpListConnectionStatus, row.ListKey, "", maxConnectionGroups, decodeGroup(red))
	var inv *client.InvalidResponseError
	if err != nil && p.Elements >= maxConnectionGroups && errors.As(err, &inv) {
		inv.Problem = fmt.Sprintf("%q holds more than %d groups, the most the exporter reads", row.ListKey, maxConnectionGroups)
	}
	if err != nil {
		return nil, 0, err
	}
	return p.Items, p.Invalid, nil
}

// DecodeConnectionStatus decodes one §4.13.2 response body as GroupStates
// does. It is exported for fixture tests and tools.
func DecodeConnectionStatus(body []byte) (groups []model.StateCounts, invalid int, err error) {
	return decodeConnectionStatus(bytes.NewReader(body), &client.Redactor{})
}

// GroupStates reads GET /v2/{project_id}/connections/status (§4.13.2): per
// desktop group (static_name, "VM group name or desktop group name"), the
// counts of its desktops by run state, assignment and login state, keyed
// by the documented counter names without _num
// (model.FieldGroupConnectionState). A counter the API leaves out is
// absent from Counts; a negative or non-integer one fails the answer. At
// most 10,000 groups are read; more is an error.
func (c *Client) GroupStates(ctx context.Context) ([]model.StateCounts, error) {
	var groups []model.StateCounts
	var invalid int
	err := c.tr.Do(ctx, c.operation(OpListConnectionStatus), nil, func(body io.Reader) error {
		var err error
		groups, invalid, err = decodeConnectionStatus(body, c.tr.Redactor())
		return err
	})
	if err != nil {
		return nil, err
	}
	if invalid > 0 {
		if c.cfg.Observer != nil {
			c.cfg.Observer.ObserveInvalidItems(OpListConnectionStatus, invalid)
		}
		c.tr.Logger().Warn("skipped list elements that are not objects", "operation", OpListConnectionStatus, "skipped", invalid)
	}
	return groups, nil
}

// decodeLoginStateStatistics reads one §4.21.15 body: an object of
// counters. A body that is not an object, or is over 1 MiB, is an
// *client.InvalidResponseError; broken JSON a plain error.
func decodeLoginStateStatistics(body io.Reader) (map[string]int64, error) {
	b, err := io.ReadAll(io.LimitReader(body, maxStatisticsBody+1))
	if err != nil {
		return nil, err
	}
	invalid := func(format string, args ...any) error {
		return &client.InvalidResponseError{Operation: OpShowLoginStateStatistics, Problem: fmt.Sprintf(format, args...)}
	}
	if len(b) > maxStatisticsBody {
		return nil, invalid("the body is larger than %d bytes", maxStatisticsBody)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, errors.New("empty body")
	}
	if !json.Valid(b) {
		return nil, errors.New("invalid JSON")
	}
	var s client.JSONScanner
	s.Reset(b)
	if !s.EnterObject() {
		return nil, invalid("the body is %s, not a JSON object", describeRaw(b))
	}
	counts := make(map[string]int64, len(loginCounterKeys))
	if err := readCounters(&s, OpShowLoginStateStatistics, "", loginCounterKeys, nil, counts); err != nil {
		return nil, err
	}
	return counts, nil
}

func describeRaw(b []byte) string {
	switch b[0] {
	case '"':
		return "a string"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	}
	return rawKindName(b)
}

// DecodeLoginStateStatistics decodes one §4.21.15 response body as
// LoginStateStatistics does. It is exported for fixture tests and tools.
func DecodeLoginStateStatistics(body []byte) (map[string]int64, error) {
	return decodeLoginStateStatistics(bytes.NewReader(body))
}

// LoginStateStatistics reads GET
// /v2/{project_id}/desktops/statistics/login-state (§4.21.15): the
// fleet's desktops counted by login state, keyed by the documented counter
// names without _num (model.FieldLoginStateStatistic). A counter the API
// leaves out is absent; a negative or non-integer one fails the answer.
func (c *Client) LoginStateStatistics(ctx context.Context) (map[string]int64, error) {
	var counts map[string]int64
	err := c.tr.Do(ctx, c.operation(OpShowLoginStateStatistics), nil, func(body io.Reader) error {
		var err error
		counts, err = decodeLoginStateStatistics(body)
		return err
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

var _ model.ConnectionReader = (*Client)(nil)
