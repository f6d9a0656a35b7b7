package client

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a small JSON scanner, used instead of encoding/json where
// its cost shows: a list page of 500 desktops is about 1.4 MB of JSON, and
// decoding it through reflection dominated a refresh.
//
// It has two halves. The page reader (jsonStream) reads a body as a
// stream and validates each value it hands out exactly as encoding/json
// would (same grammar, same nesting limit, invalid UTF-8 inside strings
// accepted), so a value that reaches a decoder is known to be valid JSON.
// JSONScanner then walks such a validated value in memory without
// checking it again, and the string helpers decode keys and values with
// encoding/json's exact rules (escapes, surrogate pairs, invalid UTF-8 and
// lone surrogates replaced by U+FFFD, case-insensitive field names).

// maxJSONDepth is encoding/json's nesting limit. Like encoding/json's
// Decoder, the page reader counts it from the start of each value it
// reads (the list's elements, the other keys' values), not from the start
// of the body.
const maxJSONDepth = 10000

// jsonSyntaxError is invalid JSON at offset (bytes from the start of the
// body). Its message follows encoding/json's.
type jsonSyntaxError struct {
	msg    string
	offset int64
}

func (e *jsonSyntaxError) Error() string { return e.msg }

func syntaxError(at int, c byte, context string) *jsonSyntaxError {
	return &jsonSyntaxError{msg: "invalid character " + quoteChar(c) + " " + context, offset: int64(at)}
}

// quoteChar formats c as encoding/json's error messages do.
func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

// errNeedMore says that the buffer ends before the value does.
var errNeedMore = errors.New("json: the value goes on past the buffer")

// short is the error of a value cut by the end of the buffer.
func short(atEOF bool) error {
	if atEOF {
		return io.ErrUnexpectedEOF
	}
	return errNeedMore
}

// Byte classes.
var (
	// jsonSpace: JSON white space.
	jsonSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}
	// strPlain: bytes that need no attention inside a string.
	strPlain = func() (t [256]bool) {
		for c := 0x20; c < 256; c++ {
			t[c] = c != '"' && c != '\\'
		}
		return t
	}()
	// skipStop: bytes that matter when skipping over a validated container.
	skipStop = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true}
	// keyFolds: bytes of a key that folding may change: upper-case ASCII
	// letters, escapes, and multi-byte runes.
	keyFolds = func() (t [256]bool) {
		for c := 0; c < 256; c++ {
			t[c] = 'A' <= c && c <= 'Z' || c == '\\' || c >= utf8.RuneSelf
		}
		return t
	}()
	// literalEnd: bytes that end a number or literal in validated input.
	literalEnd = [256]bool{',': true, '}': true, ']': true, ':': true, ' ': true, '\t': true, '\n': true, '\r': true}
)

