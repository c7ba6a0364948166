package notify

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Attempt outcomes, the label values of llgate_notify_attempts_total.
const (
	OutcomeDelivered = "delivered" // acknowledged
	OutcomeRejected  = "rejected"  // an HTTP answer that is not an acknowledgement
	OutcomeError     = "error"     // no HTTP answer: refused, reset, timeout, TLS, blocked address
)

// Metrics are the worker's Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	attempts  *prometheus.CounterVec
	deferrals prometheus.Counter
	latency   prometheus.Histogram
	backlog   prometheus.Gauge
	oldestDue prometheus.Gauge
}

// NewMetrics registers the worker's metrics on reg (a new registry when
// nil). Worker.Run refreshes the backlog gauges when it looks for due
// notifications, at least every second.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llgate_notify_attempts_total", Help: "Notification delivery attempts by outcome (delivered, rejected, error).",
		}, []string{"outcome"}),
		deferrals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "llgate_notify_deferred_total", Help: "Claimed notifications pushed back without an attempt because their receiver's host had stalled.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "llgate_notify_attempt_seconds", Help: "Wall time of notification delivery attempts.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "llgate_notify_backlog", Help: "Pending notifications (due or scheduled).",
		}),
		oldestDue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "llgate_notify_oldest_due_seconds", Help: "How long the most overdue pending notification has been due, by the llgate clock (0 when none is overdue).",
		}),
	}
	for _, o := range []string{OutcomeDelivered, OutcomeRejected, OutcomeError} {
		m.attempts.WithLabelValues(o) // export zeros
	}
	reg.MustRegister(m.attempts, m.deferrals, m.latency, m.backlog, m.oldestDue)
	return m
}

func (m *Metrics) attempt(outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(outcome).Inc()
	m.latency.Observe(d.Seconds())
}

func (m *Metrics) deferred(n int) {
	if m == nil || n == 0 {
		return
	}
	m.deferrals.Add(float64(n))
}

func (m *Metrics) setBacklog(n int64, oldestDue time.Duration) {
	if m == nil {
		return
	}
	m.backlog.Set(float64(n))
	m.oldestDue.Set(max(oldestDue, 0).Seconds())
}
