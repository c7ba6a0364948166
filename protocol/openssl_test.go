package protocol

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	llgate "github.com/llgate/llgate"
)

// The vectors in testdata/openssl were made by scripts/mkvectors.sh with the
// openssl command line alone; our code must agree with it in both directions.

const opensslDir = "testdata/openssl"

func TestOpenSSLVectors(t *testing.T) {
	checkOpenSSLVectors(t, opensslDir)
}

// TestOpenSSLVectorsFresh re-runs the generator, so a change in openssl's
// defaults or in the script cannot hide behind committed files. It needs
// openssl and runs in CI or with LLGATE_MKVECTORS=1 (key generation is slow).
func TestOpenSSLVectorsFresh(t *testing.T) {
	if os.Getenv("CI") == "" && os.Getenv("LLGATE_MKVECTORS") != "1" {
		t.Skip("set LLGATE_MKVECTORS=1 (or CI) to regenerate the openssl vectors")
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not on PATH")
	}
	dir := t.TempDir()
	out, err := exec.Command("bash", "../scripts/mkvectors.sh", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mkvectors.sh: %v\n%s", err, out)
	}
	checkOpenSSLVectors(t, dir)
}

func checkOpenSSLVectors(t *testing.T, dir string) {
	read := func(name string) string { return string(readFile(t, filepath.Join(dir, name))) }
	priv, err := ParsePrivateKey(read("private_pkcs8.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(read("public_spki.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(&priv.PublicKey) {
		t.Fatal("public_spki.pem is not the public half of private_pkcs8.pem")
	}
	msg := read("message.txt")
	for _, tc := range []struct{ signType, file string }{
		{llgate.SignRSA, "sign_md5withrsa.b64"},
		{llgate.SignSHA256, "sign_sha256withrsa.b64"},
	} {
		t.Run("Verify/"+tc.signType, func(t *testing.T) {
			sig := strings.TrimSpace(read(tc.file))
			if err := Verify(pub, tc.signType, msg, sig); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			// PKCS#1 v1.5 is deterministic: our signature is openssl's.
			if got, err := Sign(priv, tc.signType, msg); err != nil || got != sig {
				t.Fatalf("Sign = %q, %v; want openssl's %q", got, err, sig)
			}
		})
	}
	plain := readFile(t, filepath.Join(dir, "envelope_plain.json"))
	for _, name := range []string{"envelope.txt", "envelope_crlf.txt"} {
		t.Run("Open/"+name, func(t *testing.T) {
			got, err := OpenEnvelope(priv, read(name), true)
			if err != nil {
				t.Fatalf("OpenEnvelope: %v", err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatalf("OpenEnvelope:\ngot  %q\nwant %q", got, plain)
			}
		})
	}
	// The plaintext is a multiple of 57 bytes so that, as with Java vector
	// 11, the wrapped ciphertext part ends with a break inside the HMAC input.
	if parts := strings.Split(read("envelope_crlf.txt"), "$"); len(parts) != 6 || !strings.HasSuffix(parts[4], "\r\n") {
		t.Errorf("envelope_crlf.txt: ciphertext part does not end with CRLF")
	}
}

// TestOpenSSLVerifiesOurSignatures hands our signatures to openssl dgst.
func TestOpenSSLVerifiesOurSignatures(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not on PATH")
	}
	key := merchantKey(t)
	dir := t.TempDir()
	pubFile := filepath.Join(dir, "pub.pem")
	msgFile := filepath.Join(dir, "msg.txt")
	msg := "acct_name=张三&money_order=12.34&risk_item={\"a\":\"&b=c\"}&sign_type=RSA"
	writeFile(t, pubFile, MarshalPublicKeyPEM(&key.PublicKey))
	writeFile(t, msgFile, msg)
	for _, tc := range []struct{ signType, md string }{
		{llgate.SignRSA, "-md5"},
		{llgate.SignSHA256, "-sha256"},
	} {
		t.Run(tc.signType, func(t *testing.T) {
			sig, err := Sign(key, tc.signType, msg)
			if err != nil {
				t.Fatal(err)
			}
			sigFile := filepath.Join(dir, "sig"+tc.md)
			writeFile(t, sigFile, string(mustB64(t, sig)))
			out, err := exec.Command("openssl", "dgst", tc.md, "-verify", pubFile, "-signature", sigFile, msgFile).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Verified OK") {
				t.Fatalf("openssl dgst %s -verify: %v\n%s", tc.md, err, out)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
