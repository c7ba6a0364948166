package llgate_test

import (
	"context"
	"testing"
	"time"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	llgate "github.com/llgate/llgate"
)

func TestSandboxClock(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	wall := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	a, err := llgate.NewSandboxClock(ctx, store, func() time.Time { return wall })
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Now(); !got.Equal(wall) {
		t.Fatalf("fresh clock: got %v, want wall time %v", got, wall)
	}
	if _, err := a.Advance(ctx, 0); err == nil {
		t.Error("advance by 0 accepted")
	}
	if _, err := a.Advance(ctx, -time.Minute); err == nil {
		t.Error("advance backwards accepted")
	}
	got, err := a.Advance(ctx, 90*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if want := wall.Add(90 * time.Minute); !got.Equal(want) {
		t.Fatalf("after advance: got %v, want %v", got, want)
	}

	// Another replica (or a restart) reads the same offset from the store.
	b, err := llgate.NewSandboxClock(ctx, store, func() time.Time { return wall })
	if err != nil {
		t.Fatal(err)
	}
	if !b.Now().Equal(a.Now()) {
		t.Fatalf("second clock: got %v, want %v", b.Now(), a.Now())
	}
	if _, err := b.Advance(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if want := wall.Add(150 * time.Minute); !a.Now().Equal(want) {
		t.Fatalf("after sync: got %v, want %v", a.Now(), want)
	}
}

func TestSandboxClockConcurrentAdvances(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	c, err := llgate.NewSandboxClock(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 10)
	for i := 0; i < 10; i++ {
		go func() { _, err := c.Advance(ctx, time.Minute); errs <- err }()
	}
	for i := 0; i < 10; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := c.Offset(); got != 10*time.Minute {
		t.Fatalf("offset after 10 concurrent advances of 1 min: got %v, want 10m", got)
	}
}
