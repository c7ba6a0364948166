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
// refund, payment, agreement, capture and checkout payment away behind the
// server's back: the re-verification must report each, and nothing before
// the tampering.
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
	// Wait until the load has made one of each thing the test takes away:
	// counts alone do not say so (every payment may have been refunded).
	// How long that takes depends on the machine and what else runs on it
	// (a loaded CI box made 2 payments in 30 s): the bound is only there to
	// end a run that makes no progress at all.
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		if r, o, c := pickVictims(l); r != nil && o != nil && c != nil && pickCapture(l) != nil && pickCheckout(l) != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	tg.Close()
	wg.Wait()
	refund, order, card := pickVictims(l) // the load has stopped: these stay as picked
	capture := pickCapture(l)
	checkout := pickCheckout(l)
	vf := &Verifier{L: l, V: v}
	if _, err := vf.Reverify(ctx, tg.Client(srv.URL), false); err != nil {
		t.Fatal(err)
	}
	if err := RecomputeBalances(ctx, db, v); err != nil { // the server still runs on it
		t.Fatal(err)
	}
	if n := v.Len(); n != 0 {
		t.Fatalf("%d violations before any tampering: %v", n, v.List())
	}
	if refund == nil || order == nil || card == nil || capture == nil || checkout == nil {
		t.Fatalf("the load made no refund, refund-free payment, active agreement, capture or checkout payment: %s", l.Acked.String())
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
		{`DELETE FROM preauths WHERE oid_paybill = ?`, capture.OidPaybill},
		{`DELETE FROM orders WHERE no_order = ?`, checkout.NoOrder},
		{`UPDATE balances SET amt_balance = amt_balance + 1 WHERE oid_partner = ?`, OidPartner},
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
	if err := RecomputeBalances(ctx, db, v); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(v.List(), "\n")
	for _, want := range []string{
		"refund " + refund.NoRefund + " of order " + refund.Order.NoOrder,
		"order " + order.NoOrder + " (oid_paybill " + order.OidPaybill,
		"agreement " + card.NoAgree + " (card " + card.No + ") of " + card.User.ID + " was acknowledged and is not in the bind list",
		"pre-authorisation " + capture.NoOrder + " (oid_paybill " + capture.OidPaybill + ", " + capture.Money + ", card outcome 0000): the capture of " + capture.CaptureMoney + " answered 0000, the state is PR07",
		"checkout payment " + checkout.NoOrder + " (" + checkout.Flavour + " " + checkout.Route + ", oid_paybill " + checkout.OidPaybill + ", " + checkout.Money +
			", pay_type " + checkout.PayType + ", card outcome 0000): the pay step showed success and the order is gone: order query answers 8901",
		"balances: merchant " + OidPartner + ": stored amt_unsettle",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no violation mentions %q; got:\n%s", want, got)
		}
	}
}

// pickVictims returns an acknowledged refund, a paid order without refunds
// and an active, acknowledged card binding from the ledger, nil for any the
// load has not made yet.
func pickVictims(l *Ledger) (refund *Refund, order *Order, card *Card) {
	l.Mu.Lock() // the workers change what they record under it
	defer l.Mu.Unlock()
	for _, r := range l.Refunds {
		if r.Acked && refund == nil {
			refund = r
		}
	}
	for _, o := range l.Orders {
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
	return refund, order, card
}

// pickCapture returns a pre-authorisation whose capture was acknowledged,
// with a card whose outcomes all succeed; nil if the load made none yet.
func pickCapture(l *Ledger) *Preauth {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	for _, p := range l.Preauths {
		if p.CaptureAcked && p.Outcome == "0000" {
			return p
		}
	}
	return nil
}

// pickCheckout returns a checkout payment whose pay step showed success,
// with a card that pays; nil if the load made none yet.
func pickCheckout(l *Ledger) *Checkout {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	for _, co := range l.Checkouts {
		if co.Paid && co.Outcome == "0000" {
			return co
		}
	}
	return nil
}
