package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// newAgreement returns an active agreement with every field but UnboundAt
// set.
func newAgreement(noAgree, scope, userID, cardFP string) *llgate.Agreement {
	return &llgate.Agreement{
		NoAgree:    noAgree,
		Scope:      scope,
		OidPartner: oidA,
		UserID:     userID,
		PersonFP:   "person-" + userID,
		CardFP:     cardFP,
		CardLast4:  "0123",
		BankCode:   "01020000",
		CardType:   "2",
		Family:     llgate.FamilyDebit,
		MobileMask: "138****8000",
		Sealed:     []byte{0x00, 0x01, 0xfe, 0xff},
		Status:     llgate.AgreementActive,
		CreatedAt:  at(0),
	}
}

func getAgreement(t *testing.T, s llgate.Store, noAgree string) *llgate.Agreement {
	t.Helper()
	var a *llgate.Agreement
	view(t, s, func(tx llgate.Tx) (err error) {
		a, err = tx.Agreement(t.Context(), noAgree)
		return err
	})
	return a
}

func insertAgreements(t *testing.T, s llgate.Store, as ...*llgate.Agreement) {
	t.Helper()
	update(t, s, func(tx llgate.Tx) error {
		for _, a := range as {
			if err := tx.InsertAgreement(t.Context(), a); err != nil {
				return err
			}
		}
		return nil
	})
}

func agreements(t *testing.T, s llgate.Store, f llgate.AgreementFilter) ([]*llgate.Agreement, int) {
	t.Helper()
	var (
		as    []*llgate.Agreement
		total int
	)
	view(t, s, func(tx llgate.Tx) (err error) {
		as, total, err = tx.Agreements(t.Context(), f)
		return err
	})
	return as, total
}

func noAgrees(as []*llgate.Agreement) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.NoAgree)
	}
	return out
}

