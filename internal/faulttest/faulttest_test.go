package faulttest

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/llgate/llgate/sqlite" // registers the "sqlite" driver
)

// TestChecksCatchLostState runs a short load, then takes an acknowledged
// refund, payment and agreement away behind the server's back: the
// re-verification must report each, and nothing before the tampering.
func TestChecksCatchLostState(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	ctx := context.Background()
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin, err := Build(ctx, root, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	fx, err := NewFixture(root, dir)
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "llgate.db")
	v := &Violations{Log: func(s string) { t.Log(s) }}
	rc, err := NewReceiver(fx.PlatformKey, v)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	logPath := filepath.Join(dir, "server.log")
	srv, err := Start(bin, fx.ServeArgs(db), nil, logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Kill() }()

	l := &Ledger{}
	tg := NewTarget(fx)
	ld := &Load{T: tg, L: l, V: v, NotifyURL: rc.URL, Tag: "st"}
	tg.Resume(srv.URL)
	var wg sync.WaitGroup
	for i := range 6 {
		w := ld.Worker(i, 1)
		wg.Go(func() { w.Run(ctx) })
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && (l.Acked.Map()["refund"] < 3 || l.Acked.Map()["unbind"] < 1) {
		time.Sleep(100 * time.Millisecond)
	}
	tg.Close()
	wg.Wait()
	vf := &Verifier{L: l, V: v}
	if _, err := vf.Reverify(ctx, tg.Client(srv.URL), false); err != nil {
		t.Fatal(err)
	}
	if n := v.Len(); n != 0 {
		t.Fatalf("%d violations before any tampering: %v", n, v.List())
	}

	// Pick one of each and take it away.
	var refund *Refund
	var order *Order
	var card *Card
	_, orders, refunds := l.Snapshot()
	for _, r := range refunds {
		if r.Acked && refund == nil {
			refund = r
		}
	}
	for _, o := range orders {
		if o.Paid && len(o.Refunds) == 0 && order == nil {
			order = o
		}
	}
	for _, u := range l.Users {
		for _, c := range u.Cards {
			if c.BindAcked && c.Active() && card == nil {
				card = c
			}
		}
	}
	if refund == nil || order == nil || card == nil {
		t.Fatalf("the load made no refund, refund-free payment or active agreement: %s", l.Acked.String())
	}
	if err := srv.Stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	sdb, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql string
		arg string
	}{
		{`DELETE FROM refunds WHERE no_refund = ?`, refund.NoRefund},
		{`UPDATE orders SET status = 'WAITING' WHERE oid_paybill = ?`, order.OidPaybill},
		{`UPDATE agreements SET status = 'unbound' WHERE no_agree = ?`, card.NoAgree},
	} {
		res, err := sdb.ExecContext(ctx, q.sql, q.arg)
		if err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%s (%s): %d rows", q.sql, q.arg, n)
		}
	}
	sdb.Close()
	srv, err = Start(bin, fx.ServeArgs(db), nil, logPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vf.Reverify(ctx, tg.Client(srv.URL), false); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(v.List(), "\n")
	for _, want := range []string{
		"refund " + refund.NoRefund + " of order " + refund.Order.NoOrder,
		"order " + order.NoOrder + " (oid_paybill " + order.OidPaybill,
		"agreement " + card.NoAgree + " (card " + card.No + ") of " + card.User.ID + " was acknowledged and is not in the bind list",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no violation mentions %q; got:\n%s", want, got)
		}
	}
}