func skipSpace(b []byte, i int) int {
	for i < len(b) && jsonSpace[b[i]] {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// jsonMember locates one member of an object in its value's bytes: the
// member is looked for from from (just after the '{' or the previous
// member's value), its key's content is [key, keyEnd), its value
// [val, valEnd).
type jsonMember struct{ from, key, keyEnd, val, valEnd int }

// scanValue validates the JSON value at the start of b (white space
// before it is skipped) as encoding/json does, and returns where it starts
// and ends. It reads nothing past the value's last byte, except that a
// number ends only at the next byte that cannot continue it, or at the end
// of the input when atEOF. When b ends before the value does it returns
// errNeedMore, or io.ErrUnexpectedEOF when atEOF (no more input will
// come). A syntax error is a *jsonSyntaxError whose offset is into b.
//
// When idx is not nil and the value is an object, its members are
// recorded in *idx, their offsets counted from the value's start, so that
// a JSONScanner reading the object later need not look for them again.
func scanValue(b []byte, atEOF bool, idx *[]jsonMember) (start, end int, err error) {
	var stackBuf [64]byte
	stack := stackBuf[:0] // the open containers, '{' or '['
	i := skipSpace(b, 0)
	start = i
	if idx != nil {
		*idx = (*idx)[:0]
	}
	record := idx != nil && i < len(b) && b[i] == '{'
	var m jsonMember // the member being recorded
	for {
		// A value starts at i (after white space).
		i = skipSpace(b, i)
		if i >= len(b) {
			return start, i, short(atEOF)
		}
		if record && len(stack) == 1 {
			m.val = i - start
		}
		switch c := b[i]; c {
		case '{', '[':
			if len(stack) >= maxJSONDepth {
				return start, i, syntaxError(i, c, "exceeded max depth")
			}
			stack = append(stack, c)
			if record && len(stack) == 1 {
				m.from = i + 1 - start
			}
			i = skipSpace(b, i+1)
			if i >= len(b) {
				return start, i, short(atEOF)
			}
			if c == '{' && b[i] == '}' || c == '[' && b[i] == ']' {
				stack = stack[:len(stack)-1]
				i++
				break // an empty container: a complete value
			}
			if c == '{' {
				keyStart, keyEnd := i, 0
				if keyEnd, i, err = scanKey(b, i, atEOF); err != nil {
					return start, i, err
				}
				if record && len(stack) == 1 {
					m.key, m.keyEnd = keyStart+1-start, keyEnd-start
				}
			}
			continue // the first member's value
		case '"':
			if i, err = scanString(b, i, atEOF); err != nil {
				return start, i, err
			}
		case 't':
			if i, err = scanLiteral(b, i, "true", atEOF); err != nil {
				return start, i, err
			}
		case 'f':
			if i, err = scanLiteral(b, i, "false", atEOF); err != nil {
				return start, i, err
			}
		case 'n':
			if i, err = scanLiteral(b, i, "null", atEOF); err != nil {
				return start, i, err
			}
		default:
			if c != '-' && !isDigit(c) {
				return start, i, syntaxError(i, c, "looking for beginning of value")
			}
			var complete bool
			if i, complete, err = scanNumber(b, i); err != nil {
				return start, i, err
			}
			if i >= len(b) {
				// The number may go on in the next bytes.
				if atEOF && complete && len(stack) == 0 {
					return start, i, nil
				}
				return start, i, short(atEOF)
			}
		}
		// A value ended at i: close containers until the next value.
	next:
		for {
			if len(stack) == 0 {
				return start, i, nil
			}
			if record && len(stack) == 1 {
				m.valEnd = i - start
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return start, i, short(atEOF)
			}
			c, top := b[i], stack[len(stack)-1]
			switch {
			case c == ',':
				i++
				if top == '{' {
					i = skipSpace(b, i)
					if i >= len(b) {
						return start, i, short(atEOF)
					}
					keyStart, keyEnd := i, 0
					if keyEnd, i, err = scanKey(b, i, atEOF); err != nil {
						return start, i, err
					}
					if record && len(stack) == 1 {
						*idx = append(*idx, m)
						m = jsonMember{from: m.valEnd, key: keyStart + 1 - start, keyEnd: keyEnd - start}
					}
				}
				break next
			case top == '{' && c == '}', top == '[' && c == ']':
				if record && len(stack) == 1 {
					*idx = append(*idx, m)
				}
				stack = stack[:len(stack)-1]
				i++
			case top == '{':
				return start, i, syntaxError(i, c, "after object key:value pair")
			default:
				return start, i, syntaxError(i, c, "after array element")
			}
		}
	}
}

// scanKey validates an object key and its colon at b[i], and returns the
// index of the key's closing quote and the index after the colon.
func scanKey(b []byte, i int, atEOF bool) (int, int, error) {
	if b[i] != '"' {
		return 0, i, syntaxError(i, b[i], "looking for beginning of object key string")
	}
	i, err := scanString(b, i, atEOF)
	if err != nil {
		return 0, i, err
	}
	keyEnd := i - 1
	i = skipSpace(b, i)
	if i >= len(b) {
		return 0, i, short(atEOF)
	}
	if b[i] != ':' {
		return 0, i, syntaxError(i, b[i], "after object key")
	}
	return keyEnd, i + 1, nil
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// scanString validates the string whose opening quote is b[i] and returns
// the index after its closing quote.
func scanString(b []byte, i int, atEOF bool) (int, error) {
	i++
	for {
		// Eight bytes at a time, to the first quote, backslash or control
		// character. Each test flags the first such byte exactly (its false
		// positives are in later bytes only), so the lowest flag is it.
		found := false
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q, bs := x^(lsb*'"'), x^(lsb*'\\')
			if m := ((q-lsb)&^q | (bs-lsb)&^bs | (x-lsb*0x20)&^x) & msb; m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				found = true
				break
			}
			i += 8
		}
		if !found {
			for i < len(b) && strPlain[b[i]] {
				i++
			}
			if i >= len(b) {
				return i, short(atEOF)
			}
		}
		switch c := b[i]; c {
		case '"':
			return i + 1, nil
		case '\\':
			if i+1 >= len(b) {
				return i, short(atEOF)
			}
			switch e := b[i+1]; e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := i + 2; k < i+6; k++ {
					if k >= len(b) {
						return k, short(atEOF)
					}
					if !isHex(b[k]) {
						return k, syntaxError(k, b[k], "in \\u hexadecimal character escape")
					}
				}
				i += 6
			default:
				return i + 1, syntaxError(i+1, e, "in string escape code")
			}
		default:
			return i, syntaxError(i, c, "in string literal")
		}
	}
}

