package httpapi

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus metrics on a registry of its own.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	signs    *prometheus.CounterVec
	dropped  prometheus.Counter
}

// NewMetrics registers the metrics on reg (a new registry when nil).
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llgate_api_requests_total", Help: "Merchant API requests by route and ret_code.",
		}, []string{"route", "ret_code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "llgate_api_request_seconds", Help: "Merchant API latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"route"}),
	}
	m.signs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "llgate_api_answer_signatures_total",
		Help: "Answer signatures by source: fresh (a private-key operation) or cached (a failure answer signed before).",
	}, []string{"source"})
	m.dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "llgate_request_log_dropped_total",
		Help: "Request-log entries left out: requests without a known merchant beyond 20 a second from one address.",
	})
	reg.MustRegister(m.requests, m.latency, m.signs, m.dropped)
	return m
}

func (m *Metrics) observe(route, code string, d time.Duration) {
	m.requests.WithLabelValues(route, code).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

func (m *Metrics) signed(cached bool) {
	if cached {
		m.signs.WithLabelValues("cached").Inc()
	} else {
		m.signs.WithLabelValues("fresh").Inc()
	}
}

func (m *Metrics) logDropped() { m.dropped.Inc() }