func testAgreement(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		want := newAgreement("agree-1", scopeA, "user-1", "card-1")
		insertAgreements(t, s, want)
		if got := getAgreement(t, s, "agree-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after insert:\ngot  %+v\nwant %+v", got, want)
		}

		// Every field but NoAgree and CreatedAt changes.
		want = &llgate.Agreement{
			NoAgree:    "agree-1",
			Scope:      scopeP,
			OidPartner: oidB,
			UserID:     "user-2",
			PersonFP:   "person-2",
			CardFP:     "card-2",
			CardLast4:  "9876",
			BankCode:   "03080000",
			CardType:   "3",
			Family:     llgate.FamilyCredit,
			MobileMask: "139****9000",
			Sealed:     []byte("resealed"),
			Status:     llgate.AgreementUnbound,
			CreatedAt:  at(0),
			UnboundAt:  at(time.Hour),
		}
		changed := *want
		changed.CreatedAt = at(-time.Hour)
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateAgreement(t.Context(), &changed) })
		if got := getAgreement(t, s, "agree-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after update:\ngot  %+v\nwant %+v", got, want)
		}

		// Zero values round-trip.
		want = &llgate.Agreement{NoAgree: "agree-1", CreatedAt: at(0)}
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateAgreement(t.Context(), want) })
		if got := getAgreement(t, s, "agree-1"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after zeroing:\ngot  %+v\nwant %+v", got, want)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		err := s.View(ctx, func(tx llgate.Tx) error {
			_, err := tx.Agreement(ctx, "missing")
			return err
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("Agreement: got %v, want ErrNotFound", err)
		}
		err = s.Update(ctx, func(tx llgate.Tx) error {
			return tx.UpdateAgreement(ctx, newAgreement("missing", scopeA, "user-1", "card-1"))
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("UpdateAgreement: got %v, want ErrNotFound", err)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		a := newAgreement("agree-a", scopeA, "user-1", "card-1")
		insertAgreements(t, s, a)

		// A taken no_agree, whatever the rest.
		err := s.Update(ctx, func(tx llgate.Tx) error {
			return tx.InsertAgreement(ctx, newAgreement("agree-a", scopeP, "user-9", "card-9"))
		})
		if !errors.Is(err, llgate.ErrConflict) {
			t.Fatalf("taken no_agree: got %v, want ErrConflict", err)
		}

		// A second active agreement for the user and card is refused until
		// the first is unbound, all in one transaction: each conflict
		// leaves it usable.
		b := newAgreement("agree-b", scopeA, "user-1", "card-1")
		b.CreatedAt = at(time.Minute)
		update(t, s, func(tx llgate.Tx) error {
			if err := tx.InsertAgreement(ctx, b); !errors.Is(err, llgate.ErrConflict) {
				t.Errorf("second active: got %v, want ErrConflict", err)
			}
			a, err := tx.Agreement(ctx, "agree-a")
			if err != nil {
				return err
			}
			a.Status, a.UnboundAt = llgate.AgreementUnbound, at(time.Minute)
			if err := tx.UpdateAgreement(ctx, a); err != nil {
				return err
			}
			if err := tx.InsertAgreement(ctx, b); err != nil {
				t.Errorf("active after unbind: got %v, want nil", err)
			}
			// The transaction sees its writes, and a page locks its rows.
			as, total, err := tx.Agreements(ctx, llgate.AgreementFilter{Scope: scopeA, UserID: "user-1", Offset: 1, Limit: 1})
			if err != nil {
				return err
			}
			if got, want := noAgrees(as), []string{"agree-a"}; total != 2 || !reflect.DeepEqual(got, want) {
				t.Errorf("Agreements in Update: got %v of %d, want %v of 2", got, total, want)
			}
			return nil
		})
		if got, want := getAgreement(t, s, "agree-b"), b; !reflect.DeepEqual(got, want) {
			t.Fatalf("agree-b:\ngot  %+v\nwant %+v", got, want)
		}
		if got, want := getAgreement(t, s, "agree-a").Status, llgate.AgreementUnbound; got != want {
			t.Fatalf("agree-a status: got %q, want %q", got, want)
		}

		// Only an active agreement counts: unbound ones may repeat, and the
		// same card is free for another user or in another scope.
		c := newAgreement("agree-c", scopeA, "user-1", "card-1")
		c.Status = llgate.AgreementUnbound
		insertAgreements(t, s, c,
			newAgreement("agree-d", scopeA, "user-2", "card-1"),
			newAgreement("agree-e", scopeP, "user-1", "card-1"),
			newAgreement("agree-f", scopeA, "user-1", "card-2"))

		// In a transaction of its own, as a caller would do it.
		err = s.Update(ctx, func(tx llgate.Tx) error {
			return tx.InsertAgreement(ctx, newAgreement("agree-g", scopeA, "user-1", "card-1"))
		})
		if !errors.Is(err, llgate.ErrConflict) {
			t.Fatalf("third active: got %v, want ErrConflict", err)
		}
		if _, total := agreements(t, s, llgate.AgreementFilter{Scope: scopeA, UserID: "user-1", CardFP: "card-1", ActiveOnly: true}); total != 1 {
			t.Fatalf("active agreements of user-1 on card-1: got %d, want 1", total)
		}
	})

	t.Run("Filter", func(t *testing.T) { testAgreementFilter(t, open) })
}

