package storetest

import (
	"testing"

	"github.com/llgate/llgate"
)

// SealedValues returns every sealed value in s by reference, read through
// the SealedTx listing as key rotation reads them.
func SealedValues(tb testing.TB, s llgate.Store) map[llgate.SealedRef][]byte {
	tb.Helper()
	ctx := tb.Context()
	out := map[llgate.SealedRef][]byte{}
	err := s.View(ctx, func(tx llgate.Tx) error {
		stx := tx.(llgate.SealedTx)
		var after llgate.SealedCursor
		for {
			hs, err := stx.SealedHeads(ctx, after, 100)
			if err != nil || len(hs) == 0 {
				return err
			}
			for _, h := range hs {
				if out[h.SealedRef], err = stx.Sealed(ctx, h.SealedRef); err != nil {
					return err
				}
			}
			after = hs[len(hs)-1].Cursor()
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
