package model

import (
	"context"
	"time"
)

// The alarms domain: the provider's alarm records and its alarm counts
// by severity (Huawei: §4.22.1 and §4.22.2 of the API reference).

// CapabilityAlarms is the capability of a client that implements
// AlarmReader.
const CapabilityAlarms = "alarms"

// Enum fields of the alarms domain.
const (
	// FieldAlarmSeverity names the documented severities (the names of
	// the provider's alarm levels, e.g. critical, major, minor, warning).
	FieldAlarmSeverity = "alarm.severity"
	// FieldAlarmStatus names the documented statuses of an alarm record.
	FieldAlarmStatus = "alarm.status"
)

// Alarm is one alarm record. Every string is safe for a label value
// (secrets redacted, valid UTF-8, bounded).
type Alarm struct {
	// Key identifies the record across pages: the provider's record ID,
	// or a digest of the record's identifying fields when it has none.
	Key string
	// AlarmID is the ID of the alarm rule (several records, one per
	// resource, may share it); Name the rule's name.
	AlarmID, Name string
	// Severity is a FieldAlarmSeverity value, "" when the provider's
	// level is absent or undocumented (Level keeps what it sent).
	Severity string
	Level    int64
	// Status keeps whatever value the API sent ("" when absent).
	Status string
	// Active is true when the status says the alarm is raised.
	Active bool
	// Type is the rule type as sent ("" when absent).
	Type string
	// ResourceID and ResourceName are the resource the record is about
	// ("" when the provider does not say).
	ResourceID, ResourceName string
	// Begin is when the alarm was raised; zero when absent or unreadable.
	Begin time.Time
}

// AlarmStatistics are the provider's pre-aggregated alarm counts.
type AlarmStatistics struct {
	// BySeverity holds the counts the answer gave, by FieldAlarmSeverity
	// value; a severity the answer lacked is absent.
	BySeverity map[string]int64
	// Total is the provider's total, when HasTotal.
	Total    int64
	HasTotal bool
}

// AlarmReader reads alarm records and alarm statistics. Each method
// returns complete data or an error.
type AlarmReader interface {
	ListAlarms(ctx context.Context) ([]Alarm, ListStats, error)
	AlarmStatistics(ctx context.Context) (AlarmStatistics, error)
}
