package protocol

import (
	"crypto/rsa"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
)

// clientsDir holds the captured client requests (testdata/clients/README.md).
const clientsDir = "../testdata/clients"

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func clientPrivateKey(tb testing.TB, name string) *rsa.PrivateKey {
	tb.Helper()
	key, err := ParsePrivateKey(string(readFile(tb, filepath.Join(clientsDir, "keys", name))))
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

func clientPublicKey(tb testing.TB, name string) *rsa.PublicKey {
	tb.Helper()
	pub, err := ParsePublicKey(string(readFile(tb, filepath.Join(clientsDir, "keys", name))))
	if err != nil {
		tb.Fatal(err)
	}
	return pub
}

// platformKey and merchantKey are the published test keys of the client
// vectors; reusing them avoids generating RSA keys in every test.
func platformKey(tb testing.TB) *rsa.PrivateKey {
	return clientPrivateKey(tb, "platform_private_pkcs8.pem")
}

func merchantKey(tb testing.TB) *rsa.PrivateKey {
	return clientPrivateKey(tb, "merchant_private_pkcs8.pem")
}

// thirdKey is a key neither side of the client vectors holds: the openssl
// vectors' key.
func thirdKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	k, err := ParsePrivateKey(string(readFile(tb, "testdata/openssl/private_pkcs8.pem")))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func mustB64(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := base64.StdEncoding.DecodeString(stripBreaks(s))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
