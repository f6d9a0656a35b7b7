package huaweicloud

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file is the connections domain, served from the one fleet:
// ListConnectDesktops (§4.3.37), ListConnectionStatus (§4.13.2) and
// ShowLoginStateStatistics (§4.21.15).

// connectLimits are the paging rules of ListConnectDesktops (§4.3.37, seed
// 003 L11281-11284): offset 0..2,000, limit 0..2,000 (default 100). Values
// outside them are answered 400 WKS.0001 (seed 003 L50589: "The format of
// the parameters entered through the interface is invalid. {0} is
// invalid.").
var connectLimits = func() simulator.Limits {
	row := hwspec.Spec.Operation(hwspec.OpListConnectDesktops)
	bad := func(param string) *simulator.Error {
		return &simulator.Error{Status: http.StatusBadRequest, Code: "WKS.0001",
			Message: "The format of the parameters entered through the interface is invalid. " + param + " is invalid.",
			Detail:  param + " must be an integer in 0.." + strconv.Itoa(row.MaxLimit) + "."}
	}
	return simulator.Limits{Min: 0, Max: row.MaxLimit, Default: 100, BadOffset: bad("offset"), BadLimit: bad("limit")}
}()

// connectMaxOffset is §4.3.37's largest offset.
var connectMaxOffset = hwspec.Spec.Operation(hwspec.OpListConnectDesktops).MaxOffset

