package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// fillMerchant gives a merchant one row of every kind of data.
func fillMerchant(t *testing.T, s llgate.Store, oid string) {
	t.Helper()
	ctx := t.Context()
	update(t, s, func(tx llgate.Tx) error {
		if err := mustMerchant(ctx, tx, oid); err != nil {
			return err
		}
		if err := tx.InsertRequestLog(ctx, &llgate.RequestLogEntry{At: at(0), Path: "/p", OidPartner: oid}); err != nil {
			return err
		}
		if err := tx.InsertSMS(ctx, &llgate.SMSMessage{ID: "sms-" + oid, OidPartner: oid, MobileFP: "fp-" + oid, SentAt: at(0)}); err != nil {
			return err
		}
		if err := tx.InsertNotification(ctx, newNotification("n-"+oid, oid, "order")); err != nil {
			return err
		}
		if err := tx.InsertAttempt(ctx, &llgate.Attempt{NotificationID: "n-" + oid, At: at(0)}); err != nil {
			return err
		}
		if err := tx.PutReport(ctx, &llgate.Report{Name: oid + ".txt", OidPartner: oid, CreatedAt: at(0)}); err != nil {
			return err
		}
		u := newUser("m:"+oid, "user-"+oid)
		u.OidPartner = oid
		if _, err := tx.InsertUser(ctx, u); err != nil {
			return err
		}
		a := newAgreement("agree-"+oid, "m:"+oid, "user-"+oid, "card-"+oid)
		a.OidPartner = oid
		if err := tx.InsertAgreement(ctx, a); err != nil {
			return err
		}
		c := newChallenge("tok-" + oid)
		c.OidPartner = oid
		if err := tx.InsertChallenge(ctx, c); err != nil {
			return err
		}
		if err := tx.InsertSMSSend(ctx, &llgate.SMSSend{OidPartner: oid, Kind: llgate.CapMobile, Key: "fp-" + oid, At: at(0)}); err != nil {
			return err
		}
		if err := tx.LockPerson(ctx, oid, "person-"+oid); err != nil {
			return err
		}
		// A mark in the merchant's counter and one in an address counter
		// both merchants use: each merchant's reset takes only its own, and
		// the counts follow.
		if _, err := tx.AddVelocity(ctx, oid, at(0), vmark("merchant:"+oid, llgate.VelocityCard, "card-"+oid),
			vmark("addr:shared", llgate.VelocityCard, "card-"+oid)); err != nil {
			return err
		}
		o := newOrder("pay-"+oid, oid, "order-"+oid)
		if err := tx.InsertOrder(ctx, o); err != nil {
			return err
		}
		if err := tx.InsertOrderEvent(ctx, newEvent(o, at(0), "applied")); err != nil {
			return err
		}
		r := newRefund("ref-"+oid, oid, "refund-"+oid)
		r.OidPaybill = "pay-" + oid
		if err := tx.InsertRefund(ctx, r); err != nil {
			return err
		}
		_, err := tx.InsertCardholder(ctx, &llgate.Cardholder{CardFP: "card-" + oid, PersonFP: "person-" + oid, CreatedAt: at(0)})
		return err
	})
}

// counts is how many rows of each kind a merchant has. Cardholders are
// nobody's, but fillMerchant makes one per merchant.
type counts struct {
	Merchant, RequestLog, SMS, Notifications, Attempts, Reports int
	Users, Agreements, Challenges, SMSSends, Cardholders        int
	Orders, Refunds, VelocityMarks, AddrMarks                   int
	OrderEvents                                                 int
}

// countOne is 1 if err is nil and 0 if it is ErrNotFound.
func countOne(n *int, err error) error {
	switch {
	case err == nil:
		*n = 1
	case errors.Is(err, llgate.ErrNotFound):
		*n = 0
	default:
		return err
	}
	return nil
}

