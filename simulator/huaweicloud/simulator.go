// Package huaweicloud is an in-process fake of the Huawei Cloud Workspace
// API for tests, benchmarks and the exporter's demo mode, built on the
// shared machinery of package simulator. Importers call it hwsim.
//
// Its routes are the rows of the spec table the client uses
// (client/huaweicloud/hwspec) that it has an endpoint for: desktops
// (§4.3.8), connection states (§4.3.37, §4.13.2, §4.21.15), login records
// and login users (§4.13.1, §4.13.4), usage reports and statistics
// (§4.21.9, §4.21.10, §4.21.13, §4.21.14), quotas (§4.25.1, §4.25.2),
// alarms (§4.22.1, §4.22.2), jobs (§4.28.1, §4.28.2), script executions
// (§4.24.8, §4.24.9, §4.4.16), scheduled tasks (§4.20.1, §4.20.3,
// §4.20.8, §4.20.9), application installation jobs (§4.31.16), pools
// (§4.4.2, §4.4.5, §4.4.13), users (§4.8.1, §4.9.1) and the service
// (§4.2.1, §4.2.6, §4.2.7, §4.2.12); a row without an endpoint is an
// unknown path (404). Every endpoint answers from one generated, evolving
// fleet of desktops and its sessions, so that counts agree across
// endpoints. It verifies every request's
// SDK-HMAC-SHA256 signature and project the way the API gateway does, so
// production code signed by the official SDK cannot tell it from the real
// service on those paths, and answers errors with the API's error object
// {"error_code","error_msg","error_detail"} and codes.
//
// simulator.go holds the Simulator, its routing, endpoints and error
// bodies; auth.go the signature verification; fleet.go the fleet and its
// evolution; desktops.go the desktop object, the filters and
// ListDesktopsDetail; every other file one domain. Lifecycle, accounting, faults and paging are the
// embedded simulator.Server's and package simulator's.
package huaweicloud

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// DefaultMaxLimit is the largest accepted limit unless Options.MaxLimit says
// otherwise; it is the documented maximum of ListDesktopsDetail.
var DefaultMaxLimit = hwspec.Spec.Operation(hwspec.OpListDesktopsDetail).MaxLimit

// Options configures a Simulator.
type Options struct {
	// ProjectID is the project the simulated tenant lives in; requests for
	// any other project are rejected with WKS.00010025. Required.
	ProjectID string
	// Credentials are the accepted access keys. At least one is required.
	// A temporary key (SecurityToken set) must be used with its token in
	// X-Security-Token.
	Credentials []simulator.Credential
	// Desktops is the size of the initial fleet.
	Desktops int
	// Seed makes fleet generation, Step and probability faults
	// deterministic. Creation times also depend on the clock: the initial
	// fleet is dated before the day of Now() at New, desktops created by
	// Step at Now().
	Seed int64
	// MaxLimit is the largest accepted limit, 1..1000 (default 500).
	MaxLimit int
	// TotalCount selects how total_count is reported (default
	// simulator.TotalExact).
	TotalCount simulator.TotalCountMode
	// Now is the simulator's clock, used to check X-Sdk-Date (±15 minutes)
	// and to date desktops. Default time.Now.
	Now func() time.Time
}

// Simulator is a fake Workspace API: the embedded simulator.Server (Start,
// Close, Step, Run, InjectFault, ServeVerbatim, Requests, …) serving the
// Huawei API. It is an http.Handler. All methods are safe for concurrent
// use.
//
// Step advances the fleet by one tick. Desktops power off, hibernate, start
// and fail; operations run through their documented task_status values
// (e.g. powering-on, whose status change is applied at the next step) with
// a 0..100 process; users connect and disconnect; a few desktops are
// created (scheduling … spawning) and deleted (deleting, then gone the step
// after, or sometimes deleteFailed). The result depends only on the seed,
// the fleet and, for the creation time of new desktops, the clock.
type Simulator struct {
	*simulator.Server
	api *api
}

