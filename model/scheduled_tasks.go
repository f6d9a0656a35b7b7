package model

import (
	"context"
	"errors"
	"time"
)

// CapabilityScheduledTasks names ScheduledTaskReader: the provider's
// scheduled tasks (timed or triggered power actions, rebuilds, scripts,
// snapshots on desktops) and their execution records.
const CapabilityScheduledTasks = "scheduled_tasks"

// Enum fields of scheduled tasks whose documented values a provider's
// spec table lists.
const (
	// FieldScheduledTaskType is a scheduled task's (and a record's) type.
	FieldScheduledTaskType = "scheduled_task.task_type"
	// FieldScheduledType is a scheduled task's period type.
	FieldScheduledType = "scheduled_task.scheduled_type"
	// FieldScheduledTaskLastStatus is the status of a task's latest
	// execution (and the documented set of execution statuses).
	FieldScheduledTaskLastStatus = "scheduled_task.last_status"
)

// ErrScheduledTaskNotFound is wrapped by the errors of a task (or record)
// the provider says does not exist (deleted while being read).
var ErrScheduledTaskNotFound = errors.New("no such scheduled task or record")

// ScheduledTask is one scheduled task. Enum fields keep whatever value
// the API sent; every string is safe for a label value (secrets redacted,
// valid UTF-8, bounded).
type ScheduledTask struct {
	// ID identifies the task; PathSafe tells whether it can be asked
	// for (records, details).
	ID       string
	PathSafe bool
	// Name is the operator-chosen task name.
	Name                                string
	TaskType, ScheduledType, LastStatus string
	// LastFailed tells whether the latest execution failed (the provider
	// knows its statuses).
	LastFailed bool
	Enabled    bool
	// NextExecution is zero when absent, unparsable or in a time zone
	// the exporter does not know.
	NextExecution time.Time
}

// ScheduledTaskDetail is what a task's details add to the listing.
type ScheduledTaskDetail struct {
	ID string
	// Expire is the expiration time; zero when absent, unparsable or in
	// an unknown time zone.
	Expire time.Time
	// ApplyObjects is the number of objects the task applies to
	// (desktops, pools, tags, all desktops: each one object).
	ApplyObjects int
}

// ScheduledTaskRecord is one execution of a task.
type ScheduledTaskRecord struct {
	// ID identifies the record; PathSafe tells whether its details can
	// be asked for.
	ID       string
	PathSafe bool
	TaskType string
	// Status is the execution status as sent (not enumerated by the
	// documentation).
	Status string
	// Start is zero when absent, unparsable or in an unknown time zone.
	Start                    time.Time
	Success, Failed, Skipped int64
}

// ScheduledTaskRecordDetail is one desktop's part of an execution.
type ScheduledTaskRecordDetail struct {
	ID, DesktopID          string
	ExecStatus, ResultCode string
	// Failed tells whether the desktop's part did not succeed and was not
	// skipped (the provider knows its statuses).
	Failed bool
}

// ScheduledTaskReader reads scheduled tasks and their execution records.
type ScheduledTaskReader interface {
	// ListScheduledTasks returns every task (periodic and triggered),
	// each once, complete or an error.
	ListScheduledTasks(ctx context.Context) ([]ScheduledTask, ListStats, error)
	// ShowScheduledTask returns a task's details. found is false (and err
	// nil) when the provider answers that no such task exists.
	ShowScheduledTask(ctx context.Context, id string) (d ScheduledTaskDetail, found bool, err error)
	// ListScheduledTaskRecords returns every execution record of a task;
	// an error wrapping ErrScheduledTaskNotFound when the task is gone.
	ListScheduledTaskRecords(ctx context.Context, taskID string) ([]ScheduledTaskRecord, ListStats, error)
	// ListScheduledTaskRecordDetails returns every per-desktop detail of
	// a record; an error wrapping ErrScheduledTaskNotFound when it is
	// gone.
	ListScheduledTaskRecordDetails(ctx context.Context, taskID, recordID string) ([]ScheduledTaskRecordDetail, ListStats, error)
}
