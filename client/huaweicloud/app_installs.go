package huaweicloud

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// OpListAppInstallJobs is GET /v1/{project_id}/app-center/jobs
// (§4.31.16, App Center; note the v1 prefix).
const OpListAppInstallJobs = hwspec.OpListAppInstallJobs

// Paging of §4.31.16 (003 L48452-48453, L48473-48474): offset from 0,
// limit 1..100 (default 10), the jobs in items, the total in count.
const (
	appInstallListKey  = "items"
	appInstallTotalKey = "count"
	appInstallMaxLimit = 100
)

// AppInstallJob is one §4.31.16 AppInstallJob (003 L48476-48492) in the
// provider-neutral model.
//
// Key is id when it is a usable identifier and a clean label value
// (nothing for the Redactor to remove); otherwise "sha256:" and 32 hex
// digits of a digest of id, app_id, instance_id and create_time as sent.
// A job with none of them cannot be told apart from others: it is skipped
// and counted as invalid. Status is job_status and AppName app_name,
// trimmed, redacted and bounded as label values. InstanceID is
// instance_id when it is a clean identifier (ValidJobID's shape: 1 to 128
// letters, digits, '.', '_' or '-'), else "". Created and Updated
// are create_time and update_time (DateTime, e.g.
// "2022-03-07T10:40:43.858Z"; every documented format is read, a time
// without a zone is UTC, an unparsable or pre-1970 time is absent).
// operator and target (user names or e-mail addresses), error_message
// (free text), instance_name, instance_sid, app_id and app_version are
// not read.
type AppInstallJob = model.AppInstallJob

// rawAppInstallJob holds the raw JSON values of the members the exporter
// reads. Of a repeated member the last wins.
type rawAppInstallJob struct {
	id, appID, appName, instanceID, status, created, updated []byte
}

// decodeAppInstallJob decodes one element of the items array.
func decodeAppInstallJob(red *client.Redactor) client.RawItemDecoder[AppInstallJob] {
	return func(s *client.JSONScanner) (AppInstallJob, string, bool, error) {
		var r rawAppInstallJob
		if !s.Members(func(k []byte) bool {
			switch string(k) {
			case "id":
				r.id = s.Raw()
			case "app_id":
				r.appID = s.Raw()
			case "app_name":
				r.appName = s.Raw()
			case "instance_id":
				r.instanceID = s.Raw()
			case "job_status":
				r.status = s.Raw()
			case "create_time":
				r.created = s.Raw()
			case "update_time":
				r.updated = s.Raw()
			default:
				return false
			}
			return true
		}) {
			return AppInstallJob{}, "", false, nil
		}
		j, ok := r.job(red)
		return j, j.Key, ok, nil
	}
}

// appInstallTime reads a create_time or update_time: absent when it is
// not a documented format or is before 1970 (never year 1).
func appInstallTime(raw []byte) time.Time {
	t := parseTime(rawString(raw))
	if t.Before(time.Unix(0, 0)) {
		return time.Time{}
	}
	return t
}

// appInstallPhase is what a job_status of §4.31.16 (003 L48457: INIT
// being initialised, WAITING waiting for the installation to complete,
// SUCCESS, FAIL) means; any other is model.PhaseUnknown.
func appInstallPhase(status string) model.Phase {
	switch status {
	case hwspec.AppInstallStatusInit, hwspec.AppInstallStatusWaiting:
		return model.PhaseWaiting
	case hwspec.AppInstallStatusSuccess:
		return model.PhaseSucceeded
	case hwspec.AppInstallStatusFail:
		return model.PhaseFailed
	}
	return model.PhaseUnknown
}

