package storetest

import (
	"testing"
	"time"

	"github.com/llgate/llgate"
)

func testSMSSend(t *testing.T, open Opener) {
	t.Run("Count", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		sends := []*llgate.SMSSend{
			{OidPartner: oidA, Kind: llgate.CapMobile, Key: "fp-1", At: at(0)},
			{OidPartner: oidA, Kind: llgate.CapMobile, Key: "fp-1", At: at(time.Minute)},
			{OidPartner: oidB, Kind: llgate.CapMobile, Key: "fp-1", At: at(time.Hour)},
			// The same instant twice: both count.
			{OidPartner: oidB, Kind: llgate.CapMobile, Key: "fp-1", At: at(time.Hour)},
			{OidPartner: oidA, Kind: llgate.CapMobile, Key: "fp-2", At: at(time.Hour)},
			{OidPartner: oidA, Kind: llgate.CapCard, Key: "fp-1", At: at(time.Hour)},
			{OidPartner: oidA, Kind: llgate.CapUser, Key: scopeA + "|user-1", At: at(0)},
		}
		update(t, s, func(tx llgate.Tx) error {
			for _, m := range sends {
				if err := tx.InsertSMSSend(ctx, m); err != nil {
					return err
				}
			}
			return nil
		})
		for _, tt := range []struct {
			kind, key string
			since     time.Time
			want      int
		}{
			{llgate.CapMobile, "fp-1", at(-time.Hour), 4},
			{llgate.CapMobile, "fp-1", at(0), 4}, // At >= since
			{llgate.CapMobile, "fp-1", at(time.Millisecond), 3},
			{llgate.CapMobile, "fp-1", at(time.Minute), 3},
			{llgate.CapMobile, "fp-1", at(time.Hour), 2},
			{llgate.CapMobile, "fp-1", at(time.Hour + time.Millisecond), 0},
			{llgate.CapMobile, "fp-2", at(0), 1},
			{llgate.CapCard, "fp-1", at(0), 1},
			{llgate.CapCard, "fp-2", at(0), 0},
			{llgate.CapUser, scopeA + "|user-1", at(0), 1},
			{llgate.CapUser, "fp-1", at(0), 0},
		} {
			var got int
			view(t, s, func(tx llgate.Tx) (err error) {
				got, err = tx.CountSMSSends(ctx, tt.kind, tt.key, tt.since)
				return err
			})
			if got != tt.want {
				t.Errorf("CountSMSSends(%s, %s, %v): got %d, want %d", tt.kind, tt.key, tt.since, got, tt.want)
			}
		}
	})
}
