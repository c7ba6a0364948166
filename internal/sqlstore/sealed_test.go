package sqlstore_test

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/llgate/llgate/postgres/pgtest"
	"github.com/llgate/llgate/sqlite/sqlitetest"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/sqlstore"
	"github.com/llgate/llgate/vault"
)

// engines runs fn on a SQLite file store and, with LLGATE_TEST_POSTGRES, on
// PostgreSQL.
func engines(t *testing.T, fn func(t *testing.T, s llgate.Store)) {
	t.Run("SQLite", func(t *testing.T) { fn(t, sqlitetest.Open(t)) })
	t.Run("PostgreSQL", func(t *testing.T) { fn(t, pgtest.Open(t)) })
}

const (
	oidA = "201408071000001539"
	oidB = "201408071000002222"
)

// seededVault makes a vault over s and seeds s with seedSealed.
func seededVault(t *testing.T, s llgate.Store) (*vault.Vault, map[llgate.SealedRef]string) {
	t.Helper()
	v, err := vault.New(s, vault.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	return v, seedSealed(t, s, v)
}

// seedSealed writes a value into every sealed column through the Tx methods
// the application uses, sealed by v for the owner, table and row the
// application binds it to, plus rows that hold no sealed value. It returns
// the plaintext of each.
func seedSealed(t *testing.T, s llgate.Store, v *vault.Vault) map[llgate.SealedRef]string {
	t.Helper()
	ctx := t.Context()
	want := map[llgate.SealedRef]string{}
	seal := func(owner, table, column, row string) []byte {
		t.Helper()
		plain := fmt.Sprintf("secret of %s/%s/%s", owner, table, row)
		b, err := v.Seal(ctx, owner, table, row, []byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		want[llgate.SealedRef{Table: table, Column: column, Row: row, Owner: owner}] = plain
		return b
	}
	at := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	merchants := []*llgate.Merchant{
		{OidPartner: oidA, Name: "a", MD5Key: seal(oidA, "merchants", "md5_key", oidA), CreatedAt: at, UpdatedAt: at},
		{OidPartner: oidB, Name: "b", CreatedAt: at, UpdatedAt: at}, // no MD5 key
	}
	platformKey := seal(llgate.OwnerSystem, "settings", "value", "platform_key")
	var sms []*llgate.SMSMessage
	var notes []*llgate.Notification
	var reports []*llgate.Report
	var orders []*llgate.Order
	for i, oid := range []string{oidA, oidB, oidA} {
		id := fmt.Sprintf("id-%d", i)
		sms = append(sms, &llgate.SMSMessage{ID: id, OidPartner: oid, MobileFP: "fp", Sealed: seal(oid, llgate.TableSMS, "sealed", id), SentAt: at})
		notes = append(notes, &llgate.Notification{ID: id, OidPartner: oid, Kind: llgate.NotifyPayment, Body: seal(oid, llgate.TableNotifications, "body", id),
			Status: llgate.NotifyPending, CreatedAt: at, UpdatedAt: at})
		name := fmt.Sprintf("%s_2026112%d.txt", oid, i)
		reports = append(reports, &llgate.Report{Name: name, OidPartner: oid, Size: 1, Content: seal(oid, llgate.TableReports, "content", name), CreatedAt: at})
		paybill := fmt.Sprintf("202611220000000%d", i)
		orders = append(orders, &llgate.Order{OidPaybill: paybill, OidPartner: oid, NoOrder: paybill, Scope: "m:" + oid, Status: llgate.OrderWaiting,
			Sealed: seal(oid, llgate.TableOrders, "sealed", paybill), CreatedAt: at, UpdatedAt: at})
	}
	var agreements []*llgate.Agreement
	var challenges []*llgate.Challenge
	for i, scope := range []string{"m:" + oidA, "p:shop", "m:" + oidB} {
		no := fmt.Sprintf("2026112200000%03d", i)
		agreements = append(agreements, &llgate.Agreement{NoAgree: no, Scope: scope, OidPartner: oidA, UserID: "u", CardFP: no,
			Sealed: seal(llgate.ScopeOwner(scope), llgate.TableAgreements, "sealed", no), Status: llgate.AgreementActive, CreatedAt: at})
		token := fmt.Sprintf("token-%d", i)
		challenges = append(challenges, &llgate.Challenge{Token: token, Kind: llgate.ChallengeBind, OidPartner: oidA, Scope: scope,
			Sealed: seal(llgate.ScopeOwner(scope), llgate.TableChallenges, "sealed", token), State: llgate.ChallengeLive, CreatedAt: at})
	}
	challenges = append(challenges, &llgate.Challenge{Token: "token-pay", Kind: llgate.ChallengePay, OidPartner: oidA, Scope: "m:" + oidA, State: llgate.ChallengeLive})

	err := s.Update(ctx, func(tx llgate.Tx) error {
		var errs []error
		for _, m := range merchants {
			errs = append(errs, tx.InsertMerchant(ctx, m))
		}
		errs = append(errs, tx.PutSetting(ctx, "platform_key", platformKey), tx.PutSetting(ctx, "clock_offset", []byte("42")))
		for i := range sms {
			errs = append(errs, tx.InsertSMS(ctx, sms[i]), tx.InsertNotification(ctx, notes[i]), tx.PutReport(ctx, reports[i]), tx.InsertOrder(ctx, orders[i]))
		}
		for _, a := range agreements {
			errs = append(errs, tx.InsertAgreement(ctx, a))
		}
		for _, c := range challenges {
			errs = append(errs, tx.InsertChallenge(ctx, c))
		}
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatal(err)
	}
	return want
}

func sealedTx(t *testing.T, tx llgate.Tx) llgate.SealedTx {
	t.Helper()
	stx, ok := tx.(llgate.SealedTx)
	if !ok {
		t.Fatalf("%T does not implement llgate.SealedTx", tx)
	}
	return stx
}

// heads lists every sealed value, limit at a time.
func heads(t *testing.T, s llgate.Store, limit int) []llgate.SealedHead {
	t.Helper()
	var all []llgate.SealedHead
	var after llgate.SealedCursor
	for {
		var page []llgate.SealedHead
		err := s.View(t.Context(), func(tx llgate.Tx) (err error) {
			page, err = sealedTx(t, tx).SealedHeads(t.Context(), after, limit)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > limit {
			t.Fatalf("got %d values, limit %d", len(page), limit)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Cursor()
	}
}

func TestSealedHeads(t *testing.T) {
	engines(t, func(t *testing.T, s llgate.Store) {
		ctx := t.Context()
		v, want := seededVault(t, s)

		all := heads(t, s, 1000)
		if got, want := len(all), len(want); got != want {
			t.Fatalf("got %d sealed values, want %d", got, want)
		}
		// Every value opens with the owner, table and row listed, so the
		// registry binds them as the application does.
		for _, h := range all {
			plain, ok := want[h.SealedRef]
			if !ok {
				t.Fatalf("unexpected sealed value %+v", h.SealedRef)
			}
			var full []byte
			err := s.View(ctx, func(tx llgate.Tx) (err error) {
				full, err = sealedTx(t, tx).Sealed(ctx, h.SealedRef)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Size; got != int64(len(full)) {
				t.Errorf("%+v: size %d, want %d", h.SealedRef, got, len(full))
			}
			if !bytes.HasPrefix(full, h.Head) || len(h.Head) != min(len(full), llgate.SealedHeadSize) {
				t.Errorf("%+v: head %x is not the first bytes of %x", h.SealedRef, h.Head, full)
			}
			if ver, err := vault.HeadVersion(h.Head); err != nil || ver != 1 {
				t.Errorf("%+v: version %d, %v, want 1", h.SealedRef, ver, err)
			}
			got, err := v.Open(ctx, h.Owner, h.Table, h.Row, full)
			if err != nil || string(got) != plain {
				t.Errorf("%+v: opened %q, %v, want %q", h.SealedRef, got, err, plain)
			}
		}

		// Any page size walks the same order.
		for _, limit := range []int{1, 2, 5} {
			if got := heads(t, s, limit); !slices.EqualFunc(got, all, func(a, b llgate.SealedHead) bool { return a.SealedRef == b.SealedRef }) {
				t.Errorf("limit %d: a different walk", limit)
			}
		}
		// A cursor from another version of the registry starts over.
		var page []llgate.SealedHead
		err := s.View(ctx, func(tx llgate.Tx) (err error) {
			page, err = sealedTx(t, tx).SealedHeads(ctx, llgate.SealedCursor{Table: "gone", Column: "x", Row: "y"}, 1)
			return err
		})
		if err != nil || len(page) != 1 || page[0].SealedRef != all[0].SealedRef {
			t.Errorf("unknown cursor: got %v, %v, want the first value", page, err)
		}
	})
}

func TestReplaceSealed(t *testing.T) {
	engines(t, func(t *testing.T, s llgate.Store) {
		ctx := t.Context()
		seededVault(t, s)
		ref := llgate.SealedRef{Table: llgate.TableAgreements, Column: "sealed", Row: "2026112200000001", Owner: "platform:shop"}
		read := func() []byte {
			var b []byte
			err := s.View(ctx, func(tx llgate.Tx) (err error) {
				b, err = sealedTx(t, tx).Sealed(ctx, ref)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		replace := func(ref llgate.SealedRef, old, new []byte) bool {
			var ok bool
			err := s.Update(ctx, func(tx llgate.Tx) (err error) {
				ok, err = sealedTx(t, tx).ReplaceSealed(ctx, ref, old, new)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		old := read()

		t.Run("OK", func(t *testing.T) {
			if !replace(ref, old, []byte("new")) {
				t.Fatal("replace of the current value failed")
			}
			if got := read(); string(got) != "new" {
				t.Fatalf("got %q, want new", got)
			}
		})
		t.Run("Changed", func(t *testing.T) {
			if replace(ref, old, []byte("newer")) {
				t.Fatal("replace of a changed value succeeded")
			}
			if got := read(); string(got) != "new" {
				t.Fatalf("got %q, want the concurrent writer's new", got)
			}
		})
		t.Run("Gone", func(t *testing.T) {
			gone := ref
			gone.Row = "missing"
			if replace(gone, old, []byte("x")) {
				t.Fatal("replace of a missing row succeeded")
			}
			err := s.View(ctx, func(tx llgate.Tx) error {
				_, err := sealedTx(t, tx).Sealed(ctx, gone)
				return err
			})
			if !errors.Is(err, llgate.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
		t.Run("OnlyPlatformKeySetting", func(t *testing.T) {
			other := llgate.SealedRef{Table: "settings", Column: "value", Row: "clock_offset", Owner: llgate.OwnerSystem}
			if replace(other, []byte("42"), []byte("43")) {
				t.Fatal("replaced a setting that is not sealed")
			}
		})
	})
}

func TestDataKeyVersions(t *testing.T) {
	engines(t, func(t *testing.T, s llgate.Store) {
		ctx := t.Context()
		v, _ := seededVault(t, s)
		if _, err := v.Rotate(ctx, oidB); err != nil {
			t.Fatal(err)
		}
		var got map[string]int
		err := s.View(ctx, func(tx llgate.Tx) (err error) {
			got, err = sealedTx(t, tx).DataKeyVersions(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{oidA: 1, oidB: 2, "platform:shop": 1, llgate.OwnerSystem: 1}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
}

// TestSealedColumns fails when the schema has a BLOB column that is neither
// a registered sealed column nor known to hold something else.
func TestSealedColumns(t *testing.T) {
	notSealed := map[string]bool{
		"data_keys.wrapped": true, // wrapped by the master key, not sealed by the vault
	}
	s := sqlitetest.Open(t)
	db, err := sql.Open("sqlite", "file:"+s.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND p.type = 'BLOB' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	registered := sqlstore.SealedColumnNames()
	for rows.Next() {
		var col string
		if err := rows.Scan(&col); err != nil {
			t.Fatal(err)
		}
		if !notSealed[col] && !slices.Contains(registered, col) {
			t.Errorf("BLOB column %s is not in sqlstore's sealedColumns: if the vault seals it, add it there so key rotation re-seals it", col)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
