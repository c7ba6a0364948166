package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

func testCardholder(t *testing.T, open Opener) {
	get := func(t *testing.T, s llgate.Store, cardFP string) (*llgate.Cardholder, error) {
		var c *llgate.Cardholder
		err := s.View(t.Context(), func(tx llgate.Tx) (err error) {
			c, err = tx.Cardholder(t.Context(), cardFP)
			return err
		})
		return c, err
	}

	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		first := &llgate.Cardholder{CardFP: "card-1", PersonFP: "person-1", NameFP: "name-1", MobileFP: "mobile-1", CreatedAt: at(0)}
		second := &llgate.Cardholder{CardFP: "card-1", PersonFP: "person-2", NameFP: "name-2", MobileFP: "mobile-2", CreatedAt: at(time.Second)}
		other := &llgate.Cardholder{CardFP: "card-2", PersonFP: "person-2", NameFP: "name-2", MobileFP: "mobile-2", CreatedAt: at(2 * time.Second)}
		var inserted []bool
		update(t, s, func(tx llgate.Tx) error {
			for _, c := range []*llgate.Cardholder{first, second, other} {
				ok, err := tx.InsertCardholder(ctx, c)
				if err != nil {
					return err
				}
				inserted = append(inserted, ok)
			}
			return nil
		})
		// The first bind of a card sets its holder for good.
		if want := []bool{true, false, true}; !reflect.DeepEqual(inserted, want) {
			t.Fatalf("inserted: got %v, want %v", inserted, want)
		}
		for _, want := range []*llgate.Cardholder{first, other} {
			got, err := get(t, s, want.CardFP)
			if err != nil {
				t.Fatalf("Cardholder %s: %v", want.CardFP, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Cardholder %s:\ngot  %+v\nwant %+v", want.CardFP, got, want)
			}
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := parallel(t, open)
		if _, err := get(t, s, "card-1"); !errors.Is(err, llgate.ErrNotFound) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
	})
}
