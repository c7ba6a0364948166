package vault_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llgate/llgate/postgres/pgtest"
	"github.com/llgate/llgate/sqlite/sqlitetest"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/storetest"
	"github.com/llgate/llgate/vault"
)

const (
	oidA = "201408071000001539"
	oidB = "201408071000002222"
)

// seedRotation writes n SMS texts and n agreements spread over two merchants
// and a platform, both merchants with an MD5 key, and the platform key, each
// sealed by v as the application seals it. It returns their plaintexts.
func seedRotation(t *testing.T, s llgate.Store, v *vault.Vault, n int) map[llgate.SealedRef]string {
	t.Helper()
	ctx := t.Context()
	want := map[llgate.SealedRef]string{}
	seal := func(owner, table, column, row string) []byte {
		t.Helper()
		plain := fmt.Sprintf("%s/%s/%s", owner, table, row)
		b, err := v.Seal(ctx, owner, table, row, []byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		want[llgate.SealedRef{Table: table, Column: column, Row: row, Owner: owner}] = plain
		return b
	}
	at := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	var writes []func(tx llgate.Tx) error
	for _, oid := range []string{oidA, oidB} {
		m := &llgate.Merchant{OidPartner: oid, Name: oid, MD5Key: seal(oid, "merchants", "md5_key", oid), CreatedAt: at, UpdatedAt: at}
		writes = append(writes, func(tx llgate.Tx) error { return tx.InsertMerchant(ctx, m) })
	}
	pk := seal(llgate.OwnerSystem, "settings", "value", "platform_key")
	writes = append(writes, func(tx llgate.Tx) error { return tx.PutSetting(ctx, "platform_key", pk) })
	scopes := []string{"m:" + oidA, "m:" + oidB, "p:shop"}
	for i := range n {
		oid := []string{oidA, oidB}[i%2]
		id := fmt.Sprintf("sms-%04d", i)
		m := &llgate.SMSMessage{ID: id, OidPartner: oid, MobileFP: "fp", Sealed: seal(oid, llgate.TableSMS, "sealed", id), SentAt: at}
		scope := scopes[i%len(scopes)]
		no := fmt.Sprintf("20261122%08d", i)
		a := &llgate.Agreement{NoAgree: no, Scope: scope, OidPartner: oid, UserID: "u", CardFP: no,
			Sealed: seal(llgate.ScopeOwner(scope), llgate.TableAgreements, "sealed", no), Status: llgate.AgreementActive, CreatedAt: at}
		writes = append(writes, func(tx llgate.Tx) error { return tx.InsertSMS(ctx, m) },
			func(tx llgate.Tx) error { return tx.InsertAgreement(ctx, a) })
	}
	err := s.Update(ctx, func(tx llgate.Tx) error {
		for _, w := range writes {
			if err := w(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return want
}

func newestVersions(t *testing.T, s llgate.Store) map[string]int {
	t.Helper()
	var out map[string]int
	err := s.View(t.Context(), func(tx llgate.Tx) (err error) {
		out, err = tx.(llgate.SealedTx).DataKeyVersions(t.Context())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkRotated checks that every sealed value is on its owner's version
// want and opens, with a fresh vault, to its plaintext.
func checkRotated(t *testing.T, s llgate.Store, master []byte, plain map[llgate.SealedRef]string, want int) {
	t.Helper()
	v := mustVault(t, s, master)
	got := storetest.SealedValues(t, s)
	if len(got) != len(plain) {
		t.Fatalf("got %d sealed values, want %d", len(got), len(plain))
	}
	for ref, ct := range got {
		if ver, err := vault.KeyVersion(ct); err != nil || ver != want {
			t.Errorf("%+v: version %d, %v, want %d", ref, ver, err, want)
		}
		b, err := v.Open(t.Context(), ref.Owner, ref.Table, ref.Row, ct)
		if err != nil || string(b) != plain[ref] {
			t.Errorf("%+v: opened %q, %v, want %q", ref, b, err, plain[ref])
		}
	}
	for owner, ver := range newestVersions(t, s) {
		if ver != want {
			t.Errorf("owner %q: newest version %d, want %d", owner, ver, want)
		}
	}
}

func rotationState(t *testing.T, s llgate.Store) []byte {
	t.Helper()
	var b []byte
	err := s.View(t.Context(), func(tx llgate.Tx) (err error) {
		b, err = tx.Setting(t.Context(), vault.SettingRotation)
		return err
	})
	if err != nil && !errors.Is(err, llgate.ErrNotFound) {
		t.Fatal(err)
	}
	return b
}

// engines runs fn on a SQLite file store and, with LLGATE_TEST_POSTGRES, on
// PostgreSQL.
func engines(t *testing.T, fn func(t *testing.T, open func(testing.TB) llgate.Store)) {
	t.Run("SQLite", func(t *testing.T) {
		fn(t, func(tb testing.TB) llgate.Store { return sqlitetest.Open(tb) })
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		if os.Getenv(pgtest.Env) == "" {
			t.Skip(pgtest.Env + " not set; skipping PostgreSQL tests")
		}
		fn(t, func(tb testing.TB) llgate.Store { return pgtest.Open(tb) })
	})
}

func TestRotation(t *testing.T) { engines(t, testRotation) }

func testRotation(t *testing.T, open func(testing.TB) llgate.Store) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		master := vault.GenerateMasterKey()
		plain := seedRotation(t, s, mustVault(t, s, master), 20)
		var calls int
		rot := &vault.Rotation{Vault: mustVault(t, s, master), Batch: 7, Settle: -1,
			Progress: func(vault.RotationStats) { calls++ }}
		stats, err := rot.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		checkRotated(t, s, master, plain, 2)
		if got, want := stats.Total(), int64(len(plain)); got != want {
			t.Errorf("rewritten: got %d, want %d", got, want)
		}
		if got, want := stats.Rewritten[llgate.TableAgreements], int64(20); got != want {
			t.Errorf("agreements rewritten: got %d, want %d", got, want)
		}
		if stats.Pass != 2 || stats.Lost != 0 {
			t.Errorf("got %d passes, %d lost, want 2 (the second finds nothing), 0", stats.Pass, stats.Lost)
		}
		if calls == 0 {
			t.Error("Progress never called")
		}
		if b := rotationState(t, s); len(b) != 0 {
			t.Errorf("rotation state left behind: %s", b)
		}
	})

	t.Run("Twice", func(t *testing.T) {
		s := open(t)
		master := vault.GenerateMasterKey()
		plain := seedRotation(t, s, mustVault(t, s, master), 5)
		for i, want := range []int{2, 3} {
			if _, err := (&vault.Rotation{Vault: mustVault(t, s, master), Settle: -1}).Run(t.Context()); err != nil {
				t.Fatalf("run %d: %v", i+1, err)
			}
			checkRotated(t, s, master, plain, want)
		}
	})

	t.Run("Resume", func(t *testing.T) {
		s := open(t)
		master := vault.GenerateMasterKey()
		plain := seedRotation(t, s, mustVault(t, s, master), 20)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		rot := &vault.Rotation{Vault: mustVault(t, s, master), Batch: 5, Settle: -1,
			Progress: func(st vault.RotationStats) {
				if st.Total() >= 10 {
					cancel()
				}
			}}
		if _, err := rot.Run(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		if len(rotationState(t, s)) == 0 {
			t.Fatal("no rotation state after an interrupted run")
		}
		var onNew int
		for _, ct := range storetest.SealedValues(t, s) {
			if ver, _ := vault.KeyVersion(ct); ver == 2 {
				onNew++
			}
		}
		if onNew < 10 || onNew == len(plain) {
			t.Fatalf("%d of %d values on the new version after the interruption", onNew, len(plain))
		}

		// The rerun adds no version and does not redo the first part.
		stats, err := (&vault.Rotation{Vault: mustVault(t, s, master), Batch: 5, Settle: -1}).Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		checkRotated(t, s, master, plain, 2)
		if got, want := stats.Total(), int64(len(plain)-onNew); got != want {
			t.Errorf("rerun rewrote %d, want %d", got, want)
		}
	})

	// A writer that replaces a value between the rotation's read and its
	// write, holding the row while the rotation tries to write it, keeps
	// its value, and the value ends up on the new version.
	t.Run("ConcurrentWriterWins", func(t *testing.T) {
		ctx := t.Context()
		base := open(t)
		master := vault.GenerateMasterKey()
		server := mustVault(t, base, master) // seals with version 1 until it refreshes
		plain := seedRotation(t, base, server, 3)
		ct, err := server.Seal(ctx, oidB, "merchants", oidB, []byte("concurrent"))
		if err != nil {
			t.Fatal(err)
		}
		target := llgate.SealedRef{Table: "merchants", Column: "md5_key", Row: oidB, Owner: oidB} // the second value listed
		s := &hookStore{Store: base}
		writerDone := make(chan struct{})
		var fired atomic.Bool
		write := func() {
			fired.Store(true)
			locked := make(chan struct{})
			signal := sync.OnceFunc(func() { close(locked) }) // Update may run its closure again
			go func() {
				defer close(writerDone)
				err := base.Update(ctx, func(tx llgate.Tx) error {
					m, err := tx.Merchant(ctx, oidB) // locks the row
					signal()
					if err != nil {
						return err
					}
					time.Sleep(200 * time.Millisecond) // the rotation now waits for the row
					m.MD5Key = ct
					return tx.UpdateMerchant(ctx, m)
				})
				signal()
				if err != nil {
					t.Error(err)
				}
			}()
			<-locked
		}
		rot := &vault.Rotation{Vault: mustVault(t, s, master), Batch: 1, Settle: -1,
			Progress: func(st vault.RotationStats) {
				if st.Pass == 1 && st.Scanned == 1 {
					// Before the Update that writes the second value.
					s.before.Store(&write)
				}
			}}
		stats, err := rot.Run(ctx)
		if !fired.Load() {
			t.Fatal("the concurrent writer never ran")
		}
		<-writerDone
		if err != nil {
			t.Fatal(err)
		}
		if stats.Lost != 1 {
			t.Errorf("lost: got %d, want 1", stats.Lost)
		}
		plain[target] = "concurrent"
		checkRotated(t, base, master, plain, 2)
	})

	t.Run("ErrOpen", func(t *testing.T) {
		ctx := t.Context()
		s := open(t)
		master := vault.GenerateMasterKey()
		plain := seedRotation(t, s, mustVault(t, s, master), 3)
		// A value copied to another row no longer opens.
		err := s.Update(ctx, func(tx llgate.Tx) error {
			a, err := tx.Agreement(ctx, "2026112200000000")
			if err != nil {
				return err
			}
			b, err := tx.Agreement(ctx, "2026112200000001")
			if err != nil {
				return err
			}
			b.Sealed = a.Sealed
			return tx.UpdateAgreement(ctx, b)
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = (&vault.Rotation{Vault: mustVault(t, s, master), Settle: -1}).Run(ctx)
		if err == nil || !strings.Contains(err.Error(), "agreements 1") {
			t.Fatalf("got %v, want an error naming agreements 1", err)
		}
		// Everything else is rotated.
		got := storetest.SealedValues(t, s)
		var old int
		for ref, ct := range got {
			if ver, _ := vault.KeyVersion(ct); ver != 2 {
				old++
				if ref.Row != "2026112200000001" {
					t.Errorf("%+v on version %d", ref, ver)
				}
			}
		}
		if old != 1 || len(got) != len(plain) {
			t.Errorf("%d values on the old version, want 1", old)
		}
	})

	t.Run("Settle", func(t *testing.T) {
		s := open(t)
		master := vault.GenerateMasterKey()
		seedRotation(t, s, mustVault(t, s, master), 2)
		start := time.Now()
		const settle = 300 * time.Millisecond
		stats, err := (&vault.Rotation{Vault: mustVault(t, s, master), Settle: settle}).Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < settle || stats.Pass != 2 {
			t.Errorf("finished after %v and %d passes, want >= %v and 2", d, stats.Pass, settle)
		}
	})
}

// A vault made before the rotation opens the re-sealed values at once and
// seals with the new version after RefreshInterval.
func TestRotation_RunningVault(t *testing.T) {
	ctx := t.Context()
	s := sqlitetest.Open(t)
	master := vault.GenerateMasterKey()
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC).UnixNano())
	server := mustVault(t, s, master)
	vault.SetNow(server, func() time.Time { return time.Unix(0, now.Load()) })
	plain := seedRotation(t, s, server, 4)

	if _, err := (&vault.Rotation{Vault: mustVault(t, s, master), Settle: -1}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	for ref, ct := range storetest.SealedValues(t, s) {
		b, err := server.Open(ctx, ref.Owner, ref.Table, ref.Row, ct)
		if err != nil || string(b) != plain[ref] {
			t.Errorf("%+v: opened %q, %v, want %q", ref, b, err, plain[ref])
		}
	}

	sealVersion := func() int {
		ct, err := server.Seal(ctx, oidA, llgate.TableSMS, "x", []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		ver, _ := vault.KeyVersion(ct)
		return ver
	}
	// Opening version 2 made server reload oidA's keys.
	if got := sealVersion(); got != 2 {
		t.Errorf("after opening version 2: sealed with %d, want 2", got)
	}
	if _, err := mustVault(t, s, master).Rotate(ctx, oidA); err != nil {
		t.Fatal(err)
	}
	// Another process rotates oidA again: server seals with the version it
	// knows until RefreshInterval has passed.
	if got := sealVersion(); got != 2 {
		t.Errorf("before the refresh: sealed with %d, want the cached 2", got)
	}
	// After RefreshInterval, a Seal starts a refresh; the Seals after it
	// use version 3.
	now.Add(int64(vault.RefreshInterval))
	for deadline := time.Now().Add(10 * time.Second); ; {
		got := sealVersion()
		if got == 3 {
			break
		}
		if got != 2 || time.Now().After(deadline) {
			t.Fatalf("after the refresh: sealed with %d, want 3", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hookStore runs before, once, ahead of the next Update.
type hookStore struct {
	llgate.Store
	before atomic.Pointer[func()]
}

func (h *hookStore) Update(ctx context.Context, fn func(tx llgate.Tx) error) error {
	if f := h.before.Swap(nil); f != nil {
		(*f)()
	}
	return h.Store.Update(ctx, fn)
}
