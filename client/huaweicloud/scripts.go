package huaweicloud

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// Operation names of the scripts domain (API reference §4.24.8, §4.24.9,
// §4.4.16). §4.24.7 (one record with the script's printed `output`) is
// never called: see hwspec/scripts.go.
const (
	// OpListScriptTasks is GET /v2/{project_id}/script-execution-tasks (§4.24.9).
	OpListScriptTasks = hwspec.OpListScriptTasks
	// OpListScriptRecords is GET /v2/{project_id}/script-execution-records (§4.24.8).
	OpListScriptRecords = hwspec.OpListScriptRecords
	// OpListPoolScriptTasks is GET
	// /v2/{project_id}/desktop-pools/script-execution-tasks/detail (§4.4.16).
	OpListPoolScriptTasks = hwspec.OpListPoolScriptTasks
)

// Paging of the three lists: offset from 0, limit 1..100 (§4.4.16:
// 0..100), the items in script_tasks (003 L42518), script_records
// (L42357) and script_execution_tasks (L14455), the total in count
// (L42517, L42356) and total_count (L14456).
const (
	scriptTasksListKey      = "script_tasks"
	scriptRecordsListKey    = "script_records"
	poolScriptTasksListKey  = "script_execution_tasks"
	scriptTasksTotalKey     = "count"
	poolScriptTasksTotalKey = "total_count"
	scriptsMaxLimit         = 100
)

// ScriptQueryTimeLayout is the format of execute_time_start and
// execute_time_end (003 L42339-42340, L42500-42501, L14435-14436: "A
// time example is 2021-10-01T12:00:00Z"): UTC, seconds.
const ScriptQueryTimeLayout = "2006-01-02T15:04:05Z"

// Bounds of the values read from script tasks and records.
const (
	// MaxScriptResultCodeLen bounds a run's ResultCode (bytes).
	MaxScriptResultCodeLen = 64
	// MaxTaskDesktops bounds success_num, failed_num and skip_num (of
	// script tasks and scheduled task records):
	// a larger (or negative) count is not a count of desktops and is
	// read as 0.
	MaxTaskDesktops = 10_000_000
)

// ScriptTask is one §4.24.9 ScriptTaskInfo (003 L42520-42533) or one
// §4.4.16 ScriptExecutionTask (Table 4-866) in the provider-neutral
// model.
//
// Key is id when it is a usable identifier and a clean label value;
// otherwise "sha256:" and 32 hex digits of a digest of the task's kind,
// id, start_time, desktop_pool_id (pool tasks), the scripts' ids and the
// first resource ID (§4.24.9) as sent. A task with none of them is
// skipped and counted as invalid. Status is kept as sent (redacted,
// bounded); Start and End are start_time and end_time in any documented
// format (DateTime "2024-12-25T07:11:02.540Z" for §4.24.9, 003 L42604;
// "yyyy-MM-ddTHH:mm:ssZ" for §4.4.16, L14471-14472; a time without a zone
// is UTC; an unparsable time, or one before 1970-01-02 or after 2200, is
// zero). Succeeded, Failed and Skipped are
// success_num, failed_num and skip_num (0 when absent, negative or over
// MaxTaskDesktops). PoolID is desktop_pool_id (§4.4.16) when it is
// a clean ID. Script names, command_content (the command itself: never
// read), resource lists and desktop_pool_name are not kept.
type ScriptTask = model.ScriptTask

// ScriptRun is one §4.24.8 ScriptRecordSimpleInfo (003 L42359-42373) in
// the provider-neutral model.
//
// Key is id (as ScriptTask's), else a digest of script_task_id,
// resource_id, script_id and start_time as sent; TaskID is
// script_task_id when it is a clean ID. ResultCode is result_code
// trimmed, redacted and at most MaxScriptResultCodeLen bytes. reason (free
// text), resource_name and script_name are not read.
type ScriptRun = model.ScriptRun

