package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// newNotification returns a pending notification, due at t0, with every
// field set.
func newNotification(id, oid, noOrder string) *llgate.Notification {
	return &llgate.Notification{
		ID:            id,
		OidPartner:    oid,
		Kind:          llgate.NotifyPayment,
		NoOrder:       noOrder,
		URL:           "https://merchant.example/notify?x=1",
		Body:          []byte{0x00, 0x01, 0xfe, 0xff},
		Status:        llgate.NotifyPending,
		NextAttemptAt: at(0),
		CreatedAt:     at(0),
		UpdatedAt:     at(0),
	}
}

func insertNotifications(t *testing.T, s llgate.Store, ns ...*llgate.Notification) {
	t.Helper()
	update(t, s, func(tx llgate.Tx) error {
		for _, n := range ns {
			if err := tx.InsertNotification(t.Context(), n); err != nil {
				return err
			}
		}
		return nil
	})
}

func ids(ns []*llgate.Notification) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}

func testNotification(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		want := newNotification("n1", oidA, "order-1")
		insertNotifications(t, s, want)
		get := func() *llgate.Notification {
			var n *llgate.Notification
			view(t, s, func(tx llgate.Tx) (err error) {
				n, err = tx.Notification(ctx, "n1")
				return err
			})
			return n
		}
		if got := get(); !reflect.DeepEqual(got, want) {
			t.Fatalf("after insert:\ngot  %+v\nwant %+v", got, want)
		}

		want = &llgate.Notification{
			ID:            "n1",
			OidPartner:    oidB,
			Kind:          llgate.NotifyRefund,
			NoOrder:       "order-2",
			NoRefund:      "refund-2",
			URL:           "https://other.example/",
			Body:          []byte("resealed"),
			Status:        llgate.NotifyFailed,
			AttemptCount:  9,
			NextAttemptAt: at(time.Hour),
			LeaseUntil:    at(time.Minute),
			CreatedAt:     at(0),
			UpdatedAt:     at(2 * time.Hour),
		}
		update(t, s, func(tx llgate.Tx) error { return tx.UpdateNotification(ctx, want) })
		if got := get(); !reflect.DeepEqual(got, want) {
			t.Fatalf("after update:\ngot  %+v\nwant %+v", got, want)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := parallel(t, open)
		insertNotifications(t, s, newNotification("n1", oidA, "order-1"))
		err := s.Update(t.Context(), func(tx llgate.Tx) error {
			return tx.InsertNotification(t.Context(), newNotification("n1", oidB, "order-2"))
		})
		if !errors.Is(err, llgate.ErrConflict) {
			t.Fatalf("got %v, want ErrConflict", err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		err := s.View(ctx, func(tx llgate.Tx) error {
			_, err := tx.Notification(ctx, "missing")
			return err
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("Notification: got %v, want ErrNotFound", err)
		}
		err = s.Update(ctx, func(tx llgate.Tx) error {
			return tx.UpdateNotification(ctx, newNotification("missing", oidA, "o"))
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("UpdateNotification: got %v, want ErrNotFound", err)
		}
		err = s.Update(ctx, func(tx llgate.Tx) error {
			return tx.InsertAttempt(ctx, &llgate.Attempt{NotificationID: "missing", At: at(0)})
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("InsertAttempt: got %v, want ErrNotFound", err)
		}
	})

	t.Run("Filter", func(t *testing.T) {
		s := parallel(t, open)
		n1 := newNotification("n1", oidA, "order-1")
		n2 := newNotification("n2", oidA, "order-2")
		n2.CreatedAt = at(time.Second)
		n3 := newNotification("n3", oidA, "order-1")
		n3.Kind, n3.NoRefund, n3.CreatedAt = llgate.NotifyRefund, "refund-1", at(2*time.Second)
		n4 := newNotification("n4", oidB, "order-1")
		n4.CreatedAt = at(time.Second) // same time as n2, inserted later: newer
		insertNotifications(t, s, n1, n2, n3, n4)

		for _, tt := range []struct {
			f    llgate.NotificationFilter
			want []string
		}{
			{llgate.NotificationFilter{}, []string{"n3", "n4", "n2", "n1"}},
			{llgate.NotificationFilter{Limit: 2}, []string{"n3", "n4"}},
			{llgate.NotificationFilter{OidPartner: oidA}, []string{"n3", "n2", "n1"}},
			{llgate.NotificationFilter{NoOrder: "order-1"}, []string{"n3", "n4", "n1"}},
			{llgate.NotificationFilter{OidPartner: oidA, NoOrder: "order-1"}, []string{"n3", "n1"}},
			{llgate.NotificationFilter{OidPartner: oidA, NoOrder: "order-1", Limit: 1}, []string{"n3"}},
			{llgate.NotificationFilter{NoRefund: "refund-1"}, []string{"n3"}},
			{llgate.NotificationFilter{OidPartner: oidB, NoRefund: "refund-1"}, nil},
		} {
			var got []*llgate.Notification
			view(t, s, func(tx llgate.Tx) (err error) {
				got, err = tx.Notifications(t.Context(), tt.f)
				return err
			})
			if !reflect.DeepEqual(ids(got), tt.want) {
				t.Errorf("%+v: got %v, want %v", tt.f, ids(got), tt.want)
			}
		}
		// Listed rows are complete.
		var got []*llgate.Notification
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.Notifications(t.Context(), llgate.NotificationFilter{NoRefund: "refund-1"})
			return err
		})
		if len(got) != 1 || !reflect.DeepEqual(got[0], n3) {
			t.Errorf("listed:\ngot  %+v\nwant %+v", got, n3)
		}
	})

	t.Run("Claim", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		now := at(time.Hour)
		lease := now.Add(30 * time.Second)

		due1 := newNotification("due1", oidA, "o1")
		due1.NextAttemptAt = now.Add(-time.Minute)
		due2 := newNotification("due2", oidA, "o2")
		due2.NextAttemptAt = now.Add(-2 * time.Minute)
		dueNow := newNotification("due-now", oidA, "o3")
		dueNow.NextAttemptAt, dueNow.LeaseUntil = now, now // an expired lease
		later := newNotification("later", oidA, "o4")
		later.NextAttemptAt = now.Add(time.Millisecond)
		leased := newNotification("leased", oidA, "o5")
		leased.LeaseUntil = now.Add(time.Millisecond)
		delivered := newNotification("delivered", oidA, "o6")
		delivered.Status = llgate.NotifyDelivered
		failed := newNotification("failed", oidA, "o7")
		failed.Status = llgate.NotifyFailed
		insertNotifications(t, s, due1, due2, dueNow, later, leased, delivered, failed)

		claim := func(now, lease time.Time, limit int) []*llgate.Notification {
			var ns []*llgate.Notification
			update(t, s, func(tx llgate.Tx) (err error) {
				ns, err = tx.ClaimNotifications(ctx, now, lease, limit)
				return err
			})
			return ns
		}

		got := claim(now, lease, 2)
		if want := []string{"due2", "due1"}; !reflect.DeepEqual(ids(got), want) {
			t.Fatalf("first claim: got %v, want %v", ids(got), want)
		}
		want := *due2
		want.LeaseUntil = lease
		if !reflect.DeepEqual(got[0], &want) {
			t.Fatalf("claimed row:\ngot  %+v\nwant %+v", got[0], &want)
		}
		if got := claim(now, lease, 10); !reflect.DeepEqual(ids(got), []string{"due-now"}) {
			t.Fatalf("second claim: got %v, want [due-now]", ids(got))
		}
		if got := claim(now, lease, 10); len(got) != 0 {
			t.Fatalf("third claim: got %v, want none", ids(got))
		}
		var n *llgate.Notification
		view(t, s, func(tx llgate.Tx) (err error) {
			n, err = tx.Notification(ctx, "due1")
			return err
		})
		if !n.LeaseUntil.Equal(lease) {
			t.Fatalf("stored lease: got %v, want %v", n.LeaseUntil, lease)
		}

		// Once the leases run out, everything pending and due is claimable.
		got = claim(lease, lease.Add(time.Minute), 10)
		if want := []string{"leased", "due2", "due1", "due-now", "later"}; !reflect.DeepEqual(ids(got), want) {
			t.Fatalf("after lease expiry: got %v, want %v", ids(got), want)
		}
	})

	t.Run("Backlog", func(t *testing.T) {
		s := parallel(t, open)
		backlog := func() (int64, time.Time) {
			var (
				n    int64
				next time.Time
			)
			view(t, s, func(tx llgate.Tx) (err error) {
				n, next, err = tx.NotificationBacklog(t.Context())
				return err
			})
			return n, next
		}
		if n, next := backlog(); n != 0 || !next.IsZero() {
			t.Fatalf("empty: got %d, %v, want 0, zero time", n, next)
		}
		n1 := newNotification("n1", oidA, "o1")
		n1.NextAttemptAt = at(time.Hour)
		n2 := newNotification("n2", oidA, "o2")
		n2.NextAttemptAt = at(time.Minute)
		n3 := newNotification("n3", oidA, "o3")
		n3.NextAttemptAt, n3.Status = at(-time.Hour), llgate.NotifyDelivered
		insertNotifications(t, s, n1, n2, n3)
		if n, next := backlog(); n != 2 || !next.Equal(at(time.Minute)) {
			t.Fatalf("got %d, %v, want 2, %v", n, next, at(time.Minute))
		}
	})

	t.Run("Attempts", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		insertNotifications(t, s, newNotification("n1", oidA, "o1"), newNotification("n2", oidA, "o2"))
		as := []*llgate.Attempt{
			{NotificationID: "n1", At: at(2 * time.Second), HTTPStatus: 500, LatencyMS: 120, Answer: "Internal Server Error"},
			{NotificationID: "n1", At: at(time.Second), Answer: "dial tcp: connection refused"},
			{NotificationID: "n2", At: at(0), HTTPStatus: 200, LatencyMS: 3, Answer: `{"ret_code":"0000"}`},
			// Same time as the first: the later insert comes later.
			{NotificationID: "n1", At: at(2 * time.Second), HTTPStatus: 200, LatencyMS: 7, Answer: `{"ret_code":"0000"}`},
		}
		update(t, s, func(tx llgate.Tx) error {
			for _, a := range as {
				if err := tx.InsertAttempt(ctx, a); err != nil {
					return err
				}
			}
			return nil
		})
		var got []*llgate.Attempt
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.Attempts(ctx, "n1")
			return err
		})
		if want := []*llgate.Attempt{as[1], as[0], as[3]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("n1:\ngot  %+v\nwant %+v", got, want)
		}
		view(t, s, func(tx llgate.Tx) (err error) {
			got, err = tx.Attempts(ctx, "n3")
			return err
		})
		if len(got) != 0 {
			t.Fatalf("n3: got %d attempts, want 0", len(got))
		}
	})
}