// scanLiteral validates true, false or null at b[i].
func scanLiteral(b []byte, i int, lit string, atEOF bool) (int, error) {
	for k := 1; k < len(lit); k++ {
		if i+k >= len(b) {
			return i + k, short(atEOF)
		}
		if b[i+k] != lit[k] {
			return i + k, syntaxError(i+k, b[i+k], "in literal "+lit+" (expecting "+quoteChar(lit[k])+")")
		}
	}
	return i + len(lit), nil
}

// scanNumber validates the number at b[i] up to the first byte that cannot
// continue it. complete reports whether the bytes read so far are a whole
// number, should the input end there.
func scanNumber(b []byte, i int) (end int, complete bool, err error) {
	if b[i] == '-' {
		i++
		if i >= len(b) {
			return i, false, nil
		}
	}
	switch c := b[i]; {
	case c == '0':
		i++
	case isDigit(c):
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return i, false, syntaxError(i, c, "in numeric literal")
	}
	if i >= len(b) {
		return i, true, nil
	}
	if b[i] == '.' {
		i++
		if i >= len(b) {
			return i, false, nil
		}
		if !isDigit(b[i]) {
			return i, false, syntaxError(i, b[i], "after decimal point in numeric literal")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i >= len(b) {
			return i, true, nil
		}
	}
	if b[i] == 'e' || b[i] == 'E' {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) {
			return i, false, nil
		}
		if !isDigit(b[i]) {
			return i, false, syntaxError(i, b[i], "in exponent of numeric literal")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i, true, nil
}

// jsonStream reads JSON values and tokens from a body, keeping in memory
// only the value being read (and at most one read chunk beyond it).
type jsonStream struct {
	r   io.Reader
	buf []byte
	pos int          // the next byte to read in buf
	off int64        // the body offset of buf[0]
	err error        // the read error that ended the input (io.EOF included)
	idx []jsonMember // the members of the last element read, reused
}

// streamChunk is the smallest read. Larger reads would run further ahead of
// the parse (a page over its limit must be refused after reading little of
// it); smaller ones cost more calls.
const streamChunk = 32 << 10

func newJSONStream(r io.Reader) *jsonStream { return &jsonStream{r: r} }

// fill reads more input, at least min bytes of it unless the input ends
// first, keeping buf[pos:]. It reads no more than max(min, streamChunk)
// bytes. It returns false when nothing could be read (s.err says why).
func (s *jsonStream) fill(min int) bool {
	if s.err != nil {
		return false
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:])
		s.off += int64(s.pos)
		s.buf, s.pos = s.buf[:n], 0
	}
	room := max(min, streamChunk)
	if cap(s.buf)-len(s.buf) < room {
		nb := make([]byte, len(s.buf), len(s.buf)+room)
		copy(nb, s.buf)
		s.buf = nb
	}
	end := len(s.buf) + room
	added := 0
	for empty := 0; added < min; {
		n, err := s.r.Read(s.buf[len(s.buf):end])
		s.buf = s.buf[:len(s.buf)+n]
		added += n
		if err != nil {
			s.err = err
			break
		}
		if n > 0 {
			empty = 0
		} else if empty++; empty >= 100 {
			s.err = io.ErrNoProgress
			break
		}
	}
	return added > 0
}

