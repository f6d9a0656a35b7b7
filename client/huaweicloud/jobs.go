package huaweicloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// Operation names of the jobs domain (API reference §4.28).
const (
	// OpListSubJobs is GET /v2/{project_id}/workspace-sub-jobs (§4.28.2).
	OpListSubJobs = hwspec.OpListSubJobs
	// OpShowJob is GET /v2/{project_id}/workspace-jobs/{job_id} (§4.28.1).
	OpShowJob = hwspec.OpShowJob
)

// Paging of §4.28.2 (003 L44112-44113, L44130-44131): offset from 0,
// limit 0..1000 (default 1000), the subtasks in jobs, the total in
// total_count.
const (
	subJobsListKey  = "jobs"
	subJobsTotalKey = "total_count"
	subJobsMaxLimit = 1000
)

// Bounds of the values read from a job.
const (
	// MaxJobErrorCodeLen bounds a job's ErrorCode (bytes).
	MaxJobErrorCodeLen = 64
	// maxShowJobBody bounds one §4.28.1 answer: a task with a few
	// thousand subtasks of about 600 bytes each.
	maxShowJobBody = 8 << 20
	// MaxShowJobSubJobs bounds the subtasks kept of one §4.28.1 answer;
	// the rest are counted, not kept.
	MaxShowJobSubJobs = 10_000
)

// jobIDRe is what a task ID must look like to be put in a path: the
// documented IDs are UUIDs or hex strings.
var jobIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// ValidJobID reports whether id can be asked for with ShowJob.
func ValidJobID(id string) bool { return jobIDRe.MatchString(id) }

// Job is one §4.28.2 JobDetailInfo (003 L44133-44161) in the
// provider-neutral model.
//
// Key is id (the subtask ID) when it is a usable identifier and a clean
// label value (nothing for the Redactor to remove); otherwise
// "sha256:" and 32 hex digits of a digest of job_id, job_type,
// entities.desktop_id and begin_time as sent (an id that is not a usable
// identifier is digested too). A subtask with none of them cannot be told
// apart from others: it is skipped and counted as invalid. JobID is
// job_id when ValidJobID accepts it and the Redactor leaves it as it is,
// else "". DesktopID is
// entities.desktop_id. Begin and End are begin_time and end_time in any
// documented format ("2020-04-10 06:45:14", no zone: UTC). Progress is
// process (Integer, 0..100; a value outside that range is absent).
// ErrorCode is error_code trimmed and at most MaxJobErrorCodeLen bytes.
// Strings are redacted and bounded as label values; fail_reason, host,
// ip_address, user names and the other entities are not read.
type Job = model.Job

// rawJob holds the raw JSON values of one JobDetailInfo's members that
// the exporter reads. Of a repeated member the last wins.
type rawJob struct {
	id, jobID, jobType, status, desktopID []byte
	begin, end, process, errorCode        []byte
}

// read reads one member of a JobDetailInfo; it reports false for a
// member it does not know (left unread).
func (r *rawJob) read(s *client.JSONScanner, key string) bool {
	switch key {
	case "id":
		r.id = s.Raw()
	case "job_id":
		r.jobID = s.Raw()
	case "job_type":
		r.jobType = s.Raw()
	case "status":
		r.status = s.Raw()
	case "begin_time":
		r.begin = s.Raw()
	case "end_time":
		r.end = s.Raw()
	case "process":
		r.process = s.Raw()
	case "error_code":
		r.errorCode = s.Raw()
	case "entities":
		s.Members(func(k []byte) bool {
			if string(k) == "desktop_id" {
				r.desktopID = s.Raw()
				return true
			}
			return false
		})
	default:
		return false
	}
	return true
}

// decodeJobJSON decodes one JobDetailInfo: ok is false when it is not an
// object or cannot be identified.
func decodeJobJSON(s *client.JSONScanner, red *client.Redactor) (Job, bool) {
	var r rawJob
	if !s.Members(func(k []byte) bool { return r.read(s, string(k)) }) {
		return Job{}, false
	}
	return r.job(red)
}

// jobPhase is what a (sub)job status of §4.28.2's documented set (003
// L44103) means; any other is model.PhaseUnknown.
func jobPhase(status string) model.Phase {
	switch status {
	case hwspec.JobStatusWaiting:
		return model.PhaseWaiting
	case hwspec.JobStatusRunning:
		return model.PhaseRunning
	case hwspec.JobStatusSuccess:
		return model.PhaseSucceeded
	case hwspec.JobStatusFailed:
		return model.PhaseFailed
	}
	return model.PhaseUnknown
}

