package llgate_test

import (
	"context"
	"crypto/rsa"
	"fmt"
	"os"
	"testing"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/postgres/pgtest"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/sqlite/sqlitetest"
	"github.com/llgate/llgate/vault"
)

// payEnv is the wired engine over a real store, driven without HTTP.
type payEnv struct {
	t   *testing.T
	app *app.App
	seq int
}

// bothStores runs fn on SQLite and on PostgreSQL (skipped without
// LLGATE_TEST_POSTGRES).
func bothStores(t *testing.T, fn func(t *testing.T, e *payEnv)) {
	for name, open := range map[string]func(testing.TB) llgate.Store{
		"sqlite":   func(tb testing.TB) llgate.Store { return sqlitetest.Open(tb) },
		"postgres": func(tb testing.TB) llgate.Store { return pgtest.Open(tb) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, err := app.New(context.Background(), app.Options{
				Store: open(t), MasterKey: vault.GenerateMasterKey(), AdminToken: "t", Limits: true,
				PlatformKey: testKey(t, "platform_private_pkcs8.pem"),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(a.Close)
			fn(t, &payEnv{t: t, app: a})
		})
	}
}

func testKey(t testing.TB, name string) *rsa.PrivateKey {
	b, err := os.ReadFile("testdata/clients/keys/" + name)
	if err != nil {
		t.Fatal(err)
	}
	k, err := protocol.ParsePrivateKey(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// merchant creates a live merchant with a fixed SMS code.
func (e *payEnv) merchant(oid string, products ...string) *llgate.Merchant {
	e.t.Helper()
	key, err := os.ReadFile("testdata/clients/keys/merchant_public_spki.pem")
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := e.app.Merchants.Create(context.Background(), &llgate.Merchant{
		OidPartner: oid, PublicKeys: []string{string(key)}, SignTypes: []string{llgate.SignRSA},
		Live: true, Limits: llgate.Limits{PerTxn: 1000000}, Products: products, SMSCode: "123456",
	}, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

var holder = llgate.Card{IDType: "0", IDNo: "110105199003071239", AcctName: "张三", Mobile: "13800138000"}

func testCard(t testing.TB, bin string, length int, seed uint64) string {
	c, err := issuer.TestCard(bin, length, seed, "0000")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func debitCard(t testing.TB, seed uint64) llgate.Card {
	c := holder
	c.CardNo, c.Mobile = testCard(t, "622202", 19, seed), fmt.Sprintf("1380013%04d", seed)
	return c
}

func creditCard(t testing.TB, seed uint64) llgate.Card {
	c := holder
	c.CardNo, c.Mobile = testCard(t, "622148", 16, seed), fmt.Sprintf("1390013%04d", seed)
	c.ValiDate, c.CVV2 = "3012", "123"
	return c
}

// apply is a pay apply with card elements.
func (e *payEnv) apply(m *llgate.Merchant, product, payType string, card llgate.Card) (*llgate.Order, error) {
	e.seq++
	no := fmt.Sprintf("ord-%d", e.seq)
	return e.applyNo(m, product, payType, card, no, "hash-"+no)
}

func (e *payEnv) applyNo(m *llgate.Merchant, product, payType string, card llgate.Card, no, hash string) (*llgate.Order, error) {
	return e.app.Payments.Apply(context.Background(), &llgate.PayApply{
		Merchant: m, Scope: m.OidPartner, UserID: "u1", NoOrder: no, DtOrder: "20261122100000",
		BusiPartner: "101001", NameGoods: "goods", Amount: 100, MoneyOrder: "1.00", NotifyURL: "http://127.0.0.1:1/n",
		ValidOrder: llgate.DefaultValidOrder, PayType: payType, Family: llgate.FamilyOf(payType), Card: &card,
		SignType: llgate.SignRSA, RequestHash: hash, Product: product,
	})
}

func (e *payEnv) verify(m *llgate.Merchant, o *llgate.Order) *llgate.Order {
	e.t.Helper()
	out, err := e.app.Payments.Verify(context.Background(), &llgate.PayVerify{Merchant: m, Token: o.Token, Code: "123456"})
	if err != nil {
		e.t.Fatalf("verify: %v", err)
	}
	return out
}

func wantErrCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := llgate.ErrorCode(err); err == nil || got != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
}

// TestPayProducts: one engine for MPAY and Easy Payment. The merchant's
// products gate each line (3010); Easy Payment's pay_types choose the cards
// they take (5601) and are recorded after defaulting; the order records
// its product; a card paid with before reuses its agreement.
func TestPayProducts(t *testing.T) {
	bothStores(t, func(t *testing.T, e *payEnv) {
		mpayOnly := e.merchant("201408071000000001", llgate.ProductMPAY)
		easyOnly := e.merchant("201408071000000002", llgate.ProductEasypay)
		all := e.merchant("201408071000000003")

		_, err := e.apply(mpayOnly, llgate.PayProductEasypay, "", debitCard(t, 1))
		wantErrCode(t, "easypay for an mpay-only merchant", err, llgate.CodeNoProduct)
		_, err = e.apply(easyOnly, "", "2", debitCard(t, 1))
		wantErrCode(t, "mpay for an easypay-only merchant", err, llgate.CodeNoProduct)
		_, err = e.apply(easyOnly, llgate.PayProductMPAY, "2", debitCard(t, 1))
		wantErrCode(t, "explicit mpay for an easypay-only merchant", err, llgate.CodeNoProduct)

		o, err := e.apply(mpayOnly, "", "2", debitCard(t, 1))
		if err != nil || o.Product != llgate.PayProductMPAY || o.PayType != "2" {
			t.Fatalf("mpay apply: %+v %v", o, err)
		}

		for _, tc := range []struct {
			payType string
			card    llgate.Card
			code    string // "" = accepted
			stored  string
		}{
			{"", debitCard(t, 2), "", "M"},
			{"", creditCard(t, 2), "", "M"},
			{"M", creditCard(t, 3), "", "M"},
			{"D", debitCard(t, 3), "", "D"},
			{"P", creditCard(t, 4), "", "P"},
			{"2", debitCard(t, 4), "", "2"},
			{"2", creditCard(t, 5), llgate.CodePayTypeMismatch, ""},
			{"3", creditCard(t, 6), "", "3"},
			{"3", debitCard(t, 6), llgate.CodePayTypeMismatch, ""},
			{"F", creditCard(t, 7), "", "F"},
			{"F", debitCard(t, 7), llgate.CodePayTypeMismatch, ""},
			{"1", debitCard(t, 8), llgate.CodeBadField, ""},
			{"N", creditCard(t, 8), llgate.CodeBadField, ""},
		} {
			o, err := e.apply(easyOnly, llgate.PayProductEasypay, tc.payType, tc.card)
			if tc.code != "" {
				wantErrCode(t, "easypay pay_type "+tc.payType, err, tc.code)
				continue
			}
			if err != nil || o.Product != llgate.PayProductEasypay || o.PayType != tc.stored || o.Status != llgate.OrderWaiting {
				t.Fatalf("easypay pay_type %q: %+v %v", tc.payType, o, err)
			}
		}

		// A credit card paid twice through easypay: one agreement, of the
		// card's family (credit), reused by the second payment.
		card := creditCard(t, 20)
		o1, err := e.apply(all, llgate.PayProductEasypay, "", card)
		if err != nil {
			t.Fatal(err)
		}
		p1 := e.verify(all, o1)
		o2, err := e.apply(all, llgate.PayProductEasypay, "M", card)
		if err != nil {
			t.Fatal(err)
		}
		p2 := e.verify(all, o2)
		if p1.Status != llgate.OrderSuccess || p2.Status != llgate.OrderSuccess || p1.NoAgree == "" || p1.NoAgree != p2.NoAgree {
			t.Fatalf("two easypay payments with one card: %s/%s agreements %q %q", p1.Status, p2.Status, p1.NoAgree, p2.NoAgree)
		}
		var ag *llgate.Agreement
		if err := e.app.Store.View(context.Background(), func(tx llgate.Tx) (err error) {
			ag, err = tx.Agreement(context.Background(), p1.NoAgree)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if ag.Family != llgate.FamilyCredit {
			t.Fatalf("agreement family %q, want %q", ag.Family, llgate.FamilyCredit)
		}

		// no_order is one per merchant across the lines: the same request
		// through the other product is another request.
		no := "shared-no-order"
		if _, err := e.applyNo(all, "", "2", debitCard(t, 30), no, "same"); err != nil {
			t.Fatal(err)
		}
		_, err = e.applyNo(all, llgate.PayProductEasypay, "2", debitCard(t, 30), no, "same")
		wantErrCode(t, "easypay apply reusing an mpay no_order", err, llgate.CodeDuplicateOrder)
	})
}
