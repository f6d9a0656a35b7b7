package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/client"
)

// apiMetrics counts the requests the clients make. These are the only
// directly instrumented metrics: they accumulate across refreshes.
type apiMetrics struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	throttled *prometheus.CounterVec
	invalid   *prometheus.CounterVec
}

func newAPIMetrics() *apiMetrics {
	return &apiMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "api_requests_total",
			Help: "HTTP requests sent to the cloud API, retries included, by operation and HTTP status code (\"error\" when no response arrived).",
		}, []string{"target", "operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "api_request_duration_seconds",
			Help:    "Duration of HTTP requests to the cloud API, body read included, by operation.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"target", "operation"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "api_throttled_total",
			Help: "Requests the cloud API throttled (HTTP 429 or APIGW.0308), by operation.",
		}, []string{"target", "operation"}),
		invalid: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "api_invalid_items_total",
			Help: "List elements the cloud API returned that were skipped because they were not objects or lacked a valid ID, by operation.",
		}, []string{"target", "operation"}),
	}
}

func (a *apiMetrics) Describe(ch chan<- *prometheus.Desc) {
	a.requests.Describe(ch)
	a.duration.Describe(ch)
	a.throttled.Describe(ch)
	a.invalid.Describe(ch)
}

func (a *apiMetrics) Collect(ch chan<- prometheus.Metric) {
	a.requests.Collect(ch)
	a.duration.Collect(ch)
	a.throttled.Collect(ch)
	a.invalid.Collect(ch)
}

// forget drops the series of a target that left the configuration.
func (a *apiMetrics) forget(target string) {
	l := prometheus.Labels{"target": target}
	a.requests.DeletePartialMatch(l)
	a.duration.DeletePartialMatch(l)
	a.throttled.DeletePartialMatch(l)
	a.invalid.DeletePartialMatch(l)
}

// initTarget creates a target's counters at zero for every operation its
// client can call, so rate() and alerts see them before the first event.
// The request counter starts with code "200".
func (a *apiMetrics) initTarget(target string, operations []string) {
	for _, op := range operations {
		a.requests.WithLabelValues(target, op, "200")
		a.throttled.WithLabelValues(target, op)
		a.invalid.WithLabelValues(target, op)
	}
}

// observer returns the client.Observer of one target.
func (a *apiMetrics) observer(target string) client.Observer {
	return targetObserver{a: a, target: target}
}

type targetObserver struct {
	a      *apiMetrics
	target string
}

func (o targetObserver) ObserveRequest(op, code string, d time.Duration) {
	o.a.requests.WithLabelValues(o.target, op, code).Inc()
	o.a.duration.WithLabelValues(o.target, op).Observe(d.Seconds())
}

func (o targetObserver) ObserveThrottled(op string) {
	o.a.throttled.WithLabelValues(o.target, op).Inc()
}

func (o targetObserver) ObserveInvalidItems(op string, n int) {
	o.a.invalid.WithLabelValues(o.target, op).Add(float64(n))
}
