package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// newMerchant returns a merchant with every field set to a non-zero value.
func newMerchant(oid string) *llgate.Merchant {
	return &llgate.Merchant{
		OidPartner:        oid,
		Name:              "连连测试商户 " + oid,
		PublicKeys:        []string{"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----\n", "MIGfMA0GCSqGSIb3"},
		SignTypes:         []string{llgate.SignRSA, llgate.SignSHA256, llgate.SignMD5},
		IPAllowlist:       []string{"127.0.0.1", "10.0.0.0/8", "2001:db8::/32"},
		Live:              true,
		Platform:          "platform.example",
		Limits:            llgate.Limits{PerTxn: 500_000, PerDay: 2_000_000, PerMonth: 1 << 40},
		Velocity:          llgate.Velocity{PhonesPerHour: 3, CardsPerHour: llgate.MaxVelocity},
		NotifyExtraFields: true,
		NotifyContentType: llgate.NotifyJSONApplication,
		Products:          []string{llgate.ProductMPAY, llgate.ProductEasypay},
		EasypayNoSMS:      true,
		SettleDays:        7,
		PayoutLimits:      llgate.Limits{PerTxn: 100_000, PerDay: 300_000, PerMonth: 900_000},
		SMSCode:           "123456",
		MD5Key:            []byte{0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff},
		CreatedAt:         at(0),
		UpdatedAt:         at(time.Second),
	}
}

func getMerchant(t *testing.T, s llgate.Store, oid string) *llgate.Merchant {
	t.Helper()
	var m *llgate.Merchant
	view(t, s, func(tx llgate.Tx) (err error) {
		m, err = tx.Merchant(t.Context(), oid)
		return err
	})
	return m
}

func testMerchant(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		want := newMerchant(oidA)
		everyFieldSet(t, want)
		update(t, s, func(tx llgate.Tx) error { return tx.InsertMerchant(t.Context(), want) })
		if got := getMerchant(t, s, oidA); !reflect.DeepEqual(got, want) {
			t.Fatalf("after insert:\ngot  %+v\nwant %+v", got, want)
		}

		// Change every field; zero values must round-trip too. CreatedAt is
		// set by the insert and never changes.
		want = &llgate.Merchant{
			OidPartner: oidA,
			Name:       "renamed",
			PublicKeys: []string{"MIIBCgKCAQEA"},
			SignTypes:  []string{llgate.SignSHA256},
			Limits:     llgate.Limits{PerDay: 1},
			Velocity:   llgate.Velocity{CardsPerHour: 7},
			CreatedAt:  at(0),
			UpdatedAt:  at(time.Hour),
		}
		everyFieldDiffers(t, want, newMerchant(oidA), "OidPartner", "CreatedAt")
		changed := *want
		changed.CreatedAt = at(-time.Hour)
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateMerchant(t.Context(), &changed) })
		if got := getMerchant(t, s, oidA); !reflect.DeepEqual(got, want) {
			t.Fatalf("after update:\ngot  %+v\nwant %+v", got, want)
		}
	})

	t.Run("Merchants", func(t *testing.T) {
		s := parallel(t, open)
		var ms []*llgate.Merchant
		view(t, s, func(tx llgate.Tx) (err error) {
			ms, err = tx.Merchants(t.Context())
			return err
		})
		if len(ms) != 0 {
			t.Fatalf("empty store: got %d merchants, want 0", len(ms))
		}
		update(t, s, func(tx llgate.Tx) error {
			for _, oid := range []string{oidC, oidA, oidB} {
				if err := tx.InsertMerchant(t.Context(), newMerchant(oid)); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, s, func(tx llgate.Tx) (err error) {
			ms, err = tx.Merchants(t.Context())
			return err
		})
		var got []string
		for _, m := range ms {
			got = append(got, m.OidPartner)
		}
		if want := []string{oidA, oidB, oidC}; !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		if want := newMerchant(oidB); !reflect.DeepEqual(ms[1], want) {
			t.Fatalf("listed merchant:\ngot  %+v\nwant %+v", ms[1], want)
		}
	})

	t.Run("Times", func(t *testing.T) {
		s := parallel(t, open)
		m := newMerchant(oidA)
		m.CreatedAt = time.Date(2026, 11, 22, 17, 30, 15, 123_456_789, llgate.ChinaTime)
		m.UpdatedAt = time.Time{}
		update(t, s, func(tx llgate.Tx) error { return tx.InsertMerchant(t.Context(), m) })
		got := getMerchant(t, s, oidA)
		if want := at(0); !got.CreatedAt.Equal(want) {
			t.Errorf("CreatedAt: got %v, want %v (UTC, whole milliseconds)", got.CreatedAt, want)
		}
		if got.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt location: got %v, want UTC", got.CreatedAt.Location())
		}
		if !got.UpdatedAt.IsZero() {
			t.Errorf("UpdatedAt: got %v, want the zero time", got.UpdatedAt)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := parallel(t, open)
		update(t, s, func(tx llgate.Tx) error { return tx.InsertMerchant(t.Context(), newMerchant(oidA)) })
		other := newMerchant(oidA)
		other.Name = "other"
		err := s.Update(t.Context(), func(tx llgate.Tx) error { return tx.InsertMerchant(t.Context(), other) })
		if !errors.Is(err, llgate.ErrConflict) {
			t.Fatalf("second insert: got %v, want ErrConflict", err)
		}
		if got, want := getMerchant(t, s, oidA).Name, newMerchant(oidA).Name; got != want {
			t.Fatalf("name after conflict: got %q, want %q", got, want)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		err := s.View(ctx, func(tx llgate.Tx) error {
			_, err := tx.Merchant(ctx, oidA)
			return err
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("Merchant: got %v, want ErrNotFound", err)
		}
		err = s.Update(ctx, func(tx llgate.Tx) error { return tx.UpdateMerchant(ctx, newMerchant(oidA)) })
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("UpdateMerchant: got %v, want ErrNotFound", err)
		}
	})
}

// mustMerchant inserts newMerchant(oid).
func mustMerchant(ctx context.Context, tx llgate.Tx, oid string) error {
	return tx.InsertMerchant(ctx, newMerchant(oid))
}
