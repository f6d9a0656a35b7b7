package collector

import (
	"crypto/sha256"
	"slices"
)

// Counting each item once across overlapping listings: the pattern of
// every counter the exporter derives from a list the API keeps (finished
// jobs, finished script runs, scheduled task runs, installation jobs).
// The API lists the same finished item on many refreshes; a counter must
// add it once. A onceSet remembers the (digested) keys of the items
// already counted; a refresh works on a onceTx and the set changes only
// when the refresh commits, after it succeeded as a whole, so a failed
// refresh counts nothing and forgets nothing. The first committed refresh
// of a process primes the set: it remembers what is already there and
// counts nothing, so a restart never counts old items again.
//
// Sticky label values (stickyValues) go with it: a counter's label value
// that the documentation does not list keeps its own series for the life
// of the process (a counter series must not vanish), so only the first
// MaxUndocumentedValues such values get one; later ones count as
// OtherValue.

// onceKey is an item's key, digested: a remembered key takes 16 bytes
// whatever the provider's keys are.
type onceKey [16]byte

func onceKeyOf(k string) onceKey {
	sum := sha256.Sum256([]byte(k))
	return onceKey(sum[:16])
}

// onceSet is the keys counted, each with a Unix second that decides when
// it is forgotten (see commit). The zero value is not usable: use
// newOnceSet. Not safe for concurrent use: a collector's refreshes are
// serialised by the framework, and its state lock (if any) guards it.
type onceSet struct {
	primed bool
	seen   map[onceKey]int64
}

func newOnceSet() *onceSet { return &onceSet{seen: map[onceKey]int64{}} }

// Primed reports whether a refresh was committed (counting has begun).
func (s *onceSet) Primed() bool { return s.primed }

// Len is how many keys are remembered.
func (s *onceSet) Len() int { return len(s.seen) }

// WouldCount reports whether a refresh's first Observe of key would
// count it: the set is primed and does not remember key.
func (s *onceSet) WouldCount(key string) bool {
	_, ok := s.seen[onceKeyOf(key)]
	return s.primed && !ok
}

// onceTx is one refresh's pending changes to a onceSet.
type onceTx struct {
	set  *onceSet
	adds map[onceKey]int64
	// Counted is how many items Observe reported to count.
	Counted int
}

// Begin starts a refresh's changes.
func (s *onceSet) Begin() *onceTx {
	return &onceTx{set: s, adds: map[onceKey]int64{}}
}

// Observe notes a settled item (one that will not change any more) with
// key and time at (Unix seconds; see commit) and reports whether the
// refresh counts it: true the first time the item is observed after the
// set was primed, false when it is remembered, was observed earlier in
// this refresh, or the set is priming. Observing a remembered item again
// renews its time to at.
func (tx *onceTx) Observe(key string, at int64) bool {
	k := onceKeyOf(key)
	_, repeated := tx.adds[k]
	tx.adds[k] = at
	if _, ok := tx.set.seen[k]; ok || repeated || !tx.set.primed {
		return false
	}
	tx.Counted++
	return true
}

// Size is how many keys the set would remember after Commit(cut).
func (tx *onceTx) Size(cut int64) int {
	n := 0
	for _, at := range tx.adds {
		if at >= cut {
			n++
		}
	}
	for k, at := range tx.set.seen {
		if _, renewed := tx.adds[k]; !renewed && at >= cut {
			n++
		}
	}
	return n
}

// Commit applies the refresh: remembers the keys observed with their
// time (renewed for those already remembered) and forgets every key
// whose time is before cut, then marks the set primed. A caller whose
// items carry their own time (a record's start) uses it as at and the
// start of the listed window as cut; one whose items carry none uses the
// refresh time as at, so that a key is forgotten when the API stopped
// listing it for as long as cut reaches back.
func (tx *onceTx) Commit(cut int64) {
	s := tx.set
	for k, at := range tx.adds {
		s.seen[k] = at
	}
	for k, at := range s.seen {
		if at < cut {
			delete(s.seen, k)
		}
	}
	s.primed = true
}

// stickyValues are the undocumented label values of a counter that got
// their own series, in the order first counted; at most
// MaxUndocumentedValues. Not safe for concurrent use (see onceSet).
type stickyValues struct {
	documented map[string]bool
	kept       []string
}

func newStickyValues(documented []string) *stickyValues {
	v := &stickyValues{documented: make(map[string]bool, len(documented))}
	for _, d := range documented {
		v.documented[d] = true
	}
	return v
}

// Values are the label values with a series: the documented ones, in
// the order given, then the kept undocumented ones.
func (v *stickyValues) Values(documented []string) []string {
	return append(append(make([]string, 0, len(documented)+len(v.kept)), documented...), v.kept...)
}

// stickyTx is one refresh's new sticky values.
type stickyTx struct {
	v     *stickyValues
	added []string
}

// Begin starts a refresh's changes.
func (v *stickyValues) Begin() *stickyTx { return &stickyTx{v: v} }

// Value is the counter label value of s: s itself when documented, kept
// or one of the first MaxUndocumentedValues undocumented values;
// OtherValue after that.
func (tx *stickyTx) Value(s string) string {
	switch {
	case tx.v.documented[s], slices.Contains(tx.v.kept, s), slices.Contains(tx.added, s):
		return s
	case s != OtherValue && len(tx.v.kept)+len(tx.added) < MaxUndocumentedValues:
		tx.added = append(tx.added, s)
		return s
	}
	return OtherValue
}

// Commit keeps the refresh's new values.
func (tx *stickyTx) Commit() { tx.v.kept = append(tx.v.kept, tx.added...) }
