package notify

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/llgate/llgate/postgres/pgtest"
	"github.com/llgate/llgate/sqlite/sqlitetest"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

func TestTwoWorkersPostgres(t *testing.T) {
	testTwoWorkers(t, pgtest.Open(t), 10000)
}

func TestTwoWorkersSQLite(t *testing.T) {
	testTwoWorkers(t, sqlitetest.Open(t), 2000)
}

// testTwoWorkers: two workers drain one outbox of n due notifications to a
// healthy receiver; each is delivered exactly once.
func testTwoWorkers(t *testing.T, store llgate.Store, n int) {
	e := newEnv(t, store)
	seen := make(map[string]int)
	rc := newReceiver(t, func(k int, w http.ResponseWriter, r *http.Request) {
		ackAnswer(k, w, r)
	})
	t0 := time.Now()
	ns, _ := e.enqueue(rc.URL, n)
	t.Logf("enqueued %d in %v", n, time.Since(t0))
	t0 = time.Now()

	ctx := context.Background()
	var wg sync.WaitGroup
	for range 2 {
		w := e.worker()
		wg.Go(func() {
			for {
				k, err := w.RunOnce(ctx)
				if err != nil {
					t.Errorf("RunOnce: %v", err)
					return
				}
				if k > 0 {
					continue
				}
				// Nothing claimable: done, unless the other worker holds leases.
				var left int64
				err = store.View(ctx, func(tx llgate.Tx) error {
					left, _, err = tx.NotificationBacklog(ctx)
					return err
				})
				if err != nil {
					t.Errorf("backlog: %v", err)
					return
				}
				if left == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("delivered in %v", time.Since(t0))

	for _, r := range rc.requests() {
		obj, err := protocol.Decode(r.body)
		if err != nil {
			t.Fatal(err)
		}
		seen[obj.Get("no_order")]++
	}
	if got, want := len(rc.requests()), n; got != want {
		t.Errorf("receiver got %d requests, want %d", got, want)
	}
	var dup, missing int
	for _, x := range ns {
		switch seen[x.ID] {
		case 0:
			missing++
		case 1:
		default:
			dup++
		}
	}
	if dup != 0 || missing != 0 {
		t.Errorf("%d delivered more than once, %d never; want 0 and 0", dup, missing)
	}
	var notDelivered, wrongCount int
	err := store.View(ctx, func(tx llgate.Tx) error {
		all, err := tx.Notifications(ctx, llgate.NotificationFilter{})
		for _, x := range all {
			if x.Status != llgate.NotifyDelivered {
				notDelivered++
			}
			if x.AttemptCount != 1 {
				wrongCount++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if notDelivered != 0 || wrongCount != 0 {
		t.Errorf("%d not delivered, %d with an attempt count other than 1; want 0 and 0", notDelivered, wrongCount)
	}
}
