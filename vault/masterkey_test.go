package vault_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/llgate/llgate/vault"
)

func TestParseMasterKey(t *testing.T) {
	k := vault.GenerateMasterKey()
	if len(k) != 32 {
		t.Fatalf("got %d bytes, want 32", len(k))
	}
	enc := vault.EncodeMasterKey(k)
	if len(enc) != 64 {
		t.Fatalf("got %d characters, want 64", len(enc))
	}
	for _, tc := range []struct{ name, in string }{
		{"Hex", enc},
		{"HexUpper", strings.ToUpper(enc)},
		{"HexSpaces", "  " + enc + "\n"},
		{"Base64", base64.StdEncoding.EncodeToString(k)},
		{"Base64Raw", base64.RawStdEncoding.EncodeToString(k) + "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := vault.ParseMasterKey(tc.in)
			if err != nil || !bytes.Equal(got, k) {
				t.Fatalf("got %x, %v, want %x, nil", got, err, k)
			}
		})
	}
	for _, tc := range []struct{ name, in string }{
		{"Empty", ""},
		{"ShortHex", enc[:62]},
		{"BadHex", "zz" + enc[2:]},
		{"Base64Of16", base64.StdEncoding.EncodeToString(k[:16])},
	} {
		t.Run("Err"+tc.name, func(t *testing.T) {
			_, err := vault.ParseMasterKey(tc.in)
			if err == nil {
				t.Fatal("got nil error")
			}
			if tc.in != "" && strings.Contains(err.Error(), tc.in) {
				t.Fatalf("error %q repeats the key", err)
			}
		})
	}
}

func TestLoadOrCreateMasterKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	k1, created, err := vault.LoadOrCreateMasterKeyFile(path)
	if err != nil || !created || len(k1) != 32 {
		t.Fatalf("got %d bytes, created %v, %v, want 32, true, nil", len(k1), created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Fatalf("got mode %v, want 0600", got)
	}
	k2, created, err := vault.LoadOrCreateMasterKeyFile(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: got created %v, %v, same key %v, want false, nil, true", created, err, bytes.Equal(k1, k2))
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("got %d files in the directory, want 1 (no temporary files left)", len(entries))
	}
}

func TestLoadOrCreateMasterKeyFile_Race(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 16
	keys := make([][]byte, n)
	created := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			keys[i], created[i], errs[i] = vault.LoadOrCreateMasterKeyFile(path)
		})
	}
	close(start)
	wg.Wait()
	creators := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("%d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("%d: got a different key", i)
		}
		if created[i] {
			creators++
		}
	}
	if creators != 1 {
		t.Fatalf("got %d creators, want 1", creators)
	}
}

func TestLoadOrCreateMasterKeyFile_Existing(t *testing.T) {
	dir := t.TempDir()
	k := vault.GenerateMasterKey()
	path := filepath.Join(dir, "b64.key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, created, err := vault.LoadOrCreateMasterKeyFile(path)
	if err != nil || created || !bytes.Equal(got, k) {
		t.Fatalf("got created %v, %v, want false, nil and the file's key", created, err)
	}
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := vault.LoadOrCreateMasterKeyFile(bad); err == nil {
		t.Fatal("got nil error for a malformed key file")
	}
}
