package model

import (
	"context"
	"time"
)

// CapabilityJobs names JobReader: the provider's asynchronous tasks
// (desktop creations, rebuilds, power actions, the service subscription…).
const CapabilityJobs = "jobs"

// Enum fields of jobs whose documented values a provider's spec table
// lists.
const (
	// FieldJobType is a (sub)job's type.
	FieldJobType = "job.job_type"
	// FieldJobStatus is a (sub)job's status.
	FieldJobStatus = "job.status"
)

// Job is one subtask of an asynchronous task: one desktop's part of a
// batch operation, or the whole of a single one. Enum fields keep whatever
// value the API sent; every string is safe for a label value (secrets
// redacted, valid UTF-8, bounded).
type Job struct {
	// Key identifies the subtask across requests: its ID, or a digest of
	// its identifying fields when it has none.
	Key string
	// JobID is the parent task's ID ("" when absent or not an ID).
	JobID   string
	JobType string
	Status  string
	// Phase is what Status means (see Phase).
	Phase     Phase
	DesktopID string
	Begin     time.Time // zero when absent or unparsable
	End       time.Time // zero when absent or unparsable
	// Progress is 0..100; valid when HasProgress.
	Progress    int
	HasProgress bool
	// ErrorCode is the error code of a failed subtask ("" when none).
	ErrorCode string
}

// JobDetail is one asynchronous task and its subtasks.
type JobDetail struct {
	ID, JobType, Status string
	Begin, End          time.Time
	// ErrorCode is the task's error code ("" when none).
	ErrorCode string
	// SubJobsTotal is the number of subtasks the API announces; valid
	// when HasSubJobsTotal.
	SubJobsTotal    int64
	HasSubJobsTotal bool
	SubJobs         []Job
}

// JobReader reads asynchronous tasks.
type JobReader interface {
	// ListJobs returns every subtask the provider lists, complete or an
	// error.
	ListJobs(ctx context.Context) ([]Job, ListStats, error)
	// ShowJob returns one task with its subtasks. found is false (and
	// err nil) when the provider answers that no such task exists.
	ShowJob(ctx context.Context, id string) (job JobDetail, found bool, err error)
}