// rawScriptItem holds the raw JSON of the members of one task or record
// the exporter reads. Of a repeated member the last wins.
type rawScriptItem struct {
	id, status, start, end       []byte
	success, failed, skip        []byte
	poolID, taskID, resourceID   []byte
	scriptID, resultCode, script []byte
}

// readScriptItem reads one element of a scripts list; ok is false when
// it is not an object.
func readScriptItem(s *client.JSONScanner) (rawScriptItem, bool) {
	var r rawScriptItem
	ok := s.Members(func(k []byte) bool {
		switch string(k) {
		case "id":
			r.id = s.Raw()
		case "status":
			r.status = s.Raw()
		case "start_time":
			r.start = s.Raw()
		case "end_time":
			r.end = s.Raw()
		case "success_num":
			r.success = s.Raw()
		case "failed_num":
			r.failed = s.Raw()
		case "skip_num":
			r.skip = s.Raw()
		case "desktop_pool_id":
			r.poolID = s.Raw()
		case "script_task_id":
			r.taskID = s.Raw()
		case "resource_id":
			r.resourceID = s.Raw()
		case "script_id":
			r.scriptID = s.Raw()
		case "result_code":
			r.resultCode = s.Raw()
		case "task_scripts", "scripts":
			r.script = firstScriptID(s)
		case "resource_ids":
			r.resourceID = firstString(s)
		default:
			return false
		}
		return true
	})
	return r, ok
}

// firstScriptID reads the id of the first element of a task_scripts or
// scripts list (for the digest key); anything else is skipped.
func firstScriptID(s *client.JSONScanner) []byte {
	if !s.EnterArray() {
		s.Skip()
		return nil
	}
	var id []byte
	for s.NextElement() {
		if id != nil {
			s.Skip()
			continue
		}
		s.Members(func(k []byte) bool {
			if id == nil && string(k) == "id" {
				id = s.Raw()
				return true
			}
			return false
		})
	}
	return id
}

// firstString reads the first element of a list (for the digest key).
func firstString(s *client.JSONScanner) []byte {
	if !s.EnterArray() {
		s.Skip()
		return nil
	}
	var first []byte
	for s.NextElement() {
		if first == nil {
			first = s.Raw()
		} else {
			s.Skip()
		}
	}
	return first
}

// cleanID is s trimmed when it is a usable identifier that the Redactor
// leaves as it is, else "".
func cleanID(raw []byte, red *client.Redactor) string {
	s := strings.TrimSpace(rawString(raw))
	if s != "" && client.ValidID(s) && red.Label(s) == s {
		return s
	}
	return ""
}

// scriptKey is the item's id when clean, else a digest of kind and the
// identifying fields as sent; ok is false when all of them are empty.
func scriptKey(raw []byte, red *client.Redactor, kind string, fields ...[]byte) (string, bool) {
	if id := cleanID(raw, red); id != "" {
		return id, true
	}
	parts := make([]string, 0, len(fields)+2)
	parts = append(parts, kind, rawString(raw))
	empty := parts[1] == ""
	for _, f := range fields {
		v := rawString(f)
		empty = empty && v == ""
		parts = append(parts, v)
	}
	if empty {
		return "", false
	}
	return digestKey(parts...), true
}

// Sane times: a parsed time outside them (year 0, 9999…) is absent.
var (
	minScriptTime = time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)
	maxScriptTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// scriptTime reads a time in any documented format; absent (zero) when
// unparsable or not a sane date.
func scriptTime(raw []byte) time.Time {
	t := parseTime(rawString(raw))
	if t.Before(minScriptTime) || t.After(maxScriptTime) {
		return time.Time{}
	}
	return t
}