// offset is the body offset of buf[i].
func (s *jsonStream) offset(i int) int64 { return s.off + int64(i) }

// peek skips white space and returns the next byte without consuming it;
// at the end of the input it returns the read error (io.EOF when the body
// simply ended).
func (s *jsonStream) peek() (byte, error) {
	for {
		for s.pos < len(s.buf) {
			if c := s.buf[s.pos]; !jsonSpace[c] {
				return c, nil
			}
			s.pos++
		}
		if !s.fill(1) {
			return 0, s.err
		}
	}
}

// value reads and validates the next value and returns its bytes, which
// stay valid until the next call on s. When idx is not nil and the value
// is an object, its members are recorded there (see scanValue).
func (s *jsonStream) value(idx *[]jsonMember) ([]byte, error) {
	for {
		start, end, err := scanValue(s.buf[s.pos:], s.err == io.EOF, idx)
		switch {
		case err == nil:
			if s.pos+end == len(s.buf) && s.err != io.EOF && kindOf[s.buf[s.pos+start]] < JSONObject {
				// encoding/json's Decoder completes a string, number or
				// literal only once it sees the byte after it or the end
				// of the body: a read error there is the error.
				if !s.fill(1) && s.err != io.EOF {
					return nil, s.err
				}
				continue
			}
			v := s.buf[s.pos+start : s.pos+end]
			s.pos += end
			return v, nil
		case err == errNeedMore:
			// The value is scanned again from its start once more input
			// is in: reading at least as much again as the value has so
			// far keeps that linear, however slowly the body trickles
			// in. A read error other than the end of the body is the
			// error, as it is for encoding/json.
			if !s.fill(max(len(s.buf)-s.pos, 1)) && s.err != io.EOF {
				return nil, s.err
			}
		case err == io.ErrUnexpectedEOF:
			return nil, err
		default:
			var se *jsonSyntaxError
			if errors.As(err, &se) {
				se.offset = s.offset(s.pos) + se.offset
			}
			return nil, err
		}
	}
}

// syntaxError is a syntax error at the byte peek returned.
func (s *jsonStream) syntaxError(c byte, context string) error {
	e := syntaxError(0, c, context)
	e.offset = s.offset(s.pos)
	return e
}

// JSONKind is the kind of a JSON value, known from its first byte.
type JSONKind uint8

// The kinds of JSON values.
const (
	JSONInvalid JSONKind = iota // not the start of a value (or the end of the input)
	JSONNull
	JSONBool
	JSONNumber
	JSONString
	JSONObject
	JSONArray
)

var kindOf = func() (t [256]JSONKind) {
	t['n'], t['t'], t['f'] = JSONNull, JSONBool, JSONBool
	t['"'], t['{'], t['['] = JSONString, JSONObject, JSONArray
	t['-'] = JSONNumber
	for c := '0'; c <= '9'; c++ {
		t[c] = JSONNumber
	}
	return t
}()

// JSONScanner walks one JSON value held in memory that is known to be
// valid, such as the element a RawItemDecoder receives: it does not check
// the syntax again, and so reads it at little more than the cost of
// finding its quotes and brackets. On invalid input its results are
// meaningless, but it never panics and every call moves forward or
// reports the end.
//
// Keys and string values come out raw: the bytes between the quotes,
// escapes not decoded. JSONStringValue and AppendJSONString decode them,
// JSONFieldKey folds a key for matching field names.
type JSONScanner struct {
	data []byte
	pos  int
	// The page reader's index of the members of data's top-level object,
	// and the next of them: NextKey takes a member from it when s is
	// where that member is to be looked for.
	idx  []jsonMember
	next int
	// The value NextKey returned the member of, when it came from idx:
	// Raw and Skip at [valFrom, valTo) need not look for its end.
	valFrom, valTo int
}

// Reset makes s read b from its start.
func (s *JSONScanner) Reset(b []byte) { s.reset(b, nil) }

// reset makes s read b, whose top-level members idx locates (nil when
// unknown).
func (s *JSONScanner) reset(b []byte, idx []jsonMember) {
	*s = JSONScanner{data: b, idx: idx, valFrom: -1}
}

// Bytes returns the whole value s reads.
func (s *JSONScanner) Bytes() []byte { return s.data }