// job converts r; ok is false when r has nothing to identify it by.
func (r *rawJob) job(red *client.Redactor) (Job, bool) {
	jobID := strings.TrimSpace(rawString(r.jobID))
	j := Job{
		JobType:   red.Label(strings.TrimSpace(rawString(r.jobType))),
		Status:    red.Label(strings.TrimSpace(rawString(r.status))),
		DesktopID: red.Label(strings.TrimSpace(rawString(r.desktopID))),
		Begin:     parseTime(rawString(r.begin)),
		End:       parseTime(rawString(r.end)),
		ErrorCode: red.Bounded(strings.TrimSpace(rawString(r.errorCode)), MaxJobErrorCodeLen),
	}
	j.Phase = jobPhase(j.Status)
	if ValidJobID(jobID) && red.Label(jobID) == jobID {
		j.JobID = jobID
	}
	if p, ok := rawInt(r.process); ok && p >= 0 && p <= 100 {
		j.Progress, j.HasProgress = int(p), true
	}
	id := strings.TrimSpace(rawString(r.id))
	begin := rawString(r.begin)
	switch {
	case id != "" && client.ValidID(id) && red.Label(id) == id:
		j.Key = id
	case id != "":
		j.Key = digestKey(id)
	case jobID == "" && j.DesktopID == "" && begin == "" && rawString(r.jobType) == "":
		return Job{}, false
	default:
		j.Key = digestKey(jobID, rawString(r.jobType), rawString(r.desktopID), begin)
	}
	return j, true
}

// decodeJob decodes one element of the jobs array.
func decodeJob(red *client.Redactor) client.RawItemDecoder[Job] {
	return func(s *client.JSONScanner) (Job, string, bool, error) {
		j, ok := decodeJobJSON(s, red)
		return j, j.Key, ok, nil
	}
}

// DecodeSubJobsPage decodes one §4.28.2 response body with the decoder
// ListJobs uses for every page (limit 1000). It is exported for fixture
// tests and tools. Elements that are not subtasks are skipped and counted
// in invalid.
func DecodeSubJobsPage(body []byte) (jobs []Job, total int64, totalKnown bool, invalid int, err error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListSubJobs, subJobsListKey, subJobsTotalKey, subJobsMaxLimit, decodeJob(&client.Redactor{}))
	if err != nil {
		return nil, 0, false, 0, err
	}
	return p.Items, p.Total, p.HasTotal, p.Invalid, nil
}

// ListJobs implements model.JobReader: it walks GET
// /v2/{project_id}/workspace-sub-jobs without filters (every subtask the
// API keeps, whatever its type and status), with the largest page (1000,
// or the configured page size), and returns every subtask or an error:
// never a partial or inconsistent list (see client.WalkOffset). The
// document advises setting job_type or job_id (003 L44105, L44107) but
// requires neither; one unfiltered walk costs ⌈N/1000⌉ requests where a
// walk per type would cost at least 28.
func (c *Client) ListJobs(ctx context.Context) ([]Job, model.ListStats, error) {
	return client.WalkOffsetRaw(ctx, c.tr, client.OffsetList{
		Op:          c.operation(OpListSubJobs),
		ListKey:     subJobsListKey,
		TotalKey:    subJobsTotalKey,
		Limit:       c.limit(OpListSubJobs),
		MaxPages:    c.cfg.MaxPages,
		Concurrency: c.cfg.Concurrency,
	}, decodeJob(c.tr.Redactor()))
}

// JobDetail is one §4.28.1 answer (003 L43999-44040) in the
// provider-neutral model: id, job_type, status, begin_time, end_time,
// job_error_code (as ErrorCode), sub_jobs_total and sub_jobs (each read
// as a §4.28.2 subtask; invalid ones skipped). fail_reason is not read.
type JobDetail = model.JobDetail

