package llgate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/postgres/pgtest"
	"github.com/llgate/llgate/sqlite/sqlitetest"
	"github.com/llgate/llgate/vault"
)

// outboxEnv is an Outbox on a real store and vault, with a clock the test
// moves (advance).
type outboxEnv struct {
	t     *testing.T
	o     *llgate.Outbox
	moved atomic.Int64 // how far the clock was advanced
}

var outboxStart = time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)

func (e *outboxEnv) now() time.Time          { return outboxStart.Add(time.Duration(e.moved.Load())) }
func (e *outboxEnv) advance(d time.Duration) { e.moved.Add(int64(d)) }

// outboxEngines runs fn on each store engine (PostgreSQL when
// LLGATE_TEST_POSTGRES is set).
func outboxEngines(t *testing.T, fn func(t *testing.T, e *outboxEnv)) {
	for name, open := range map[string]func(testing.TB) llgate.Store{
		"sqlite":   func(tb testing.TB) llgate.Store { return sqlitetest.Open(tb) },
		"postgres": func(tb testing.TB) llgate.Store { return pgtest.Open(tb) },
	} {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			v, err := vault.New(store, vault.GenerateMasterKey())
			if err != nil {
				t.Fatal(err)
			}
			e := &outboxEnv{t: t}
			e.o = &llgate.Outbox{Store: store, Vault: v, Clock: llgate.ClockFunc(e.now)}
			fn(t, e)
		})
	}
}

const outboxOid = "201408071000001539"

// personal are a notify_extra_fields payment notification's personal values.
var personal = map[string]string{
	"acct_name": "张三", "id_no": "110105199003071239", "card_no": "6222020200112233445",
	"info_order": "送货给王五 电话13958069593",
}

