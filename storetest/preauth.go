package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// newPreauth returns a completed capture of the authorisation with every
// field set.
func newPreauth(oidPaybill, oid string) *llgate.Preauth {
	return &llgate.Preauth{
		OidPaybill:  oidPaybill,
		OidPartner:  oid,
		Kind:        llgate.PreauthCapture,
		State:       llgate.CaptureOK,
		Amount:      800,
		MoneyOrder:  "8.00",
		RequestHash: "hash-of-the-capture",
		Sealed:      []byte{1, 2, 3},
		SettleDate:  "20261122",
		DoneAt:      at(time.Minute),
		CreatedAt:   at(time.Minute),
		UpdatedAt:   at(2 * time.Minute),
	}
}

func insertPreauths(t *testing.T, s llgate.Store, ps ...*llgate.Preauth) {
	t.Helper()
	update(t, s, func(tx llgate.Tx) error {
		for _, p := range ps {
			if err := tx.InsertPreauth(t.Context(), p); err != nil {
				return err
			}
		}
		return nil
	})
}

func preauthIDs(ps []*llgate.Preauth) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.OidPaybill)
	}
	return out
}

func testPreauth(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		want := newPreauth("pa-1", oidA)
		everyFieldSet(t, want)
		insertPreauths(t, s, want)
		var got *llgate.Preauth
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.Preauth(t.Context(), "pa-1")
			return err
		})
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Preauth:\n got %+v\nwant %+v", got, want)
		}
		// Locked inside Update, as the capture and cancel read it.
		update(t, s, func(tx llgate.Tx) error {
			_, err := tx.Preauth(t.Context(), "pa-1")
			return err
		})
	})
	t.Run("NoSeal", func(t *testing.T) {
		s := parallel(t, open)
		p := newPreauth("pa-1", oidA)
		p.Sealed = nil
		insertPreauths(t, s, p)
		view(t, s, func(tx llgate.Tx) error {
			got, err := tx.Preauth(t.Context(), "pa-1")
			if err == nil && got.Sealed != nil {
				t.Errorf("sealed = %v, want nil", got.Sealed)
			}
			return err
		})
	})
	t.Run("OnePerAuthorisation", func(t *testing.T) {
		s := parallel(t, open)
		insertPreauths(t, s, newPreauth("pa-1", oidA))
		second := newPreauth("pa-1", oidA)
		second.Kind, second.State = llgate.PreauthCancel, llgate.CancelOK
		err := s.Update(t.Context(), func(tx llgate.Tx) error { return tx.InsertPreauth(t.Context(), second) })
		if !errors.Is(err, llgate.ErrConflict) {
			t.Fatalf("second operation: %v, want ErrConflict", err)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		s := parallel(t, open)
		err := s.View(t.Context(), func(tx llgate.Tx) error {
			_, err := tx.Preauth(t.Context(), "nope")
			return err
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Fatalf("unknown: %v, want ErrNotFound", err)
		}
	})
	t.Run("SettledCaptures", func(t *testing.T) {
		s := parallel(t, open)
		mk := func(id, oid, kind, state string, done time.Duration) *llgate.Preauth {
			p := newPreauth(id, oid)
			p.Kind, p.State, p.DoneAt = kind, state, at(done)
			return p
		}
		insertPreauths(t, s,
			mk("c-late", oidA, llgate.PreauthCapture, llgate.CaptureOK, 3*time.Hour),
			mk("c-ok", oidA, llgate.PreauthCapture, llgate.CaptureOK, time.Hour),
			mk("c-slow", oidA, llgate.PreauthCapture, llgate.CaptureProcessing, 2*time.Hour),
			mk("c-failed", oidA, llgate.PreauthCapture, llgate.CaptureFailed, time.Hour),
			mk("cancel", oidA, llgate.PreauthCancel, llgate.CancelOK, time.Hour),
			mk("c-before", oidA, llgate.PreauthCapture, llgate.CaptureOK, -time.Hour),
			mk("c-other", oidB, llgate.PreauthCapture, llgate.CaptureOK, time.Hour),
		)
		var got []*llgate.Preauth
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.SettledCaptures(t.Context(), oidA, at(0), at(3*time.Hour))
			return err
		})
		if ids := preauthIDs(got); !reflect.DeepEqual(ids, []string{"c-ok", "c-slow"}) {
			t.Fatalf("SettledCaptures = %v, want [c-ok c-slow]", ids)
		}
	})
	t.Run("Reset", func(t *testing.T) {
		s := parallel(t, open)
		insertPreauths(t, s, newPreauth("pa-a", oidA), newPreauth("pa-b", oidB))
		update(t, s, func(tx llgate.Tx) error { return tx.Reset(t.Context(), oidA) })
		view(t, s, func(tx llgate.Tx) error {
			if _, err := tx.Preauth(t.Context(), "pa-a"); !errors.Is(err, llgate.ErrNotFound) {
				t.Errorf("reset merchant's preauth: %v, want ErrNotFound", err)
			}
			_, err := tx.Preauth(t.Context(), "pa-b")
			return err
		})
	})
}
