// Package client holds what every cloud API client of the exporter shares.
// The provider packages below it (huaweicloud, …) speak one cloud API each
// and return plain Go types; none of them knows about Prometheus.
package client

import "time"

// Observer receives the accounting of every HTTP request a client makes,
// retries included. The collector package implements it with Prometheus
// counters; tests implement it with plain counts.
type Observer interface {
	// ObserveRequest is called once per HTTP attempt. code is the HTTP
	// status code as a string, or "error" when no response arrived
	// (transport failure, timeout, cancelled context).
	ObserveRequest(operation, code string, duration time.Duration)
	// ObserveThrottled is called when the API asked the client to slow
	// down (HTTP 429 or an APIGW.* throttling error code).
	ObserveThrottled(operation string)
	// ObserveInvalidItems is called with the number of list elements of a
	// walk that were skipped because they were not objects or lacked a
	// valid ID.
	ObserveInvalidItems(operation string, n int)
}

// NopObserver discards the accounting.
type NopObserver struct{}

// ObserveRequest implements Observer.
func (NopObserver) ObserveRequest(string, string, time.Duration) {}

// ObserveThrottled implements Observer.
func (NopObserver) ObserveThrottled(string) {}

// ObserveInvalidItems implements Observer.
func (NopObserver) ObserveInvalidItems(string, int) {}
