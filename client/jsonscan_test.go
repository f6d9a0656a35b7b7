package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// oracleDecodePage is DecodePage as it was before the page reader: every
// token read by encoding/json's Decoder. The differential tests hold the
// page reader to it.
func oracleDecodePage[T any](body io.Reader, op, listKey, totalKey string, limit int, decode ItemDecoder[T]) (Page[T], error) {
	var p Page[T]
	invalid := func(format string, args ...any) error {
		return &InvalidResponseError{Operation: op, Problem: fmt.Sprintf(format, args...)}
	}
	dec := json.NewDecoder(body)
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return p, errors.New("empty body")
		}
		return p, jsonError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return p, invalid("the body is %s, not a JSON object", oracleDescribeToken(tok))
	}
	sawList := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return p, jsonError(err)
		}
		key, _ := tok.(string)
		switch {
		case key == listKey:
			if sawList {
				return p, invalid("%q appears twice", listKey)
			}
			sawList = true
			tok, err := dec.Token()
			if err != nil {
				return p, jsonError(err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return p, invalid("%q is %s, not a list", listKey, oracleDescribeToken(tok))
			}
			for dec.More() {
				if p.Elements >= limit {
					return p, invalid("the page holds more than the %d items asked for", limit)
				}
				p.Elements++
				item, id, ok, err := decode(dec)
				if err != nil {
					return p, jsonError(err)
				}
				if !ok || !ValidID(id) {
					p.Invalid++
					continue
				}
				p.Items = append(p.Items, item)
				p.IDs = append(p.IDs, id)
			}
			if _, err := dec.Token(); err != nil {
				return p, jsonError(err)
			}
		case key == totalKey && totalKey != "":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return p, jsonError(err)
			}
			p.Total, p.HasTotal = parseCount(raw)
		default:
			var skip struct{}
			if err := dec.Decode(&skip); err != nil {
				var te *json.UnmarshalTypeError
				if !errors.As(err, &te) {
					return p, jsonError(err)
				}
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return p, jsonError(err)
	}
	if !sawList {
		return p, invalid("the %q list is missing", listKey)
	}
	return p, nil
}

func oracleDescribeToken(tok json.Token) string {
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

// errorClass sorts a page error the way the transport does: none, an
// invalid response (not retried), or broken JSON or input (retried).
func errorClass(err error) string {
	var inv *InvalidResponseError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &inv):
		return "invalid response: " + inv.Problem
	case errors.Is(err, errTestRead):
		return "read error"
	}
	return "broken"
}

var errTestRead = errors.New("test: connection reset")

// decodeThingRaw is decodeThing on the page reader's bytes, through
// JSONScanner: it must agree with encoding/json's decoding of a thing.
func decodeThingRaw(s *JSONScanner) (thing, string, bool, error) {
	var t thing
	switch s.Kind() {
	case JSONNull:
		return t, "", true, nil
	case JSONObject:
	default:
		return t, "", false, nil
	}
	s.EnterObject()
	var buf [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		var dst *string
		switch string(JSONFieldKey(buf[:0], key)) {
		case "id":
			dst = &t.ID
		case "name":
			dst = &t.Name
		}
		// encoding/json sets a string field from a string or null (a
		// no-op); any other type is an error that leaves it.
		if dst != nil && s.Kind() == JSONString {
			raw := s.Raw()
			*dst = JSONStringValue(raw[1 : len(raw)-1])
			continue
		}
		s.Skip()
	}
	return t, t.ID, true, nil
}