// task converts r, a §4.24.9 task (pool false) or a §4.4.16 one.
func (r *rawScriptItem) task(red *client.Redactor, pool bool) (ScriptTask, bool) {
	var key string
	var ok bool
	if pool {
		key, ok = scriptKey(r.id, red, "pool-task", r.start, r.poolID, r.script)
	} else {
		key, ok = scriptKey(r.id, red, "task", r.start, r.script, r.resourceID)
	}
	if !ok {
		return ScriptTask{}, false
	}
	t := ScriptTask{
		Key:       key,
		Status:    red.Label(strings.TrimSpace(rawString(r.status))),
		Start:     scriptTime(r.start),
		End:       scriptTime(r.end),
		Succeeded: desktopCount(r.success),
		Failed:    desktopCount(r.failed),
		Skipped:   desktopCount(r.skip),
	}
	t.Phase = scriptPhase(t.Status)
	if pool {
		t.PoolID = cleanID(r.poolID, red)
	}
	return t, true
}

// scriptPhase is what a script task or run status means. §4.24 documents
// none; the statuses documented for script executions elsewhere are read
// by their meaning, in any case: §4.4.16's FINISH, FAILED, RUNNING, INIT
// and its filter's SUCCESS, WAITING (003 L14431, L14473), and §4.20.1's
// execution results SUCCESS, SKIP, FAIL (L37814). Any other is
// model.PhaseUnknown.
func scriptPhase(status string) model.Phase {
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

// run converts r, a §4.24.8 record.
func (r *rawScriptItem) run(red *client.Redactor) (ScriptRun, bool) {
	key, ok := scriptKey(r.id, red, "record", r.taskID, r.resourceID, r.scriptID, r.start)
	if !ok {
		return ScriptRun{}, false
	}
	run := ScriptRun{
		Key:        key,
		TaskID:     cleanID(r.taskID, red),
		Status:     red.Label(strings.TrimSpace(rawString(r.status))),
		Start:      scriptTime(r.start),
		End:        scriptTime(r.end),
		ResultCode: red.Bounded(strings.TrimSpace(rawString(r.resultCode)), MaxScriptResultCodeLen),
	}
	run.Phase = scriptPhase(run.Status)
	return run, true
}

// decodeScriptTask decodes one element of script_tasks (pool false) or
// script_execution_tasks (pool true).
func decodeScriptTask(red *client.Redactor, pool bool) client.RawItemDecoder[ScriptTask] {
	return func(s *client.JSONScanner) (ScriptTask, string, bool, error) {
		r, ok := readScriptItem(s)
		if !ok {
			return ScriptTask{}, "", false, nil
		}
		t, ok := r.task(red, pool)
		return t, t.Key, ok, nil
	}
}

// decodeScriptRun decodes one element of script_records.
func decodeScriptRun(red *client.Redactor) client.RawItemDecoder[ScriptRun] {
	return func(s *client.JSONScanner) (ScriptRun, string, bool, error) {
		r, ok := readScriptItem(s)
		if !ok {
			return ScriptRun{}, "", false, nil
		}
		run, ok := r.run(red)
		return run, run.Key, ok, nil
	}
}

// DecodeScriptTasksPage decodes one §4.24.9 response body with the
// decoder ListScriptTasks uses for every page (limit 100). It is exported
// for fixture tests and tools. Elements that are not tasks are skipped
// and counted in invalid.
func DecodeScriptTasksPage(body []byte) (tasks []ScriptTask, total int64, totalKnown bool, invalid int, err error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListScriptTasks, scriptTasksListKey, scriptTasksTotalKey, scriptsMaxLimit, decodeScriptTask(&client.Redactor{}, false))
	if err != nil {
		return nil, 0, false, 0, err
	}
	return p.Items, p.Total, p.HasTotal, p.Invalid, nil
}

// DecodeScriptRecordsPage decodes one §4.24.8 response body (see
// DecodeScriptTasksPage).
func DecodeScriptRecordsPage(body []byte) (runs []ScriptRun, total int64, totalKnown bool, invalid int, err error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListScriptRecords, scriptRecordsListKey, scriptTasksTotalKey, scriptsMaxLimit, decodeScriptRun(&client.Redactor{}))
	if err != nil {
		return nil, 0, false, 0, err
	}
	return p.Items, p.Total, p.HasTotal, p.Invalid, nil
}

