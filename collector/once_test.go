package collector

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/workspace-exporter/workspace_exporter/model"
)

// testPhase is the phase a provider would give the status words the
// fake readers of the collector tests use (Huawei's words).
func testPhase(status string) model.Phase {
	switch strings.ToUpper(status) {
	case "SUCCESS", "FINISH":
		return model.PhaseSucceeded
	case "FAILED", "FAIL":
		return model.PhaseFailed
	case "SKIP":
		return model.PhaseSkipped
	case "RUNNING":
		return model.PhaseRunning
	case "WAITING", "INIT":
		return model.PhaseWaiting
	}
	return model.PhaseUnknown
}

func TestOnceSetPrimesThenCountsEachKeyOnce(t *testing.T) {
	s := newOnceSet()
	tx := s.Begin()
	if tx.Observe("a", 100) || tx.Observe("b", 100) {
		t.Fatal("the priming refresh counted an item")
	}
	if s.Primed() || s.Len() != 0 {
		t.Fatal("Observe changed the set before Commit")
	}
	if s.WouldCount("a") {
		t.Fatal("WouldCount is true before the set is primed")
	}
	tx.Commit(0)
	if !s.WouldCount("z") || s.WouldCount("a") {
		t.Fatal("WouldCount after priming: want true for a new key, false for a remembered one")
	}
	if !s.Primed() || s.Len() != 2 {
		t.Fatalf("after the first commit: primed %v, %d keys; want true, 2", s.Primed(), s.Len())
	}

	tx = s.Begin()
	got := []bool{tx.Observe("a", 200), tx.Observe("c", 200), tx.Observe("c", 200), tx.Observe("d", 200)}
	if want := []bool{false, true, false, true}; !slices.Equal(got, want) {
		t.Fatalf("Observe a, c, c, d = %v, want %v", got, want)
	}
	if tx.Counted != 2 {
		t.Fatalf("Counted = %d, want 2", tx.Counted)
	}
	// A refresh that fails is never committed: the next one counts c and
	// d again, once.
	tx = s.Begin()
	if !tx.Observe("c", 200) || !tx.Observe("d", 200) || tx.Observe("a", 200) {
		t.Fatal("an uncommitted refresh changed what the next one counts")
	}
	tx.Commit(0)
	tx = s.Begin()
	if tx.Observe("c", 300) || tx.Observe("d", 300) {
		t.Fatal("a committed item was counted again")
	}
}

func TestOnceSetForgetsBeforeCutAndRenewsObservedKeys(t *testing.T) {
	s := newOnceSet()
	tx := s.Begin()
	tx.Observe("old", 10)
	tx.Observe("kept", 10)
	tx.Commit(0)

	tx = s.Begin()
	tx.Observe("kept", 50) // listed again: its time is renewed
	tx.Observe("new", 50)
	if n := tx.Size(20); n != 2 {
		t.Fatalf("Size(20) = %d, want 2 (kept renewed, new; old forgotten)", n)
	}
	if n := tx.Size(0); n != 3 {
		t.Fatalf("Size(0) = %d, want 3", n)
	}
	tx.Commit(20)
	if s.Len() != 2 {
		t.Fatalf("%d keys remembered after Commit(20), want 2", s.Len())
	}
	tx = s.Begin()
	if tx.Observe("kept", 60) {
		t.Fatal("a renewed key was forgotten")
	}
	if !tx.Observe("old", 60) {
		t.Fatal("a forgotten key was not counted when listed again")
	}
}

func TestStickyValuesKeepTheFirstUndocumentedValues(t *testing.T) {
	documented := []string{"A", "B"}
	v := newStickyValues(documented)
	tx := v.Begin()
	if got := tx.Value("A"); got != "A" {
		t.Fatalf("documented value = %q", got)
	}
	for i := range MaxUndocumentedValues {
		if got, want := tx.Value(fmt.Sprint("x", i)), fmt.Sprint("x", i); got != want {
			t.Fatalf("undocumented value %d = %q, want %q", i, got, want)
		}
	}
	if got := tx.Value("x0"); got != "x0" {
		t.Fatalf("a value added in this refresh = %q, want x0", got)
	}
	if got := tx.Value("late"); got != OtherValue {
		t.Fatalf("value past the bound = %q, want %q", got, OtherValue)
	}
	if len(v.Values(documented)) != 2 {
		t.Fatal("values were kept before Commit")
	}
	tx.Commit()
	vals := v.Values(documented)
	if len(vals) != 2+MaxUndocumentedValues || vals[0] != "A" || vals[2] != "x0" {
		t.Fatalf("Values after Commit = %v", vals)
	}
	tx = v.Begin()
	if got := tx.Value("x5"); got != "x5" {
		t.Fatalf("a kept value = %q, want x5", got)
	}
	if got := tx.Value("later"); got != OtherValue {
		t.Fatalf("value past the bound in a later refresh = %q, want other", got)
	}
	if got := tx.Value(OtherValue); got != OtherValue {
		t.Fatalf("the value %q itself = %q", OtherValue, got)
	}
}
