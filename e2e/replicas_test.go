package e2e

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/llgate/llgate/postgres/pgtest"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/internal/faulttest"
)

// TestReplicas starts two `llgate serve` processes on one PostgreSQL
// database (same master key, same pinned platform key), spreads the load of
// several clients over both, SIGKILLs one in the middle and keeps going on
// the survivor. Then: every acknowledged payment and refund was notified, no
// refund sum is above its payment, no card has two agreements and no order
// number two orders, and the survivor drained the outbox, the dead
// replica's leased notifications included.
func TestReplicas(t *testing.T) {
	base := os.Getenv(pgtest.Env)
	if base == "" {
		t.Skip(pgtest.Env + " not set: the replicas test needs PostgreSQL (two serve processes share one database)")
	}
	ctx := context.Background()
	root, err := faulttest.RepoRoot("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin, err := faulttest.Build(ctx, root, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	fx, err := faulttest.NewFixture(root, dir)
	if err != nil {
		t.Fatal(err)
	}
	db, drop, err := faulttest.CreateSchema(ctx, base, "replicas")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	v := &faulttest.Violations{Log: func(s string) { t.Log(s) }}
	rc, err := faulttest.NewReceiver(fx.PlatformKey, v)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.Close)
	rc.Delay = 150 * time.Millisecond // deliveries in flight when the victim dies

	// Both replicas start at once on the empty schema: the migrations, the
	// clock row and the --merchants upsert race.
	var servers [2]*faulttest.Server
	logs := [2]string{filepath.Join(dir, "replica-a.log"), filepath.Join(dir, "replica-b.log")}
	var startErr [2]error
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() {
			servers[i], startErr[i] = faulttest.Start(bin, fx.ServeArgs(db), nil, logs[i])
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, s := range servers {
			if s != nil {
				s.Kill()
			}
		}
	})
	for i, err := range startErr {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	victim, survivor := servers[0], servers[1]
	t.Logf("replicas %s (to be killed) and %s on %s", victim.URL, survivor.URL, db)

	l := &faulttest.Ledger{}
	tg := faulttest.NewTarget(fx)
	ld := &faulttest.Load{T: tg, L: l, V: v, NotifyURL: rc.URL, Tag: "rp"}
	tg.Resume(victim.URL, survivor.URL)
	const clients = 10
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	var load sync.WaitGroup
	for i := range clients {
		w := ld.Worker(i, seed)
		load.Go(func() { w.Run(ctx) })
	}
	stopLoad := func() {
		tg.Close()
		load.Wait()
	}
	t.Cleanup(stopLoad)

	time.Sleep(3 * time.Second)
	// Races across the replicas: refunds of one order at once on both,
	// three times the amount in all; identical refunds at once on both.
	both := []*client.Client{tg.Client(victim.URL), tg.Client(survivor.URL)}
	for i, o := range l.PaidOrders(4) {
		if i%2 == 0 {
			fen := max(o.Amount/8, 1)
			n := ld.RefundBurst(o, both, 24, fen, false)
			t.Logf("order %s of %d fen: %d of 24 concurrent refunds of %d fen accepted", o.NoOrder, o.Amount, n, fen)
			if want := min(24, int(o.Amount/fen)); n != want {
				t.Errorf("order %s of %d fen: %d of 24 concurrent refunds of %d fen accepted, want %d (as many as fit)", o.NoOrder, o.Amount, n, fen, want)
			}
		} else if n := ld.RefundBurst(o, both, 12, 1, true); n != 12 {
			t.Errorf("order %s: %d of 12 identical refunds answered 0000", o.NoOrder, n)
		}
	}
	time.Sleep(time.Second)
	// Kill the victim while calls are in flight on both replicas.
	deadline := time.Now().Add(time.Minute)
	for tg.InFlight() < 8 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	inflight := tg.InFlight()
	victim.Kill()
	tg.Remove(victim.URL)
	ackedAtKill := l.Acked.Total()
	t.Logf("killed replica %s with %d calls in flight; %d operations acknowledged so far", victim.URL, inflight, ackedAtKill)
	time.Sleep(4 * time.Second)
	stopLoad()
	if l.Acked.Total() == ackedAtKill {
		t.Errorf("the survivor acknowledged nothing after the kill")
	}

	select {
	case <-survivor.Exited():
		t.Fatalf("the survivor exited by itself: %v", survivor.WaitErr())
	default:
	}

	admin := faulttest.Admin{URL: survivor.URL, Token: fx.AdminToken}
	vf := &faulttest.Verifier{L: l, V: v, Parallel: 8}
	missing, reverified, err := faulttest.Drain(ctx, admin, tg.Client(survivor.URL), vf, rc, 40, t.Logf)
	if err != nil {
		t.Fatalf("drain: %v", err)
	}
	for _, m := range missing {
		t.Errorf("notification never delivered: %s", m)
	}

	// The survivor's outbox: every acknowledged payment and refund has its
	// notification, delivered.
	_, orders, refunds := l.Snapshot()
	checked, retried := 0, 0
	for _, o := range orders {
		if !o.Paid {
			continue
		}
		ns, err := admin.Outbox(ctx, o.NoOrder, "")
		if err != nil {
			t.Fatal(err)
		}
		delivered := false
		for _, n := range ns {
			if len(n.Attempts) > 1 {
				retried++
			}
			switch {
			case n.Kind == "payment" && n.Status == "delivered":
				delivered = true
			case n.Status != "delivered":
				t.Errorf("order %s: %s notification %s is %s after the drain", o.NoOrder, n.Kind, n.ID, n.Status)
			}
		}
		if !delivered {
			t.Errorf("order %s (paid, acknowledged): no delivered payment notification in the outbox: %+v", o.NoOrder, ns)
		}
		checked++
	}
	for _, r := range refunds {
		if !r.Acked || r.State != "2" {
			continue
		}
		ns, err := admin.Outbox(ctx, "", r.NoRefund)
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 1 || ns[0].Status != "delivered" {
			t.Errorf("refund %s (acknowledged, settled): outbox %+v, want one delivered notification", r.NoRefund, ns)
		} else if len(ns[0].Attempts) > 1 {
			retried++
		}
		checked++
	}

	if err := survivor.Stop(30 * time.Second); err != nil {
		t.Errorf("survivor: graceful stop: %v", err)
	}
	rep, err := faulttest.CheckStore(ctx, db, fx.MasterKey, v)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("acknowledged %d operations (%s), lost answers %d; re-verified %d; %d outbox entries checked (%d attempted more than once); %d notifications received (%d again), %d expected; store: %d sealed values open, outbox %d delivered / %d pending / %d failed",
		l.Acked.Total(), l.Acked.String(), l.Unknown.Total(), reverified, checked, retried, rc.Total(), rc.Duplicates(), faulttest.ExpectedCount(l),
		rep.SealedChecked, rep.OutboxDelivered, rep.OutboxPending, rep.OutboxFailed)
	t.Logf("calls: %s", ld.Calls.String())
	for _, p := range logs {
		if rep := faulttest.ScanLog(p, v); rep.Warnings > 0 {
			t.Logf("%s: %d warnings, e.g. %v", filepath.Base(p), rep.Warnings, rep.Sample)
		}
	}
	for _, s := range v.List() {
		t.Errorf("violation: %s", s)
	}
}
