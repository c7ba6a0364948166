package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// newRefund returns an applied refund of pay-1 with every field set.
func newRefund(oidRefundno, oid, noRefund string) *llgate.Refund {
	return &llgate.Refund{
		OidRefundno: oidRefundno,
		OidPartner:  oid,
		NoRefund:    noRefund,
		DtRefund:    "20261122100000",
		OidPaybill:  "pay-1",
		Amount:      1200,
		MoneyRefund: "12.00",
		SignType:    llgate.SignRSA,
		NotifyURL:   "https://merchant.example/refund?x=1",
		Status:      llgate.RefundApplied,
		RequestHash: "hash-of-the-refund",
		SettleAt:    at(5 * time.Minute),
		SettleDate:  "20261122",
		SettledAt:   at(6 * time.Minute),
		CreatedAt:   at(0),
		UpdatedAt:   at(time.Second),
	}
}

func insertRefunds(t *testing.T, s llgate.Store, rs ...*llgate.Refund) {
	t.Helper()
	update(t, s, func(tx llgate.Tx) error {
		for _, r := range rs {
			if err := tx.InsertRefund(t.Context(), r); err != nil {
				return err
			}
		}
		return nil
	})
}

func getRefund(t *testing.T, s llgate.Store, oidRefundno string) *llgate.Refund {
	t.Helper()
	var r *llgate.Refund
	view(t, s, func(tx llgate.Tx) (err error) {
		r, err = tx.Refund(t.Context(), oidRefundno)
		return err
	})
	return r
}

func getRefundByNo(t *testing.T, s llgate.Store, oid, noRefund string) *llgate.Refund {
	t.Helper()
	var r *llgate.Refund
	view(t, s, func(tx llgate.Tx) (err error) {
		r, err = tx.RefundByNo(t.Context(), oid, noRefund)
		return err
	})
	return r
}

func refundnos(rs []*llgate.Refund) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.OidRefundno)
	}
	return out
}

