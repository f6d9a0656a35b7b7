package huaweicloud

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The Workspace documentation contradicts itself and the SDK's models:
// `addresses` is a map in the tables and the SDK, an array in seed 002's
// example; booleans and numbers arrive as strings ("true", "off", "140");
// `process` is null or an integer; enum fields carry values the tables do
// not list. The types below accept every shape the documentation shows and
// never fail a whole response because one field has an unexpected type: a
// value that cannot be read becomes the zero value.

// flexString accepts a string, number, boolean or null. Objects and arrays
// become "".
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		*f = ""
		return nil
	}
	switch b[0] {
	case '"':
		// Fast path: no escapes and valid UTF-8, so the bytes between the
		// quotes are the value (encoding/json replaces invalid UTF-8; label
		// values must be valid UTF-8).
		if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 && utf8.Valid(b) {
			*f = flexString(b[1 : len(b)-1])
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case 'n', '{', '[':
		*f = ""
	default: // number, true, false
		*f = flexString(b)
	}
	return nil
}

// flexBool accepts true/false, "true"/"false", "on"/"off", "yes"/"no",
// 1/0 and "1"/"0". Anything else, null included, is false.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.ToLower(strings.Trim(string(bytes.TrimSpace(b)), `"`))
	switch s {
	case "true", "on", "yes", "1":
		*f = true
	default:
		*f = false
	}
	return nil
}

// flexInt accepts a number or a numeric string; null and anything
// unreadable leave it unset.
type flexInt struct {
	Value int64
	Set   bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(strings.Trim(string(bytes.TrimSpace(b)), `"`))
	*f = flexInt{}
	if s == "" || s == "null" {
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt{Value: n, Set: true}
		return nil
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		*f = flexInt{Value: int64(x), Set: true}
	}
	return nil
}

// rawAddress is AddressInfo.
type rawAddress struct {
	Addr    flexString `json:"addr"`
	Version flexString `json:"version"`
	MAC     flexString `json:"OS-EXT-IPS-MAC:mac_addr"`
	Type    flexString `json:"OS-EXT-IPS:type"`
}

// Address is one IP address of a desktop.
type Address struct {
	NetworkID string // "" when the API sent the array shape
	Addr      string
	Version   string
	MAC       string
	Type      string // fixed or floating
}

// flexAddresses accepts the documented map (network ID → addresses), the
// array of seed 002's example, or null.
type flexAddresses []Address

func (f *flexAddresses) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*f = nil
	if len(b) == 0 {
		return nil
	}
	conv := func(net string, r rawAddress) Address {
		return Address{NetworkID: net, Addr: string(r.Addr), Version: string(r.Version), MAC: string(r.MAC), Type: string(r.Type)}
	}
	switch b[0] {
	case '{':
		var m map[string][]rawAddress
		if err := json.Unmarshal(b, &m); err != nil {
			// One odd network entry must not lose the desktop.
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
		var a []rawAddress
		if err := json.Unmarshal(b, &a); err != nil {
			return nil
		}
		for _, r := range a {
			*f = append(*f, conv("", r))
		}
	}
	return nil
}

// timeLayouts are every time format the Workspace documentation shows.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

// parseTime reads any documented time format; times without a zone are
// UTC. It returns the zero time when nothing fits.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 1e11 {
		return time.UnixMilli(ms).UTC()
	}
	return time.Time{}
}
