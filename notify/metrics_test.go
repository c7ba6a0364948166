package notify

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// gauge returns a metric's value (summing a counter's label sets).
func metricValue(t *testing.T, reg *prometheus.Registry, name, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := outcome == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					match = true
				}
			}
			if !match {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("metric %s{outcome=%q} not found", name, outcome)
	return 0
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, nil)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	ok := newReceiver(t, ackAnswer)
	bad := newReceiver(t, answerText(500, "down"))
	e.enqueue(ok.URL, 2)
	e.enqueue(bad.URL, 1)
	w := e.worker()
	w.Metrics = m

	runOnce(t, w, 3)
	if got, want := metricValue(t, reg, "llgate_notify_attempts_total", OutcomeDelivered), 2.0; got != want {
		t.Errorf("delivered = %v, want %v", got, want)
	}
	if got, want := metricValue(t, reg, "llgate_notify_attempts_total", OutcomeRejected), 1.0; got != want {
		t.Errorf("rejected = %v, want %v", got, want)
	}
	if got, want := metricValue(t, reg, "llgate_notify_attempts_total", OutcomeError), 0.0; got != want {
		t.Errorf("error = %v, want %v", got, want)
	}

	// The backlog: one pending, due in 2 minutes, then overdue by 3.
	if _, _, err := w.backlog(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := metricValue(t, reg, "llgate_notify_backlog", ""), 1.0; got != want {
		t.Errorf("backlog = %v, want %v", got, want)
	}
	if got, want := metricValue(t, reg, "llgate_notify_oldest_due_seconds", ""), 0.0; got != want {
		t.Errorf("oldest due = %v, want %v", got, want)
	}
	e.clock.Advance(5 * time.Minute)
	if _, _, err := w.backlog(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := metricValue(t, reg, "llgate_notify_oldest_due_seconds", ""), 180.0; got != want {
		t.Errorf("oldest due = %v, want %v", got, want)
	}
}