func countMerchant(t *testing.T, s llgate.Store, oid string) counts {
	t.Helper()
	ctx := t.Context()
	var c counts
	view(t, s, func(tx llgate.Tx) error {
		ms, err := tx.Merchants(ctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.OidPartner == oid {
				c.Merchant++
			}
		}
		rl, err := tx.RequestLog(ctx, llgate.ListQuery{OidPartner: oid})
		if err != nil {
			return err
		}
		c.RequestLog = len(rl)
		sms, err := tx.SMSMessages(ctx, "fp-"+oid, 0)
		if err != nil {
			return err
		}
		c.SMS = len(sms)
		ns, err := tx.Notifications(ctx, llgate.NotificationFilter{OidPartner: oid})
		if err != nil {
			return err
		}
		c.Notifications = len(ns)
		as, err := tx.Attempts(ctx, "n-"+oid)
		if err != nil {
			return err
		}
		c.Attempts = len(as)
		rs, err := tx.Reports(ctx, oid)
		if err != nil {
			return err
		}
		c.Reports = len(rs)
		_, err = tx.User(ctx, "m:"+oid, "user-"+oid)
		if err := countOne(&c.Users, err); err != nil {
			return err
		}
		if _, c.Agreements, err = tx.Agreements(ctx, llgate.AgreementFilter{Scope: "m:" + oid}); err != nil {
			return err
		}
		_, err = tx.Challenge(ctx, "tok-"+oid)
		if err := countOne(&c.Challenges, err); err != nil {
			return err
		}
		if c.SMSSends, err = tx.CountSMSSends(ctx, llgate.CapMobile, "fp-"+oid, at(-time.Hour)); err != nil {
			return err
		}
		_, err = tx.OrderByNo(ctx, oid, "order-"+oid)
		if err := countOne(&c.Orders, err); err != nil {
			return err
		}
		evs, err := tx.OrderEvents(ctx, "pay-"+oid)
		if err != nil {
			return err
		}
		c.OrderEvents = len(evs)
		rfs, err := tx.RefundsOf(ctx, "pay-"+oid)
		if err != nil {
			return err
		}
		c.Refunds = len(rfs)
		vc, err := tx.CountVelocity(ctx, at(-time.Hour), vkey("merchant:"+oid, llgate.VelocityCard))
		if err != nil {
			return err
		}
		c.VelocityMarks = vc[0]
		seen, err := tx.VelocitySeen(ctx, at(-time.Hour), vmark("addr:shared", llgate.VelocityCard, "card-"+oid))
		if err != nil {
			return err
		}
		if seen[0] {
			c.AddrMarks = 1
		}
		_, err = tx.Cardholder(ctx, "card-"+oid)
		return countOne(&c.Cardholders, err)
	})
	return c
}

// checkKept checks that the setting and the data key fillSettings made are
// still there.
func checkKept(t *testing.T, s llgate.Store) {
	t.Helper()
	ctx := t.Context()
	view(t, s, func(tx llgate.Tx) error {
		if _, err := tx.Setting(ctx, "kept"); err != nil {
			t.Errorf("setting: %v", err)
		}
		ks, err := tx.DataKeys(ctx, "vault")
		if err != nil {
			return err
		}
		if len(ks) != 1 {
			t.Errorf("data keys: got %d, want 1", len(ks))
		}
		return nil
	})
}

// fillSettings stores a setting and a data key, which Reset keeps.
func fillSettings(t *testing.T, s llgate.Store) {
	t.Helper()
	update(t, s, func(tx llgate.Tx) error {
		if err := tx.PutSetting(t.Context(), "kept", []byte("v")); err != nil {
			return err
		}
		_, err := tx.InsertDataKey(t.Context(), llgate.DataKey{Owner: "vault", Version: 1, Wrapped: []byte("k"), CreatedAt: at(0)})
		return err
	})
}

func testReset(t *testing.T, open Opener) {
	full := counts{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}

	t.Run("Merchant", func(t *testing.T) {
		s := parallel(t, open)
		fillSettings(t, s)
		fillMerchant(t, s, oidA)
		fillMerchant(t, s, oidB)
		if got := countMerchant(t, s, oidA); got != full {
			t.Fatalf("before reset: got %+v, want %+v", got, full)
		}
		update(t, s, func(tx llgate.Tx) error { return tx.Reset(t.Context(), oidA) })
		// The cardholder registry is nobody's: it stays.
		if got, want := countMerchant(t, s, oidA), (counts{Merchant: 1, Cardholders: 1}); got != want {
			t.Errorf("oidA: got %+v, want %+v", got, want)
		}
		if got := countMerchant(t, s, oidB); got != full {
			t.Errorf("oidB: got %+v, want %+v", got, full)
		}
		if shared := viewCount(t, s, "addr:shared", llgate.VelocityCard, at(-time.Hour)); shared != 1 {
			t.Errorf("the shared address counter: got %d marks, want 1 (oidB's)", shared)
		}
		checkKept(t, s)
	})

	t.Run("All", func(t *testing.T) {
		s := parallel(t, open)
		fillSettings(t, s)
		fillMerchant(t, s, oidA)
		fillMerchant(t, s, oidB)
		update(t, s, func(tx llgate.Tx) error { return tx.Reset(t.Context(), "") })
		for _, oid := range []string{oidA, oidB} {
			if got, want := countMerchant(t, s, oid), (counts{}); got != want {
				t.Errorf("%s: got %+v, want %+v", oid, got, want)
			}
		}
		checkKept(t, s)
		// The store is usable again, IDs included.
		fillMerchant(t, s, oidA)
		if got := countMerchant(t, s, oidA); got != full {
			t.Errorf("refilled: got %+v, want %+v", got, full)
		}
	})
}
