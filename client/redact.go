package client

import (
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces every secret, and every fragment of one, that a
// Redactor finds.
const Redacted = "<redacted>"

// FragmentLen is the length of the shortest secret fragment a Redactor
// removes: any FragmentLen consecutive bytes of a configured secret are
// redacted wherever they appear, so a secret cut by a truncation, or echoed
// in part, leaks nothing useful. Secrets shorter than this (but at least
// minSecretLen) are matched whole.
const FragmentLen = 8

// minSecretLen is the length below which a value is not treated as a
// secret (it would redact ordinary words).
const minSecretLen = 4

// Bounds of the strings taken from API responses.
const (
	// MaxMessageLen bounds an error message, an error code, a request ID or
	// a header value quoted in an error or a log line.
	MaxMessageLen = 300
	// MaxLabelLen bounds a label value taken from an API response.
	MaxLabelLen = 128
)

// Redactor removes configured secrets from strings that came from outside
// (response bodies, headers, error messages, label values) before they
// reach a log, an error or a label, and bounds their length. Its secrets
// can be replaced while it is in use (credential rotation); it is safe for
// concurrent use. The zero value redacts nothing and only bounds.
type Redactor struct {
	set atomic.Pointer[secretSet]
}

type secretSet struct {
	maxLen int
	short  []string            // secrets of minSecretLen..FragmentLen-1 bytes
	grams  map[uint64]struct{} // every FragmentLen-byte window of the longer ones
	filter [1 << 10]uint64     // bitmap over gramHash, a fast negative test
}

// NewRedactor returns a Redactor of the given secrets.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.SetSecrets(secrets...)
	return r
}

// SetSecrets replaces the secrets. Empty and very short values are
// ignored.
func (r *Redactor) SetSecrets(secrets ...string) {
	s := &secretSet{grams: map[uint64]struct{}{}}
	for _, sec := range secrets {
		switch {
		case len(sec) < minSecretLen:
			continue
		case len(sec) < FragmentLen:
			s.short = append(s.short, sec)
		default:
			for i := 0; i+FragmentLen <= len(sec); i++ {
				g := load64(sec, i)
				s.grams[g] = struct{}{}
				h := gramHash(g)
				s.filter[h>>6] |= 1 << (h & 63)
			}
		}
		s.maxLen = max(s.maxLen, len(sec))
	}
	r.set.Store(s)
}

// load64 reads the FragmentLen bytes of s at i as one number.
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

func gramHash(g uint64) uint64 { return (g * 0x9E3779B97F4A7C15) >> 48 & (1<<16 - 1) }

// Message makes s safe for an error or a log line: at most MaxMessageLen
// bytes, secrets removed before the cut, valid UTF-8, control characters
// and runs of white space folded into one space.
func (r *Redactor) Message(s string) string { return r.clean(s, MaxMessageLen, true) }

// Label makes s safe for a label value: secrets removed, valid UTF-8, at
// most MaxLabelLen bytes. White space inside is kept.
func (r *Redactor) Label(s string) string { return r.clean(s, MaxLabelLen, false) }

// Bounded is Message with another length bound.
func (r *Redactor) Bounded(s string, limit int) string { return r.clean(s, limit, true) }

func (r *Redactor) clean(s string, limit int, fold bool) string {
	var set *secretSet
	if r != nil {
		set = r.set.Load()
	}
	// Cut first to what can matter: a secret that starts before the limit
	// ends before limit+maxLen, so it is still redacted whole.
	keep := limit
	if set != nil {
		keep += set.maxLen
	}
	if len(s) > keep+4 {
		s = s[:keep+4]
	}
	if set != nil {
		s = set.redact(s)
	}
	if fold {
		s = foldSpace(s)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return truncate(s, limit)
}

// redact replaces every secret and every FragmentLen-byte fragment of one.
func (set *secretSet) redact(s string) string {
	var mark []bool
	markRange := func(from, to int) {
		if mark == nil {
			mark = make([]bool, len(s))
		}
		for i := from; i < to; i++ {
			mark[i] = true
		}
	}
	if len(set.grams) > 0 {
		for i := 0; i+FragmentLen <= len(s); i++ {
			g := load64(s, i)
			h := gramHash(g)
			if set.filter[h>>6]&(1<<(h&63)) == 0 {
				continue
			}
			if _, ok := set.grams[g]; ok {
				markRange(i, i+FragmentLen)
			}
		}
	}
	for _, sec := range set.short {
		for off := 0; ; {
			i := strings.Index(s[off:], sec)
			if i < 0 {
				break
			}
			markRange(off+i, off+i+len(sec))
			off += i + 1
		}
	}
	if mark == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if !mark[i] {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteString(Redacted)
		for i < len(s) && mark[i] {
			i++
		}
	}
	return b.String()
}

// foldSpace replaces control characters and runs of white space by one
// space and trims the ends, so a response cannot forge log lines.
func foldSpace(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || (c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ')) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
}

// truncate cuts s to at most limit bytes on a rune boundary, marking the
// cut with an ellipsis.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const ell = "…"
	cut := max(limit-len(ell), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}
