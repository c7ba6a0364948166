package protocol

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Key sizes accepted. The docs name 1024 to 4096; Go refuses smaller keys
// anyway and larger ones make every request an expensive private-key op for
// whoever holds them.
const (
	minKeyBits = 1024
	maxKeyBits = 4096
)

// ParsePublicKey reads an RSA public key in any form merchants hold one: PEM
// "PUBLIC KEY" (SPKI), "RSA PUBLIC KEY" (PKCS#1) or "CERTIFICATE", or the bare
// base64 DER of SPKI or PKCS#1 that the docs tell merchants to upload (header,
// footer and line breaks removed). Whitespace anywhere, CRLF line ends and
// literal "\n" escapes (keys pasted from JSON or env files) are tolerated.
func ParsePublicKey(s string) (*rsa.PublicKey, error) {
	typ, der, err := keyDER(s)
	if err != nil {
		return nil, err
	}
	var key any
	switch typ {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(der)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(der)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(der); err == nil {
			key = cert.PublicKey
		}
	case "":
		if key, err = x509.ParsePKIXPublicKey(der); err != nil {
			key, err = x509.ParsePKCS1PublicKey(der)
		}
	case "PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		return nil, errPrivateForPublic
	default:
		return nil, fmt.Errorf("protocol: PEM block %q is not a public key", typ)
	}
	if err != nil {
		if isPrivateDER(der) {
			return nil, errPrivateForPublic
		}
		return nil, errors.New("protocol: parse public key: not an RSA public key (SPKI, PKCS#1 or a certificate, PEM or base64 DER)")
	}
	pub, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("protocol: public key is %T, not RSA", key)
	}
	return pub, checkSize(pub)
}

// errPrivateForPublic says so when a private key is given where the public
// one belongs (an easy slip with files named alike): llgate must never hold
// a merchant's private key, and an ASN.1 message would not say what is wrong.
var errPrivateForPublic = errors.New("protocol: this is a private key; give the public key here " +
	"(llgate keys gen writes it as merchant_public_spki.pem and .b64) and keep the private key with the merchant")

// isPrivateDER says whether der parses as a PKCS#8 or PKCS#1 private key.
func isPrivateDER(der []byte) bool {
	if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return true
	}
	_, err := x509.ParsePKCS1PrivateKey(der)
	return err == nil
}

// ParsePrivateKey reads an RSA private key: PEM "PRIVATE KEY" (PKCS#8, the
// Java clients' form), "RSA PRIVATE KEY" (PKCS#1, the PHP clients' form), or
// bare base64 DER of either. Encrypted PEM is refused.
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) {
	typ, der, err := keyDER(s)
	if err != nil {
		return nil, err
	}
	var key any
	switch typ {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(der)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(der)
	case "":
		if key, err = x509.ParsePKCS8PrivateKey(der); err != nil {
			key, err = x509.ParsePKCS1PrivateKey(der)
		}
	default:
		return nil, fmt.Errorf("protocol: PEM block %q is not a private key", typ)
	}
	if err != nil {
		return nil, fmt.Errorf("protocol: parse private key: %w", err)
	}
	priv, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("protocol: private key is %T, not RSA", key)
	}
	return priv, checkSize(&priv.PublicKey)
}

func checkSize(pub *rsa.PublicKey) error {
	if n := pub.N.BitLen(); n < minKeyBits || n > maxKeyBits {
		return fmt.Errorf("protocol: RSA key is %d bits; %d to %d are accepted", n, minKeyBits, maxKeyBits)
	}
	return nil
}

// keyDER returns the PEM type ("" for bare base64) and the DER bytes of s.
func keyDER(s string) (string, []byte, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, `\n`) && !strings.Contains(s, "\n") {
		s = strings.ReplaceAll(strings.ReplaceAll(s, `\r`, ""), `\n`, "\n")
	}
	if s == "" {
		return "", nil, errors.New("protocol: empty key")
	}
	if !strings.Contains(s, "-----BEGIN ") {
		der, err := base64.StdEncoding.DecodeString(stripSpace(s))
		if err != nil {
			return "", nil, fmt.Errorf("protocol: key is neither PEM nor base64 DER: %w", err)
		}
		return "", der, nil
	}
	if b, _ := pem.Decode([]byte(s)); b != nil {
		if len(b.Headers) > 0 {
			return "", nil, errors.New("protocol: encrypted PEM keys are not supported")
		}
		return b.Type, b.Bytes, nil
	}
	return loosePEM(s)
}

// loosePEM reads a PEM block that encoding/pem refuses because its line
// breaks were lost, e.g. "-----BEGIN PUBLIC KEY----- MIIB... -----END ...".
func loosePEM(s string) (string, []byte, error) {
	_, rest, _ := strings.Cut(s, "-----BEGIN ")
	typ, rest, ok := strings.Cut(rest, "-----")
	if !ok {
		return "", nil, errors.New("protocol: malformed PEM header")
	}
	body, _, ok := strings.Cut(rest, "-----END "+typ+"-----")
	if !ok {
		return "", nil, errors.New("protocol: PEM END line missing")
	}
	if strings.Contains(body, ":") {
		return "", nil, errors.New("protocol: encrypted PEM keys are not supported")
	}
	der, err := base64.StdEncoding.DecodeString(stripSpace(body))
	if err != nil {
		return "", nil, fmt.Errorf("protocol: PEM body: %w", err)
	}
	return typ, der, nil
}

func stripSpace(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// MarshalPublicKeyPEM encodes pub as an SPKI "PUBLIC KEY" PEM block.
func MarshalPublicKeyPEM(pub *rsa.PublicKey) string {
	return pemString("PUBLIC KEY", spki(pub))
}

// MarshalPublicKeyBase64 encodes pub as bare base64 SPKI on one line, the
// form LianLian's dashboard shows and the Java clients configure.
// MarshalPKCS1PublicKeyPEM writes pub as an "RSA PUBLIC KEY" PEM block
// (PKCS#1), the form some older PHP code loads.
func MarshalPKCS1PublicKeyPEM(pub *rsa.PublicKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(pub)}))
}

func MarshalPublicKeyBase64(pub *rsa.PublicKey) string {
	return base64.StdEncoding.EncodeToString(spki(pub))
}

// MarshalPrivateKeyPEM encodes key as a PKCS#8 "PRIVATE KEY" PEM block.
func MarshalPrivateKeyPEM(key *rsa.PrivateKey) string {
	return pemString("PRIVATE KEY", pkcs8(key))
}

// MarshalPrivateKeyPKCS1PEM encodes key as "RSA PRIVATE KEY", the form the
// classic PHP client's config asks for.
func MarshalPrivateKeyPKCS1PEM(key *rsa.PrivateKey) string {
	return pemString("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
}

// MarshalPrivateKeyBase64 encodes key as bare base64 PKCS#8 DER, the Java
// clients' privateKey string.
func MarshalPrivateKeyBase64(key *rsa.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(pkcs8(key))
}

func spki(pub *rsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic("protocol: marshal RSA public key: " + err.Error()) // cannot happen for *rsa.PublicKey
	}
	return der
}

func pkcs8(key *rsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic("protocol: marshal RSA private key: " + err.Error()) // cannot happen for a valid key
	}
	return der
}

func pemString(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}
