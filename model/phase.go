package model

// Phase is where an asynchronous item (a job, a script run, an
// installation) stands, as its provider reads the item's status: each
// provider documents its own status words, and collectors count by
// phase, never by comparing a provider's words. The status itself stays
// on the item as sent, for labels.
type Phase uint8

// The phases. Only PhaseSucceeded, PhaseFailed and PhaseSkipped are
// finished.
const (
	// PhaseUnknown is a status the provider does not document.
	PhaseUnknown Phase = iota
	// PhaseWaiting is a documented status of an item not started yet
	// (queued, initialising).
	PhaseWaiting
	// PhaseRunning is a documented status of an item in progress.
	PhaseRunning
	// PhaseSucceeded is a documented terminal status of success.
	PhaseSucceeded
	// PhaseFailed is a documented terminal status of failure.
	PhaseFailed
	// PhaseSkipped is a documented terminal status of an item that did
	// not run (its target was not eligible).
	PhaseSkipped
)

// Finished reports whether p is a terminal phase.
func (p Phase) Finished() bool { return p >= PhaseSucceeded }

// String names the phase.
func (p Phase) String() string {
	switch p {
	case PhaseWaiting:
		return "waiting"
	case PhaseRunning:
		return "running"
	case PhaseSucceeded:
		return "succeeded"
	case PhaseFailed:
		return "failed"
	case PhaseSkipped:
		return "skipped"
	}
	return "unknown"
}
