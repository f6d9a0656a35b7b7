package huaweicloud

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
)

// The reference decoder: the encoding/json decoding of a desktop page as
// it was before the hand-written scanner (version 0.1.0's types, and its
// Decoder-driven page reader), kept unchanged as the oracle the
// differential tests hold the fast decoder to.

type oracleFlexString string

func (f *oracleFlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		*f = ""
		return nil
	}
	switch b[0] {
	case '"':
		if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 && utf8.Valid(b) {
			*f = oracleFlexString(b[1 : len(b)-1])
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = oracleFlexString(s)
	case 'n', '{', '[':
		*f = ""
	default: // number, true, false
		*f = oracleFlexString(b)
	}
	return nil
}

type oracleFlexBool bool

func (f *oracleFlexBool) UnmarshalJSON(b []byte) error {
	s := strings.ToLower(strings.Trim(string(bytes.TrimSpace(b)), `"`))
	switch s {
	case "true", "on", "yes", "1":
		*f = true
	default:
		*f = false
	}
	return nil
}

type oracleFlexInt struct {
	Value int64
	Set   bool
}

func (f *oracleFlexInt) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(strings.Trim(string(bytes.TrimSpace(b)), `"`))
	*f = oracleFlexInt{}
	if s == "" || s == "null" {
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = oracleFlexInt{Value: n, Set: true}
		return nil
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		*f = oracleFlexInt{Value: int64(x), Set: true}
	}
	return nil
}

type oracleRawAddress struct {
	Addr    oracleFlexString `json:"addr"`
	Version oracleFlexString `json:"version"`
	MAC     oracleFlexString `json:"OS-EXT-IPS-MAC:mac_addr"`
	Type    oracleFlexString `json:"OS-EXT-IPS:type"`
}

type oracleFlexAddresses []Address

func (f *oracleFlexAddresses) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*f = nil
	if len(b) == 0 {
		return nil
	}
	conv := func(net string, r oracleRawAddress) Address {
		return Address{NetworkID: net, Addr: string(r.Addr), Version: string(r.Version), MAC: string(r.MAC), Type: string(r.Type)}
	}
	switch b[0] {
	case '{':
		var m map[string][]oracleRawAddress
		if err := json.Unmarshal(b, &m); err != nil {
			return nil
		}
		nets := make([]string, 0, len(m))
		for k := range m {
			nets = append(nets, k)
		}
		sort.Strings(nets)
		for _, n := range nets {
			for _, r := range m[n] {
				*f = append(*f, conv(n, r))
			}
		}
	case '[':
		var a []oracleRawAddress
		if err := json.Unmarshal(b, &a); err != nil {
			return nil
		}
		for _, r := range a {
			*f = append(*f, conv("", r))
		}
	}
	return nil
}

type oracleRawDesktop struct {
	DesktopID       oracleFlexString `json:"desktop_id"`
	ComputerName    oracleFlexString `json:"computer_name"`
	OSHostName      oracleFlexString `json:"os_host_name"`
	UserName        oracleFlexString `json:"user_name"`
	AttachUserInfos []struct {
		UserName oracleFlexString `json:"user_name"`
	} `json:"attach_user_infos"`
	DesktopType      oracleFlexString `json:"desktop_type"`
	ResourceType     oracleFlexString `json:"resource_type"`
	PoolID           oracleFlexString `json:"pool_id"`
	DesktopPoolID    oracleFlexString `json:"desktop_pool_id"`
	Status           oracleFlexString `json:"status"`
	LoginStatus      oracleFlexString `json:"login_status"`
	TaskStatus       oracleFlexString `json:"task_status"`
	Process          oracleFlexInt    `json:"process"`
	AvailabilityZone oracleFlexString `json:"availability_zone"`
	SiteType         oracleFlexString `json:"site_type"`
	SiteName         oracleFlexString `json:"site_name"`
	ProductID        oracleFlexString `json:"product_id"`
	Product          struct {
		ProductID oracleFlexString `json:"product_id"`
	} `json:"product"`
	Metadata struct {
		OSType           oracleFlexString `json:"os_type"`
		ChargingMode     oracleFlexString `json:"charging_mode"`
		DesktopOSVersion oracleFlexString `json:"desktop_os_version"`
	} `json:"metadata"`
	OSVersion         oracleFlexString    `json:"os_version"`
	InMaintenanceMode oracleFlexBool      `json:"in_maintenance_mode"`
	AttachState       oracleFlexString    `json:"attach_state"`
	Created           oracleFlexString    `json:"created"`
	IPAddresses       []oracleFlexString  `json:"ip_addresses"`
	Addresses         oracleFlexAddresses `json:"addresses"`
}

func (r *oracleRawDesktop) desktop(red *client.Redactor) Desktop {
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

// oracleDecodeDesktop is the reference ItemDecoder of one element.
func oracleDecodeDesktop(red *client.Redactor) client.ItemDecoder[Desktop] {
	return client.DecodeObject(func(r *oracleRawDesktop) (Desktop, string) {
		return r.desktop(red), string(r.DesktopID)
	})
}

// oraclePage is one page as the reference decoder reads it.
type oraclePage struct {
	desktops        []Desktop
	ids             []string
	elements, inval int
	total           int64
	hasTotal        bool
}

// oracleDecodeDesktopsPage is the reference page reader: every token read
// by encoding/json's Decoder. Its errors are sorted by errorKind.
func oracleDecodeDesktopsPage(body []byte, red *client.Redactor) (oraclePage, error) {
	var p oraclePage
	decode := oracleDecodeDesktop(red)
	invalid := func(format string, args ...any) error {
		return &client.InvalidResponseError{Operation: OpListDesktopsDetail, Problem: fmt.Sprintf(format, args...)}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return p, errors.New("empty body")
		}
		return p, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return p, invalid("the body is %s, not a JSON object", oracleDescribe(tok))
	}
	sawList := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return p, err
		}
		key, _ := tok.(string)
		switch key {
		case desktopsListKey:
			if sawList {
				return p, invalid("%q appears twice", desktopsListKey)
			}
			sawList = true
			tok, err := dec.Token()
			if err != nil {
				return p, err
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return p, invalid("%q is %s, not a list", desktopsListKey, oracleDescribe(tok))
			}
			for dec.More() {
				if p.elements >= desktopsMaxLimit {
					return p, invalid("the page holds more than the %d items asked for", desktopsMaxLimit)
				}
				p.elements++
				item, id, ok, err := decode(dec)
				if err != nil {
					return p, err
				}
				if !ok || !client.ValidID(id) {
					p.inval++
					continue
				}
				p.desktops = append(p.desktops, item)
				p.ids = append(p.ids, id)
			}
			if _, err := dec.Token(); err != nil {
				return p, err
			}
		case desktopsTotalKey:
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return p, err
			}
			p.total, p.hasTotal = oracleParseCount(raw)
		default:
			var skip struct{}
			if err := dec.Decode(&skip); err != nil {
				var te *json.UnmarshalTypeError
				if !errors.As(err, &te) {
					return p, err
				}
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return p, err
	}
	if !sawList {
		return p, invalid("the %q list is missing", desktopsListKey)
	}
	return p, nil
}

func oracleDescribe(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

// oracleParseCount is client's parseCount.
func oracleParseCount(raw []byte) (int64, bool) {
	s := strings.TrimSpace(strings.Trim(string(bytes.TrimSpace(raw)), `"`))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f), true
	}
	return 0, false
}