func (s *JSONScanner) skipSpace() { s.pos = skipSpace(s.data, s.pos) }

// Kind is the kind of the next value, which is not consumed.
func (s *JSONScanner) Kind() JSONKind {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return JSONInvalid
	}
	return kindOf[s.data[s.pos]]
}

// Raw returns the bytes of the next value, quotes and brackets included,
// and moves past it.
func (s *JSONScanner) Raw() []byte {
	if s.pos == s.valFrom {
		s.pos = s.valTo
		return s.data[s.valFrom:s.valTo]
	}
	s.skipSpace()
	start := s.pos
	s.pos = skipJSONValue(s.data, s.pos)
	return s.data[start:s.pos]
}

// Skip moves past the next value.
func (s *JSONScanner) Skip() {
	if s.pos == s.valFrom {
		s.pos = s.valTo
		return
	}
	s.skipSpace()
	s.pos = skipJSONValue(s.data, s.pos)
}

// EnterObject consumes the '{' of the next value when it is an object and
// reports whether it was; anything else is left unread.
func (s *JSONScanner) EnterObject() bool { return s.enter('{') }

// EnterArray consumes the '[' of the next value when it is an array and
// reports whether it was; anything else is left unread.
func (s *JSONScanner) EnterArray() bool { return s.enter('[') }

func (s *JSONScanner) enter(c byte) bool {
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// NextKey moves to the next member of the object entered and returns its
// raw key; the member's value is next, to be read or skipped. At the end
// of the object it consumes the '}' and returns false.
func (s *JSONScanner) NextKey() (key []byte, ok bool) {
	if s.next < len(s.idx) && s.idx[s.next].from == s.pos {
		m := &s.idx[s.next]
		s.next++
		s.pos, s.valFrom, s.valTo = m.val, m.val, m.valEnd
		return s.data[m.key:m.keyEnd], true
	}
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == ',' {
		s.pos++
		s.skipSpace()
	}
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		if s.pos < len(s.data) && s.data[s.pos] == '}' {
			s.pos++
		}
		return nil, false
	}
	end := skipJSONString(s.data, s.pos)
	key = s.data[s.pos+1 : max(end-1, s.pos+1)]
	s.pos = skipSpace(s.data, end)
	if s.pos < len(s.data) && s.data[s.pos] == ':' {
		s.pos++
	}
	return key, true
}

// Members walks the members of the object the scanner is at. member gets
// each member's key as JSONFieldKey folds it (valid only during the call)
// and reads the value (Raw, Skip, or a nested walk) when it returns true;
// the value of a member it returns false for is skipped. Members reports
// false, with the value skipped, when the next value is not an object.
func (s *JSONScanner) Members(member func(key []byte) bool) bool {
	if s.Kind() != JSONObject {
		s.Skip()
		return false
	}
	var kb [64]byte
	s.EnterObject()
	for {
		key, ok := s.NextKey()
		if !ok {
			return true
		}
		if !member(JSONFieldKey(kb[:0], key)) {
			s.Skip()
		}
	}
}

// NextElement moves to the next element of the array entered and reports
// whether there is one, to be read or skipped. At the end of the array it
// consumes the ']' and returns false.
func (s *JSONScanner) NextElement() bool {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return false
	}
	switch s.data[s.pos] {
	case ']':
		s.pos++
		return false
	case ',':
		s.pos++
		s.skipSpace()
	}
	return s.pos < len(s.data)
}

// skipJSONValue returns the index after the validated value at b[i]; it
// always moves forward when i < len(b).
func skipJSONValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipJSONString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			c := b[i]
			if !skipStop[c] {
				i++
				continue
			}
			switch c {
			case '"':
				i = skipJSONString(b, i)
				continue
			case '{', '[':
				depth++
			default:
				depth--
			}
			i++
			if depth == 0 {
				return i
			}
		}
		return i
	}
	i++
	for i < len(b) && !literalEnd[b[i]] {
		i++
	}
	return i
}

// skipJSONString returns the index after the closing quote of the string
// whose opening quote is b[i].
func skipJSONString(b []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return len(b)
		}
		j += k
		// The quote is escaped when an odd number of backslashes
		// precede it.
		n := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		j++
		if n%2 == 0 {
			return j
		}
	}
}

