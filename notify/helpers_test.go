package notify

import (
	"context"
	"crypto/rsa"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/vault"
)

const testOid = "201408071000001539"

// fakeClock is a Clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var (
	keyOnce     sync.Once
	platformKey *rsa.PrivateKey
)

// testPlatformKey is the repository's test platform key (no key generation
// under the race detector).
func testPlatformKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	keyOnce.Do(func() {
		b, err := os.ReadFile("../testdata/clients/keys/platform_private_pkcs8.pem")
		if err != nil {
			tb.Fatal(err)
		}
		if platformKey, err = protocol.ParsePrivateKey(string(b)); err != nil {
			tb.Fatal(err)
		}
	})
	return platformKey
}

// env is an outbox on a real store and vault, with a fake clock.
type env struct {
	tb     testing.TB
	store  llgate.Store
	vault  *vault.Vault
	clock  *fakeClock
	signer Signer
}

func newEnv(tb testing.TB, store llgate.Store) *env {
	tb.Helper()
	if store == nil {
		store = sqlitetest.Open(tb)
	}
	v, err := vault.New(store, vault.GenerateMasterKey())
	if err != nil {
		tb.Fatal(err)
	}
	return &env{tb: tb, store: store, vault: v, clock: newFakeClock(), signer: Signer{Key: testPlatformKey(tb)}}
}

// outbox is the env's outbox, with the default schedule.
func (e *env) outbox() *llgate.Outbox {
	return &llgate.Outbox{Store: e.store, Vault: e.vault, Clock: e.clock}
}

// worker returns a Worker on the env with a short timeout.
func (e *env) worker() *Worker {
	return &Worker{Outbox: e.outbox(), Timeout: 2 * time.Second}
}

func paymentFields(noOrder string) map[string]string {
	return map[string]string{
		"oid_partner": testOid, "no_order": noOrder, "dt_order": "20240501180000",
		"oid_paybill": "2024050112345678", "money_order": "210.97", "result_pay": "SUCCESS",
		"settle_date": "20240501", "info_order": "用户13958069593购买了3桶羽毛球 <&>", "pay_type": "P",
		"bank_code": "01020000", "no_agree": "2024050100000001",
	}
}

// newNotification signs and seals a payment notification due now; its
// no_order is its ID, so receivers can count by it. Bulk ones are signed
// with the keyed hash: RSA under the race detector takes 20 ms a body.
func (e *env) newNotification(ctx context.Context, url string, bulk bool) (*llgate.Notification, []byte) {
	e.tb.Helper()
	id := llgate.NewID()
	var (
		body []byte
		err  error
	)
	if bulk {
		a := protocol.Answer{Fields: paymentFields(id)}
		a.SignMD5("bulk test key")
		body, err = a.MarshalJSON()
	} else {
		body, err = e.signer.Sign(paymentFields(id), "RSA")
	}
	if err != nil {
		e.tb.Fatal(err)
	}
	sealed, err := e.vault.Seal(ctx, testOid, llgate.TableNotifications, id, body)
	if err != nil {
		e.tb.Fatal(err)
	}
	now := e.clock.Now()
	return &llgate.Notification{
		ID: id, OidPartner: testOid, Kind: llgate.NotifyPayment, NoOrder: id, URL: url,
		Body: sealed, Status: llgate.NotifyPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}, body
}

// enqueue stores n notifications to url and returns them with their bodies.
func (e *env) enqueue(url string, n int) ([]*llgate.Notification, [][]byte) {
	e.tb.Helper()
	ctx := context.Background()
	ns := make([]*llgate.Notification, n)
	bodies := make([][]byte, n)
	for i := range ns {
		ns[i], bodies[i] = e.newNotification(ctx, url, n > 10)
	}
	for lo := 0; lo < n; lo += 500 {
		hi := min(lo+500, n)
		err := e.store.Update(ctx, func(tx llgate.Tx) error {
			for _, x := range ns[lo:hi] {
				if err := tx.InsertNotification(ctx, x); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			e.tb.Fatal(err)
		}
	}
	return ns, bodies
}

// state reads a notification and its attempts.
func (e *env) state(id string) (*llgate.Notification, []*llgate.Attempt) {
	e.tb.Helper()
	ctx := context.Background()
	var (
		n  *llgate.Notification
		as []*llgate.Attempt
	)
	err := e.store.View(ctx, func(tx llgate.Tx) error {
		var err error
		if n, err = tx.Notification(ctx, id); err != nil {
			return err
		}
		as, err = tx.Attempts(ctx, id)
		return err
	})
	if err != nil {
		e.tb.Fatal(err)
	}
	return n, as
}

// runOnce calls RunOnce and checks how many attempts it made.
func runOnce(tb testing.TB, w *Worker, want int) {
	tb.Helper()
	got, err := w.RunOnce(context.Background())
	if err != nil {
		tb.Fatalf("RunOnce: %v", err)
	}
	if got != want {
		tb.Fatalf("RunOnce attempted %d, want %d", got, want)
	}
}

// request is what a receiver got.
type request struct {
	body        []byte
	contentType string
}

// receiver is an httptest server that records requests and answers with
// answer(k), k counting from 0.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
}

func newReceiver(tb testing.TB, answer func(k int, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		k := len(rc.reqs)
		rc.reqs = append(rc.reqs, request{body: body, contentType: r.Header.Get("Content-Type")})
		rc.mu.Unlock()
		answer(k, w, r)
	}))
	tb.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

func answerText(status int, text string) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		io.WriteString(w, text)
	}
}

var ackAnswer = answerText(200, `{"ret_code":"0000","ret_msg":"交易成功"}`)