func testRefund(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		want := newRefund("ref-1", oidA, "refund-1")
		everyFieldSet(t, want)
		insertRefunds(t, s, want)
		if got := getRefund(t, s, "ref-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("Refund after insert:\ngot  %+v\nwant %+v", got, want)
		}
		if got := getRefundByNo(t, s, oidA, "refund-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("RefundByNo after insert:\ngot  %+v\nwant %+v", got, want)
		}

		// Every field but the keys and CreatedAt changes.
		want = &llgate.Refund{
			OidRefundno: "ref-1",
			OidPartner:  oidA,
			NoRefund:    "refund-1",
			DtRefund:    "20261123000000",
			OidPaybill:  "pay-2",
			Amount:      1 << 40,
			MoneyRefund: "10995116277.76",
			SignType:    llgate.SignSHA256,
			NotifyURL:   "https://merchant.example/other",
			Status:      llgate.RefundSuccess,
			RequestHash: "other-hash",
			SettleAt:    at(time.Hour),
			SettleDate:  "20261123",
			SettledAt:   at(2 * time.Hour),
			CreatedAt:   at(0),
			UpdatedAt:   at(3 * time.Hour),
		}
		everyFieldSet(t, want)
		everyFieldDiffers(t, want, newRefund("ref-1", oidA, "refund-1"), "OidRefundno", "OidPartner", "NoRefund", "CreatedAt")
		changed := *want
		changed.CreatedAt = at(-time.Hour)
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateRefund(t.Context(), &changed) })
		if got := getRefund(t, s, "ref-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after update:\ngot  %+v\nwant %+v", got, want)
		}

		// The merchant's key stays as inserted.
		moved := *want
		moved.OidPartner, moved.NoRefund = oidB, "refund-9"
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateRefund(t.Context(), &moved) })
		if got := getRefundByNo(t, s, oidA, "refund-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after an update of the keys:\ngot  %+v\nwant %+v", got, want)
		}

		// Zero values round-trip.
		want = &llgate.Refund{OidRefundno: "ref-1", OidPartner: oidA, NoRefund: "refund-1", CreatedAt: at(0)}
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateRefund(t.Context(), want) })
		if got := getRefund(t, s, "ref-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after zeroing:\ngot  %+v\nwant %+v", got, want)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		insertRefunds(t, s, newRefund("ref-1", oidA, "refund-1"))

		// Both keys, in one transaction that goes on after each conflict.
		update(t, s, func(tx llgate.Tx) error {
			if err := tx.InsertRefund(ctx, newRefund("ref-1", oidB, "refund-2")); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("taken oid_refundno: got %v, want ErrConflict", err)
			}
			if err := tx.InsertRefund(ctx, newRefund("ref-2", oidA, "refund-1")); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("taken no_refund: got %v, want ErrConflict", err)
			}
			// no_refund is unique per merchant only.
			return tx.InsertRefund(ctx, newRefund("ref-3", oidB, "refund-1"))
		})
		if got, want := getRefund(t, s, "ref-1"), newRefund("ref-1", oidA, "refund-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after conflicts:\ngot  %+v\nwant %+v", got, want)
		}
		if got, want := getRefundByNo(t, s, oidB, "refund-1").OidRefundno, "ref-3"; got != want {
			t.Fatalf("refund-1 of oidB: got %s, want %s", got, want)
		}

		// In a transaction of its own, as a caller would do it.
		err := s.Update(ctx, func(tx llgate.Tx) error { return tx.InsertRefund(ctx, newRefund("ref-4", oidA, "refund-1")) })
		if !errors.Is(err, llgate.ErrConflict) {
			t.Fatalf("taken no_refund: got %v, want ErrConflict", err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		insertRefunds(t, s, newRefund("ref-1", oidA, "refund-1"))
		for name, fn := range map[string]func(tx llgate.Tx) error{
			"Refund": func(tx llgate.Tx) error {
				_, err := tx.Refund(ctx, "missing")
				return err
			},
			"RefundByNo": func(tx llgate.Tx) error {
				_, err := tx.RefundByNo(ctx, oidA, "missing")
				return err
			},
			"RefundByNoOtherMerchant": func(tx llgate.Tx) error {
				_, err := tx.RefundByNo(ctx, oidB, "refund-1")
				return err
			},
		} {
			if err := s.View(ctx, fn); !errors.Is(err, llgate.ErrNotFound) {
				t.Errorf("%s in View: got %v, want ErrNotFound", name, err)
			}
			if err := s.Update(ctx, fn); !errors.Is(err, llgate.ErrNotFound) {
				t.Errorf("%s in Update: got %v, want ErrNotFound", name, err)
			}
		}
		err := s.Update(ctx, func(tx llgate.Tx) error { return tx.UpdateRefund(ctx, newRefund("missing", oidA, "refund-1")) })
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("UpdateRefund: got %v, want ErrNotFound", err)
		}
	})

	t.Run("RefundsOf", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		created := func(refundno, paybill string, d time.Duration) *llgate.Refund {
			r := newRefund(refundno, oidA, "refund-"+refundno)
			r.OidPaybill, r.CreatedAt = paybill, at(d)
			return r
		}
		failed := created("ref-c", "pay-1", time.Minute)
		failed.Status = llgate.RefundFailed
		insertRefunds(t, s,
			created("ref-d", "pay-1", 2*time.Minute),
			failed, // every state is listed
			created("ref-b", "pay-1", time.Minute),
			created("ref-a", "pay-1", 3*time.Minute),
			created("ref-x", "pay-2", 0))
		for _, tt := range []struct {
			paybill string
			want    []string
		}{
			{"pay-1", []string{"ref-b", "ref-c", "ref-d", "ref-a"}},
			{"pay-2", []string{"ref-x"}},
			{"pay-9", []string{}},
		} {
			var got []*llgate.Refund
			update(t, s, func(tx llgate.Tx) (err error) {
				got, err = tx.RefundsOf(ctx, tt.paybill)
				return err
			})
			if !reflect.DeepEqual(refundnos(got), tt.want) {
				t.Errorf("%s: got %v, want %v", tt.paybill, refundnos(got), tt.want)
			}
		}
		var got []*llgate.Refund
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.RefundsOf(ctx, "pay-2")
			return err
		})
		if want := created("ref-x", "pay-2", 0); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Errorf("every field:\ngot  %+v\nwant %+v", got, want)
		}
	})

	t.Run("DueRefunds", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		now := at(time.Hour)
		due := func(refundno, status string, d time.Duration) *llgate.Refund {
			r := newRefund(refundno, oidA, "refund-"+refundno)
			r.Status, r.SettleAt = status, now.Add(d)
			return r
		}
		otherMerchant := due("ref-b", llgate.RefundApplied, -10*time.Minute)
		otherMerchant.OidPartner = oidB
		insertRefunds(t, s,
			due("ref-3", llgate.RefundApplied, -30*time.Minute),
			due("ref-2", llgate.RefundApplied, -30*time.Minute), // same time: oid_refundno decides
			due("ref-1", llgate.RefundApplied, -45*time.Minute),
			due("ref-now", llgate.RefundApplied, 0),
			due("ref-later", llgate.RefundApplied, time.Millisecond),
			due("ref-success", llgate.RefundSuccess, -time.Hour),
			due("ref-failed", llgate.RefundFailed, -time.Hour),
			otherMerchant)
		all := []string{"ref-1", "ref-2", "ref-3", "ref-b", "ref-now"}
		for _, limit := range []int{0, 1, 2, 5, 6} {
			want := all[:min(limit, len(all))]
			var got []*llgate.Refund
			update(t, s, func(tx llgate.Tx) (err error) {
				got, err = tx.DueRefunds(ctx, now, limit)
				return err
			})
			if !reflect.DeepEqual(refundnos(got), want) {
				t.Errorf("limit %d in Update: got %v, want %v", limit, refundnos(got), want)
			}
			view(t, s, func(tx llgate.Tx) (err error) {
				got, err = tx.DueRefunds(ctx, now, limit)
				return err
			})
			if !reflect.DeepEqual(refundnos(got), want) {
				t.Errorf("limit %d in View: got %v, want %v", limit, refundnos(got), want)
			}
		}
		var got []*llgate.Refund
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.DueRefunds(ctx, now, 1)
			return err
		})
		if want := due("ref-1", llgate.RefundApplied, -45*time.Minute); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Errorf("every field:\ngot  %+v\nwant %+v", got, want)
		}
	})

	t.Run("SettledRefunds", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		settled := func(refundno, oid, status string, d time.Duration) *llgate.Refund {
			r := newRefund(refundno, oid, "refund-"+refundno)
			r.Status, r.SettledAt = status, at(d)
			return r
		}
		insertRefunds(t, s,
			settled("ref-2", oidA, llgate.RefundSuccess, time.Hour),
			settled("ref-0", oidA, llgate.RefundSuccess, 0), // at from: in
			settled("ref-1", oidA, llgate.RefundSuccess, time.Hour),
			settled("ref-to", oidA, llgate.RefundSuccess, 2*time.Hour),          // at to: out
			settled("ref-early", oidA, llgate.RefundSuccess, -time.Millisecond), // before from: out
			settled("ref-applied", oidA, llgate.RefundApplied, time.Hour),
			settled("ref-failed", oidA, llgate.RefundFailed, time.Hour),
			settled("ref-other", oidB, llgate.RefundSuccess, time.Hour))
		for _, tt := range []struct {
			name     string
			oid      string
			from, to time.Time
			want     []string
		}{
			{"Range", oidA, at(0), at(2 * time.Hour), []string{"ref-0", "ref-1", "ref-2"}},
			{"Wider", oidA, at(-time.Hour), at(3 * time.Hour), []string{"ref-early", "ref-0", "ref-1", "ref-2", "ref-to"}},
			{"Empty", oidA, at(time.Hour), at(time.Hour), []string{}},
			{"OtherMerchant", oidB, at(0), at(2 * time.Hour), []string{"ref-other"}},
			{"NoMerchant", oidC, at(0), at(2 * time.Hour), []string{}},
		} {
			var got []*llgate.Refund
			view(t, s, func(tx llgate.Tx) (err error) {
				got, err = tx.SettledRefunds(ctx, tt.oid, tt.from, tt.to)
				return err
			})
			if !reflect.DeepEqual(refundnos(got), tt.want) {
				t.Errorf("%s: got %v, want %v", tt.name, refundnos(got), tt.want)
			}
		}
		var got []*llgate.Refund
		update(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.SettledRefunds(ctx, oidA, at(0), at(time.Millisecond))
			return err
		})
		if want := settled("ref-0", oidA, llgate.RefundSuccess, 0); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Errorf("every field, in Update:\ngot  %+v\nwant %+v", got, want)
		}
	})
}
