package notify

import (
	"context"
	"net/http"
	"os"
	"testing"

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