// job converts r; ok is false when r has nothing to identify it by.
func (r *rawAppInstallJob) job(red *client.Redactor) (AppInstallJob, bool) {
	j := AppInstallJob{
		Status:  red.Label(strings.TrimSpace(rawString(r.status))),
		AppName: red.Label(strings.TrimSpace(rawString(r.appName))),
		Created: appInstallTime(r.created),
		Updated: appInstallTime(r.updated),
	}
	j.Phase = appInstallPhase(j.Status)
	if inst := strings.TrimSpace(rawString(r.instanceID)); ValidJobID(inst) && red.Label(inst) == inst {
		j.InstanceID = inst
	}
	id := strings.TrimSpace(rawString(r.id))
	appID, instanceID, created := rawString(r.appID), rawString(r.instanceID), rawString(r.created)
	switch {
	case id != "" && client.ValidID(id) && red.Label(id) == id:
		j.Key = id
	case id != "":
		j.Key = digestKey(id)
	case appID == "" && instanceID == "" && created == "":
		return AppInstallJob{}, false
	default:
		j.Key = digestKey("", appID, instanceID, created)
	}
	return j, true
}

// DecodeAppInstallJobsPage decodes one §4.31.16 response body with the
// decoder ListAppInstallJobs uses for every page (limit 100). It is
// exported for fixture tests and tools. Elements that are not jobs are
// skipped and counted in invalid.
func DecodeAppInstallJobsPage(body []byte) (jobs []AppInstallJob, total int64, totalKnown bool, invalid int, err error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListAppInstallJobs, appInstallListKey, appInstallTotalKey, appInstallMaxLimit, decodeAppInstallJob(&client.Redactor{}))
	if err != nil {
		return nil, 0, false, 0, err
	}
	return p.Items, p.Total, p.HasTotal, p.Invalid, nil
}

// ListAppInstallJobs implements model.AppInstallJobLister: it walks GET
// /v1/{project_id}/app-center/jobs without filters (the document has no
// time filter, only instance_id, app_id, target and job_status, 003
// L48452-48457, so the walk is the whole installation history the API
// keeps) with the largest page (100, or the configured page size), and
// returns every job or an error: never a partial or inconsistent list
// (see client.WalkOffset). The walk is bounded to the pages that hold
// maxJobs+1 jobs: a longer list is a *model.TooManyItemsError, found on
// the first page when the API announces a count, else when the pages run
// out, so no more than maxJobs plus a page are ever held.
func (c *Client) ListAppInstallJobs(ctx context.Context, maxJobs int) ([]AppInstallJob, model.ListStats, error) {
	maxJobs = max(maxJobs, 1)
	limit := c.limit(OpListAppInstallJobs)
	pages := maxJobs/limit + 1
	bound := pages < c.cfg.MaxPages
	jobs, stats, err := client.WalkOffsetRaw(ctx, c.tr, client.OffsetList{
		Op:          c.operation(OpListAppInstallJobs),
		ListKey:     appInstallListKey,
		TotalKey:    appInstallTotalKey,
		Limit:       limit,
		MaxPages:    min(pages, c.cfg.MaxPages),
		Concurrency: c.cfg.Concurrency,
	}, decodeAppInstallJob(c.tr.Redactor()))
	tooMany := &model.TooManyItemsError{Operation: OpListAppInstallJobs, Max: maxJobs, Total: stats.Total}
	switch {
	case err == nil && len(jobs) > maxJobs:
		tooMany.Total = int64(len(jobs))
		return nil, stats, tooMany
	case err == nil:
		return jobs, stats, nil
	case stats.Total > int64(maxJobs):
		// The announced count is over the bound: the walk stopped at
		// the first page (max pages) or failed on the way.
		return nil, stats, tooMany
	case bound && stats.Total < 0 && stats.Requests >= pages && walkLimitError(err):
		// No count to trust, and every page the bound allows was full.
		return nil, stats, tooMany
	}
	return nil, stats, err
}

// walkLimitError reports whether err is the walk's own stop at its page
// bound rather than an API, response or cancellation error.
func walkLimitError(err error) bool {
	var me *client.MaxPagesError
	return errors.As(err, &me)
}
