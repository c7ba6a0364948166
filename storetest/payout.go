package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// newPayout returns an accepted payout with every field set.
func newPayout(oid, noOrder, paybill string) *llgate.Payout {
	return &llgate.Payout{
		ID: oid + "/" + noOrder, OidPartner: oid, NoOrder: noOrder, DtOrder: "20261122093015", OidPaybill: paybill, Amount: 1234,
		MoneyOrder: "12.34", FlagCard: "0", CardFP: "card-1", CardLast4: "0018", State: llgate.PayoutProcessing,
		SignType: llgate.SignRSA, NotifyURL: "http://127.0.0.1/n", ApplyCode: "0000", RequestHash: "req",
		ConfirmHash: "confirm", ConfirmRequest: "creq", WrongCount: 2, Sealed: []byte{1, 2, 3},
		Result: llgate.PayoutSuccess, Reason: "1101", DoneAt: at(time.Minute), CancelAt: at(24 * time.Hour),
		SettleDate: "20261122", NextAt: at(time.Minute), AcceptedAt: at(0), CreatedAt: at(0), UpdatedAt: at(time.Second),
	}
}

func insertPayouts(t *testing.T, s llgate.Store, ps ...*llgate.Payout) {
	t.Helper()
	update(t, s, func(tx llgate.Tx) error {
		for _, p := range ps {
			if err := tx.InsertPayout(t.Context(), p); err != nil {
				return err
			}
		}
		return nil
	})
}

func testPayout(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		want := newPayout(oidA, "po-1", "1000000000000001")
		everyFieldSet(t, want)
		insertPayouts(t, s, want)
		view(t, s, func(tx llgate.Tx) error {
			got, err := tx.PayoutByNo(ctx, oidA, "po-1")
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("PayoutByNo:\ngot  %+v %v\nwant %+v", got, err, want)
			}
			if got, err = tx.PayoutByPaybill(ctx, oidA, "1000000000000001"); err != nil || got.NoOrder != "po-1" {
				t.Errorf("PayoutByPaybill: %+v %v", got, err)
			}
			if _, err := tx.PayoutByPaybill(ctx, oidB, "1000000000000001"); !errors.Is(err, llgate.ErrNotFound) {
				t.Errorf("another merchant's oid_paybill: %v", err)
			}
			if _, err := tx.PayoutByNo(ctx, oidB, "po-1"); !errors.Is(err, llgate.ErrNotFound) {
				t.Errorf("another merchant's no_order: %v", err)
			}
			return nil
		})
		// A taken no_order or oid_paybill conflicts; two unaccepted payouts
		// (no oid_paybill) do not; the same no_order of another merchant
		// does not.
		for _, p := range []*llgate.Payout{newPayout(oidA, "po-1", "1000000000000002"), newPayout(oidA, "po-2", "1000000000000001")} {
			if err := s.Update(ctx, func(tx llgate.Tx) error { return tx.InsertPayout(ctx, p) }); !errors.Is(err, llgate.ErrConflict) {
				t.Fatalf("insert %s %s: got %v, want ErrConflict", p.NoOrder, p.OidPaybill, err)
			}
		}
		check1, check2 := newPayout(oidA, "po-3", ""), newPayout(oidA, "po-4", "")
		check1.State, check2.State = llgate.PayoutCheck, llgate.PayoutCheck
		check1.AcceptedAt, check2.AcceptedAt = time.Time{}, time.Time{}
		check2.NextAt = time.Time{}
		insertPayouts(t, s, check1, check2, newPayout(oidB, "po-1", "1000000000000003"))

		got := *check1
		got.State, got.OidPaybill, got.WrongCount, got.NextAt, got.UpdatedAt = llgate.PayoutClosed, "", 6, time.Time{}, at(time.Hour)
		update(t, s, func(tx llgate.Tx) error { return tx.UpdatePayout(ctx, &got) })
		view(t, s, func(tx llgate.Tx) error {
			p, err := tx.PayoutByNo(ctx, oidA, "po-3")
			if err != nil || !reflect.DeepEqual(p, &got) {
				t.Errorf("after UpdatePayout: %+v %v", p, err)
			}
			return nil
		})
		if err := s.Update(ctx, func(tx llgate.Tx) error { return tx.UpdatePayout(ctx, newPayout(oidA, "nope", "")) }); !errors.Is(err, llgate.ErrNotFound) {
			t.Fatalf("UpdatePayout of nothing: %v", err)
		}

		view(t, s, func(tx llgate.Tx) error {
			// Spent: accepted payouts only, from since.
			if a, err := tx.PayoutSpent(ctx, oidA, at(0)); err != nil || a != 1234 {
				t.Errorf("PayoutSpent: %d %v, want 1234", a, err)
			}
			if a, err := tx.PayoutSpent(ctx, oidA, at(time.Millisecond)); err != nil || a != 0 {
				t.Errorf("PayoutSpent later: %d %v, want 0", a, err)
			}
			// Duplicates: same card and amount, other no_order, live states.
			if n, err := tx.PayoutDuplicates(ctx, oidA, "po-9", "card-1", 1234, at(0)); err != nil || n != 2 {
				t.Errorf("PayoutDuplicates: %d %v, want 2 (po-1 PROCESSING, po-4 CHECK; po-3 CLOSED)", n, err)
			}
			if n, err := tx.PayoutDuplicates(ctx, oidA, "po-1", "card-1", 1234, at(0)); err != nil || n != 1 {
				t.Errorf("PayoutDuplicates except itself: %d %v, want 1", n, err)
			}
			if n, err := tx.PayoutDuplicates(ctx, oidA, "po-9", "card-1", 1235, at(0)); err != nil || n != 0 {
				t.Errorf("PayoutDuplicates other amount: %d %v", n, err)
			}
			if n, err := tx.PayoutDuplicates(ctx, oidA, "po-9", "card-1", 1234, at(time.Millisecond)); err != nil || n != 0 {
				t.Errorf("PayoutDuplicates older: %d %v", n, err)
			}
			// Due: NextAt set and come.
			due, err := tx.DuePayouts(ctx, at(time.Minute), 10)
			if err != nil || len(due) != 2 {
				t.Errorf("DuePayouts: %d %v, want po-1 of both merchants", len(due), err)
			}
			if due, err = tx.DuePayouts(ctx, at(time.Minute-time.Millisecond), 10); err != nil || len(due) != 0 {
				t.Errorf("DuePayouts early: %d %v", len(due), err)
			}
			// List: newest first, filtered.
			all, err := tx.ListPayouts(ctx, "", "", 0)
			if err != nil || len(all) != 4 {
				t.Errorf("ListPayouts: %d %v", len(all), err)
			}
			mine, err := tx.ListPayouts(ctx, oidA, "po-4", 10)
			if err != nil || len(mine) != 1 || mine[0].NoOrder != "po-4" {
				t.Errorf("ListPayouts filtered: %v %v", mine, err)
			}
			return nil
		})
		update(t, s, func(tx llgate.Tx) error { return tx.Reset(ctx, oidA) })
		view(t, s, func(tx llgate.Tx) error {
			if all, err := tx.ListPayouts(ctx, "", "", 0); err != nil || len(all) != 1 || all[0].OidPartner != oidB {
				t.Errorf("after reset: %v %v", all, err)
			}
			return nil
		})
	})
}