// api is the Workspace API as a simulator.Provider.
type api struct {
	srv           *simulator.Server
	projectID     string
	desktopLimits simulator.Limits
	fleet         *fleet // guarded by the Server's fleet lock
	usage         usageMemo
	alarmSt       *alarmState     // its own lock
	jobSt         *jobState       // its own lock
	tenantSet     *Tenant         // SetTenant's tenant, nil for the default; guarded by the fleet lock
	scriptSt      scriptState     // scripts.go; the zero value is ready; its own lock
	appInstallSt  appInstallState // app_installs.go; the zero value is ready; its own lock
	schedSt       schedState      // scheduled_tasks.go; the zero value is ready; its own lock
}

// New validates opts and generates the initial fleet (about 60 ms for
// 100,000 desktops).
func New(opts Options) (*Simulator, error) {
	if opts.ProjectID == "" || strings.ContainsAny(opts.ProjectID, "/?#") {
		return nil, fmt.Errorf("simulator: ProjectID must be non-empty and contain no '/', '?' or '#', got %q", opts.ProjectID)
	}
	if opts.Desktops < 0 || opts.Desktops > 10_000_000 {
		return nil, fmt.Errorf("simulator: Desktops must be in 0..10000000, got %d", opts.Desktops)
	}
	switch {
	case opts.MaxLimit == 0:
		opts.MaxLimit = DefaultMaxLimit
	case opts.MaxLimit < 1 || opts.MaxLimit > 1000:
		return nil, fmt.Errorf("simulator: MaxLimit must be in 1..1000, got %d", opts.MaxLimit)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &api{projectID: opts.ProjectID, desktopLimits: desktopLimits(opts.MaxLimit),
		alarmSt: &alarmState{active: map[string]*alarmRecord{}},
		jobSt:   &jobState{active: map[*record]*simJob{}}}
	srv, err := simulator.NewServer(a, simulator.ServerOptions{
		Credentials: opts.Credentials,
		Seed:        opts.Seed,
		Now:         opts.Now,
		TotalCount:  opts.TotalCount,
	})
	if err != nil {
		return nil, err
	}
	a.srv = srv
	a.fleet = newFleet(opts.Seed, opts.Desktops, opts.Now())
	return &Simulator{Server: srv, api: a}, nil
}

// Desktops returns a copy of the current fleet in list order, in the
// shape the API serves.
func (s *Simulator) Desktops() []Desktop {
	var out []Desktop
	s.ReadFleet(func() {
		out = make([]Desktop, len(s.api.fleet.recs))
		for i, r := range s.api.fleet.recs {
			out[i] = r.view()
		}
	})
	return out
}

// SetDesktops replaces the fleet with copies of ds, served in that order
// exactly as given (nil slices and maps as [] and {}). Step evolves them
// like generated desktops.
func (s *Simulator) SetDesktops(ds []Desktop) {
	recs := make([]*record, len(ds))
	for i, d := range ds {
		recs[i] = recordFor(d)
	}
	s.UpdateFleet(func() { s.api.fleet.recs = recs })
}

// invalidParameter is the code of the 400-class answers the gateway gives
// before the operation runs.
var invalidParameter = simulator.ErrorCode{Code: "WKS.0001", Message: "Invalid request parameter."}

// Profile returns the API gateway's Server header, the Workspace error
// codes and the desktop fields enum_flood fills.
func (a *api) Profile() simulator.Profile {
	return simulator.Profile{
		Header: http.Header{"Server": {"api-gateway"}},
		Errors: simulator.ErrorCodes{
			Throttled:        simulator.ErrorCode{Code: "APIGW.0308", Message: "The request is throttled."},
			Internal:         simulator.ErrorCode{Code: "WKS.0002", Message: "Internal error."},
			GatewayTimeout:   simulator.ErrorCode{Code: "APIGW.0202", Message: "Backend timeout."},
			NotFound:         simulator.ErrorCode{Code: "WKS.0010", Message: "No resources found in the system."},
			MethodNotAllowed: invalidParameter,
			BodyTooLarge:     invalidParameter,
			UnreadableBody:   invalidParameter,
		},
		FloodFields: desktopFloodFields,
	}
}

// Route finds the operation of r's path in the spec table the client uses
// (hwspec): the row of r's method, else a row of another method (which the
// Server answers 405). A row the simulator has no endpoint for is an
// unknown path (404).
func (a *api) Route(r *http.Request) (simulator.Operation, bool) {
	row, ok := hwspec.Spec.Match(r.Method, r.URL.Path)
	if !ok {
		for _, o := range hwspec.Spec.Operations {
			if row, ok = hwspec.Spec.Match(o.Method, r.URL.Path); ok {
				break
			}
		}
	}
	if _, served := endpoints[row.Name]; !ok || !served {
		return simulator.Operation{}, false
	}
	return simulator.Operation{Name: row.Name, Method: row.Method, ListKey: row.ListKey, TotalKey: row.TotalKey}, true
}

// ErrorBody renders the API's error object.
func (a *api) ErrorBody(e *simulator.Error) []byte { return errorBody(e) }

// errorBody renders the API's error object, error_detail omitted when
// empty.
func errorBody(e *simulator.Error) []byte {
	v := struct {
		Code   string `json:"error_code"`
		Msg    string `json:"error_msg"`
		Detail string `json:"error_detail,omitempty"`
	}{e.Code, e.Message, e.Detail}
	b, _ := json.Marshal(v) // three strings cannot fail to marshal
	return b
}

// endpoint is how the simulator serves one operation of the spec table.
type endpoint struct {
	// serve answers the operation (simulator.Provider.Serve).
	serve func(a *api, op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte)
	// oversizedItem appends the n-th item of an oversized page
	// (simulator.Provider.AppendOversizedItem); required when the
	// operation's row has a ListKey.
	oversizedItem func(b []byte, n int) []byte
}

// endpoints are the operations the simulator serves, by name; Route
// reaches only these. TestEndpointsFollowTheSpec holds each to its row of
// the spec table.
var endpoints = map[string]endpoint{
	hwspec.OpListDesktopsDetail:       {serve: (*api).listDesktops, oversizedItem: appendOversizedDesktop},
	hwspec.OpListConnectDesktops:      {serve: (*api).listConnectDesktops, oversizedItem: appendOversizedConnection},
	hwspec.OpListConnectionStatus:     {serve: (*api).connectionStatus, oversizedItem: appendOversizedGroup},
	hwspec.OpShowLoginStateStatistics: {serve: (*api).loginStateStatistics},
	hwspec.OpListDesktopUsage:         {serve: (*api).listUsage, oversizedItem: appendOversizedUsage("resource_id")},
	hwspec.OpListUserUsage:            {serve: (*api).listUsage, oversizedItem: appendOversizedUsage("username")},
	hwspec.OpShowDesktopStatistics:    {serve: (*api).showDesktopStatistics},
	hwspec.OpShowRunStateStatistics:   {serve: (*api).showRunStateStatistics},
	hwspec.OpListLoginRecords:         {serve: (*api).listLoginRecords, oversizedItem: appendOversizedLogin},
	hwspec.OpShowLoginUsers:           {serve: (*api).showLoginUsers, oversizedItem: appendOversizedTimeCount},
	hwspec.OpListUsers:                {serve: (*api).listUsers, oversizedItem: appendOversizedUser},
	hwspec.OpListUserGroups:           {serve: (*api).listUserGroups, oversizedItem: appendOversizedUserGroup},
	hwspec.OpListAlarms:               {serve: (*api).listAlarms, oversizedItem: appendOversizedAlarm},
	hwspec.OpShowAlarmStatistics:      {serve: (*api).showAlarmStatistics},
	hwspec.OpListQuotas:               {serve: (*api).listQuotas, oversizedItem: appendOversizedSiteQuota},
	hwspec.OpShowQuotaDetail:          {serve: (*api).showQuotaDetail, oversizedItem: appendOversizedQuota},

	// pools.go
	hwspec.OpListDesktopPools:                 {serve: (*api).listDesktopPools, oversizedItem: appendOversizedPool},
	hwspec.OpShowDesktopPool:                  {serve: (*api).showDesktopPool},
	hwspec.OpListDesktopPoolAuthorizedObjects: {serve: (*api).listDesktopPoolAuthorizedObjects, oversizedItem: appendOversizedAuthorizedObject},

	// jobs.go
	hwspec.OpListSubJobs: {serve: (*api).listSubJobs, oversizedItem: appendOversizedJob},
	hwspec.OpShowJob:     {serve: (*api).showJob, oversizedItem: appendOversizedJob},

	// scripts.go
	hwspec.OpListScriptTasks:     {serve: (*api).listScriptTasks, oversizedItem: appendOversizedScriptTask},
	hwspec.OpListScriptRecords:   {serve: (*api).listScriptRecords, oversizedItem: appendOversizedScriptRecord},
	hwspec.OpListPoolScriptTasks: {serve: (*api).listScriptTasks, oversizedItem: appendOversizedScriptTask},

	// app_installs.go
	hwspec.OpListAppInstallJobs: {serve: (*api).listAppInstallJobs, oversizedItem: appendOversizedAppInstallJob},

	// scheduled_tasks.go
	hwspec.OpListScheduledTasks:             {serve: (*api).listScheduledTasks, oversizedItem: appendOversizedScheduledTask},
	hwspec.OpShowScheduledTask:              {serve: (*api).showScheduledTask},
	hwspec.OpListScheduledTaskRecords:       {serve: (*api).listScheduledTaskRecords, oversizedItem: appendOversizedScheduledRecord},
	hwspec.OpListScheduledTaskRecordDetails: {serve: (*api).listScheduledTaskRecordDetails, oversizedItem: appendOversizedScheduledDetail},

	// service.go
	hwspec.OpListWorkspaces:    {serve: (*api).listWorkspaces},
	hwspec.OpShowWorkspaceLock: {serve: (*api).showWorkspaceLock},
	hwspec.OpListSiteConfigs:   {serve: (*api).listSiteConfigs, oversizedItem: appendOversizedSite},
	hwspec.OpListWksEdgeSites:  {serve: (*api).listWksEdgeSites, oversizedItem: appendOversizedEdgeSite},
}

// Serve answers an operation Route found.
func (a *api) Serve(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	return endpoints[op.Name].serve(a, op, r, b, f)
}

// AppendOversizedItem appends a small item of op's list.
func (a *api) AppendOversizedItem(b []byte, op simulator.Operation, n int) []byte {
	return endpoints[op.Name].oversizedItem(b, n)
}

// Step advances the fleet; the Server holds the fleet's write lock.
func (a *api) Step(now time.Time) { a.fleet.step(now); a.stepAppInstalls(now); a.stepScheduled(now) }

// wksLimits are an offset list's paging rules, limit lo..hi (default def),
// with the API's 400 answers: WKS.0508 for an offset below 0, WKS.0509
// with limitMsg (and detail, when not empty) for a limit out of range.
func wksLimits(lo, hi, def int, limitMsg, detail string) simulator.Limits {
	return simulator.Limits{
		Min: lo, Max: hi, Default: def,
		BadOffset: &simulator.Error{Status: http.StatusBadRequest, Code: "WKS.0508",
			Message: "The value of offset cannot be smaller than 0."},
		BadLimit: &simulator.Error{Status: http.StatusBadRequest, Code: "WKS.0509", Message: limitMsg, Detail: detail},
	}
}
