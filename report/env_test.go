package report

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/llgate/llgate/postgres/pgtest"
	"github.com/llgate/llgate/sqlite/sqlitetest"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/vault"
)

const oidA = "201408071000001539"

// forEachStore runs fn on a fresh SQLite store and, with
// LLGATE_TEST_POSTGRES set, a fresh PostgreSQL schema.
func forEachStore(t *testing.T, fn func(t *testing.T, store llgate.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqlitetest.Open(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.Open(t)) })
}

// fakeClock is moved by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t.UTC()
}

// cst parses "2006-01-02 15:04:05.000" in China time.
func cst(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05.000", s, llgate.ChinaTime)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

type env struct {
	store llgate.Store
	vault *vault.Vault
	clock *fakeClock
	gen   *Generator
}

func newEnv(t *testing.T, store llgate.Store) *env {
	t.Helper()
	v, err := vault.New(store, vault.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeClock{}
	return &env{store: store, vault: v, clock: c, gen: &Generator{Store: store, Vault: v, Clock: c}}
}

func (e *env) update(t testing.TB, fn func(ctx context.Context, tx llgate.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := e.store.Update(ctx, func(tx llgate.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

func (e *env) merchant(t testing.TB, oid string, created time.Time) {
	t.Helper()
	e.update(t, func(ctx context.Context, tx llgate.Tx) error {
		return tx.InsertMerchant(ctx, &llgate.Merchant{
			OidPartner: oid, Name: "shop", PublicKeys: []string{"key"}, SignTypes: []string{llgate.SignRSA},
			CreatedAt: created, UpdatedAt: created,
		})
	})
}

// payment inserts an order; info, when set, goes into its sealed secret.
func (e *env) payment(t testing.TB, o *llgate.Order, info string) {
	t.Helper()
	if info != "" {
		b, err := json.Marshal(llgate.OrderSecret{InfoOrder: info, NameGoods: "goods"})
		if err != nil {
			t.Fatal(err)
		}
		if o.Sealed, err = e.vault.Seal(context.Background(), o.OidPartner, llgate.TableOrders, o.OidPaybill, b); err != nil {
			t.Fatal(err)
		}
	}
	if o.Product == "" {
		o.Product = llgate.PayProductMPAY
	}
	if o.Status == "" {
		o.Status = llgate.OrderSuccess
	}
	if o.MoneyOrder == "" {
		o.MoneyOrder = "1"
	}
	o.UserID, o.Scope, o.SignType = "user-1", o.OidPartner, llgate.SignRSA
	o.CreatedAt, o.UpdatedAt = o.PaidAt, o.PaidAt
	e.update(t, func(ctx context.Context, tx llgate.Tx) error { return tx.InsertOrder(ctx, o) })
}

func (e *env) refund(t testing.TB, r *llgate.Refund) {
	t.Helper()
	if r.Status == "" {
		r.Status = llgate.RefundSuccess
	}
	r.MoneyRefund, r.DtRefund, r.SignType = "1", "20240101000000", llgate.SignRSA
	r.CreatedAt, r.UpdatedAt = r.SettledAt, r.SettledAt
	e.update(t, func(ctx context.Context, tx llgate.Tx) error { return tx.InsertRefund(ctx, r) })
}

// stored returns every report of oid, decrypted, by name.
func (e *env) stored(t testing.TB, oid string) map[string]string {
	t.Helper()
	ctx := context.Background()
	var rs []*llgate.Report
	err := e.store.View(ctx, func(tx llgate.Tx) error {
		list, err := tx.Reports(ctx, oid)
		if err != nil {
			return err
		}
		rs = rs[:0]
		for _, r := range list {
			full, err := tx.Report(ctx, r.Name)
			if err != nil {
				return err
			}
			rs = append(rs, full)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(rs))
	for _, r := range rs {
		b, err := e.vault.Open(ctx, r.OidPartner, llgate.TableReports, r.Name, r.Content)
		if err != nil {
			t.Fatalf("open %s: %v", r.Name, err)
		}
		if got, want := r.Size, int64(len(b)); got != want {
			t.Errorf("%s: size = %d, want %d", r.Name, got, want)
		}
		out[r.Name] = string(b)
	}
	return out
}
