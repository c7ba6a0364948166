package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// newChallenge returns a live bind challenge of oidA's user-1 for card-1,
// created at t0 and expiring ten minutes later, with every field set.
func newChallenge(token string) *llgate.Challenge {
	return &llgate.Challenge{
		Token:      token,
		Kind:       llgate.ChallengeBind,
		OidPartner: oidA,
		Scope:      scopeA,
		UserID:     "user-1",
		Ref:        "card-1",
		MobileFP:   "mobile-1",
		CodeHash:   "hash-of-123456",
		CodeSentAt: at(time.Second),
		WrongCount: 1,
		State:      llgate.ChallengeLive,
		ExpiresAt:  at(10 * time.Minute),
		Sealed:     []byte{0x00, 0x01, 0xfe, 0xff},
		PersonFP:   "person-1",
		CardLast4:  "0123",
		BankCode:   "01020000",
		CardType:   "2",
		Family:     llgate.FamilyDebit,
		MobileMask: "138****8000",
		CreatedAt:  at(0),
		UpdatedAt:  at(2 * time.Second),
	}
}

func getChallenge(t *testing.T, s llgate.Store, token string) *llgate.Challenge {
	t.Helper()
	var c *llgate.Challenge
	view(t, s, func(tx llgate.Tx) (err error) {
		c, err = tx.Challenge(t.Context(), token)
		return err
	})
	return c
}

func insertChallenges(t *testing.T, s llgate.Store, cs ...*llgate.Challenge) {
	t.Helper()
	update(t, s, func(tx llgate.Tx) error {
		for _, c := range cs {
			if err := tx.InsertChallenge(t.Context(), c); err != nil {
				return err
			}
		}
		return nil
	})
}

func testChallenge(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		want := newChallenge("tok-1")
		insertChallenges(t, s, want)
		if got := getChallenge(t, s, "tok-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after insert:\ngot  %+v\nwant %+v", got, want)
		}

		// Every field but Token and CreatedAt changes.
		want = &llgate.Challenge{
			Token:      "tok-1",
			Kind:       llgate.ChallengePay,
			OidPartner: oidB,
			Scope:      scopeP,
			UserID:     "user-2",
			Ref:        "order-2",
			MobileFP:   "mobile-2",
			CodeHash:   "hash-of-654321",
			CodeSentAt: at(time.Minute),
			WrongCount: 5,
			State:      llgate.ChallengeDead,
			ExpiresAt:  at(time.Hour),
			Sealed:     []byte("resealed"),
			PersonFP:   "person-2",
			CardLast4:  "9876",
			BankCode:   "03080000",
			CardType:   "3",
			Family:     llgate.FamilyCredit,
			MobileMask: "139****9000",
			CreatedAt:  at(0),
			UpdatedAt:  at(2 * time.Hour),
		}
		changed := *want
		changed.CreatedAt = at(-time.Hour)
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateChallenge(t.Context(), &changed) })
		if got := getChallenge(t, s, "tok-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after update:\ngot  %+v\nwant %+v", got, want)
		}

		// Zero values round-trip.
		want = &llgate.Challenge{Token: "tok-1", CreatedAt: at(0)}
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateChallenge(t.Context(), want) })
		if got := getChallenge(t, s, "tok-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after zeroing:\ngot  %+v\nwant %+v", got, want)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := parallel(t, open)
		insertChallenges(t, s, newChallenge("tok-1"))
		other := newChallenge("tok-1")
		other.Kind, other.Ref = llgate.ChallengePay, "order-1"
		err := s.Update(t.Context(), func(tx llgate.Tx) error { return tx.InsertChallenge(t.Context(), other) })
		if !errors.Is(err, llgate.ErrConflict) {
			t.Fatalf("got %v, want ErrConflict", err)
		}
		if got, want := getChallenge(t, s, "tok-1"), newChallenge("tok-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after conflict:\ngot  %+v\nwant %+v", got, want)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		err := s.View(ctx, func(tx llgate.Tx) error {
			_, err := tx.Challenge(ctx, "missing")
			return err
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("Challenge: got %v, want ErrNotFound", err)
		}
		err = s.Update(ctx, func(tx llgate.Tx) error { return tx.UpdateChallenge(ctx, newChallenge("missing")) })
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("UpdateChallenge: got %v, want ErrNotFound", err)
		}
		err = s.Update(ctx, func(tx llgate.Tx) error {
			_, err := tx.LiveChallenge(ctx, llgate.ChallengeBind, oidA, "user-1", "card-1", at(0))
			return err
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("LiveChallenge: got %v, want ErrNotFound", err)
		}
	})

	t.Run("Live", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		created := func(token string, d time.Duration) *llgate.Challenge {
			c := newChallenge(token)
			c.CreatedAt = at(d)
			return c
		}
		older := created("older", 0)
		newer := created("newer", time.Minute)
		expired := created("expired", 2*time.Minute)
		expired.ExpiresAt = at(5 * time.Minute) // not after now
		dead := created("dead", 3*time.Minute)
		dead.State = llgate.ChallengeDead
		used := created("used", 3*time.Minute)
		used.State = llgate.ChallengeUsed
		otherKind := created("other-kind", 4*time.Minute)
		otherKind.Kind = llgate.ChallengePay
		otherMerchant := created("other-merchant", 4*time.Minute)
		otherMerchant.OidPartner = oidB
		otherUser := created("other-user", 4*time.Minute)
		otherUser.UserID = "user-2"
		otherRef := created("other-ref", 4*time.Minute)
		otherRef.Ref = "card-2"
		insertChallenges(t, s, newer, older, expired, dead, used, otherKind, otherMerchant, otherUser, otherRef)

		now := at(5 * time.Minute)
		live := func(t *testing.T, now time.Time) (*llgate.Challenge, error) {
			t.Helper()
			var c *llgate.Challenge
			// Inside Update, where it locks.
			err := s.Update(ctx, func(tx llgate.Tx) (err error) {
				c, err = tx.LiveChallenge(ctx, llgate.ChallengeBind, oidA, "user-1", "card-1", now)
				return err
			})
			return c, err
		}
		if got, err := live(t, now); err != nil || !reflect.DeepEqual(got, newer) {
			t.Fatalf("newest live:\ngot  %+v, %v\nwant %+v", got, err, newer)
		}
		update(t, s, func(tx llgate.Tx) error {
			c, err := tx.Challenge(ctx, "newer")
			if err != nil {
				return err
			}
			c.State = llgate.ChallengeUsed
			return tx.UpdateChallenge(ctx, c)
		})
		if got, err := live(t, now); err != nil || !reflect.DeepEqual(got, older) {
			t.Fatalf("after the newest is used:\ngot  %+v, %v\nwant %+v", got, err, older)
		}
		// ExpiresAt must be after now.
		if got, err := live(t, at(10*time.Minute)); !errors.Is(err, llgate.ErrNotFound) {
			t.Fatalf("at expiry: got %+v, %v, want ErrNotFound", got, err)
		}
		if got, err := live(t, at(10*time.Minute-time.Millisecond)); err != nil || got.Token != "older" {
			t.Fatalf("just before expiry: got %+v, %v, want older", got, err)
		}

		// Within one millisecond, the later insert is the newer.
		again := created("again", 0)
		insertChallenges(t, s, again)
		if got, err := live(t, now); err != nil || got.Token != "again" {
			t.Fatalf("same millisecond: got %+v, %v, want again", got, err)
		}
	})
}