// JSONStringValue decodes the raw content of a JSON string (the bytes
// between its quotes) as encoding/json does: escapes decoded, surrogate
// pairs joined, and invalid UTF-8 and lone surrogates replaced by U+FFFD.
func JSONStringValue(raw []byte) string {
	if PlainJSONString(raw) {
		return string(raw)
	}
	return string(AppendJSONString(nil, raw))
}

// PlainJSONString reports whether the raw content of a JSON string decodes
// to itself (no escapes, valid UTF-8), so that it can be used as it is.
func PlainJSONString(raw []byte) bool {
	i := 0
	for ; i+8 <= len(raw); i += 8 {
		x := binary.LittleEndian.Uint64(raw[i:])
		bs := x ^ (lsb * '\\')
		if (x|(bs-lsb)&^bs)&msb != 0 {
			break // a backslash, or a byte past ASCII: see below
		}
	}
	for ; i < len(raw); i++ {
		if c := raw[i]; c == '\\' {
			return false
		} else if c >= utf8.RuneSelf {
			return bytes.IndexByte(raw[i:], '\\') < 0 && utf8.Valid(raw[i:])
		}
	}
	return true
}

// AppendJSONString appends the decoded raw content of a JSON string to dst
// (see JSONStringValue). Its rules are those of encoding/json's unquote.
func AppendJSONString(dst, raw []byte) []byte {
	for r := 0; r < len(raw); {
		switch c := raw[r]; {
		case c == '\\':
			if r+1 >= len(raw) {
				return dst
			}
			switch e := raw[r+1]; e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				rr := getu4(raw[r:])
				if rr < 0 {
					return dst
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(raw[r:])); dec != unicode.ReplacementChar {
						dst = utf8.AppendRune(dst, dec)
						r += 6
						continue
					}
					rr = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, rr)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, e)
			}
			r += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			r++
		default:
			rr, size := utf8.DecodeRune(raw[r:])
			dst = utf8.AppendRune(dst, rr)
			r += size
		}
	}
	return dst
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// JSONFieldKey returns the raw object key decoded and folded so that it
// equals the lower-case ASCII name of a struct field exactly when
// encoding/json would decode the member into that field: names match
// case-insensitively, with Unicode simple folding (so "ſ" matches "s" and
// the Kelvin sign "K" matches "k"). The result is key itself when it needs
// no change, else it is appended to dst.
//
// This is encoding/json's matching for a struct whose field names are
// distinct under folding (its exact-match precedence then makes no
// difference), which every struct decoded with it here is.
func JSONFieldKey(dst, key []byte) []byte {
	if foldedKey(key) {
		return key
	}
	for _, c := range key {
		if c >= utf8.RuneSelf || c == '\\' {
			var tmp [64]byte
			return appendFoldedKey(dst, AppendJSONString(tmp[:0], key))
		}
	}
	return appendFoldedKey(dst, key)
}

// foldedKey reports whether key is folded already: no upper-case ASCII
// letter, no escape, ASCII only.
func foldedKey(key []byte) bool {
	i := 0
	for ; i+8 <= len(key); i += 8 {
		x := binary.LittleEndian.Uint64(key[i:])
		if x&msb != 0 {
			return false
		}
		// With every byte below 0x80 these sums carry into no other byte:
		// the top bit of a byte of up is set from 'A' on, of past from
		// past 'Z' on.
		bs, up, past := x^(lsb*'\\'), x+lsb*(0x80-'A'), x+lsb*(0x80-'Z'-1)
		if ((bs-lsb)&^bs|up&^past)&msb != 0 {
			return false
		}
	}
	for ; i < len(key); i++ {
		if keyFolds[key[i]] {
			return false
		}
	}
	return true
}

// appendFoldedKey appends the decoded key k folded: ASCII letters to lower
// case, other runes to the smallest rune of their simple-folding orbit as
// encoding/json does, lowered again when that is an ASCII letter.
func appendFoldedKey(dst, k []byte) []byte {
	for i := 0; i < len(k); {
		c := k[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(k[i:])
		i += n
		r = foldRune(r)
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// foldRune returns the smallest rune of r's simple-folding orbit, as
// encoding/json's field matching does.
func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}
