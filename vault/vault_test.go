package vault_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/vault"
)

func mustVault(tb testing.TB, store llgate.Store, master []byte) *vault.Vault {
	tb.Helper()
	v, err := vault.New(store, master)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestVault_SealOpen(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	v := mustVault(t, store, vault.GenerateMasterKey())
	const owner, table, row = "201408071000001539", "agreements", "2026112200000001"
	plain := []byte("6222021234567800002")

	t.Run("OK", func(t *testing.T) {
		ct, err := v.Seal(ctx, owner, table, row, plain)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(ct, plain) {
			t.Fatal("ciphertext contains the plaintext")
		}
		got, err := v.Open(ctx, owner, table, row, ct)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("got %q, want %q", got, plain)
		}
		if ver, err := vault.KeyVersion(ct); err != nil || ver != 1 {
			t.Fatalf("got version %d, %v, want 1, nil", ver, err)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		ct, err := v.Seal(ctx, owner, table, row, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.Open(ctx, owner, table, row, ct)
		if err != nil || len(got) != 0 {
			t.Fatalf("got %q, %v, want empty, nil", got, err)
		}
	})

	t.Run("NonceUnique", func(t *testing.T) {
		a, _ := v.Seal(ctx, owner, table, row, plain)
		b, _ := v.Seal(ctx, owner, table, row, plain)
		if bytes.Equal(a, b) {
			t.Fatal("two seals of the same plaintext are equal")
		}
	})

	t.Run("ErrBinding", func(t *testing.T) {
		ct, err := v.Seal(ctx, owner, table, row, plain)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, owner, table, row string }{
			{"Row", owner, table, "2026112200000002"},
			{"Table", owner, "users", row},
			{"Owner", "201408071000001540", table, row},
			{"Swapped", owner, row, table},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := v.Open(ctx, tc.owner, tc.table, tc.row, ct)
				if !errors.Is(err, vault.ErrOpen) {
					t.Fatalf("got %q, %v, want error %v", got, err, vault.ErrOpen)
				}
			})
		}
	})

	t.Run("ErrTampered", func(t *testing.T) {
		ct, err := v.Seal(ctx, owner, table, row, plain)
		if err != nil {
			t.Fatal(err)
		}
		for i := 5; i < len(ct); i++ { // every byte after the header
			bad := bytes.Clone(ct)
			bad[i] ^= 0x01
			if got, err := v.Open(ctx, owner, table, row, bad); !errors.Is(err, vault.ErrOpen) {
				t.Fatalf("byte %d: got %q, %v, want error %v", i, got, err, vault.ErrOpen)
			}
		}
		bad := bytes.Clone(ct)
		bad[0] = 0x02
		if _, err := v.Open(ctx, owner, table, row, bad); !errors.Is(err, vault.ErrFormat) {
			t.Fatalf("format byte: got %v, want %v", err, vault.ErrFormat)
		}
		if _, err := v.Open(ctx, owner, table, row, ct[:20]); !errors.Is(err, vault.ErrFormat) {
			t.Fatalf("truncated: got %v, want %v", err, vault.ErrFormat)
		}
		bad = bytes.Clone(ct)
		bad[4] = 9 // version 9 does not exist
		_, err = v.Open(ctx, owner, table, row, bad)
		if err == nil || !strings.Contains(err.Error(), "unknown data key version 9") {
			t.Fatalf("got %v, want unknown data key version 9", err)
		}
	})

	t.Run("ErrNames", func(t *testing.T) {
		if _, err := v.Seal(ctx, "", table, row, plain); err == nil {
			t.Fatal("got nil error for an empty owner")
		}
		if _, err := v.Seal(ctx, owner, "a\x00b", row, plain); err == nil {
			t.Fatal("got nil error for NUL in table")
		}
	})

	t.Run("ErrorHasNoPlaintext", func(t *testing.T) {
		ct, _ := v.Seal(ctx, owner, table, row, plain)
		_, err := v.Open(ctx, owner, table, "other", ct)
		if err == nil || strings.Contains(err.Error(), string(plain)) {
			t.Fatalf("got %v, want an error without the plaintext", err)
		}
	})
}

