package notify

import (
	"context"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/llgate/llgate/postgres/pgtest"
	"github.com/llgate/llgate/sqlite/sqlitetest"

	llgate "github.com/llgate/llgate"
)

// BenchmarkDeliver measures RunOnce over a backlog of b.N due notifications
// to a local receiver that acknowledges each: claim, open, POST, record.
// It reports notifications/s; set LLGATE_TEST_POSTGRES for the PostgreSQL
// variant.
func BenchmarkDeliver(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchmarkDeliver(b, sqlitetest.Open(b)) })
	b.Run("postgres", func(b *testing.B) {
		if os.Getenv(pgtest.Env) == "" {
			b.Skip(pgtest.Env + " not set")
		}
		benchmarkDeliver(b, pgtest.Open(b))
	})
}

func benchmarkDeliver(b *testing.B, store llgate.Store) {
	e := newEnv(b, store)
	rc := newReceiver(b, func(k int, w http.ResponseWriter, r *http.Request) { ackAnswer(k, w, r) })
	e.enqueue(rc.URL, max(b.N, 11))
	w := e.worker()
	ctx := context.Background()
	b.ResetTimer()
	total := 0
	for total < b.N {
		n, err := w.RunOnce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatalf("nothing due after %d of %d", total, b.N)
		}
		total += n
	}
	b.StopTimer()
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "notifications/s")
}

// BenchmarkRun measures Run draining a backlog of b.N due notifications to
// one local receiver that acknowledges each: the dispatcher, the per-host
// limit and the grouped records, as a server runs them.
func BenchmarkRun(b *testing.B) {
	e := newEnv(b, sqlitetest.Open(b))
	n := max(b.N, 11)
	all := make(chan struct{})
	var got atomic.Int64
	rc := newReceiver(b, func(k int, w http.ResponseWriter, r *http.Request) {
		ackAnswer(k, w, r)
		if got.Add(1) == int64(n) {
			close(all)
		}
	})
	e.enqueue(rc.URL, n)
	w := e.worker()
	reg := prometheus.NewRegistry()
	w.Metrics = NewMetrics(reg)
	// Wall time: a deferral under load must run out, not wait for a test
	// to move the clock.
	w.Outbox.Clock = llgate.ClockFunc(func() time.Time { return time.Now().UTC() })
	ctx, cancel := context.WithCancel(context.Background())
	cpu0 := cpuTime()
	b.ResetTimer()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	<-all
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n), "cpu-µs/notification")
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "notifications/s")
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "llgate_notify_deferred_total" {
			b.ReportMetric(mf.GetMetric()[0].GetCounter().GetValue(), "deferred")
		}
	}
}

// cpuTime is this process's CPU time (user and system): the worker's and
// the receiver's.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