func testAgreementFilter(t *testing.T, open Opener) {
	s := parallel(t, open)
	ctx := t.Context()
	families := []string{llgate.FamilyDebit, llgate.FamilyCredit, llgate.FamilyAuth}

	// 25 agreements in scopeA, mostly two to a millisecond (so no_agree
	// breaks the tie), inserted in neither order, and with no_agree in
	// neither; a user may hold a card once actively, so repeats are unbound.
	const n = 25
	var all []*llgate.Agreement
	active := map[string]bool{}
	for i := range n {
		k := (i * 7) % n // permutations of 0..24
		a := newAgreement(fmt.Sprintf("agree-%02d", (k*11)%n), scopeA, fmt.Sprintf("user-%d", i%2), fmt.Sprintf("card-%d", i%4))
		a.CreatedAt = at(time.Duration(k/2) * time.Second)
		a.Family = families[i%3]
		if key := a.UserID + a.CardFP; active[key] {
			a.Status, a.UnboundAt = llgate.AgreementUnbound, at(time.Hour)
		} else {
			active[key] = true
		}
		all = append(all, a)
	}
	insertAgreements(t, s, all...)
	// The same user_id and card in other scopes never match.
	insertAgreements(t, s,
		newAgreement("agree-p", scopeP, "user-0", "card-0"),
		newAgreement("agree-m", "m:"+oidB, "user-0", "card-0"))

	newestFirst := slices.Clone(all)
	slices.SortFunc(newestFirst, func(a, b *llgate.Agreement) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.NoAgree, a.NoAgree)
	})
	// Hard-coded, so that the reference order above cannot hide a mistake.
	if got, want := noAgrees(newestFirst[:4]), []string{"agree-14", "agree-17", "agree-03", "agree-20"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("reference order: got %v, want %v", got, want)
	}

	t.Run("Page", func(t *testing.T) {
		var pages []*llgate.Agreement
		for i, want := range []int{10, 10, 5, 0} {
			got, total := agreements(t, s, llgate.AgreementFilter{Scope: scopeA, Offset: 10 * i, Limit: 10})
			if total != n {
				t.Errorf("page %d total: got %d, want %d", i, total, n)
			}
			if len(got) != want {
				t.Errorf("page %d: got %d agreements, want %d", i, len(got), want)
			}
			pages = append(pages, got...)
		}
		if !reflect.DeepEqual(pages, newestFirst) {
			t.Fatalf("pages:\ngot  %v\nwant %v", noAgrees(pages), noAgrees(newestFirst))
		}
		got, total := agreements(t, s, llgate.AgreementFilter{Scope: scopeA})
		if total != n || !reflect.DeepEqual(got, newestFirst) {
			t.Fatalf("no limit: got %d of %d %v, want %d of %d %v", len(got), total, noAgrees(got), n, n, noAgrees(newestFirst))
		}
		got, total = agreements(t, s, llgate.AgreementFilter{Scope: scopeA, Offset: 20})
		if total != n || !reflect.DeepEqual(got, newestFirst[20:]) {
			t.Fatalf("offset 20, no limit: got %d of %d %v, want %d of %d %v", len(got), total, noAgrees(got), 5, n, noAgrees(newestFirst[20:]))
		}
	})

	for _, tt := range []struct {
		name string
		f    llgate.AgreementFilter
	}{
		{"UserID", llgate.AgreementFilter{Scope: scopeA, UserID: "user-1"}},
		{"NoAgree", llgate.AgreementFilter{Scope: scopeA, NoAgree: "agree-07"}},
		{"CardFP", llgate.AgreementFilter{Scope: scopeA, CardFP: "card-3"}},
		{"Family", llgate.AgreementFilter{Scope: scopeA, Family: llgate.FamilyCredit}},
		{"ActiveOnly", llgate.AgreementFilter{Scope: scopeA, ActiveOnly: true}},
		{"UserCardFamily", llgate.AgreementFilter{Scope: scopeA, UserID: "user-0", CardFP: "card-2", Family: llgate.FamilyAuth}},
		{"ActivePage", llgate.AgreementFilter{Scope: scopeA, UserID: "user-0", ActiveOnly: true, Limit: 3, Offset: 1}},
		{"NoMatch", llgate.AgreementFilter{Scope: scopeA, UserID: "user-9"}},
		{"OtherScope", llgate.AgreementFilter{Scope: scopeP, NoAgree: "agree-07"}},
	} {
		f := tt.f
		t.Run(tt.name, func(t *testing.T) {
			var match []*llgate.Agreement
			for _, a := range newestFirst {
				if (f.UserID == "" || a.UserID == f.UserID) &&
					(f.NoAgree == "" || a.NoAgree == f.NoAgree) &&
					(f.CardFP == "" || a.CardFP == f.CardFP) &&
					(f.Family == "" || a.Family == f.Family) &&
					(!f.ActiveOnly || a.Status == llgate.AgreementActive) &&
					f.Scope == scopeA {
					match = append(match, a)
				}
			}
			want := match[min(f.Offset, len(match)):]
			if f.Limit > 0 {
				want = want[:min(f.Limit, len(want))]
			}
			got, total := agreements(t, s, f)
			if total != len(match) {
				t.Errorf("total: got %d, want %d", total, len(match))
			}
			if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
				t.Errorf("got %v, want %v", noAgrees(got), noAgrees(want))
			}
		})
	}

	t.Run("ErrNoScope", func(t *testing.T) {
		err := s.View(ctx, func(tx llgate.Tx) error {
			_, _, err := tx.Agreements(ctx, llgate.AgreementFilter{UserID: "user-0"})
			return err
		})
		if err == nil {
			t.Fatal("got nil error, want one")
		}
	})
}