// comparePages checks that the page reader and the oracle agree on body
// for a limit, read whole and one byte at a time.
func comparePages(t *testing.T, body []byte, limit int) {
	t.Helper()
	want, wantErr := oracleDecodePage(bytes.NewReader(body), "op", "things", "total", limit, decodeThing)
	for name, r := range map[string]func() io.Reader{
		"whole":       func() io.Reader { return bytes.NewReader(body) },
		"byte a read": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(body)) },
		"data+EOF":    func() io.Reader { return iotest.DataErrReader(bytes.NewReader(body)) },
	} {
		got, err := DecodePage(r(), "op", "things", "total", limit, decodeThing)
		if errorClass(err) != errorClass(wantErr) {
			t.Fatalf("%s: body %q limit %d:\n got error %v\nwant error %v", name, body, limit, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: body %q limit %d:\n got %+v\nwant %+v", name, body, limit, got, want)
		}
		raw, err := DecodePageRaw(r(), "op", "things", "total", limit, decodeThingRaw)
		if errorClass(err) != errorClass(wantErr) {
			t.Fatalf("%s, raw: body %q limit %d:\n got error %v\nwant error %v", name, body, limit, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(raw, want) {
			t.Fatalf("%s, raw: body %q limit %d:\n got %+v\nwant %+v", name, body, limit, raw, want)
		}
	}
	// A read error in the middle of the body is that error, or the body
	// was already complete before it.
	for cut := 0; cut <= len(body) && cut < 64; cut += 7 {
		r := io.MultiReader(bytes.NewReader(body[:cut]), iotest.ErrReader(errTestRead))
		w, werr := oracleDecodePage(r, "op", "things", "total", limit, decodeThing)
		r = io.MultiReader(bytes.NewReader(body[:cut]), iotest.ErrReader(errTestRead))
		g, gerr := DecodePage(r, "op", "things", "total", limit, decodeThing)
		if errorClass(gerr) != errorClass(werr) || gerr == nil && !reflect.DeepEqual(g, w) {
			t.Fatalf("body %q cut at %d by a read error: got %v, want %v", body, cut, gerr, werr)
		}
	}
}

var pageSeeds = []string{
	`{"things":[{"id":"a"},{"id":"b"}],"total":2}`, `{"things":[1,"x",null,{"id":""}],"total":"4"}`,
	`{"things":null}`, `{"things":[{"id":"a"}],"things":[]}`, `[1]`, `{"total":1e999,"things":[]}`,
	`{"a":{"b":[{"c":[[[[[]]]]]}]},"things":[{"id":"a","name":{"x":[1]}}]}`,
	``, ` `, `{`, `{"things":[{"id":"a"`, `{"things":[}`, `{"things":[],`, `{"things":[]}`, `{"things":[]} trailing junk`,
	`"hello"`, `"hel`, `12`, `1e400`, `-`, `true`, `tru`, `nul`, `null`, `]`, `}`, `,`, `:`, `<html>`,
	`{"things":1e400}`, `{"things":12`, `{"things":"x"}`, `{"things":true}`, `{"things":null`, `{"things":{}}`, `{"things":]`,
	`{"things" []}`, `{"things":[1 2]}`, `{"things":[1,]}`, `{"things":[,1]}`, `{"things":[1],}`, `{"things":[1] "total":1}`,
	`{"things":[],"things":x`, `{"things":[{"id":"a"}x`, `{"things":[{"id":"a"},{"id":"b"},{"id":"c"}x`,
	`{"things":[01]}`, `{"things":[1.]}`, `{"things":[1e]}`, `{"things":[-]}`, `{"things":[truex]}`,
	`{"things":["\u00e9\ud83d\ude00\ud800x\udc00\n\"\\\/"]}`, "{\"things\":[\"\xff\xfe\"]}", "{\"things\":[\"a\x01\"]}",
	`{"things":[{"id":"\u0061","ID":"b","Id":"c"}]}`, `{"things":[{"ıd":"a"}, {"İD":"b"}, {"name":"n","id":"K"}]}`,
	`{"thing\u0073":[{"id":"x"}],"tot\u0061l":"3"}`, `{"total":"  7 ","things":[]}`, `{"total":[1],"things":[]}`,
	`{"things":[{"id":"a","id":null},{"id":"b","id":7},{"id":"c","id":{"x":"y"}}]}`,
	"{\"things\":[{\"id\":\"a\"}]\n,\t\"total\" : 1 }", `{"things":[{"id":"x"}]}]`, `{"things":[]]`, `{]`, `{"a":1]`,
	`{"things":[{"id":"a"}],"things":[{"id":"b"}]`, `{"things":[],"total":1,"total":null}`,
	`{"things":[` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `]}`,
	`{"things":[` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `]}`,
	`{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `,"things":[]}`,
	`{"x":` + strings.Repeat("{\"a\":", 10000) + "1" + strings.Repeat("}", 10000) + `,"things":[]}`,
}

func TestDecodePageMatchesEncodingJSON(t *testing.T) {
	for _, body := range pageSeeds {
		for _, limit := range []int{0, 1, 2, 3, 500} {
			comparePages(t, []byte(body), limit)
		}
	}
}

// FuzzDecodePageMatchesEncodingJSON: for any body, the page reader and
// encoding/json's Decoder agree on the page or on the kind of error,
// however the body is cut into reads.
func FuzzDecodePageMatchesEncodingJSON(f *testing.F) {
	for _, s := range pageSeeds {
		if len(s) < 1000 {
			f.Add([]byte(s), uint8(3))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, limit uint8) {
		comparePages(t, body, int(limit))
	})
}

// checkScan compares scanValue with json.Valid on b, and checks that
// reading b in two parts never changes the outcome.
func checkScan(t *testing.T, b []byte) {
	t.Helper()
	start, end, err := scanValue(b, true, nil)
	valid := err == nil && skipSpace(b, end) == len(b)
	if valid != json.Valid(b) {
		t.Fatalf("%q: scanValue valid=%v (err %v), json.Valid=%v", b, valid, err, !valid)
	}
	if err == nil && !json.Valid(b[start:end]) {
		t.Fatalf("%q: value %q is not valid", b, b[start:end])
	}
	if err == nil {
		// The members the index records are the members a scan finds.
		var idx []jsonMember
		if _, _, err := scanValue(b, true, &idx); err != nil {
			t.Fatal(err)
		}
		var plain, indexed JSONScanner
		plain.Reset(b[start:end])
		indexed.reset(b[start:end], idx)
		got, want := members(&indexed), members(&plain)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: indexed members %q, scanned %q", b, got, want)
		}
		if b[start] == '{' && len(idx) != len(want)/2 {
			t.Fatalf("%q: %d members indexed, %d found", b, len(idx), len(want)/2)
		}
	}
	for cut := 0; cut <= len(b); cut++ {
		s2, e2, err2 := scanValue(b[:cut], false, nil)
		switch {
		case err2 == errNeedMore:
		case err2 == nil:
			if err != nil || s2 != start || e2 != end {
				t.Fatalf("%q cut at %d: value [%d,%d), whole: [%d,%d) %v", b, cut, s2, e2, start, end, err)
			}
		default:
			var se, se2 *jsonSyntaxError
			if !errors.As(err, &se) || !errors.As(err2, &se2) || se.offset != se2.offset {
				t.Fatalf("%q cut at %d: error %v, whole: %v", b, cut, err2, err)
			}
		}
	}
}

var scanSeeds = []string{
	``, ` `, `1`, `-0`, `-01`, `1.5e+3`, `1.`, `.5`, `1e`, `1E-`, `-`, `0x1`, `"`, `""`, `"\"`, `"\u12"`, `"\u12G4"`,
	`"\uD83D\uDE00"`, `"\x"`, "\"\x1f\"", "\"\xff\"", `true`, `trUe`, `nul`, `null `, ` false`, `[]`, `[1,]`, `[,]`,
	`{}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{1:2}`, `[1 2]`, `{"a":[{"b":null}],"c":"d"}`, `[[[]]`,
	`{"a":"b"}x`, `1 2`, ` { "a" : 1 , "b" : { "c" : [ 1 ] } , "d" : "e" } `, `{"a":{},"b":[],"c":{"d":{}}}`, `"abcdefghijklmnopqrstuvwxyz0123456789\"ABCDEFGH"`, "\"abcdefgh\x7fijklmn\x80opq\"",
	`"abcdefg\"hijklmnopq"`, `"abc\u0041defghijkl"`, "\"abcde\x01fghijk\"", `"abcdefghijklmnop"`, `"abcdefghijklmnopq`, `"abcdefgh\`,
}

func TestScanValueMatchesValid(t *testing.T) {
	for _, s := range scanSeeds {
		checkScan(t, []byte(s))
	}
	deep := func(n int) []byte { return []byte(strings.Repeat("[", n) + strings.Repeat("]", n)) }
	checkScan(t, deep(10000))
	if _, _, err := scanValue(deep(10001), true, nil); err == nil || !strings.Contains(err.Error(), "exceeded max depth") {
		t.Errorf("nesting 10001: %v", err)
	}
}

func FuzzScanValueMatchesValid(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkScan(t, b)
		// JSONScanner on valid input finds the same value, and never
		// panics or stalls on invalid input.
		var s JSONScanner
		s.Reset(b)
		if json.Valid(b) && !bytes.Equal(s.Raw(), bytes.TrimSpace(b)) {
			t.Fatalf("%q: Raw is not the value", b)
		}
		s.Reset(b)
		walkValue(&s, 0)
	})
}

// members lists the keys and values of the object s reads, some values
// read whole and some walked into, as decoders do.
func members(s *JSONScanner) []string {
	var out []string
	if !s.EnterObject() {
		return nil
	}
	for n := 0; ; n++ {
		k, ok := s.NextKey()
		if !ok {
			return out
		}
		switch {
		case n%3 == 0:
			out = append(out, string(k), string(s.Raw()))
		case n%3 == 1:
			s.Skip()
			out = append(out, string(k), "skipped")
		default:
			walkValue(s, 0)
			out = append(out, string(k), "walked")
		}
	}
}

// walkValue visits every value under s, as decoders do.
func walkValue(s *JSONScanner, depth int) {
	if depth > 100 {
		s.Skip()
		return
	}
	switch {
	case s.EnterObject():
		for {
			if _, ok := s.NextKey(); !ok {
				return
			}
			walkValue(s, depth+1)
		}
	case s.EnterArray():
		for s.NextElement() {
			walkValue(s, depth+1)
		}
	default:
		s.Skip()
	}
}

// JSONScanner walks a value's members as encoding/json does.
func TestJSONScannerWalk(t *testing.T) {
	var s JSONScanner
	s.Reset([]byte(` { "a" : [ 1 , "x\"]" , { "b" : null } ] , "c\\" : { } , "d" : "}" } `))
	if s.Kind() != JSONObject || !s.EnterObject() {
		t.Fatal("not an object")
	}
	var got []string
	for {
		k, ok := s.NextKey()
		if !ok {
			break
		}
		got = append(got, string(k)+"="+string(s.Raw()))
	}
	want := []string{`a=[ 1 , "x\"]" , { "b" : null } ]`, `c\\={ }`, `d="}"`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("members %q, want %q", got, want)
	}
	if s.Kind() != JSONInvalid {
		t.Errorf("input left after the object")
	}
	s.Reset([]byte(`[1,[2,3],{"a":[]},"s",true,null,-1.5e3]`))
	var kinds []JSONKind
	s.EnterArray()
	for s.NextElement() {
		kinds = append(kinds, s.Kind())
		s.Skip()
	}
	if want := []JSONKind{JSONNumber, JSONArray, JSONObject, JSONString, JSONBool, JSONNull, JSONNumber}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
}

var stringSeeds = []string{
	`plain`, `caf\u00e9`, `\ud83d\ude00`, `\ud800`, `\udc00`, `\ud800\ud800\udc00`, `\ud800\u0041`, `\ud800x`,
	`\n\r\t\b\f\/\\\"`, "\xff\xfe", "abcdefgh\\", "ABCDEFGHI", "abcdefghZ", "abcdefgh@[`{", "abcdefgh\xc3\xa9", "0123456789abcdef\\/", "\xc3", "\xed\xa0\x80", "ok\xe2\x82", `\u0000`, `\uFFFD`, "\xef\xbf\xbd",
}

// checkString compares JSONStringValue with json.Unmarshal on the string
// whose raw content is raw, when that is valid JSON.
func checkString(t *testing.T, raw []byte) {
	t.Helper()
	quoted := append(append([]byte{'"'}, raw...), '"')
	if !json.Valid(quoted) {
		return
	}
	var want string
	if err := json.Unmarshal(quoted, &want); err != nil {
		t.Fatal(err)
	}
	if got := JSONStringValue(raw); got != want {
		t.Fatalf("%q: got %q, want %q", raw, got, want)
	}
	// Only a string without escapes and of valid UTF-8 decodes to itself.
	if PlainJSONString(raw) != (want == string(raw)) {
		t.Fatalf("%q: PlainJSONString %v", raw, PlainJSONString(raw))
	}
	slow := true
	for _, c := range raw {
		slow = slow && !keyFolds[c]
	}
	if foldedKey(raw) != slow {
		t.Fatalf("%q: foldedKey %v", raw, !slow)
	}
}

func TestJSONStringValue(t *testing.T) {
	for _, s := range stringSeeds {
		checkString(t, []byte(s))
	}
}

func FuzzJSONStringValue(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkString(t, raw)
		checkFieldKey(t, raw)
	})
}

var fieldKeySeeds = []string{
	"desktop_id", "DESKTOP_ID", "Desktop_Id", "de\\u0073ktop_id", "de\u017fktop_id", "\u212aey", "KEY", "kEy",
	"os-ext-ips:type", "OS-EXT-IPS:TYPE", "os-ext-ips:typ\\u0065", "desktop_id ", "\xff", "ke\xffy", "key\\u0000",
}

// checkFieldKey holds JSONFieldKey to encoding/json's field matching: a
// member whose raw key is raw lands in a field exactly when the folded
// key equals the field's lower-case name.
func checkFieldKey(t *testing.T, raw []byte) {
	t.Helper()
	doc := []byte(`{"` + string(raw) + `":1}`)
	if !json.Valid(doc) {
		return
	}
	var v struct {
		DesktopID int `json:"desktop_id"`
		Key       int `json:"key"`
		Type      int `json:"OS-EXT-IPS:type"`
	}
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	k := string(JSONFieldKey(nil, raw))
	for _, c := range []struct {
		name string
		set  bool
	}{{"desktop_id", v.DesktopID == 1}, {"key", v.Key == 1}, {"os-ext-ips:type", v.Type == 1}} {
		if (k == c.name) != c.set {
			t.Fatalf("key %q folds to %q: matches %s %v, encoding/json %v", raw, k, c.name, k == c.name, c.set)
		}
	}
}

func TestJSONFieldKey(t *testing.T) {
	for _, s := range fieldKeySeeds {
		checkFieldKey(t, []byte(s))
	}
	if k := JSONFieldKey(nil, []byte("de\u017fktop_id")); string(k) != "desktop_id" {
		t.Errorf("long s: %q", k)
	}
}

// A large value trickling in a byte at a time is read in linear time:
// the page reader does not rescan it from its start for every byte.
func TestStreamLargeValueTrickle(t *testing.T) {
	big := `{"things":[{"id":"a","name":"` + strings.Repeat("x", 1<<20) + `"}],"total":1}`
	r := &countingReader{r: iotest.OneByteReader(strings.NewReader(big))}
	p, err := DecodePageRaw(r, "op", "things", "total", 10, decodeThingRaw)
	if err != nil || len(p.Items) != 1 || len(p.Items[0].Name) != 1<<20 {
		t.Fatalf("%v", err)
	}
}

type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

// The page reader allocates little: the items, and the buffer.
func TestDecodePageRawAllocs(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"total":500,"things":[`)
	for i := range 500 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"t%05d","name":"n","other":{"deep":[1,2,{"x":"y"}]}}`, i)
	}
	b.WriteString(`]}`)
	body := []byte(b.String())
	skipAll := func(*JSONScanner) (struct{}, string, bool, error) { return struct{}{}, "id", true, nil }
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := DecodePageRaw(bytes.NewReader(body), "op", "things", "total", 500, skipAll); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 30 {
		t.Errorf("%v allocations for a page of 500", allocs)
	}
}

// Members hands each member's folded key to the callback, skips the
// values it declines (nested ones included), walks nested objects and
// refuses a value that is not an object.
func TestJSONScannerMembers(t *testing.T) {
	var s JSONScanner
	s.Reset([]byte(`{"ID":"a","skip":{"x":[1,{"y":2}]},"Nested":{"desktop_id":"d","other":3},"last":true}`))
	var got []string
	ok := s.Members(func(k []byte) bool {
		switch string(k) {
		case "id", "last":
			got = append(got, string(k)+"="+string(s.Raw()))
			return true
		case "nested":
			s.Members(func(k []byte) bool {
				if string(k) == "desktop_id" {
					got = append(got, "nested."+string(k)+"="+string(s.Raw()))
					return true
				}
				return false
			})
			return true
		}
		return false
	})
	if want := `id="a" nested.desktop_id="d" last=true`; !ok || strings.Join(got, " ") != want {
		t.Fatalf("Members = %v, %q; want true, %q", ok, strings.Join(got, " "), want)
	}
	for _, body := range []string{`[1,2]`, `"s"`, `null`, `3`} {
		s.Reset([]byte(`{"a":` + body + `,"b":1}`))
		s.EnterObject()
		s.NextKey()
		if s.Members(func([]byte) bool { t.Fatalf("member called for %s", body); return false }) {
			t.Errorf("Members accepted %s", body)
		}
		if k, ok := s.NextKey(); !ok || string(k) != "b" {
			t.Errorf("after %s the next key is %q, %v; want b (the value skipped)", body, k, ok)
		}
	}
}
