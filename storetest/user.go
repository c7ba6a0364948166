package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

const (
	scopeA = "m:" + oidA
	scopeP = "p:platform.example"
)

func newUser(scope, userID string) *llgate.User {
	return &llgate.User{
		Scope:      scope,
		UserID:     userID,
		OidPartner: oidA,
		PersonFP:   "person-" + userID,
		CreatedAt:  at(0),
		UpdatedAt:  at(time.Second),
	}
}

func getUser(t *testing.T, s llgate.Store, scope, userID string) *llgate.User {
	t.Helper()
	var u *llgate.User
	view(t, s, func(tx llgate.Tx) (err error) {
		u, err = tx.User(t.Context(), scope, userID)
		return err
	})
	return u
}

func testUser(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		want := newUser(scopeA, "user-1")
		// The same user_id in another scope is another user.
		other := newUser(scopeP, "user-1")
		other.PersonFP = "someone else"
		var inserted []bool
		update(t, s, func(tx llgate.Tx) error {
			for _, u := range []*llgate.User{want, other} {
				ok, err := tx.InsertUser(ctx, u)
				if err != nil {
					return err
				}
				inserted = append(inserted, ok)
			}
			return nil
		})
		if want := []bool{true, true}; !reflect.DeepEqual(inserted, want) {
			t.Fatalf("inserted: got %v, want %v", inserted, want)
		}
		if got := getUser(t, s, scopeA, "user-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after insert:\ngot  %+v\nwant %+v", got, want)
		}
		if got := getUser(t, s, scopeP, "user-1"); !reflect.DeepEqual(got, other) {
			t.Fatalf("other scope:\ngot  %+v\nwant %+v", got, other)
		}

		// Every field but the key and CreatedAt changes; zero values too.
		want = &llgate.User{Scope: scopeA, UserID: "user-1", OidPartner: oidB, CreatedAt: at(0), UpdatedAt: at(time.Hour)}
		changed := *want
		changed.CreatedAt = at(-time.Hour)
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateUser(ctx, &changed) })
		if got := getUser(t, s, scopeA, "user-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after update:\ngot  %+v\nwant %+v", got, want)
		}
	})

	t.Run("Exists", func(t *testing.T) {
		s := parallel(t, open)
		first := newUser(scopeA, "user-1")
		update(t, s, func(tx llgate.Tx) error {
			_, err := tx.InsertUser(t.Context(), first)
			return err
		})
		second := newUser(scopeA, "user-1")
		second.PersonFP = "another person"
		var ok bool
		update(t, s, func(tx llgate.Tx) (err error) {
			ok, err = tx.InsertUser(t.Context(), second)
			return err
		})
		if ok {
			t.Fatal("second insert: got true, want false")
		}
		if got := getUser(t, s, scopeA, "user-1"); !reflect.DeepEqual(got, first) {
			t.Fatalf("after second insert:\ngot  %+v\nwant %+v", got, first)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		update(t, s, func(tx llgate.Tx) error {
			_, err := tx.InsertUser(ctx, newUser(scopeA, "user-1"))
			return err
		})
		err := s.View(ctx, func(tx llgate.Tx) error {
			_, err := tx.User(ctx, scopeP, "user-1")
			return err
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("User: got %v, want ErrNotFound", err)
		}
		err = s.Update(ctx, func(tx llgate.Tx) error { return tx.UpdateUser(ctx, newUser(scopeA, "user-2")) })
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("UpdateUser: got %v, want ErrNotFound", err)
		}
	})
}
