package storetest

import (
	"errors"
	"testing"

	"github.com/llgate/llgate"
)

func testTx(t *testing.T, open Opener) {
	t.Run("Rollback", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		errStop := errors.New("stop")
		err := s.Update(ctx, func(tx llgate.Tx) error {
			if err := mustMerchant(ctx, tx, oidA); err != nil {
				return err
			}
			if err := tx.PutSetting(ctx, "k", []byte("v")); err != nil {
				return err
			}
			if err := tx.InsertRequestLog(ctx, &llgate.RequestLogEntry{At: at(0), OidPartner: oidA}); err != nil {
				return err
			}
			// The transaction sees its own writes.
			if _, err := tx.Merchant(ctx, oidA); err != nil {
				return err
			}
			return errStop
		})
		if !errors.Is(err, errStop) {
			t.Fatalf("Update: got %v, want the closure's error", err)
		}
		if got := countMerchant(t, s, oidA); got != (counts{}) {
			t.Errorf("after rollback: got %+v, want nothing", got)
		}
		err = s.View(ctx, func(tx llgate.Tx) error {
			_, err := tx.Setting(ctx, "k")
			return err
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("setting after rollback: got %v, want ErrNotFound", err)
		}
	})

	t.Run("ErrConflictKeepsTx", func(t *testing.T) {
		// A conflict is an answer, not a broken transaction: the closure
		// may go on and commit (PostgreSQL aborts a transaction on a failed
		// statement, so the store must not let one fail).
		s := parallel(t, open)
		ctx := t.Context()
		update(t, s, func(tx llgate.Tx) error { return mustMerchant(ctx, tx, oidA) })
		update(t, s, func(tx llgate.Tx) error {
			if err := mustMerchant(ctx, tx, oidA); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("InsertMerchant: got %v, want ErrConflict", err)
			}
			if err := tx.InsertNotification(ctx, newNotification("n1", oidA, "o")); err != nil {
				return err
			}
			if err := tx.InsertNotification(ctx, newNotification("n1", oidA, "o")); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("InsertNotification: got %v, want ErrConflict", err)
			}
			if err := tx.InsertAttempt(ctx, &llgate.Attempt{NotificationID: "missing"}); !errors.Is(err, llgate.ErrNotFound) {
				t.Errorf("InsertAttempt: got %v, want ErrNotFound", err)
			}
			if _, err := tx.Merchant(ctx, oidB); !errors.Is(err, llgate.ErrNotFound) {
				t.Errorf("Merchant: got %v, want ErrNotFound", err)
			}
			if err := tx.InsertAgreement(ctx, newAgreement("a1", scopeA, "user-1", "card-1")); err != nil {
				return err
			}
			if err := tx.InsertAgreement(ctx, newAgreement("a1", scopeA, "user-2", "card-2")); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("InsertAgreement, taken no_agree: got %v, want ErrConflict", err)
			}
			if err := tx.InsertAgreement(ctx, newAgreement("a2", scopeA, "user-1", "card-1")); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("InsertAgreement, second active: got %v, want ErrConflict", err)
			}
			if err := tx.InsertChallenge(ctx, newChallenge("tok")); err != nil {
				return err
			}
			if err := tx.InsertChallenge(ctx, newChallenge("tok")); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("InsertChallenge: got %v, want ErrConflict", err)
			}
			if err := tx.InsertOrder(ctx, newOrder("pay-1", oidA, "order-1")); err != nil {
				return err
			}
			if err := tx.InsertOrder(ctx, newOrder("pay-1", oidA, "order-2")); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("InsertOrder, taken oid_paybill: got %v, want ErrConflict", err)
			}
			if err := tx.InsertOrder(ctx, newOrder("pay-2", oidA, "order-1")); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("InsertOrder, taken no_order: got %v, want ErrConflict", err)
			}
			if err := tx.InsertRefund(ctx, newRefund("ref-1", oidA, "refund-1")); err != nil {
				return err
			}
			if err := tx.InsertRefund(ctx, newRefund("ref-1", oidA, "refund-2")); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("InsertRefund, taken oid_refundno: got %v, want ErrConflict", err)
			}
			if err := tx.InsertRefund(ctx, newRefund("ref-2", oidA, "refund-1")); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("InsertRefund, taken no_refund: got %v, want ErrConflict", err)
			}
			if _, err := tx.Order(ctx, "missing"); !errors.Is(err, llgate.ErrNotFound) {
				t.Errorf("Order: got %v, want ErrNotFound", err)
			}
			if err := tx.UpdateRefund(ctx, newRefund("missing", oidA, "refund-9")); !errors.Is(err, llgate.ErrNotFound) {
				t.Errorf("UpdateRefund: got %v, want ErrNotFound", err)
			}
			for range 2 {
				if err := tx.LockPerson(ctx, oidA, "person-1"); err != nil {
					return err
				}
				if _, err := tx.InsertUser(ctx, newUser(scopeA, "user-1")); err != nil {
					return err
				}
				if _, err := tx.InsertCardholder(ctx, &llgate.Cardholder{CardFP: "card-1"}); err != nil {
					return err
				}
			}
			return tx.PutSetting(ctx, "after", []byte("conflict"))
		})
		view(t, s, func(tx llgate.Tx) error {
			_, err := tx.Setting(ctx, "after")
			return err
		})
	})

	t.Run("ViewIsReadOnly", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		writes := map[string]func(tx llgate.Tx) error{
			"InsertMerchant": func(tx llgate.Tx) error { return mustMerchant(ctx, tx, oidA) },
			"PutSetting":     func(tx llgate.Tx) error { return tx.PutSetting(ctx, "k", []byte("v")) },
			"InsertRequestLog": func(tx llgate.Tx) error {
				return tx.InsertRequestLog(ctx, &llgate.RequestLogEntry{At: at(0), OidPartner: oidA})
			},
			"ClaimNotifications": func(tx llgate.Tx) error {
				_, err := tx.ClaimNotifications(ctx, at(0), at(1), 1)
				return err
			},
			"Reset": func(tx llgate.Tx) error { return tx.Reset(ctx, "") },
			"InsertUser": func(tx llgate.Tx) error {
				_, err := tx.InsertUser(ctx, newUser(scopeA, "user-1"))
				return err
			},
			"InsertAgreement": func(tx llgate.Tx) error {
				return tx.InsertAgreement(ctx, newAgreement("a1", scopeA, "user-1", "card-1"))
			},
			"InsertChallenge": func(tx llgate.Tx) error { return tx.InsertChallenge(ctx, newChallenge("tok")) },
			"InsertCardholder": func(tx llgate.Tx) error {
				_, err := tx.InsertCardholder(ctx, &llgate.Cardholder{CardFP: "card-1"})
				return err
			},
			"InsertOrder": func(tx llgate.Tx) error { return tx.InsertOrder(ctx, newOrder("pay-1", oidA, "order-1")) },
			"InsertRefund": func(tx llgate.Tx) error {
				return tx.InsertRefund(ctx, newRefund("ref-1", oidA, "refund-1"))
			},
			"LockPerson": func(tx llgate.Tx) error { return tx.LockPerson(ctx, oidA, "person-1") },
			"InsertSMSSend": func(tx llgate.Tx) error {
				return tx.InsertSMSSend(ctx, &llgate.SMSSend{OidPartner: oidA, Kind: llgate.CapMobile, Key: "fp", At: at(0)})
			},
		}
		for name, write := range writes {
			if err := s.View(ctx, write); err == nil {
				t.Errorf("%s in View: got nil error, want one", name)
			}
		}
		if got := countMerchant(t, s, oidA); got != (counts{}) {
			t.Errorf("after View: got %+v, want nothing", got)
		}
		err := s.View(ctx, func(tx llgate.Tx) error {
			_, err := tx.Setting(ctx, "k")
			return err
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("setting after View: got %v, want ErrNotFound", err)
		}
	})

	t.Run("Ping", func(t *testing.T) {
		s := parallel(t, open)
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}
