package protocol

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParsePublicKey(t *testing.T) {
	key := merchantKey(t)
	pub := &key.PublicKey
	spkiPEM := MarshalPublicKeyPEM(pub)
	spkiB64 := MarshalPublicKeyBase64(pub)
	pkcs1DER := x509.MarshalPKCS1PublicKey(pub)
	pkcs1PEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1DER}))
	certDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "llgate test"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Unix(1<<32, 0),
	}, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "llgate test"}}, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}))
	body := strings.TrimSuffix(strings.TrimPrefix(spkiPEM, "-----BEGIN PUBLIC KEY-----\n"), "-----END PUBLIC KEY-----\n")

	for name, s := range map[string]string{
		"SPKIPEM":        spkiPEM,
		"SPKIPEMCRLF":    strings.ReplaceAll(spkiPEM, "\n", "\r\n"),
		"SPKIPEMEscaped": strings.ReplaceAll(spkiPEM, "\n", `\n`),
		"SPKIPEMOneLine": "-----BEGIN PUBLIC KEY----- " + strings.ReplaceAll(body, "\n", "") + " -----END PUBLIC KEY-----",
		"SPKIPEMPreface": "llpay_public_key.pem:\n" + spkiPEM,
		"PKCS1PEM":       pkcs1PEM,
		"Certificate":    certPEM,
		"SPKIBase64":     spkiB64,
		"SPKIBase64Wrap": "  " + body + "\n",
		"PKCS1Base64":    base64.StdEncoding.EncodeToString(pkcs1DER),
		"ClientFileB64":  string(readFile(t, filepath.Join(clientsDir, "keys", "merchant_public_spki.b64"))),
		"ClientFilePEM":  string(readFile(t, filepath.Join(clientsDir, "keys", "merchant_public_spki.pem"))),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePublicKey(s)
			if err != nil {
				t.Fatalf("ParsePublicKey: %v", err)
			}
			if !got.Equal(pub) {
				t.Fatal("ParsePublicKey returned another key")
			}
		})
	}

	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	for name, tc := range map[string]struct{ in, want string }{
		"Empty":      {"  \n", "empty"},
		"Garbage":    {"not a key", "neither PEM nor base64"},
		"BadDER":     {"AAAA", "parse public key"},
		"EC":         {base64.StdEncoding.EncodeToString(ecDER), "not RSA"},
		"PrivatePEM": {MarshalPrivateKeyPEM(key), "this is a private key"},
		"NoEnd":      {"-----BEGIN PUBLIC KEY-----" + body, "END line"},
		"Small":      {MarshalPublicKeyBase64(fakeKey(512)), "512 bits"},
		"Large":      {MarshalPublicKeyPEM(fakeKey(8192)), "8192 bits"},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			_, err := ParsePublicKey(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// fakeKey is a public key of any size; generating real small or huge keys is
// refused or slow.
func fakeKey(bits int) *rsa.PublicKey {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	n.Or(n, big.NewInt(0xfffff1))
	return &rsa.PublicKey{N: n, E: 65537}
}

func TestParsePrivateKey(t *testing.T) {
	key := merchantKey(t)
	for name, s := range map[string]string{
		"PKCS8PEM":       MarshalPrivateKeyPEM(key),
		"PKCS1PEM":       MarshalPrivateKeyPKCS1PEM(key),
		"PKCS8Base64":    MarshalPrivateKeyBase64(key),
		"PKCS1Base64":    base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PrivateKey(key)),
		"PKCS8PEMCRLF":   strings.ReplaceAll(MarshalPrivateKeyPEM(key), "\n", "\r\n"),
		"ClientPKCS8B64": string(readFile(t, filepath.Join(clientsDir, "keys", "merchant_private_pkcs8.b64"))),
		"ClientPKCS1PEM": string(readFile(t, filepath.Join(clientsDir, "keys", "merchant_private_pkcs1.pem"))),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePrivateKey(s)
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			if !got.Equal(key) {
				t.Fatal("ParsePrivateKey returned another key")
			}
		})
	}
	encrypted := "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"
	for name, tc := range map[string]struct{ in, want string }{
		"Empty":     {"", "empty"},
		"PublicPEM": {MarshalPublicKeyPEM(&key.PublicKey), "not a private key"},
		"PublicB64": {MarshalPublicKeyBase64(&key.PublicKey), "parse private key"},
		"Encrypted": {encrypted, "encrypted"},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			_, err := ParsePrivateKey(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestMarshalKeys(t *testing.T) {
	key := merchantKey(t)
	if got, want := MarshalPublicKeyPEM(&key.PublicKey), string(readFile(t, filepath.Join(clientsDir, "keys", "merchant_public_spki.pem"))); got != want {
		t.Errorf("MarshalPublicKeyPEM:\ngot  %q\nwant %q", got, want)
	}
	if got, want := MarshalPublicKeyBase64(&key.PublicKey), strings.TrimSpace(string(readFile(t, filepath.Join(clientsDir, "keys", "merchant_public_spki.b64")))); got != want {
		t.Errorf("MarshalPublicKeyBase64:\ngot  %q\nwant %q", got, want)
	}
	if got, want := MarshalPrivateKeyPKCS1PEM(key), string(readFile(t, filepath.Join(clientsDir, "keys", "merchant_private_pkcs1.pem"))); got != want {
		t.Errorf("MarshalPrivateKeyPKCS1PEM:\ngot  %q\nwant %q", got, want)
	}
	pemText := MarshalPrivateKeyPEM(key)
	if !strings.HasPrefix(pemText, "-----BEGIN PRIVATE KEY-----\n") {
		t.Errorf("MarshalPrivateKeyPEM starts %q", pemText[:30])
	}
	for _, line := range strings.Split(strings.TrimSpace(pemText), "\n") {
		if len(line) > 64 {
			t.Errorf("PEM line of %d characters", len(line))
		}
	}
	if b64 := MarshalPrivateKeyBase64(key); strings.ContainsAny(b64, "\r\n -") {
		t.Errorf("MarshalPrivateKeyBase64 is not bare base64: %q", b64[:40])
	}
}

// TestParsePublicKeyGivenAPrivateKey: a private key pasted where the public
// key belongs gets a sentence that says so, in every form.
func TestParsePublicKeyGivenAPrivateKey(t *testing.T) {
	for _, name := range []string{"merchant_private_pkcs8.pem", "merchant_private_pkcs1.pem", "merchant_private_pkcs8.b64"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "clients", "keys", name))
		if err != nil {
			t.Skipf("%s: %v", name, err)
		}
		_, err = ParsePublicKey(string(b))
		if err == nil || !strings.Contains(err.Error(), "this is a private key") {
			t.Errorf("%s: got %v, want the private-key sentence", name, err)
		}
	}
}
