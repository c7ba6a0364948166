package storetest

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

func testSetting(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		v1 := []byte{0x00, 'a', 0xff}
		update(t, s, func(tx llgate.Tx) error { return tx.PutSetting(ctx, "k", v1) })
		var got []byte
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.Setting(ctx, "k")
			return err
		})
		if !bytes.Equal(got, v1) {
			t.Fatalf("after put: got %x, want %x", got, v1)
		}

		v2 := []byte("replaced")
		update(t, s, func(tx llgate.Tx) error { return tx.PutSetting(ctx, "k", v2) })
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.Setting(ctx, "k")
			return err
		})
		if !bytes.Equal(got, v2) {
			t.Fatalf("after second put: got %q, want %q", got, v2)
		}
	})

	t.Run("InsertSetting", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		var first, second bool
		update(t, s, func(tx llgate.Tx) (err error) {
			if first, err = tx.InsertSetting(ctx, "k", []byte("first")); err != nil {
				return err
			}
			second, err = tx.InsertSetting(ctx, "k", []byte("second"))
			return err
		})
		if !first || second {
			t.Fatalf("inserted: got %v, %v, want true, false", first, second)
		}
		var got []byte
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.Setting(ctx, "k")
			return err
		})
		if want := "first"; string(got) != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := parallel(t, open)
		err := s.View(t.Context(), func(tx llgate.Tx) error {
			_, err := tx.Setting(t.Context(), "missing")
			return err
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
	})
}

func testDataKey(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		a1 := llgate.DataKey{Owner: "card", Version: 1, Wrapped: []byte{1, 0, 1}, CreatedAt: at(0)}
		a2 := llgate.DataKey{Owner: "card", Version: 2, Wrapped: []byte{2, 0, 2}, CreatedAt: at(time.Hour)}
		b1 := llgate.DataKey{Owner: "sms", Version: 1, Wrapped: []byte{3}, CreatedAt: at(time.Minute)}
		var inserted []bool
		update(t, s, func(tx llgate.Tx) error {
			for _, k := range []llgate.DataKey{a2, b1, a1, {Owner: "card", Version: 1, Wrapped: []byte("dup")}} {
				ok, err := tx.InsertDataKey(ctx, k)
				if err != nil {
					return err
				}
				inserted = append(inserted, ok)
			}
			return nil
		})
		if want := []bool{true, true, true, false}; !reflect.DeepEqual(inserted, want) {
			t.Fatalf("inserted: got %v, want %v", inserted, want)
		}

		var card, sms, none []llgate.DataKey
		view(t, s, func(tx llgate.Tx) (err error) {
			if card, err = tx.DataKeys(ctx, "card"); err != nil {
				return err
			}
			if sms, err = tx.DataKeys(ctx, "sms"); err != nil {
				return err
			}
			none, err = tx.DataKeys(ctx, "none")
			return err
		})
		if want := []llgate.DataKey{a1, a2}; !reflect.DeepEqual(card, want) {
			t.Errorf("card:\ngot  %+v\nwant %+v", card, want)
		}
		if want := []llgate.DataKey{b1}; !reflect.DeepEqual(sms, want) {
			t.Errorf("sms:\ngot  %+v\nwant %+v", sms, want)
		}
		if len(none) != 0 {
			t.Errorf("none: got %d keys, want 0", len(none))
		}
	})
}