func TestVault_WrongMasterKey(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	v1 := mustVault(t, store, vault.GenerateMasterKey())
	ct, err := v1.Seal(ctx, "m1", "t", "r", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	v2 := mustVault(t, store, vault.GenerateMasterKey())
	got, err := v2.Open(ctx, "m1", "t", "r", ct)
	if !errors.Is(err, vault.ErrWrongKey) {
		t.Fatalf("Open: got %q, %v, want %v", got, err, vault.ErrWrongKey)
	}
	if !strings.Contains(err.Error(), "wrong master key or corrupted data key") {
		t.Fatalf("got message %q, want it to say wrong master key", err)
	}
	// Sealing must not silently create a second key either.
	if _, err := v2.Seal(ctx, "m1", "t", "r", []byte("x")); !errors.Is(err, vault.ErrWrongKey) {
		t.Fatalf("Seal: got %v, want %v", err, vault.ErrWrongKey)
	}
}

func TestVault_CorruptedDataKey(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	master := vault.GenerateMasterKey()
	// A data key stored for another owner, copied under this one, must not
	// unwrap: the wrapping binds owner and version.
	v := mustVault(t, store, master)
	if _, err := v.Seal(ctx, "a", "t", "r", []byte("x")); err != nil {
		t.Fatal(err)
	}
	var keys []llgate.DataKey
	err := store.View(ctx, func(tx llgate.Tx) (err error) {
		keys, err = tx.DataKeys(ctx, "a")
		return err
	})
	if err != nil || len(keys) != 1 {
		t.Fatalf("got %d keys, %v, want 1, nil", len(keys), err)
	}
	moved := keys[0]
	moved.Owner = "b"
	err = store.Update(ctx, func(tx llgate.Tx) error {
		_, err := tx.InsertDataKey(ctx, moved)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	v2 := mustVault(t, store, master)
	if _, err := v2.Seal(ctx, "b", "t", "r", []byte("x")); !errors.Is(err, vault.ErrWrongKey) {
		t.Fatalf("got %v, want %v", err, vault.ErrWrongKey)
	}
}

func TestVault_PersistsAcrossInstances(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	master := vault.GenerateMasterKey()
	ct, err := mustVault(t, store, master).Seal(ctx, "m", "t", "r", []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := mustVault(t, store, master).Open(ctx, "m", "t", "r", ct)
	if err != nil || string(got) != "hello" {
		t.Fatalf("got %q, %v, want hello, nil", got, err)
	}
}

// Two replicas (two Vaults on one store) race to create the same owner's
// first data key; both must end up with the same key.
func TestVault_CreateRace(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	master := vault.GenerateMasterKey()
	const n = 8
	vaults := make([]*vault.Vault, n)
	for i := range vaults {
		vaults[i] = mustVault(t, store, master)
	}
	cts := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range vaults {
		wg.Go(func() {
			<-start
			cts[i], errs[i] = vaults[i].Seal(ctx, "racer", "t", "r", []byte{byte(i)})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("vault %d: %v", i, err)
		}
	}
	for i := range vaults {
		for j := range cts {
			got, err := vaults[i].Open(ctx, "racer", "t", "r", cts[j])
			if err != nil || !bytes.Equal(got, []byte{byte(j)}) {
				t.Fatalf("vault %d opening %d: got %v, %v, want [%d], nil", i, j, got, err, j)
			}
		}
	}
	var keys []llgate.DataKey
	err := store.View(ctx, func(tx llgate.Tx) (err error) {
		keys, err = tx.DataKeys(ctx, "racer")
		return err
	})
	if err != nil || len(keys) != 1 {
		t.Fatalf("got %d data keys, %v, want 1, nil", len(keys), err)
	}
}

func TestVault_Rotate(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	master := vault.GenerateMasterKey()
	v := mustVault(t, store, master)
	old, err := v.Seal(ctx, "m", "t", "r", []byte("old"))
	if err != nil {
		t.Fatal(err)
	}
	ver, err := v.Rotate(ctx, "m")
	if err != nil || ver != 2 {
		t.Fatalf("Rotate: got %d, %v, want 2, nil", ver, err)
	}
	ct, err := v.Seal(ctx, "m", "t", "r", []byte("new"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := vault.KeyVersion(ct); got != 2 {
		t.Fatalf("got version %d, want 2", got)
	}
	// Another instance that cached only version 1 loads version 2 on demand.
	other := mustVault(t, store, master)
	for _, tc := range []struct {
		ct   []byte
		want string
	}{{old, "old"}, {ct, "new"}} {
		got, err := other.Open(ctx, "m", "t", "r", tc.ct)
		if err != nil || string(got) != tc.want {
			t.Fatalf("got %q, %v, want %q, nil", got, err, tc.want)
		}
	}
}

func TestKeyVersion(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"Nil", nil},
		{"Short", []byte{1, 0, 0, 0, 1}},
		{"Format", append([]byte{2, 0, 0, 0, 1}, make([]byte, 28)...)},
		{"Zero", append([]byte{1, 0, 0, 0, 0}, make([]byte, 28)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := vault.KeyVersion(tc.in); !errors.Is(err, vault.ErrFormat) {
				t.Fatalf("got %v, want %v", err, vault.ErrFormat)
			}
		})
	}
}

func TestVault_Fingerprint(t *testing.T) {
	store := sqlitetest.Open(t)
	master := vault.GenerateMasterKey()
	a := mustVault(t, store, master)
	b := mustVault(t, store, master)
	card := a.Fingerprint("card", "6222021234567800002")
	if got := b.Fingerprint("card", "6222021234567800002"); got != card {
		t.Fatalf("got %s, want %s (same master key)", got, card)
	}
	if len(card) != 64 || strings.Trim(card, "0123456789abcdef") != "" {
		t.Fatalf("got %q, want 64 lower-case hex characters", card)
	}
	if got := a.Fingerprint("id", "6222021234567800002"); got == card {
		t.Fatal("fingerprints of two kinds are equal")
	}
	if got := a.Fingerprint("card", "6222021234567800003"); got == card {
		t.Fatal("fingerprints of two cards are equal")
	}
	c := mustVault(t, store, vault.GenerateMasterKey())
	if got := c.Fingerprint("card", "6222021234567800002"); got == card {
		t.Fatal("fingerprints under two master keys are equal")
	}
}

func TestNew_BadMasterKey(t *testing.T) {
	store := sqlitetest.Open(t)
	if _, err := vault.New(store, make([]byte, 16)); err == nil {
		t.Fatal("got nil error for a 16-byte master key")
	}
}

func BenchmarkSeal(b *testing.B) {
	ctx := context.Background()
	v := mustVault(b, sqlitetest.Open(b), vault.GenerateMasterKey())
	plain := []byte(`{"card_no":"6222021234567800002","id_no":"110105199003071239","acct_name":"张三","bind_mob":"13800138000"}`)
	if _, err := v.Seal(ctx, "m", "agreements", "1", plain); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Seal(ctx, "m", "agreements", "1", plain); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	v := mustVault(b, sqlitetest.Open(b), vault.GenerateMasterKey())
	plain := []byte(`{"card_no":"6222021234567800002","id_no":"110105199003071239","acct_name":"张三","bind_mob":"13800138000"}`)
	ct, err := v.Seal(ctx, "m", "agreements", "1", plain)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Open(ctx, "m", "agreements", "1", ct); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFingerprint(b *testing.B) {
	v := mustVault(b, sqlitetest.Open(b), vault.GenerateMasterKey())
	b.ReportAllocs()
	for b.Loop() {
		v.Fingerprint("card", "6222021234567800002")
	}
}
