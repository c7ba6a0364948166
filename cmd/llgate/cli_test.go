package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llgate/llgate/protocol"
)

func TestKeysGen(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keys", "gen", "--out", dir}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	priv := map[string]bool{"merchant_private_pkcs8.pem": true, "merchant_private_pkcs1.pem": true, "merchant_private_pkcs8.b64": true}
	var n string
	for _, f := range []string{"merchant_private_pkcs8.pem", "merchant_private_pkcs1.pem", "merchant_private_pkcs8.b64", "merchant_public_spki.pem", "merchant_public_spki.b64"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if priv[f] {
			k, err := protocol.ParsePrivateKey(string(b))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			got = k.N.String()
			st, _ := os.Stat(filepath.Join(dir, f))
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, want 0600", f, st.Mode().Perm())
			}
		} else {
			k, err := protocol.ParsePublicKey(string(b))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			got = k.N.String()
		}
		if n == "" {
			n = got
		} else if got != n {
			t.Errorf("%s holds another key", f)
		}
	}
	if err := run(context.Background(), []string{"keys", "gen", "--out", dir}, func(string) string { return "" }, &out, &out); err == nil {
		t.Error("keys gen overwrote existing keys")
	}
}

func TestMerchantAddList(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "llgate.db")
	env := func(string) string { return "" }
	var out bytes.Buffer
	args := []string{"merchant", "add", "--db", db, "--oid", "201408071000001539", "--name", "shop",
		"--public-key-file", "../../testdata/clients/keys/merchant_public_spki.b64", "--sms-code", "123456"}
	if err := run(context.Background(), args, env, &out, &out); err != nil {
		t.Fatalf("add: %v: %s", err, out.String())
	}
	if err := run(context.Background(), args, env, &out, &out); err == nil {
		t.Error("adding the same merchant twice succeeded")
	}
	out.Reset()
	if err := run(context.Background(), []string{"merchant", "list", "--db", db}, env, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "201408071000001539") || !strings.Contains(out.String(), "shop") {
		t.Errorf("list: %s", out.String())
	}
}