// enqueue stores a payment notification with fields (plus personal), due
// now, and returns it.
func (e *outboxEnv) enqueue(url string) *llgate.Notification {
	e.t.Helper()
	ctx := context.Background()
	fields := map[string]string{"oid_partner": outboxOid, "no_order": "o-1", "result_pay": "SUCCESS", "id_type": "0"}
	for k, v := range personal {
		fields[k] = v
	}
	body, _ := json.Marshal(fields)
	id := llgate.NewID()
	sealed, err := e.o.Vault.Seal(ctx, outboxOid, llgate.TableNotifications, id, body)
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.now()
	n := &llgate.Notification{ID: id, OidPartner: outboxOid, Kind: llgate.NotifyPayment, NoOrder: "o-1", URL: url,
		Body: sealed, Status: llgate.NotifyPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	if err := e.o.Store.Update(ctx, func(tx llgate.Tx) error { return tx.InsertNotification(ctx, n) }); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *outboxEnv) claim(r llgate.ClaimRequest) []*llgate.Notification {
	e.t.Helper()
	if r.Limit == 0 {
		r.Limit = 10
	}
	if r.Lease == 0 {
		r.Lease = time.Minute
	}
	ns, _, err := e.o.Claim(context.Background(), r)
	if err != nil {
		e.t.Fatal(err)
	}
	return ns
}

func (e *outboxEnv) entry(id string) llgate.OutboxEntry {
	e.t.Helper()
	es, err := e.o.List(context.Background(), llgate.NotificationFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, x := range es {
		if x.Notification.ID == id {
			return x
		}
	}
	e.t.Fatalf("notification %s not listed", id)
	return llgate.OutboxEntry{}
}

func (e *outboxEnv) record(ds ...*llgate.Delivery) {
	e.t.Helper()
	done, err := e.o.Record(context.Background(), ds)
	if err != nil || len(done) != len(ds) {
		e.t.Fatalf("Record: %d of %d recorded, %v", len(done), len(ds), err)
	}
}

// begin claims due notifications and begins an attempt at each of ns.
func (e *outboxEnv) begin(ns ...*llgate.Notification) []*llgate.Delivery {
	e.t.Helper()
	claimed := e.claim(llgate.ClaimRequest{})
	var out []*llgate.Delivery
	for _, n := range ns {
		i := slices.IndexFunc(claimed, func(x *llgate.Notification) bool { return x.ID == n.ID })
		if i < 0 {
			e.t.Fatalf("notification %s not claimed", n.ID)
		}
		d, err := e.o.Begin(context.Background(), claimed[i], 5*time.Second)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// TestOutboxMasksEchoedAnswer: a receiver that echoes the body (PHP's
// print_r, which puts the values under no key MaskText knows) has its
// answer stored masked, and so has a transport error quoting it.
func TestOutboxMasksEchoedAnswer(t *testing.T) {
	outboxEngines(t, func(t *testing.T, e *outboxEnv) {
		var echo strings.Builder
		echo.WriteString("Array\n(\n")
		for _, k := range []string{"acct_name", "card_no", "id_no", "info_order"} {
			fmt.Fprintf(&echo, "    [%s] => %s\n", k, personal[k])
		}
		echo.WriteString(")\n" + strings.Repeat("x", 300))
		a := e.begin(e.enqueue("http://a.example/notify"))[0]
		if string(a.Body) == "" || !strings.Contains(string(a.Body), personal["card_no"]) {
			t.Fatalf("Begin did not open the body: %q", a.Body)
		}
		a.HTTPStatus, a.Answer = 200, echo.String()
		b := e.begin(e.enqueue("http://b.example/notify"))[0]
		b.Answer, b.Problem = "name: "+personal["acct_name"], "reading the answer: "+personal["id_no"]+" unexpected EOF"
		e.record(a, b)

		for _, d := range []*llgate.Delivery{a, b} {
			got := e.entry(d.Notification.ID).Attempts[0].Answer
			if got != d.Stored {
				t.Errorf("stored %q, Delivery.Stored %q", got, d.Stored)
			}
			if len(got) > llgate.AnswerKept {
				t.Errorf("stored answer is %d bytes, want at most %d", len(got), llgate.AnswerKept)
			}
			for k, v := range personal {
				if strings.Contains(got, v) || strings.Contains(got, strings.Fields(v)[0]) {
					t.Errorf("stored answer shows %s: %q", k, got)
				}
			}
		}
		if got := a.Stored; !strings.Contains(got, "[acct_name] => 张*") || !strings.Contains(got, "[card_no] => ") {
			t.Errorf("stored answer lost the echo's shape: %q", got)
		}
		if got := b.Stored; !strings.Contains(got, "[reading the answer: ") || !strings.Contains(got, "unexpected EOF]") {
			t.Errorf("stored answer lost the problem: %q", got)
		}
	})
}

// TestOutboxOutcomes: acknowledged → delivered; refused by the address
// guard → failed at once; otherwise due Interval after the attempt's start,
// failed after MaxAttempts.
func TestOutboxOutcomes(t *testing.T) {
	outboxEngines(t, func(t *testing.T, e *outboxEnv) {
		e.o.MaxAttempts = 2
		acked, refused, failing := e.enqueue("http://a.example/"), e.enqueue("http://10.0.0.1/"), e.enqueue("http://c.example/")
		start := e.now()
		ds := e.begin(acked, refused, failing)
		da, dr, df := ds[0], ds[1], ds[2]
		da.HTTPStatus, da.Acked = 200, true
		dr.Problem, dr.Refused = "notify: refusing to connect to 10.0.0.1: private address", true
		df.HTTPStatus = 500
		e.advance(3 * time.Second) // the attempts took a while
		e.record(da, dr, df)

		for _, tc := range []struct {
			n      *llgate.Notification
			status string
			next   time.Time
		}{
			{acked, llgate.NotifyDelivered, start},
			{refused, llgate.NotifyFailed, start},
			{failing, llgate.NotifyPending, start.Add(llgate.NotifyInterval)},
		} {
			x := e.entry(tc.n.ID)
			n := x.Notification
			if n.Status != tc.status || n.AttemptCount != 1 || !n.LeaseUntil.IsZero() || !n.NextAttemptAt.Equal(tc.next) || len(x.Attempts) != 1 {
				t.Errorf("%s: %s, count %d, lease %v, next %v, %d attempts; want %s, 1, none, %v, 1",
					n.URL, n.Status, n.AttemptCount, n.LeaseUntil, n.NextAttemptAt, len(x.Attempts), tc.status, tc.next)
			}
		}
		if got := e.entry(refused.ID).Attempts[0].Answer; !strings.Contains(got, "private address") {
			t.Errorf("refused attempt answer %q, want the reason", got)
		}
		e.advance(llgate.NotifyInterval)
		df = e.begin(failing)[0]
		df.HTTPStatus = 500
		e.record(df)
		if n := e.entry(failing.ID).Notification; n.Status != llgate.NotifyFailed || n.AttemptCount != 2 {
			t.Errorf("after MaxAttempts: %s, count %d; want failed, 2", n.Status, n.AttemptCount)
		}
		if ns := e.claim(llgate.ClaimRequest{}); len(ns) != 0 {
			t.Errorf("claimed %d finished notifications", len(ns))
		}
	})
}

// TestOutboxDefer: a busy receiver's notifications are deferred in the
// claim (no attempt counted, lease given back, due later), others claimed;
// Defer does the same for held ones, and leaves alone one that another
// deliverer has claimed since.
func TestOutboxDefer(t *testing.T) {
	outboxEngines(t, func(t *testing.T, e *outboxEnv) {
		busy1, busy2, free := e.enqueue("http://busy.example/"), e.enqueue("http://busy.example/"), e.enqueue("http://free.example/")
		now := e.now()
		ns, deferred, err := e.o.Claim(context.Background(), llgate.ClaimRequest{
			Limit: 10, Lease: time.Minute,
			Later: func(ns []*llgate.Notification) []time.Duration {
				later := make([]time.Duration, len(ns))
				for i, n := range ns {
					if n.ID == busy1.ID {
						later[i] = time.Hour
					}
				}
				return later
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]*llgate.Notification{}
		for _, n := range ns {
			byID[n.ID] = n
		}
		if deferred != 1 || len(ns) != 2 || byID[busy2.ID] == nil || byID[free.ID] == nil {
			t.Fatalf("claim: %d claimed and %d deferred; want busy2 and free, and 1", len(ns), deferred)
		}
		deferredOK := func(what string, id string, next time.Time) {
			t.Helper()
			x := e.entry(id)
			n := x.Notification
			if n.Status != llgate.NotifyPending || n.AttemptCount != 0 || len(x.Attempts) != 0 || !n.LeaseUntil.IsZero() || !n.NextAttemptAt.Equal(next) {
				t.Errorf("%s: %s, count %d, %d attempts, lease %v, next %v; want pending, 0, none, none, %v",
					what, n.Status, n.AttemptCount, len(x.Attempts), n.LeaseUntil, n.NextAttemptAt, next)
			}
		}
		deferredOK("deferred in the claim", busy1.ID, now.Add(time.Hour))

		// busy2 was held; its host stalled: defer it.
		if err := e.o.Defer(context.Background(), []llgate.Deferral{{Notification: byID[busy2.ID], For: 5 * time.Second}}); err != nil {
			t.Fatal(err)
		}
		deferredOK("deferred while held", busy2.ID, now.Add(5*time.Second))

		// free: another deliverer claimed it after a jump past the lease;
		// deferring our stale copy leaves it alone.
		e.advance(2 * time.Minute)
		other := map[string]*llgate.Notification{}
		for _, n := range e.claim(llgate.ClaimRequest{}) {
			other[n.ID] = n
		}
		if len(other) != 2 || other[free.ID] == nil || other[busy2.ID] == nil {
			t.Fatalf("second claim after the jump: %d notifications, want busy2 and free", len(other))
		}
		if err := e.o.Defer(context.Background(), []llgate.Deferral{{Notification: byID[free.ID], For: 5 * time.Second}}); err != nil {
			t.Fatal(err)
		}
		if n := e.entry(free.ID).Notification; !n.LeaseUntil.Equal(other[free.ID].LeaseUntil) || !n.NextAttemptAt.Equal(now) {
			t.Errorf("another deliverer's notification changed: lease %v, next %v", n.LeaseUntil, n.NextAttemptAt)
		}
	})
}

// TestOutboxStaleRecord: an attempt recorded after another deliverer
// claimed the notification (a clock jump past the lease) is kept, but the
// owner decides what comes next, unless it was acknowledged.
func TestOutboxStaleRecord(t *testing.T) {
	outboxEngines(t, func(t *testing.T, e *outboxEnv) {
		rejected, acked := e.enqueue("http://a.example/"), e.enqueue("http://b.example/")
		ds := e.begin(rejected, acked)
		dr, da := ds[0], ds[1]
		e.advance(2 * time.Minute)
		theirs := e.claim(llgate.ClaimRequest{})
		if len(theirs) != 2 {
			t.Fatalf("second claim: %d notifications, want 2", len(theirs))
		}
		dr.HTTPStatus = 500
		da.HTTPStatus, da.Acked = 200, true
		e.record(dr, da)
		x := e.entry(rejected.ID)
		if n := x.Notification; n.Status != llgate.NotifyPending || n.AttemptCount != 0 || n.LeaseUntil.IsZero() || len(x.Attempts) != 1 {
			t.Errorf("stale rejected attempt: %s, count %d, lease %v, %d attempts; want pending, 0, the other's, 1",
				n.Status, n.AttemptCount, n.LeaseUntil, len(x.Attempts))
		}
		if n := e.entry(acked.ID).Notification; n.Status != llgate.NotifyDelivered || n.AttemptCount != 1 {
			t.Errorf("stale acknowledged attempt: %s, count %d; want delivered, 1", n.Status, n.AttemptCount)
		}
	})
}

// TestOutboxResend: a failed notification is due again at once with a
// fresh round; its attempts stay listed; an unknown ID is ErrNotFound.
func TestOutboxResend(t *testing.T) {
	outboxEngines(t, func(t *testing.T, e *outboxEnv) {
		woken := 0
		e.o.Wake = func() { woken++ }
		n := e.enqueue("http://10.0.0.1/")
		d := e.begin(n)[0]
		d.Refused = true
		e.record(d)
		e.advance(time.Hour)
		got, err := e.o.Resend(context.Background(), n.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m := got.Notification; m.Status != llgate.NotifyPending || m.AttemptCount != 0 || !m.NextAttemptAt.Equal(e.now()) || len(got.Attempts) != 1 || woken != 1 {
			t.Errorf("resent: %s, count %d, next %v, %d attempts, woken %d; want pending, 0, now, 1, 1",
				m.Status, m.AttemptCount, m.NextAttemptAt, len(got.Attempts), woken)
		}
		if ns := e.claim(llgate.ClaimRequest{}); len(ns) != 1 {
			t.Errorf("claimed %d after the resend, want 1", len(ns))
		}
		if _, err := e.o.Resend(context.Background(), "nope"); !errors.Is(err, llgate.ErrNotFound) {
			t.Errorf("resend of an unknown ID: %v, want ErrNotFound", err)
		}
	})
}

// TestOutboxBeginLeaseTooShort: an attempt that could outlive its lease is
// not begun.
func TestOutboxBeginLeaseTooShort(t *testing.T) {
	outboxEngines(t, func(t *testing.T, e *outboxEnv) {
		e.enqueue("http://a.example/")
		ns := e.claim(llgate.ClaimRequest{Lease: 10 * time.Second})
		e.advance(6 * time.Second)
		if _, err := e.o.Begin(context.Background(), ns[0], 5*time.Second); !errors.Is(err, llgate.ErrLeaseTooShort) {
			t.Fatalf("Begin: %v, want ErrLeaseTooShort", err)
		}
		if err := e.o.Release(context.Background(), ns); err != nil {
			t.Fatal(err)
		}
		if again := e.claim(llgate.ClaimRequest{}); len(again) != 1 {
			t.Errorf("claimed %d after the release, want 1", len(again))
		}
	})
}
