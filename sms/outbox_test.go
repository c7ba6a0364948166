package sms_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/sms"
	"github.com/llgate/llgate/vault"
)

const (
	oidA    = "201408071000001539"
	oidB    = "201408071000001540"
	mobileA = "13800138000"
	mobileB = "13912345678"
)

// fakeClock is moved by hand.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func mustVault(tb testing.TB, store llgate.Store) *vault.Vault {
	tb.Helper()
	v, err := vault.New(store, vault.GenerateMasterKey())
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	v := mustVault(t, store)
	t0 := time.Date(2026, 11, 22, 9, 30, 0, 0, llgate.ChinaTime)
	clock := &fakeClock{now: t0}
	out := sms.Outbox{Store: store, Vault: v, Clock: clock}

	sent := []llgate.SMS{
		{OidPartner: oidA, Mobile: mobileA, Code: "583920", Text: llgate.SMSText(llgate.ModeSandbox, "583920")},
		{OidPartner: oidB, Mobile: mobileB, Code: "104729", Text: llgate.SMSText(llgate.ModeSandbox, "104729")},
		{OidPartner: oidA, Mobile: mobileA, Code: "771203", Text: llgate.SMSText(llgate.ModeSandbox, "771203")},
	}
	for i, m := range sent {
		clock.now = t0.Add(time.Duration(i) * time.Minute)
		if err := out.Send(ctx, m); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}

	t.Run("OK", func(t *testing.T) {
		for _, tc := range []struct {
			mobile string
			want   []int // indexes into sent, newest first
		}{
			{mobileA, []int{2, 0}},
			{mobileB, []int{1}},
			{"13700000000", nil},
		} {
			var msgs []*llgate.SMSMessage
			if err := store.View(ctx, func(tx llgate.Tx) error {
				var err error
				msgs, err = tx.SMSMessages(ctx, v.Fingerprint("mobile", tc.mobile), 100)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if got, want := len(msgs), len(tc.want); got != want {
				t.Fatalf("%s: got %d messages, want %d", llgate.MaskPhone(tc.mobile), got, want)
			}
			for i, msg := range msgs {
				want := sent[tc.want[i]]
				if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(msg.ID) {
					t.Errorf("ID = %q, want 16 hex digits", msg.ID)
				}
				if got, want := msg.OidPartner, want.OidPartner; got != want {
					t.Errorf("OidPartner = %q, want %q", got, want)
				}
				if got, want := msg.SentAt, t0.Add(time.Duration(tc.want[i])*time.Minute); !got.Equal(want) {
					t.Errorf("SentAt = %v, want %v", got, want)
				}
				for _, secret := range []string{want.Mobile, want.Code, want.Text} {
					if bytes.Contains(msg.Sealed, []byte(secret)) {
						t.Errorf("sealed bytes contain %q", secret)
					}
				}
				plain, err := v.Open(ctx, msg.OidPartner, llgate.TableSMS, msg.ID, msg.Sealed)
				if err != nil {
					t.Fatal(err)
				}
				var c llgate.SMSContent
				if err := json.Unmarshal(plain, &c); err != nil {
					t.Fatal(err)
				}
				if got, want := c, (llgate.SMSContent{Mobile: want.Mobile, Code: want.Code, Text: want.Text}); got != want {
					t.Errorf("content = %+v, want %+v", got, want)
				}
			}
		}
	})

	t.Run("NoPlaintextOnDisk", func(t *testing.T) {
		path := store.Path()
		secrets := []string{mobileA, mobileB, "583920", "104729", "771203", "验证码"}
		check := func(when string) {
			t.Helper()
			for _, name := range []string{path, path + "-wal"} {
				b, err := os.ReadFile(name)
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range secrets {
					if bytes.Contains(b, []byte(s)) {
						t.Errorf("%s: %s contains %q", when, name, s)
					}
				}
			}
		}
		check("before checkpoint")

		// The store's own driver (modernc.org/sqlite, registered as
		// "sqlite") moves the WAL into the main file.
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var busy, logFrames, checkpointed int
		if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(FULL)`).Scan(&busy, &logFrames, &checkpointed); err != nil {
			t.Fatal(err)
		}
		if busy != 0 || checkpointed != logFrames {
			t.Fatalf("checkpoint: busy %d, %d of %d frames", busy, checkpointed, logFrames)
		}
		if logFrames == 0 {
			t.Fatal("checkpoint found an empty WAL: the messages were never in it")
		}
		check("after checkpoint")
	})
}

// txStore marks when an Update closure runs, so a vault can tell whether it
// is called inside a transaction.
type txStore struct {
	llgate.Store
	in atomic.Bool
}

func (s *txStore) Update(ctx context.Context, fn func(tx llgate.Tx) error) error {
	return s.Store.Update(ctx, func(tx llgate.Tx) error {
		s.in.Store(true)
		defer s.in.Store(false)
		return fn(tx)
	})
}

type outsideVault struct {
	llgate.Vault
	store *txStore
	t     *testing.T
}

func (v outsideVault) Seal(ctx context.Context, owner, table, row string, plain []byte) ([]byte, error) {
	if v.store.in.Load() {
		v.t.Error("Seal called inside a store transaction")
	}
	return v.Vault.Seal(ctx, owner, table, row, plain)
}

func (v outsideVault) Fingerprint(kind, value string) string {
	if v.store.in.Load() {
		v.t.Error("Fingerprint called inside a store transaction")
	}
	return v.Vault.Fingerprint(kind, value)
}

func TestOutbox_VaultOutsideTransaction(t *testing.T) {
	base := sqlitetest.Open(t)
	store := &txStore{Store: base}
	v := outsideVault{Vault: mustVault(t, base), store: store, t: t}
	out := sms.Outbox{Store: store, Vault: v, Clock: &fakeClock{now: time.Unix(1e9, 0)}}
	if err := out.Send(t.Context(), llgate.SMS{OidPartner: oidA, Mobile: mobileA, Code: "583920", Text: llgate.SMSText(llgate.ModeSandbox, "583920")}); err != nil {
		t.Fatal(err)
	}
}

func TestOutbox_Err(t *testing.T) {
	store := sqlitetest.Open(t)
	v := mustVault(t, store)
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	msg := llgate.SMS{OidPartner: oidA, Mobile: mobileA, Code: "583920", Text: llgate.SMSText(llgate.ModeSandbox, "583920")}

	t.Run("ErrMissingDeps", func(t *testing.T) {
		if err := (sms.Outbox{Store: store, Vault: v}).Send(t.Context(), msg); err == nil {
			t.Fatal("got nil error without a clock")
		}
	})
	t.Run("ErrNoMobile", func(t *testing.T) {
		m := msg
		m.Mobile = ""
		if err := (sms.Outbox{Store: store, Vault: v, Clock: clock}).Send(t.Context(), m); err == nil {
			t.Fatal("got nil error without a mobile")
		}
	})
	t.Run("ErrNoMerchant", func(t *testing.T) {
		m := msg
		m.OidPartner = ""
		err := (sms.Outbox{Store: store, Vault: v, Clock: clock}).Send(t.Context(), m)
		if err == nil {
			t.Fatal("got nil error without an oid_partner")
		}
		assertClean(t, err.Error(), msg)
	})
}

// A recorded text lives and dies with the caller's transaction; it needs
// the merchant's data key to exist already (it seals inside the
// transaction, which must not write a key of its own).
func TestOutboxRecord(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	v := mustVault(t, store)
	out := sms.Outbox{Store: store, Vault: v, Clock: &fakeClock{now: time.Date(2026, 11, 22, 9, 30, 0, 0, llgate.ChinaTime)}}
	count := func() int {
		t.Helper()
		var n int
		err := store.View(ctx, func(tx llgate.Tx) error {
			msgs, err := tx.SMSMessages(ctx, v.Fingerprint("mobile", mobileA), 100)
			n = len(msgs)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	msg := llgate.SMS{OidPartner: oidA, Mobile: mobileA, Code: "583920", Text: llgate.SMSText(llgate.ModeSandbox, "583920")}
	record := func(tx llgate.Tx) error { return out.Record(ctx, tx, msg) }

	if err := store.Update(ctx, record); !errors.Is(err, vault.ErrNoKey) {
		t.Fatalf("Record for a merchant without a data key: %v, want vault.ErrNoKey", err)
	}
	if err := v.EnsureOwner(ctx, oidA); err != nil {
		t.Fatal(err)
	}
	rollback := errors.New("the caller's transaction fails")
	err := store.Update(ctx, func(tx llgate.Tx) error {
		if err := record(tx); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("Update: %v", err)
	}
	if n := count(); n != 0 {
		t.Fatalf("after a rolled-back transaction: %d messages, want 0", n)
	}
	if err := store.Update(ctx, record); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if n := count(); n != 1 {
		t.Fatalf("after a committed transaction: %d messages, want 1", n)
	}
	if err := store.Update(ctx, func(tx llgate.Tx) error { return out.Record(ctx, tx, llgate.SMS{OidPartner: oidA}) }); err == nil {
		t.Error("Record without a mobile: no error")
	}
}