// DecodePoolScriptTasksPage decodes one §4.4.16 response body (see
// DecodeScriptTasksPage).
func DecodePoolScriptTasksPage(body []byte) (tasks []ScriptTask, total int64, totalKnown bool, invalid int, err error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListPoolScriptTasks, poolScriptTasksListKey, poolScriptTasksTotalKey, scriptsMaxLimit, decodeScriptTask(&client.Redactor{}, true))
	if err != nil {
		return nil, 0, false, 0, err
	}
	return p.Items, p.Total, p.HasTotal, p.Invalid, nil
}

// ScriptQueryWindow is the window the script lists are asked for, at the
// API's second precision (UTC): from rounded down, to rounded up to the
// second, so that the window asked for covers [from, to].
func ScriptQueryWindow(from, to time.Time) (start, end time.Time) {
	start = from.UTC().Truncate(time.Second)
	end = to.UTC().Truncate(time.Second)
	if end.Before(to) {
		end = end.Add(time.Second)
	}
	return start, end
}

// scriptList is the walk of one scripts list over [from, to].
func (c *Client) scriptList(op, listKey, totalKey string, from, to time.Time) (client.OffsetList, error) {
	if to.Before(from) {
		return client.OffsetList{}, fmt.Errorf("%s: the window ends (%s) before it starts (%s)", op, to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	start, end := ScriptQueryWindow(from, to)
	q := url.Values{}
	q.Set("execute_time_start", start.Format(ScriptQueryTimeLayout))
	q.Set("execute_time_end", end.Format(ScriptQueryTimeLayout))
	return client.OffsetList{
		Op:          c.operation(op),
		Query:       q,
		ListKey:     listKey,
		TotalKey:    totalKey,
		Limit:       c.limit(op),
		MaxPages:    c.cfg.MaxPages,
		Concurrency: c.cfg.Concurrency,
	}, nil
}

// ListScriptTasks implements model.ScriptReader: it walks GET
// /v2/{project_id}/script-execution-tasks with execute_time_start and
// execute_time_end set to ScriptQueryWindow(from, to) and no other filter
// (both task types, every status), with the largest page (100, or the
// configured page size), and returns every task or an error: never a
// partial or inconsistent list (see client.WalkOffset).
func (c *Client) ListScriptTasks(ctx context.Context, from, to time.Time) ([]ScriptTask, model.ListStats, error) {
	l, err := c.scriptList(OpListScriptTasks, scriptTasksListKey, scriptTasksTotalKey, from, to)
	if err != nil {
		return nil, model.ListStats{Total: -1}, err
	}
	return client.WalkOffsetRaw(ctx, c.tr, l, decodeScriptTask(c.tr.Redactor(), false))
}

// ListScriptRuns implements model.ScriptReader with GET
// /v2/{project_id}/script-execution-records over the window (as
// ListScriptTasks; show_history stays false, its default).
func (c *Client) ListScriptRuns(ctx context.Context, from, to time.Time) ([]ScriptRun, model.ListStats, error) {
	l, err := c.scriptList(OpListScriptRecords, scriptRecordsListKey, scriptTasksTotalKey, from, to)
	if err != nil {
		return nil, model.ListStats{Total: -1}, err
	}
	return client.WalkOffsetRaw(ctx, c.tr, l, decodeScriptRun(c.tr.Redactor()))
}

// ListPoolScriptTasks implements model.ScriptReader with GET
// /v2/{project_id}/desktop-pools/script-execution-tasks/detail over the
// window (as ListScriptTasks; every pool).
func (c *Client) ListPoolScriptTasks(ctx context.Context, from, to time.Time) ([]ScriptTask, model.ListStats, error) {
	l, err := c.scriptList(OpListPoolScriptTasks, poolScriptTasksListKey, poolScriptTasksTotalKey, from, to)
	if err != nil {
		return nil, model.ListStats{Total: -1}, err
	}
	return client.WalkOffsetRaw(ctx, c.tr, l, decodeScriptTask(c.tr.Redactor(), true))
}
