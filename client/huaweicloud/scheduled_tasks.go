package huaweicloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// Operation names of the scheduled tasks domain (API reference §4.20).
const (
	// OpListScheduledTasks is GET /v2/{project_id}/scheduled-tasks (§4.20.1).
	OpListScheduledTasks = hwspec.OpListScheduledTasks
	// OpShowScheduledTask is GET /v2/{project_id}/scheduled-tasks/{task_id} (§4.20.3).
	OpShowScheduledTask = hwspec.OpShowScheduledTask
	// OpListScheduledTaskRecords is GET
	// /v2/{project_id}/scheduled-tasks/{task_id}/records (§4.20.8).
	OpListScheduledTaskRecords = hwspec.OpListScheduledTaskRecords
	// OpListScheduledTaskRecordDetails is GET
	// /v2/{project_id}/scheduled-tasks/{task_id}/records/{record_id} (§4.20.9).
	OpListScheduledTaskRecordDetails = hwspec.OpListScheduledTaskRecordDetails
)

// List and total keys and largest limits of the scheduled task lists
// (§4.20.1: limit 0..50, §4.20.8 and §4.20.9: 0..100).
const (
	schedTasksListKey   = "scheduled_tasks"
	schedRecordsListKey = "tasks_records"
	schedDetailsListKey = "tasks_records_details"
	schedTotalKey       = "total_count"
	schedTasksMaxLimit  = 50
	schedRecordsMax     = 100
	// MaxScheduledResultCodeLen bounds a detail's ResultCode (bytes).
	MaxScheduledResultCodeLen = 64
)

// scheduledIDRe is what a task or record ID must look like to be put in
// a path: the documented IDs are like "2b31e-d520xxx-xxebdb6-e57xxxxx"
// (003 L37860, L38655).
var scheduledIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// ValidScheduledID reports whether id can be put in a §4.20 path.
func ValidScheduledID(id string) bool { return scheduledIDRe.MatchString(id) }

// ScheduledTask is one §4.20.1 ScheduledTask (003 L37806-37822) in the
// provider-neutral model: id, task_name (Name), task_type,
// scheduled_type, last_status, enable (Enabled), and
// next_execution_time read in the task's time_zone (see
// ParseScheduledTime). Elements without an id are skipped (invalid).
// description, priority, wait_time and life_cycle_type are not read.
type ScheduledTask = model.ScheduledTask

