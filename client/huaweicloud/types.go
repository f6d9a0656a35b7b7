package huaweicloud

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The Workspace documentation contradicts itself and the SDK's models:
// `addresses` is a map in the tables and the SDK, an array in seed 002's
// example; booleans and numbers arrive as strings ("true", "off", "140");
// `process` is null or an integer; enum fields carry values the tables do
// not list. The readers below accept every shape the documentation shows
// and never fail a whole response because one field has an unexpected
// type: a value that cannot be read becomes the zero value.
//
// The raw… readers read the raw bytes of one JSON value, as
// client.JSONScanner hands them out (already known to be valid JSON), and
// give exactly what the encoding/json types they replace gave (the flex…
// types and the desktop's struct, kept in oracle_test.go as the reference
// the differential fuzz tests hold them to). A nil raw value is an absent
// member.

// flexString accepts a string, number, boolean or null. Objects and arrays
// become "". It is the encoding/json form of rawString, for error bodies.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		*f = ""
		return nil
	}
	switch b[0] {
	case '"':
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

// rawString reads a string, number, boolean or null as a string: a string
// is decoded as encoding/json decodes one (escapes, invalid UTF-8 replaced
// by U+FFFD), a number or boolean keeps its JSON text, null is "".
// Objects and arrays are "".
func rawString(raw []byte) string {
	var tmp [64]byte
	b := rawStringBytes(raw, tmp[:0])
	return string(b)
}

// rawStringBytes is rawString's bytes: raw's own when no decoding is
// needed, else appended to tmp.
func rawStringBytes(raw, tmp []byte) []byte {
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '"':
		s := raw[1 : len(raw)-1]
		if client.PlainJSONString(s) {
			return s
		}
		return client.AppendJSONString(tmp, s)
	case 'n', '{', '[':
		return nil
	}
	return raw // number, true, false
}

// rawBool reads true/false, "true"/"false", "on"/"off", "yes"/"no", 1/0
// and "1"/"0", in any case. Anything else, null included, is false.
func rawBool(raw []byte) bool {
	ascii := true
	for _, c := range raw {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		// strings.ToLower folds some non-ASCII letters into ASCII ones:
		// the reference's exact expression.
		switch strings.ToLower(strings.Trim(string(raw), `"`)) {
		case "true", "on", "yes", "1":
			return true
		}
		return false
	}
	s := bytes.Trim(raw, `"`)
	for _, v := range [...]string{"true", "on", "yes", "1"} {
		if len(s) == len(v) && asciiEqualFold(s, v) {
			return true
		}
	}
	return false
}

