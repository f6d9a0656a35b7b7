package model

import (
	"context"
	"fmt"
	"time"
)

// The application installation jobs domain: the jobs that install
// applications on desktops (Huawei: App Center, §4.31.16 of the API
// reference).

// CapabilityAppInstalls is the capability of a client that implements
// AppInstallJobLister.
const CapabilityAppInstalls = "app_installs"

// FieldAppInstallStatus names the documented statuses of an installation
// job (Huawei: INIT, WAITING, SUCCESS, FAIL).
const FieldAppInstallStatus = "app_install.job_status"

// AppInstallJob is one application installation job. Status and AppName
// are safe for a label value (secrets redacted, valid UTF-8, bounded);
// the operator, the target user and the failure text are not read.
type AppInstallJob struct {
	// Key identifies the job across pages and refreshes: its ID, or a
	// digest of its identifying fields when it has none usable.
	Key string
	// Status keeps whatever value the API sent ("" when absent).
	Status string
	// Phase is what Status means (see Phase).
	Phase Phase
	// AppName is the application's name ("" when absent).
	AppName string
	// InstanceID is the desktop the job installs on ("" when absent or
	// not a clean identifier).
	InstanceID string
	// Created and Updated are zero when absent or unparsable.
	Created, Updated time.Time
}

// AppInstallJobLister lists installation jobs.
type AppInstallJobLister interface {
	// ListAppInstallJobs returns every installation job the provider
	// lists, complete, or an error; a list of more than maxJobs jobs is
	// a *TooManyItemsError (and is not read to its end).
	ListAppInstallJobs(ctx context.Context, maxJobs int) ([]AppInstallJob, ListStats, error)
}

// TooManyItemsError is a list longer than the bound the caller set.
type TooManyItemsError struct {
	Operation string
	// Max is the bound; Total the length announced (-1 when unknown:
	// the list went on past the bound).
	Max   int
	Total int64
}

func (e *TooManyItemsError) Error() string {
	if e.Total < 0 {
		return fmt.Sprintf("%s: the list goes on past %d items", e.Operation, e.Max)
	}
	return fmt.Sprintf("%s: the API lists %d items, more than %d", e.Operation, e.Total, e.Max)
}
