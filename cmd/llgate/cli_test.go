package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
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
	if err := run(context.Background(), args, env, &out, &out); err == nil || !strings.Contains(err.Error(), "--create") {
		t.Fatalf("add to a database that does not exist: %v, want a refusal naming --create", err)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused add created %s", db)
	}
	if err := run(context.Background(), append(args, "--create"), env, &out, &out); err != nil {
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

// TestHelpAndMisuse: every command answers --help with its own flags only
// and succeeds (exit 0); misuse is errUsage (exit 2).
func TestHelpAndMisuse(t *testing.T) {
	env := func(string) string { return "" }
	for _, tc := range []struct {
		args   []string
		has    string
		hasNot string
	}{
		{[]string{"serve", "--help"}, "-admin-addr", ""},
		{[]string{"merchant", "add", "--help"}, "-public-key-file", "-tls-cert"},
		{[]string{"merchant", "list", "--help"}, "-db", "-admin-addr"},
		{[]string{"report", "--help"}, "-merchant", "-sms-url"},
		{[]string{"keys", "rotate", "--help"}, "-batch", "-trusted-proxies"},
		{[]string{"keys", "gen", "--help"}, "-bits", "-db"},
		{[]string{"call", "--help"}, "pay-apply", ""},
		{[]string{"call", "refund", "--help"}, "no_refund", "-tls-cert"},
		{[]string{"bench", "--help"}, "-paths", ""},
		{[]string{"notify", "listen", "--help"}, "-addr", "-db"},
		{[]string{"version"}, "llgate", ""},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), tc.args, env, &out, &out); err != nil {
			t.Errorf("%v: %v, want success", tc.args, err)
		}
		if !strings.Contains(out.String(), tc.has) || tc.hasNot != "" && strings.Contains(out.String(), tc.hasNot) {
			t.Errorf("%v: output should show %q and not %q:\n%s", tc.args, tc.has, tc.hasNot, out.String())
		}
	}
	for _, args := range [][]string{{"serve", "--bogus"}, {"merchant"}, {"merchant", "add", "--bogus"}, {"keys"},
		{"report", "--bogus"}, {"call"}, {"bench", "--bogus"}, {"notify"}, {"no-such-command"}} {
		if err := run(context.Background(), args, env, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error (exit 2)", args, err)
		}
	}
}

// TestBinaryDoesNotLinkTesting: the server binary carries no test code
// (the stores' test openers live in sqlitetest and pgtest).
func TestBinaryDoesNotLinkTesting(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "testing" || strings.HasSuffix(dep, "/storetest") || strings.HasSuffix(dep, "test") && strings.Contains(dep, "llgate") {
			t.Errorf("llgate links %s", dep)
		}
	}
}