// DecodeJobDetail reads one §4.28.1 body. Every member is optional (the
// document's only example is {}, 003 L44067); the body must be a JSON
// object, and sub_jobs, when present and not null, a list. It also
// returns the number of sub_jobs elements skipped (not subtasks, or
// beyond MaxShowJobSubJobs).
func DecodeJobDetail(body []byte, red *client.Redactor) (JobDetail, int, error) {
	var d JobDetail
	invalid := func(format string, args ...any) error {
		return &client.InvalidResponseError{Operation: OpShowJob, Problem: fmt.Sprintf(format, args...)}
	}
	if !json.Valid(body) {
		// Broken JSON: a proxy or a cut connection, retried.
		return d, 0, fmt.Errorf("%s: the body is not valid JSON", OpShowJob)
	}
	var s client.JSONScanner
	s.Reset(body)
	if !s.EnterObject() {
		return d, 0, invalid("the body is not a JSON object")
	}
	var r rawJob
	var total, jobErrorCode, subJobs []byte
	seenSubJobs := false
	var kb [64]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		switch k := string(client.JSONFieldKey(kb[:0], key)); k {
		case "sub_jobs_total":
			total = s.Raw()
		case "job_error_code":
			jobErrorCode = s.Raw()
		case "sub_jobs":
			if seenSubJobs {
				return d, 0, invalid(`"sub_jobs" appears twice`)
			}
			seenSubJobs = true
			switch s.Kind() {
			case client.JSONArray:
				subJobs = s.Raw()
			case client.JSONNull:
				s.Skip()
			default:
				return d, 0, invalid(`"sub_jobs" is %s, not a list`, kindName(s.Kind()))
			}
		case "entities", "process", "error_code", "job_id":
			s.Skip() // subtask members, not the task's
		default:
			if !r.read(&s, k) {
				s.Skip()
			}
		}
	}
	d.ID = strings.TrimSpace(rawString(r.id))
	d.JobType = red.Label(strings.TrimSpace(rawString(r.jobType)))
	d.Status = red.Label(strings.TrimSpace(rawString(r.status)))
	d.Begin = parseTime(rawString(r.begin))
	d.End = parseTime(rawString(r.end))
	d.ErrorCode = red.Bounded(strings.TrimSpace(rawString(jobErrorCode)), MaxJobErrorCodeLen)
	if n, ok := rawInt(total); ok && n >= 0 {
		d.SubJobsTotal, d.HasSubJobsTotal = n, true
	}
	skipped := 0
	if subJobs != nil {
		s.Reset(subJobs)
		s.EnterArray()
		for s.NextElement() {
			if len(d.SubJobs) >= MaxShowJobSubJobs {
				s.Skip()
				skipped++
				continue
			}
			j, ok := decodeJobJSON(&s, red)
			if !ok {
				skipped++
				continue
			}
			d.SubJobs = append(d.SubJobs, j)
		}
	}
	return d, skipped, nil
}

// ShowJob implements model.JobReader with GET
// /v2/{project_id}/workspace-jobs/{job_id} (§4.28.1). id must satisfy
// ValidJobID. A 404 answer (documented, 003 L44074) is found=false. An
// answer whose id is another task's is an error; one without an id (the
// document's example is {}) is taken as the task asked for.
func (c *Client) ShowJob(ctx context.Context, id string) (JobDetail, bool, error) {
	if !ValidJobID(id) {
		return JobDetail{}, false, fmt.Errorf("%s: %q is not a task ID (1 to 128 letters, digits, '.', '_' or '-')", OpShowJob, c.tr.Redactor().Label(id))
	}
	row := Spec.Operation(OpShowJob)
	path, err := client.Expand(row.Path, map[string]string{"project_id": c.cfg.ProjectID, "job_id": id})
	if err != nil {
		return JobDetail{}, false, fmt.Errorf("%s: %w", OpShowJob, err)
	}
	op := client.Operation{Name: OpShowJob, Method: row.Method, Path: path}
	red := c.tr.Redactor()
	var d JobDetail
	var skipped int
	err = c.tr.Do(ctx, op, nil, func(body io.Reader) error {
		data, err := io.ReadAll(io.LimitReader(body, maxShowJobBody+1))
		if err != nil {
			return err
		}
		if len(data) > maxShowJobBody {
			return &client.InvalidResponseError{Operation: OpShowJob, Problem: fmt.Sprintf("the body is over %d bytes", maxShowJobBody)}
		}
		d, skipped, err = DecodeJobDetail(data, red)
		return err
	})
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return JobDetail{}, false, nil
	}
	if err != nil {
		return JobDetail{}, false, err
	}
	switch {
	case d.ID == "":
		d.ID = id
	case d.ID != id:
		return JobDetail{}, false, &client.InvalidResponseError{Operation: OpShowJob,
			Problem: fmt.Sprintf("asked for task %s, the answer is task %s", id, red.Label(d.ID))}
	}
	if skipped > 0 {
		c.tr.Logger().Warn("skipped sub_jobs elements that are not subtasks or over the bound", "operation", OpShowJob,
			"job_id", id, "skipped", skipped, "kept", len(d.SubJobs))
	}
	return d, true, nil
}