// Time zones of the §4.20 times. The documentation gives times as
// "yyyy-MM-dd HH:mm:ss" (003 L37815, L38064, L38610, L38737) beside a
// time_zone member whose examples are "GMT+8" (§4.20.3, L38140),
// "Asia/Shanghai" (§4.20.8, L38663; §4.20.9, L38779) and, in §4.20.10's
// list of zones, "GMT+08:00" with the name "Asia/Shanghai" (L38880-38881).
// ParseScheduledZone reads all three forms.
var (
	gmtOffsetRe = regexp.MustCompile(`^(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$`)
	zoneNameRe  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}$`)
	zoneCache   = struct {
		sync.Mutex
		m map[string]*time.Location
	}{m: map[string]*time.Location{}}
)

// maxZoneCache bounds the zone names remembered (known and unknown).
const maxZoneCache = 256

// ParseScheduledZone reads a §4.20 time_zone: empty, "UTC", "GMT" or "Z"
// is UTC; "GMT+8", "GMT+08:00", "UTC-0530" (GMT or UTC, a sign, hours up
// to 14, optional minutes) a fixed offset; anything else shaped like an
// IANA zone name ("Asia/Shanghai") is looked up in the system's zone
// database (the Docker image has one). ok is false for a zone it cannot
// read (the documentation's placeholder "string", a name the database
// does not have, "Local").
func ParseScheduledZone(zone string) (*time.Location, bool) {
	zone = strings.TrimSpace(zone)
	switch zone {
	case "", "UTC", "GMT", "Z", "Etc/UTC", "Etc/GMT":
		return time.UTC, true
	case "Local":
		return nil, false
	}
	if m := gmtOffsetRe.FindStringSubmatch(zone); m != nil {
		h, _ := strconv.Atoi(m[2])
		mins := 0
		if m[3] != "" {
			mins, _ = strconv.Atoi(m[3])
		}
		if h > 14 || mins > 59 {
			return nil, false
		}
		off := h*3600 + mins*60
		if m[1] == "-" {
			off = -off
		}
		return time.FixedZone(zone, off), true
	}
	if len(zone) > 64 || !zoneNameRe.MatchString(zone) {
		return nil, false
	}
	zoneCache.Lock()
	defer zoneCache.Unlock()
	if loc, ok := zoneCache.m[zone]; ok {
		return loc, loc != nil
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = nil
	}
	if len(zoneCache.m) < maxZoneCache {
		zoneCache.m[zone] = loc
	}
	return loc, loc != nil
}

// ParseScheduledTime reads a §4.20 time s ("yyyy-MM-dd HH:mm:ss", or
// any format parseTime reads with its own zone) in zone (see
// ParseScheduledZone). It returns the zero time when s is empty or
// unparsable, or the zone is unknown: never an error, never year 1.
func ParseScheduledTime(s, zone string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	loc, ok := ParseScheduledZone(zone)
	if !ok {
		return time.Time{}
	}
	for _, l := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			if t.Year() < 1971 {
				return time.Time{}
			}
			return t.UTC()
		}
	}
	t := parseTime(s) // a time with its own zone, or epoch milliseconds
	if t.Year() < 1971 {
		return time.Time{}
	}
	return t
}

// scheduledID returns the trimmed id and whether it is path-safe and
// clean (nothing for the Redactor to remove).
func scheduledID(raw []byte, red *client.Redactor) (string, bool) {
	id := strings.TrimSpace(rawString(raw))
	return red.Label(id), ValidScheduledID(id) && red.Label(id) == id
}

// decodeScheduledTask decodes one element of scheduled_tasks.
func decodeScheduledTask(red *client.Redactor) client.RawItemDecoder[ScheduledTask] {
	return func(s *client.JSONScanner) (ScheduledTask, string, bool, error) {
		var id, name, typ, sched, last, enable, next, zone []byte
		if !s.Members(func(k []byte) bool {
			switch string(k) {
			case "id":
				id = s.Raw()
			case "task_name":
				name = s.Raw()
			case "task_type":
				typ = s.Raw()
			case "scheduled_type":
				sched = s.Raw()
			case "last_status":
				last = s.Raw()
			case "enable":
				enable = s.Raw()
			case "next_execution_time":
				next = s.Raw()
			case "time_zone":
				zone = s.Raw()
			default:
				return false
			}
			return true
		}) {
			return ScheduledTask{}, "", false, nil
		}
		t := ScheduledTask{
			Name:          red.Label(strings.TrimSpace(rawString(name))),
			TaskType:      red.Label(strings.TrimSpace(rawString(typ))),
			ScheduledType: red.Label(strings.TrimSpace(rawString(sched))),
			LastStatus:    red.Label(strings.TrimSpace(rawString(last))),
			Enabled:       rawBool(enable),
			NextExecution: ParseScheduledTime(rawString(next), rawString(zone)),
		}
		t.LastFailed = t.LastStatus == hwspec.ScheduledStatusFail
		t.ID, t.PathSafe = scheduledID(id, red)
		return t, t.ID, t.ID != "", nil
	}
}

// decodeScheduledRecord decodes one element of tasks_records (§4.20.8
// ScheduledTasksRecords, 003 L38606-38622): id, task_type, status,
// start_time in time_zone, success_num, failed_num, skip_num (a missing,
// negative, unreadable or larger than MaxTaskDesktops count is 0).
func decodeScheduledRecord(red *client.Redactor) client.RawItemDecoder[model.ScheduledTaskRecord] {
	return func(s *client.JSONScanner) (model.ScheduledTaskRecord, string, bool, error) {
		var id, typ, status, start, zone, okN, failN, skipN []byte
		if !s.Members(func(k []byte) bool {
			switch string(k) {
			case "id":
				id = s.Raw()
			case "task_type":
				typ = s.Raw()
			case "status":
				status = s.Raw()
			case "start_time":
				start = s.Raw()
			case "time_zone":
				zone = s.Raw()
			case "success_num":
				okN = s.Raw()
			case "failed_num":
				failN = s.Raw()
			case "skip_num":
				skipN = s.Raw()
			default:
				return false
			}
			return true
		}) {
			return model.ScheduledTaskRecord{}, "", false, nil
		}
		r := model.ScheduledTaskRecord{
			TaskType: red.Label(strings.TrimSpace(rawString(typ))),
			Status:   red.Label(strings.TrimSpace(rawString(status))),
			Start:    ParseScheduledTime(rawString(start), rawString(zone)),
			Success:  desktopCount(okN), Failed: desktopCount(failN), Skipped: desktopCount(skipN),
		}
		r.ID, r.PathSafe = scheduledID(id, red)
		return r, r.ID, r.ID != "", nil
	}
}

// decodeScheduledDetail decodes one element of tasks_records_details
// (§4.20.9 ScheduledTasksRecordsDetails, 003 L38727-38741): id,
// desktop_id, exec_status and result_code (at most
// MaxScheduledResultCodeLen bytes). fail_reason (free text), desktop_name
// and the times are not read. An element without an id is keyed by a
// digest of its desktop_id and start_time.
func decodeScheduledDetail(red *client.Redactor) client.RawItemDecoder[model.ScheduledTaskRecordDetail] {
	return func(s *client.JSONScanner) (model.ScheduledTaskRecordDetail, string, bool, error) {
		var id, desktop, status, code, start []byte
		if !s.Members(func(k []byte) bool {
			switch string(k) {
			case "id":
				id = s.Raw()
			case "desktop_id":
				desktop = s.Raw()
			case "exec_status":
				status = s.Raw()
			case "result_code":
				code = s.Raw()
			case "start_time":
				start = s.Raw()
			default:
				return false
			}
			return true
		}) {
			return model.ScheduledTaskRecordDetail{}, "", false, nil
		}
		d := model.ScheduledTaskRecordDetail{
			DesktopID:  red.Label(strings.TrimSpace(rawString(desktop))),
			ExecStatus: red.Label(strings.TrimSpace(rawString(status))),
			ResultCode: red.Bounded(strings.TrimSpace(rawString(code)), MaxScheduledResultCodeLen),
		}
		// exec_status is not enumerated (L38733); a part that neither
		// succeeded nor was skipped (the last_status values SUCCESS and
		// SKIP, L37814) failed.
		d.Failed = d.ExecStatus != hwspec.ScheduledStatusSuccess && d.ExecStatus != hwspec.ScheduledStatusSkip
		d.ID = red.Label(strings.TrimSpace(rawString(id)))
		if d.ID == "" {
			if d.DesktopID == "" {
				return d, "", false, nil
			}
			d.ID = digestKey(rawString(desktop), rawString(start))
		}
		return d, d.ID, true, nil
	}
}

// DecodeScheduledTasksPage decodes one §4.20.1 body with the decoder
// ListScheduledTasks uses (limit 50). Exported for fixture tests.
func DecodeScheduledTasksPage(body []byte) (tasks []ScheduledTask, total int64, totalKnown bool, invalid int, err error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListScheduledTasks, schedTasksListKey, schedTotalKey, schedTasksMaxLimit, decodeScheduledTask(&client.Redactor{}))
	if err != nil {
		return nil, 0, false, 0, err
	}
	return p.Items, p.Total, p.HasTotal, p.Invalid, nil
}

// DecodeScheduledTaskRecordsPage decodes one §4.20.8 body (limit 100).
func DecodeScheduledTaskRecordsPage(body []byte) (records []model.ScheduledTaskRecord, total int64, totalKnown bool, invalid int, err error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListScheduledTaskRecords, schedRecordsListKey, schedTotalKey, schedRecordsMax, decodeScheduledRecord(&client.Redactor{}))
	if err != nil {
		return nil, 0, false, 0, err
	}
	return p.Items, p.Total, p.HasTotal, p.Invalid, nil
}

// DecodeScheduledTaskRecordDetailsPage decodes one §4.20.9 body (limit 100).
func DecodeScheduledTaskRecordDetailsPage(body []byte) (details []model.ScheduledTaskRecordDetail, total int64, totalKnown bool, invalid int, err error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListScheduledTaskRecordDetails, schedDetailsListKey, schedTotalKey, schedRecordsMax, decodeScheduledDetail(&client.Redactor{}))
	if err != nil {
		return nil, 0, false, 0, err
	}
	return p.Items, p.Total, p.HasTotal, p.Invalid, nil
}

// DecodeScheduledTaskDetail reads one §4.20.3 body (003 L38045-38073):
// id, expire_time in time_zone, and the number of apply_objects
// elements. The body must be a JSON object; apply_objects, when present
// and not null, a list. Every member is optional.
func DecodeScheduledTaskDetail(body []byte, red *client.Redactor) (model.ScheduledTaskDetail, error) {
	var d model.ScheduledTaskDetail
	var s client.JSONScanner
	s.Reset(body)
	var id, expire, zone []byte
	var bad error
	seenObjects := false
	s.Members(func(k []byte) bool {
		switch string(k) {
		case "id":
			id = s.Raw()
		case "expire_time":
			expire = s.Raw()
		case "time_zone":
			zone = s.Raw()
		case "apply_objects":
			if seenObjects && bad == nil {
				bad = &client.InvalidResponseError{Operation: OpShowScheduledTask, Problem: `"apply_objects" appears twice`}
			}
			seenObjects = true
			switch s.Kind() {
			case client.JSONArray:
				s.EnterArray()
				for s.NextElement() {
					s.Skip()
					d.ApplyObjects++
				}
			case client.JSONNull:
				s.Skip()
			default:
				if bad == nil {
					bad = &client.InvalidResponseError{Operation: OpShowScheduledTask, Problem: `"apply_objects" is ` + kindName(s.Kind()) + ", not a list"}
				}
				s.Skip()
			}
		default:
			return false
		}
		return true
	})
	if bad != nil {
		return model.ScheduledTaskDetail{}, bad
	}
	d.ID = red.Label(strings.TrimSpace(rawString(id)))
	d.Expire = ParseScheduledTime(rawString(expire), rawString(zone))
	return d, nil
}

// ListScheduledTasks implements model.ScheduledTaskReader: it walks GET
// /v2/{project_id}/scheduled-tasks twice, without filters and with
// scheduled_type=LIFE_CYCLE (the triggered tasks are returned only with
// that filter, 003 L37783), each with the largest page (50), and returns
// each task once (by id; the first listing wins). A triggered task whose
// scheduled_type is empty is LIFE_CYCLE (the filter it was listed by).
// The stats are those of both walks added up (Total: their totals' sum,
// -1 when either is unknown).
func (c *Client) ListScheduledTasks(ctx context.Context) ([]ScheduledTask, model.ListStats, error) {
	walk := func(q url.Values) ([]ScheduledTask, model.ListStats, error) {
		return client.WalkOffsetRaw(ctx, c.tr, client.OffsetList{
			Op:          c.operation(OpListScheduledTasks),
			Query:       q,
			ListKey:     schedTasksListKey,
			TotalKey:    schedTotalKey,
			Limit:       c.limit(OpListScheduledTasks),
			MaxPages:    c.cfg.MaxPages,
			Concurrency: c.cfg.Concurrency,
		}, decodeScheduledTask(c.tr.Redactor()))
	}
	all, stats, err := walk(nil)
	if err != nil {
		return nil, stats, err
	}
	triggered, st2, err := walk(url.Values{"scheduled_type": {hwspec.ScheduledTypeLifeCycle}})
	if err != nil {
		return nil, st2, fmt.Errorf("%w (scheduled_type=%s)", err, hwspec.ScheduledTypeLifeCycle)
	}
	return mergeScheduledTasks(all, triggered), addStats(stats, st2), nil
}

// mergeScheduledTasks appends the triggered tasks not already in all.
func mergeScheduledTasks(all, triggered []ScheduledTask) []ScheduledTask {
	seen := make(map[string]bool, len(all))
	for _, t := range all {
		seen[t.ID] = true
	}
	for _, t := range triggered {
		if seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		if t.ScheduledType == "" {
			t.ScheduledType = hwspec.ScheduledTypeLifeCycle
		}
		all = append(all, t)
	}
	return all
}

// addStats adds two walks' statistics.
func addStats(a, b model.ListStats) model.ListStats {
	out := model.ListStats{Requests: a.Requests + b.Requests, PageSize: max(a.PageSize, b.PageSize),
		Invalid: a.Invalid + b.Invalid, Walks: a.Walks + b.Walks, Total: a.Total + b.Total}
	if a.Total < 0 || b.Total < 0 {
		out.Total = -1
	}
	return out
}

// scheduledOperation is the Operation of a per-task (and per-record) row.
func (c *Client) scheduledOperation(name, taskID, recordID string) (client.Operation, error) {
	params := map[string]string{"project_id": c.cfg.ProjectID, "task_id": taskID}
	if !ValidScheduledID(taskID) {
		return client.Operation{}, fmt.Errorf("%s: %q is not a scheduled task ID", name, c.tr.Redactor().Bounded(taskID, 64))
	}
	if name == OpListScheduledTaskRecordDetails {
		if !ValidScheduledID(recordID) {
			return client.Operation{}, fmt.Errorf("%s: %q is not a record ID", name, c.tr.Redactor().Bounded(recordID, 64))
		}
		params["record_id"] = recordID
	}
	row := Spec.Operation(name)
	path, err := client.Expand(row.Path, params)
	if err != nil {
		return client.Operation{}, fmt.Errorf("%s: %w", name, err)
	}
	return client.Operation{Name: name, Method: row.Method, Path: path}, nil
}

// scheduledNotFound wraps err with model.ErrScheduledTaskNotFound when
// the API says the task or record does not exist: HTTP 404 or WKS.0010
// (the documentation lists only 400 and 500 for §4.20; a deleted task is
// expected to be one of these).
func scheduledNotFound(err error) error {
	var ae *client.APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Code == "WKS.0010") {
		return fmt.Errorf("%w: %w", model.ErrScheduledTaskNotFound, err)
	}
	return err
}

// ShowScheduledTask implements model.ScheduledTaskReader with GET
// /v2/{project_id}/scheduled-tasks/{task_id} (§4.20.3). A not-found
// answer is found=false; an answer about another task is an error.
func (c *Client) ShowScheduledTask(ctx context.Context, id string) (model.ScheduledTaskDetail, bool, error) {
	op, err := c.scheduledOperation(OpShowScheduledTask, id, "")
	if err != nil {
		return model.ScheduledTaskDetail{}, false, err
	}
	red := c.tr.Redactor()
	var d model.ScheduledTaskDetail
	err = c.tr.Do(ctx, op, nil, func(body io.Reader) error {
		b, err := readObjectBody(OpShowScheduledTask, "scheduled task", body)
		if err != nil {
			return err
		}
		d, err = DecodeScheduledTaskDetail(b, red)
		return err
	})
	if err != nil {
		if errors.Is(scheduledNotFound(err), model.ErrScheduledTaskNotFound) {
			return model.ScheduledTaskDetail{}, false, nil
		}
		return model.ScheduledTaskDetail{}, false, err
	}
	switch {
	case d.ID == "":
		d.ID = id
	case d.ID != id:
		return model.ScheduledTaskDetail{}, false, &client.InvalidResponseError{Operation: OpShowScheduledTask,
			Problem: fmt.Sprintf("asked for task %s, the answer is task %s", id, d.ID)}
	}
	return d, true, nil
}

// ListScheduledTaskRecords implements model.ScheduledTaskReader: it
// walks GET /v2/{project_id}/scheduled-tasks/{task_id}/records (§4.20.8,
// limit 100; no time filter is documented, so every record the API
// keeps).
func (c *Client) ListScheduledTaskRecords(ctx context.Context, taskID string) ([]model.ScheduledTaskRecord, model.ListStats, error) {
	op, err := c.scheduledOperation(OpListScheduledTaskRecords, taskID, "")
	if err != nil {
		return nil, model.ListStats{Total: -1}, err
	}
	recs, stats, err := client.WalkOffsetRaw(ctx, c.tr, client.OffsetList{
		Op: op, ListKey: schedRecordsListKey, TotalKey: schedTotalKey,
		Limit: c.limit(OpListScheduledTaskRecords), MaxPages: c.cfg.MaxPages, Concurrency: c.cfg.Concurrency,
	}, decodeScheduledRecord(c.tr.Redactor()))
	return recs, stats, scheduledNotFound(err)
}

// ListScheduledTaskRecordDetails implements model.ScheduledTaskReader: it
// walks GET /v2/{project_id}/scheduled-tasks/{task_id}/records/{record_id}
// (§4.20.9, limit 100).
func (c *Client) ListScheduledTaskRecordDetails(ctx context.Context, taskID, recordID string) ([]model.ScheduledTaskRecordDetail, model.ListStats, error) {
	op, err := c.scheduledOperation(OpListScheduledTaskRecordDetails, taskID, recordID)
	if err != nil {
		return nil, model.ListStats{Total: -1}, err
	}
	ds, stats, err := client.WalkOffsetRaw(ctx, c.tr, client.OffsetList{
		Op: op, ListKey: schedDetailsListKey, TotalKey: schedTotalKey,
		Limit: c.limit(OpListScheduledTaskRecordDetails), MaxPages: c.cfg.MaxPages, Concurrency: c.cfg.Concurrency,
	}, decodeScheduledDetail(c.tr.Redactor()))
	return ds, stats, scheduledNotFound(err)
}

var _ model.ScheduledTaskReader = (*Client)(nil)
