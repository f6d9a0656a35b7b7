package model

import (
	"context"
	"time"
)

// CapabilityScripts names ScriptReader: script and command executions on
// desktops (batch runs over desktops and over desktop pools).
const CapabilityScripts = "scripts"

// Enum fields of script executions whose documented values a provider's
// spec table lists.
const (
	// FieldPoolScriptTaskStatus is a desktop-pool script task's status.
	FieldPoolScriptTaskStatus = "script.pool_task.status"
	// FieldScriptTaskStatus is a script task's status (no documented
	// value: the provider's table may list none).
	FieldScriptTaskStatus = "script.task.status"
	// FieldScriptRunStatus is one desktop run's status (no documented
	// value: the provider's table may list none).
	FieldScriptRunStatus = "script.run.status"
)

// ScriptTask is one script or command execution task: a batch run over
// desktops, or over a desktop pool. Enum fields keep whatever value the
// API sent; every string is safe for a label value (secrets redacted,
// valid UTF-8, bounded).
type ScriptTask struct {
	// Key identifies the task across requests: its ID, or a digest of
	// its identifying fields when it has none.
	Key string
	// PoolID is the desktop pool of a pool task ("" otherwise).
	PoolID string
	Status string
	// Phase is what Status means (see Phase).
	Phase Phase
	Start time.Time // zero when absent or unparsable
	End   time.Time // zero when absent or unparsable
	// Succeeded, Failed and Skipped are the task's desktop runs by
	// outcome (0 when absent or not a sane count).
	Succeeded, Failed, Skipped int64
}

// ScriptRun is one desktop's run of a script task.
type ScriptRun struct {
	// Key identifies the run across requests (see ScriptTask.Key).
	Key string
	// TaskID is the task's ID ("" when absent or not a clean ID).
	TaskID string
	Status string
	// Phase is what Status means (see Phase).
	Phase Phase
	Start time.Time // zero when absent or unparsable
	End   time.Time // zero when absent or unparsable
	// ResultCode is the run's error code ("" when none), bounded.
	ResultCode string
}

// ScriptReader reads script executions whose execution time lies in a
// window. Each list is complete or an error.
type ScriptReader interface {
	// ListScriptTasks returns the script tasks executed in [from, to].
	ListScriptTasks(ctx context.Context, from, to time.Time) ([]ScriptTask, ListStats, error)
	// ListScriptRuns returns the desktop runs executed in [from, to].
	ListScriptRuns(ctx context.Context, from, to time.Time) ([]ScriptRun, ListStats, error)
	// ListPoolScriptTasks returns the desktop-pool script tasks executed
	// in [from, to].
	ListPoolScriptTasks(ctx context.Context, from, to time.Time) ([]ScriptTask, ListStats, error)
}
