package e2e

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/internal/app"
)

// countingStore is the real store with a count of the transactions run
// through it: a verify's cost is mostly its BEGIN/COMMITs.
type countingStore struct {
	llgate.Store
	views, updates atomic.Int64
}

func (s *countingStore) View(ctx context.Context, fn func(tx llgate.Tx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

func (s *countingStore) Update(ctx context.Context, fn func(tx llgate.Tx) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

// remoteIssuer is the simulated issuer seen as a real channel would be: it
// does not say that its Charge is local, so verify keeps two phases.
type remoteIssuer struct{ llgate.Issuer }

// verifier is a copy of the app's Payments over a counting store, with the
// simulated issuer as it is (local) or as a remote channel.
func verifier(e *env, local bool) (*llgate.Payments, *countingStore) {
	s := &countingStore{Store: e.app.Store}
	p := *e.app.Payments
	p.Store = s
	if !local {
		p.Issuer = remoteIssuer{p.Issuer}
	}
	return llgate.NewPayments(p), s
}

// frozen stops the sandbox clock's wall time, so that two verifies on two
// paths stamp their orders alike. Its nanoseconds are not whole
// milliseconds, as a real clock's are not: the store keeps milliseconds.
func frozen(o *app.Options) {
	at := time.Date(2026, 11, 22, 2, 0, 0, 123456789, time.UTC)
	o.Wall = func() time.Time { return at }
}

func (e *env) order(t *testing.T, oidPaybill string) *llgate.Order {
	t.Helper()
	var o *llgate.Order
	err := e.app.Store.View(context.Background(), func(tx llgate.Tx) (err error) {
		o, err = tx.Order(context.Background(), oidPaybill)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (e *env) notifications(t *testing.T, oid, noOrder string) int {
	t.Helper()
	var ns []*llgate.Notification
	err := e.app.Store.View(context.Background(), func(tx llgate.Tx) (err error) {
		ns, err = tx.Notifications(context.Background(), llgate.NotificationFilter{OidPartner: oid, NoOrder: noOrder})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(ns)
}

// sameRow compares two orders but for what makes each one itself, and
// their histories: the one transaction writes what the two do.
func sameRow(t *testing.T, e *env, what string, a, b *llgate.Order) {
	t.Helper()
	x, y := *a, *b
	for _, o := range []*llgate.Order{&x, &y} {
		o.OidPaybill, o.NoOrder, o.Token, o.RequestHash, o.Sealed = "", "", "", "", nil
	}
	if !reflect.DeepEqual(x, y) {
		t.Fatalf("%s: the two paths left different orders:\none phase:  %+v\ntwo phases: %+v", what, x, y)
	}
	ha, hb := e.orderEvents(t, a.OidPaybill), e.orderEvents(t, b.OidPaybill)
	if len(ha) < 3 || !reflect.DeepEqual(ha, hb) {
		t.Fatalf("%s: the two paths left different histories:\none phase:  %+v\ntwo phases: %+v", what, ha, hb)
	}
}

// orderEvents is an order's history but for what makes each order itself.
func (e *env) orderEvents(t *testing.T, oidPaybill string) []llgate.OrderEvent {
	t.Helper()
	var es []llgate.OrderEvent
	err := e.app.Store.View(context.Background(), func(tx llgate.Tx) (err error) {
		es, err = tx.OrderEvents(context.Background(), oidPaybill)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range es {
		es[i].OidPaybill = ""
	}
	return es
}

// TestVerifyTransactions checks the transaction budget of a pay verify and
// that the one-transaction path (simulated issuer) and the two-phase path
// (a remote issuer) leave the same rows for each kind of issuer answer.
func TestVerifyTransactions(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff, frozen)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		rcv := newReceiver(t)
		ctx := context.Background()
		m, err := e.app.Merchants.Get(ctx, oidA)
		if err != nil {
			t.Fatal(err)
		}
		verify := func(p *llgate.Payments, r *client.Response, code string) (*llgate.Order, error) {
			return p.Verify(ctx, &llgate.PayVerify{Merchant: m, Token: r.Get("token"), Code: code, NoOrder: r.Get("no_order")})
		}
		// run verifies r with the right code on one path and checks what it
		// cost and answered.
		run := func(t *testing.T, local bool, r *client.Response, wantCode string, views, updates int64) *llgate.Order {
			t.Helper()
			p, s := verifier(e, local)
			o, err := verify(p, r, "123456")
			if got := llgate.ErrorCode(err); err != nil && got != wantCode || err == nil && wantCode != "0000" {
				t.Fatalf("local %v: verify answered %v, want %s", local, err, wantCode)
			}
			if o == nil || o.OidPaybill != r.Get("oid_paybill") {
				t.Fatalf("local %v: verify returned order %+v", local, o)
			}
			if v, u := s.views.Load(), s.updates.Load(); v != views || u != updates {
				t.Errorf("local %v: %d views and %d updates, want %d and %d", local, v, u, views, updates)
			}
			return e.order(t, o.OidPaybill)
		}

		for i, tc := range []struct {
			outcome, code, status string
			notified              int
		}{
			{"0000", "0000", llgate.OrderSuccess, 1},
			{"6001", "6001", llgate.OrderFailure, 0},
			{"2008", "2008", llgate.OrderProcessing, 0},
		} {
			t.Run("Outcome"+tc.outcome, func(t *testing.T) {
				user := "tx-" + tc.outcome
				na := e.bind(c, user, zhang, card(t, uint64(1100+i), tc.outcome))
				r1 := payWithAgree(t, c, user, na, "2.00", rcv.url())
				r2 := payWithAgree(t, c, user, na, "2.00", rcv.url())
				// The apply left its verify a hint: no read at all. The
				// two-phase path reads nothing either: its rules read under
				// lock, in its first transaction.
				one := run(t, true, r1, tc.code, 0, 1)
				two := run(t, false, r2, tc.code, 0, 2)
				if one.Status != tc.status {
					t.Fatalf("status %s, want %s", one.Status, tc.status)
				}
				sameRow(t, e, "after verify", one, two)
				for _, r := range []*client.Response{r1, r2} {
					if n := e.notifications(t, oidA, r.Get("no_order")); n != tc.notified {
						t.Errorf("%s: %d notifications, want %d", r.Get("no_order"), n, tc.notified)
					}
				}
				if tc.status != llgate.OrderProcessing {
					return
				}
				// Both settle alike by the clock (Settle calls charge too).
				e.advance(5*time.Minute + time.Second)
				e.settle()
				one, two = e.order(t, one.OidPaybill), e.order(t, two.OidPaybill)
				if one.Status != llgate.OrderSuccess {
					t.Fatalf("after the clock: %s", one.Status)
				}
				sameRow(t, e, "after the clock", one, two)
			})
		}

		t.Run("CardElements", func(t *testing.T) {
			cardNo := card(t, 1110, "0000")
			apply := func() *client.Response {
				f := payFields("tx-ce", nextOrder("ce"), "3.00", rcv.url())
				for k, v := range bindFields("tx-ce", li, cardNo) {
					if k != "risk_item" {
						f[k] = v
					}
				}
				r, err := c.PayApply(ctx, f)
				return wantCode(t, "apply with card elements", r, err, "8888")
			}
			r1, r2 := apply(), apply()
			// One more view each: which agreement the payment binds.
			one := run(t, true, r1, "0000", 1, 1)
			two := run(t, false, r2, "0000", 1, 2)
			if one.NoAgree == "" {
				t.Fatal("the payment created no agreement")
			}
			sameRow(t, e, "card elements", one, two)
			assertAgreements(t, c, "tx-ce", 1)
		})

		t.Run("WithoutHint", func(t *testing.T) {
			// Another replica took the apply, or this process restarted.
			na := e.bind(c, "tx-nohint", zhang, card(t, 1140, "0000"))
			r := payWithAgree(t, c, "tx-nohint", na, "1.00", rcv.url())
			p, s := verifier(e, true)
			p.Pending = nil
			if _, err := verify(p, r, "123456"); err != nil {
				t.Fatal(err)
			}
			if v, u := s.views.Load(), s.updates.Load(); v != 1 || u != 1 {
				t.Errorf("%d views and %d updates, want 1 and 1", v, u)
			}
		})

		t.Run("StaleHint", func(t *testing.T) {
			// The hint says WAITING; the clock closed the order since.
			na := e.bind(c, "tx-stale", zhang, card(t, 1150, "0000"))
			f := payFields("tx-stale", nextOrder("stale"), "1.00", rcv.url())
			f["no_agree"], f["valid_order"] = na, "1"
			r, err := c.PayApply(ctx, f)
			wantCode(t, "apply", r, err, "8888")
			e.advance(2 * time.Minute)
			e.settle()
			p, s := verifier(e, true)
			if _, err := verify(p, r, "123456"); llgate.ErrorCode(err) != llgate.CodeClosed {
				t.Fatalf("verify of a closed order: %v, want %s", err, llgate.CodeClosed)
			}
			if v, u := s.views.Load(), s.updates.Load(); v != 0 || u != 1 {
				t.Errorf("%d views and %d updates, want 0 and 1 (the hint set aside, the rules under lock)", v, u)
			}
		})

		t.Run("HintOfADeadToken", func(t *testing.T) {
			// Another replica (no hints) took five wrong codes: the token
			// is dead, the hint here still says live.
			na := e.bind(c, "tx-dead", zhang, card(t, 1160, "0000"))
			r := payWithAgree(t, c, "tx-dead", na, "1.00", rcv.url())
			other, _ := verifier(e, true)
			other.Pending = nil
			for range 5 {
				if _, err := verify(other, r, "654321"); llgate.ErrorCode(err) != llgate.CodeWrongSMSCode &&
					llgate.ErrorCode(err) != llgate.CodeTooManyWrong {
					t.Fatalf("wrong code: %v", err)
				}
			}
			_, want := verify(other, r, "123456")
			if llgate.ErrorCode(want) == "0000" || llgate.ErrorCode(want) == "" {
				t.Fatalf("a dead token verified: %v", want)
			}
			p, s := verifier(e, true)
			if _, err := verify(p, r, "123456"); llgate.ErrorCode(err) != llgate.ErrorCode(want) {
				t.Fatalf("with the stale hint: %v, want %v as without", err, want)
			}
			if v, u := s.views.Load(), s.updates.Load(); v != 0 || u != 1 {
				t.Errorf("%d views and %d updates, want 0 and 1 (the hint, then the locked check)", v, u)
			}
			if o := e.order(t, r.Get("oid_paybill")); o.Status != llgate.OrderWaiting {
				t.Fatalf("order %s after a dead token's verify", o.Status)
			}
		})

		t.Run("WrongCodeThenRight", func(t *testing.T) {
			na := e.bind(c, "tx-wrong", zhang, card(t, 1120, "0000"))
			r := payWithAgree(t, c, "tx-wrong", na, "1.00", rcv.url())
			p, s := verifier(e, true)
			if _, err := verify(p, r, "654321"); llgate.ErrorCode(err) != llgate.CodeWrongSMSCode {
				t.Fatalf("wrong code: %v", err)
			}
			// The pre-check turned it away without writing: the two-phase
			// path's one update counted the wrong try.
			if v, u := s.views.Load(), s.updates.Load(); v != 0 || u != 1 {
				t.Errorf("wrong code: %d views and %d updates, want 0 and 1", v, u)
			}
			if o := run(t, true, r, "0000", 1, 1); o.Status != llgate.OrderSuccess {
				t.Fatalf("right code after a wrong one: %s", o.Status)
			}
		})

		t.Run("TwentyVerifiesOneToken", func(t *testing.T) {
			na := e.bind(c, "tx-conc", zhang, card(t, 1130, "0000"))
			r := payWithAgree(t, c, "tx-conc", na, "1.00", rcv.url())
			n := tally(20, func() string {
				if _, err := verify(e.app.Payments, r, "123456"); err != nil {
					return llgate.ErrorCode(err)
				}
				return "0000"
			})
			// The losers meet a paid order (2007), or one in the middle of
			// a two-phase verify (2008) when they fell back to it.
			if n["0000"] != 1 || n["0000"]+n[llgate.CodePaid]+n[llgate.CodeProcessing] != 20 {
				t.Fatalf("answers: %v, want one 0000 and the rest 2007 or 2008", n)
			}
			if got := e.notifications(t, oidA, r.Get("no_order")); got != 1 {
				t.Fatalf("%d notifications, want 1", got)
			}
			if o := e.order(t, r.Get("oid_paybill")); o.Status != llgate.OrderSuccess {
				t.Fatalf("order %s", o.Status)
			}
		})
	})
}