func asciiEqualFold(b []byte, s string) bool {
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// rawInt reads a number or a numeric string (a fraction is truncated);
// null and anything unreadable leave it unset.
func rawInt(raw []byte) (int64, bool) {
	if len(raw) == 0 || raw[0] == 'n' {
		return 0, false
	}
	// The usual small integer, plain or quoted.
	digits := raw
	if len(digits) >= 2 && digits[0] == '"' && digits[len(digits)-1] == '"' {
		digits = digits[1 : len(digits)-1]
	}
	if n := len(digits); n > 0 && n <= 18 {
		var v int64
		i := 0
		if digits[0] == '-' {
			i = 1
		}
		for ; i < n && isDigit(digits[i]); i++ {
			v = v*10 + int64(digits[i]-'0')
		}
		if i == n && (digits[0] != '-' || n > 1) {
			if digits[0] == '-' {
				v = -v
			}
			return v, true
		}
	}
	s := strings.TrimSpace(strings.Trim(string(raw), `"`))
	if s == "" || s == "null" {
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		return int64(x), true
	}
	return 0, false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Address is one IP address of a desktop.
type Address = model.Address

// rawAddresses reads the documented map (network ID → AddressInfo list,
// in the order of the network IDs), the array of seed 002's example, or
// null. A value of another shape anywhere in it (a network that is not a
// list, an address that is not an object) makes the whole field
// unreadable: nil, and the desktop is kept.
func rawAddresses(raw []byte, in *interner) []Address {
	var buf [4]Address // room for the usual desktop's addresses
	var s client.JSONScanner
	s.Reset(raw)
	switch s.Kind() {
	case client.JSONArray:
		out, ok := appendAddresses(buf[:0], raw, "", in)
		if !ok || len(out) == 0 {
			return nil
		}
		return slices.Clone(out)
	case client.JSONObject:
	default:
		return nil
	}
	// The networks' addresses go to all, in the order of the members;
	// each network is a range of it.
	type network struct {
		id       string
		from, to int
	}
	var netBuf [4]network
	nets, all := netBuf[:0], buf[:0]
	s.EnterObject()
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		id := in.decoded(key)
		from := len(all)
		switch s.Kind() {
		case client.JSONNull:
			s.Skip()
		case client.JSONArray:
			if all, ok = appendAddresses(all, s.Raw(), id, in); !ok {
				return nil
			}
		default:
			return nil
		}
		dup := false
		for i := range nets {
			if nets[i].id == id { // a repeated key: the last value wins
				nets[i].from, nets[i].to, dup = from, len(all), true
			}
		}
		if !dup {
			nets = append(nets, network{id, from, len(all)})
		}
	}
	total := 0
	for i := range nets {
		total += nets[i].to - nets[i].from
		// Insertion sort: a desktop has a network or two.
		for j := i; j > 0 && nets[j].id < nets[j-1].id; j-- {
			nets[j], nets[j-1] = nets[j-1], nets[j]
		}
	}
	if total == 0 {
		return nil
	}
	out := make([]Address, 0, total)
	for _, n := range nets {
		out = append(out, all[n.from:n.to]...)
	}
	return out
}

// appendAddresses appends the addresses of an AddressInfo list, and
// reports false when one is neither an object nor null. A null element is
// an empty address, as encoding/json makes it.
func appendAddresses(out []Address, list []byte, network string, in *interner) ([]Address, bool) {
	var s client.JSONScanner
	s.Reset(list)
	s.EnterArray()
	var kb [32]byte
	for s.NextElement() {
		var addr, version, mac, typ []byte
		switch s.Kind() {
		case client.JSONObject:
			s.EnterObject()
			for {
				key, ok := s.NextKey()
				if !ok {
					break
				}
				switch string(client.JSONFieldKey(kb[:0], key)) {
				case "addr":
					addr = s.Raw()
				case "version":
					version = s.Raw()
				case "os-ext-ips-mac:mac_addr":
					mac = s.Raw()
				case "os-ext-ips:type":
					typ = s.Raw()
				default:
					s.Skip()
				}
			}
		case client.JSONNull:
			s.Skip()
		default:
			return out, false
		}
		out = append(out, Address{
			NetworkID: network,
			Addr:      rawString(addr),
			Version:   in.rawString(version),
			MAC:       rawString(mac),
			Type:      in.rawString(typ),
		})
	}
	return out, true
}

// interner shares the strings of values that repeat from desktop to
// desktop (statuses, zones, products, OS versions…), so a page of 500
// desktops allocates each of them once rather than 500 times. It is a
// small direct-mapped cache: a collision only costs an allocation.
// Label values are cleaned after interning, as before.
type interner struct {
	tab [1024]string
}

// maxInterned bounds the length of the strings kept.
const maxInterned = 64

var (
	internSeed = maphash.MakeSeed()
	interners  = sync.Pool{New: func() any { return new(interner) }}
)

// str returns b as a string, shared with earlier equal ones.
func (in *interner) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > maxInterned {
		return string(b)
	}
	slot := &in.tab[maphash.Bytes(internSeed, b)%uint64(len(in.tab))]
	if *slot == string(b) {
		return *slot
	}
	s := string(b)
	*slot = s
	return s
}

// rawString is the package's rawString, interned.
func (in *interner) rawString(raw []byte) string {
	var tmp [64]byte
	b := rawStringBytes(raw, tmp[:0])
	return in.str(b)
}

// decoded is the raw content of a JSON string (a key) decoded, interned.
func (in *interner) decoded(raw []byte) string {
	if client.PlainJSONString(raw) {
		return in.str(raw)
	}
	var tmp [64]byte
	return in.str(client.AppendJSONString(tmp[:0], raw))
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

// desktopCount reads a count of desktops (a task's success_num,
// failed_num, skip_num): 0 when absent, unreadable, negative or over
// MaxTaskDesktops, so that a hostile number never reaches a
// counter.
func desktopCount(raw []byte) int64 {
	n, ok := rawInt(raw)
	if !ok || n < 0 || n > MaxTaskDesktops {
		return 0
	}
	return n
}