// listConnectDesktops answers ListConnectDesktops: every desktop of the
// fleet in fleet order, connect_status its login status, attach_users its
// user. The status and user filters are not served (the exporter sends
// none); the shared page faults apply. The caller holds the fleet's read
// lock.
func (a *api) listConnectDesktops(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	page, e := simulator.ParsePage(r.URL.Query(), connectLimits)
	if e == nil && page.Offset > connectMaxOffset {
		e = connectLimits.BadOffset
	}
	if e != nil {
		return e.Status, errorBody(e)
	}
	l := simulator.List[*record]{
		ListKey:  op.ListKey,
		TotalKey: op.TotalKey,
		Mode:     a.srv.TotalCountMode(),
		Items:    a.fleet.recs,
		Page:     page,
		Append:   appendConnectDesktop,
		Flood:    floodRecord, // login_status is connect_status here
		ItemSize: 256,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// appendConnectDesktop appends r as a ConnectDesktopsInfo: desktop_id,
// desktop_name (the computer name), connect_status (the login status: the
// same four documented values, digest §0.10) and attach_users, the
// desktop's attach_user_infos as AttachUsersInfo (id, name, user_group,
// type).
func appendConnectDesktop(b []byte, r *record) []byte {
	b = appendKeyString(b, '{', "desktop_id", r.id)
	b = appendKeyString(b, ',', "desktop_name", r.name)
	b = appendKeyString(b, ',', "connect_status", r.login)
	b = append(b, `,"attach_users":[`...)
	switch {
	case r.custom != nil:
		for i, u := range r.custom.AttachUserInfos {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendKeyString(b, '{', "id", u.UserID)
			b = appendKeyString(b, ',', "name", u.UserName)
			b = appendKeyString(b, ',', "user_group", u.UserGroup)
			b = appendKeyString(b, ',', "type", u.Type)
			b = append(b, '}')
		}
	case r.user != "":
		b = append(b, `{"id":"`...)
		b = appendHex32(b, mix(r.hash, 8), mix(r.hash, 9))
		b = append(b, '"')
		b = appendKeyString(b, ',', "name", r.user)
		b = appendKeyString(b, ',', "user_group", r.userGroup)
		b = append(b, `,"type":"USER"}`...)
	}
	return append(b, ']', '}')
}

// appendOversizedConnection appends the n-th desktop of an oversized
// ListConnectDesktops page.
func appendOversizedConnection(b []byte, n int) []byte {
	b = append(b, `{"desktop_id":"oversize-`...)
	b = appendPadded(b, n)
	return append(b, `","connect_status":"CONNECTED"}`...)
}

func appendPadded(b []byte, n int) []byte {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], int64(n), 10)
	for i := len(d); i < 8; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

// The login states of §4.21.15 (login_state_statistics), without _num.
const (
	loginStateInUse           = "in_use"
	loginStateUnregistered    = "unregistered"
	loginStateUnableToConnect = "unable_to_connect"
	loginStateReady           = "ready"
	loginStateDisconnected    = "disconnected"
)

// loginStateCounts counts recs (a fleet's records) by §4.21.15's login
// states, each desktop in exactly one of them:
//
//   - unable_to_connect: status ERROR and login status not CONNECTED (a
//     broken desktop no one can log in to, whatever it last reported);
//   - otherwise by login status: in_use CONNECTED, ready REGISTERED,
//     unregistered UNREGISTER, disconnected DISCONNECTED.
//
// A desktop with an undocumented login status (only possible through
// SetDesktops) is in none of them. So in_use equals the fleet's CONNECTED
// count, and the five add up to the desktops with a documented login
// status. Every state is in the map, 0 when none.
func loginStateCounts(recs []*record) map[string]int64 {
	m := map[string]int64{
		loginStateInUse: 0, loginStateUnregistered: 0, loginStateUnableToConnect: 0, loginStateReady: 0, loginStateDisconnected: 0,
	}
	for _, r := range recs {
		if r.status == statusError && r.login != loginConnected {
			m[loginStateUnableToConnect]++
			continue
		}
		switch r.login {
		case loginConnected:
			m[loginStateInUse]++
		case loginRegistered:
			m[loginStateReady]++
		case loginUnregister:
			m[loginStateUnregistered]++
		case loginDisconnected:
			m[loginStateDisconnected]++
		}
	}
	return m
}

// loginStateStatistics answers ShowLoginStateStatistics (§4.21.15): the
// object of loginStateCounts' counters, <state>_num, in the documented
// order.
func (a *api) loginStateStatistics(_ simulator.Operation, _ *http.Request, b []byte, _ *simulator.Fault) (int, []byte) {
	counts := loginStateCounts(a.fleet.recs)
	b = append(b, '{')
	for i, st := range []string{loginStateInUse, loginStateUnregistered, loginStateUnableToConnect, loginStateReady, loginStateDisconnected} {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCounter(b, st, counts[st])
	}
	return http.StatusOK, append(b, '}')
}

func appendCounter(b []byte, state string, n int64) []byte {
	b = append(b, '"')
	b = append(b, state...)
	b = append(b, `_num":`...)
	return strconv.AppendInt(b, n, 10)
}

// groupCounters are the counters of §4.13.2's InstanceStatusStatistics,
// without _num, in the documented order (seed 003 L21945-21964).
var groupCounters = []string{"running", "stop", "hibernate", "other", "attached", "unattached",
	"cannot_attach", "in_process", "in_use", "unregistered", "ready", "disconnected", "unknown"}

// groupStat is one element of §4.13.2's statics.
type groupStat struct {
	name   string
	counts [13]int64 // in groupCounters order
}

// Indexes of groupStat.counts.
const (
	gRunning = iota
	gStop
	gHibernate
	gOther
	gAttached
	gUnattached
	gCannotAttach
	gInProcess
	gInUse
	gUnregistered
	gReady
	gDisconnected
	gUnknown
)

// connectionGroup is the group §4.13.2 counts r in ("VM group name or
// desktop group name"): the pool's name for a pooled desktop, the
// department's tag for a dedicated one (the values of the desktop's
// "pool" or "department" tag in §4.3.8), and for a desktop installed with
// SetDesktops the value of such a tag, else its pool_id, else "default".
func connectionGroup(r *record) string {
	switch {
	case r.custom != nil:
		for _, t := range r.custom.Tags {
			if (t.Key == "pool" || t.Key == "department") && t.Value != "" {
				return t.Value
			}
		}
		if r.custom.PoolID != "" {
			return r.custom.PoolID
		}
		return "default"
	case r.pool != nil:
		return r.pool.name
	case r.dept != nil:
		return r.dept.tag
	}
	return "default"
}

// groupStats counts recs per connectionGroup, in the order of the groups'
// names. Each desktop is counted once along each of the three dimensions
// of §4.13.2 (seed 003 L21945-21964), so each dimension of a group adds up
// to its desktops, and the groups add up to the fleet:
//
//   - run state: other when a deletion runs or failed (deleting,
//     deleteFailed) or the status is ERROR or undocumented; else running
//     while powering on ("starting") and stop while powering off
//     ("stopping"); else running ACTIVE, stop SHUTOFF, hibernate
//     HIBERNATED;
//   - assignment (attach_state): attached ATTACHED; unattached UNATTACH,
//     DEATTACHED or empty/undocumented; cannot_attach ATTACHFAIL,
//     DEATTACHFAIL, ATTACH_FAIL_CAN_ATTACH_AGAIN,
//     DEATTACH_FAIL_CAN_DEATTACH_AGAIN; in_process ATTACHING, DEATTACHING,
//     WAITING;
//   - login state: in_use CONNECTED, unregistered UNREGISTER, ready
//     REGISTERED, disconnected DISCONNECTED, unknown anything else.
func groupStats(recs []*record) []groupStat {
	index := map[string]int{}
	var out []groupStat
	for _, r := range recs {
		name := connectionGroup(r)
		i, ok := index[name]
		if !ok {
			i = len(out)
			index[name] = i
			out = append(out, groupStat{name: name})
		}
		c := &out[i].counts
		switch {
		case r.task == taskDeleting || r.task == taskDeleteFailed || r.status == statusError:
			c[gOther]++
		case r.task == taskPoweringOn:
			c[gRunning]++
		case r.task == taskPoweringOff:
			c[gStop]++
		case r.status == statusActive:
			c[gRunning]++
		case r.status == statusShutoff:
			c[gStop]++
		case r.status == statusHibernated:
			c[gHibernate]++
		default:
			c[gOther]++
		}
		switch r.attach {
		case attachAttached:
			c[gAttached]++
		case attachFail, "DEATTACHFAIL", "ATTACH_FAIL_CAN_ATTACH_AGAIN", "DEATTACH_FAIL_CAN_DEATTACH_AGAIN":
			c[gCannotAttach]++
		case attachAttaching, "DEATTACHING", "WAITING":
			c[gInProcess]++
		default:
			c[gUnattached]++
		}
		switch r.login {
		case loginConnected:
			c[gInUse]++
		case loginUnregister:
			c[gUnregistered]++
		case loginRegistered:
			c[gReady]++
		case loginDisconnected:
			c[gDisconnected]++
		default:
			c[gUnknown]++
		}
	}
	slices.SortFunc(out, func(x, y groupStat) int {
		switch {
		case x.name < y.name:
			return -1
		case x.name > y.name:
			return 1
		}
		return 0
	})
	return out
}

// appendGroupStat appends one InstanceStatusStatistics.
func appendGroupStat(b []byte, g groupStat) []byte {
	b = appendKeyString(b, '{', "static_name", g.name)
	for i, st := range groupCounters {
		b = append(b, ',')
		b = appendCounter(b, st, g.counts[i])
	}
	return append(b, '}')
}

// connectionStatus answers ListConnectionStatus (§4.13.2):
// {"statics":[…]}, one element per group (groupStats). The answer has no
// total; the shared page faults apply to the statics list.
func (a *api) connectionStatus(op simulator.Operation, _ *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	groups := groupStats(a.fleet.recs)
	l := simulator.List[groupStat]{
		ListKey: op.ListKey,
		Mode:    simulator.TotalOmitted,
		Items:   groups,
		Page:    simulator.Page{Limit: len(groups)},
		Append:  appendGroupStat,
		Flood: func(g groupStat, _ []string) groupStat {
			g.name = simulator.FloodPrefix + g.name
			return g
		},
		ItemSize: 320,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// appendOversizedGroup appends the n-th group of an oversized
// ListConnectionStatus answer.
func appendOversizedGroup(b []byte, n int) []byte {
	b = append(b, `{"static_name":"oversize-`...)
	b = appendPadded(b, n)
	return append(b, `","running_num":1}`...)
}
