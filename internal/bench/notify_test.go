package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/sqlite"
	"github.com/llgate/llgate/vault"
)

// TestRunNotify drains a small backlog through an in-process server over
// the database the bench prepared.
func TestRunNotify(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	master := vault.GenerateMasterKey()
	db := filepath.Join(t.TempDir(), "bench.db")
	start := func(ctx context.Context, _ string) (string, func() (time.Duration, error), error) {
		store, err := sqlite.Open(ctx, db)
		if err != nil {
			return "", nil, err
		}
		a, err := app.New(ctx, app.Options{
			Store: store, MasterKey: master, PlatformKey: key, AdminToken: adminToken, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			return "", nil, err
		}
		srv := httptest.NewServer(a.Server)
		wctx, stop := context.WithCancel(ctx)
		wait := a.Start(wctx)
		t.Cleanup(func() { stop(); wait(); srv.Close(); a.Close() })
		return srv.URL, nil, nil
	}
	const n = 500
	rep, err := RunNotify(ctx, NotifyConfig{
		DBPath: db, MasterKey: master, PlatformKey: key, Backlog: n, Timeout: time.Minute, Start: start,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Drained || rep.Delivered != n || rep.Duplicates != 0 || rep.Unknown != 0 || rep.Rejected != 0 {
		t.Fatalf("report: %+v", rep)
	}
	if rep.Throughput <= 0 || len(rep.Heap.Samples) == 0 || rep.Heap.MinBytes <= 0 || rep.Heap.MaxBytes < rep.Heap.MinBytes {
		t.Errorf("throughput %v, heap %+v", rep.Throughput, rep.Heap)
	}
	t.Logf("%d deliveries in %.2f s: %.0f/s (prepared in %.1f s)", rep.Delivered, rep.ElapsedSec, rep.Throughput, rep.PrepareSec)
}
