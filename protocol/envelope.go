package protocol

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// EnvelopeVersion is the first part of every pay_load.
const EnvelopeVersion = "lianpay1_0_1"

// ErrEnvelope is what every pay_load failure wraps. Callers answer all of
// them with one code and one message, so the envelope is no padding or MAC
// oracle; the wrapped detail (which step failed) is for operator logs only.
var ErrEnvelope = errors.New("protocol: pay_load cannot be opened")

func envelopeError(step string, err error) error {
	if err == nil {
		return fmt.Errorf("%w: %s", ErrEnvelope, step)
	}
	return fmt.Errorf("%w: %s: %w", ErrEnvelope, step, err)
}

// OpenEnvelope opens a pay_load with the platform private key and returns the
// inner JSON:
//
//	lianpay1_0_1 $ B64(OAEP(hmacKey)) $ B64(OAEP(aesKey)) $ B64(nonce) $ B64(AES-CTR(json)) $ B64(HMAC-SHA256(hmacKey, part3 "$" part4))
//
// OAEP is SHA-1 with MGF1-SHA-1; the AES key is an ASCII string whose length
// (16, 24, 32) picks AES-128/192/256; the CTR IV is the 8-byte nonce followed
// by the big-endian counter 1. Java clients wrap the base64 with "\n" or
// "\r\n"; the breaks are stripped before decoding but the HMAC is computed
// over the nonce and ciphertext parts exactly as sent, breaks included,
// because that is what the clients MAC (COMPAT.md).
//
// checkHMAC=false skips the HMAC and saves one RSA private-key operation: the
// sender picks the HMAC key itself, so a valid HMAC proves nothing about who
// sent the request; the inner signature is the real check.
func OpenEnvelope(priv *rsa.PrivateKey, payload string, checkHMAC bool) ([]byte, error) {
	if priv == nil {
		return nil, envelopeError("no platform private key", nil)
	}
	parts := strings.Split(payload, "$")
	if len(parts) != 6 {
		return nil, envelopeError(fmt.Sprintf("%d parts, want 6", len(parts)), nil)
	}
	// The version is not base64, so no client wraps it: compared exactly,
	// "lianpay1_0_1 " is as unknown as any other version.
	if parts[0] != EnvelopeVersion {
		return nil, envelopeError("unknown version", nil)
	}
	var raw [6][]byte
	for i := 1; i < 6; i++ {
		b, err := base64.StdEncoding.DecodeString(stripBreaks(parts[i]))
		if err != nil {
			return nil, envelopeError(fmt.Sprintf("part %d base64", i), err)
		}
		raw[i] = b
	}
	nonce, ciphertext := raw[3], raw[4]
	if len(nonce) != 8 {
		return nil, envelopeError(fmt.Sprintf("nonce is %d bytes, want 8", len(nonce)), nil)
	}
	if len(ciphertext) == 0 {
		return nil, envelopeError("empty ciphertext", nil)
	}
	if checkHMAC {
		hmacKey, err := unwrapKey(priv, raw[1])
		if err != nil {
			return nil, envelopeError("HMAC key", err)
		}
		if !hmac.Equal(envelopeMAC(hmacKey, parts[3], parts[4]), raw[5]) {
			return nil, envelopeError("HMAC mismatch", nil)
		}
	}
	aesKey, err := unwrapKey(priv, raw[2])
	if err != nil {
		return nil, envelopeError("AES key", err)
	}
	plain, err := ctrXOR(aesKey, nonce, ciphertext)
	if err != nil {
		return nil, envelopeError("AES", err)
	}
	return plain, nil
}

// SealOptions fixes what SealEnvelope otherwise draws at random, and how the
// base64 parts are wrapped.
type SealOptions struct {
	HMACKey, AESKey string // ASCII; empty = 32 random characters of [0-9A-Z]
	Nonce           string // 8 ASCII characters; empty = random
	LineBreak       string // "", "\n" or "\r\n": wrap like Java's encoder
}

// SealEnvelope builds a pay_load for pub the way the clients do. The SDK and
// tests use it; the HMAC covers the parts as written, breaks included.
func SealEnvelope(pub *rsa.PublicKey, plaintext []byte, opts SealOptions) (string, error) {
	if pub == nil {
		return "", errors.New("protocol: seal: no public key")
	}
	if len(plaintext) == 0 {
		return "", errors.New("protocol: seal: empty plaintext")
	}
	if lb := opts.LineBreak; lb != "" && lb != "\n" && lb != "\r\n" {
		return "", fmt.Errorf("protocol: seal: line break %q, want \"\", \"\\n\" or \"\\r\\n\"", lb)
	}
	hmacKey, aesKey, nonce := opts.HMACKey, opts.AESKey, opts.Nonce
	if hmacKey == "" {
		hmacKey = randomAlnum(32)
	}
	if aesKey == "" {
		aesKey = randomAlnum(32)
	}
	if nonce == "" {
		nonce = randomAlnum(8)
	}
	if len(nonce) != 8 {
		return "", fmt.Errorf("protocol: seal: nonce is %d bytes, want 8", len(nonce))
	}
	ciphertext, err := ctrXOR([]byte(aesKey), []byte(nonce), plaintext)
	if err != nil {
		return "", fmt.Errorf("protocol: seal: %w", err)
	}
	wrappedHMAC, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, []byte(hmacKey), nil)
	if err != nil {
		return "", fmt.Errorf("protocol: seal: HMAC key: %w", err)
	}
	wrappedAES, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, []byte(aesKey), nil)
	if err != nil {
		return "", fmt.Errorf("protocol: seal: AES key: %w", err)
	}
	lb := opts.LineBreak
	p3 := javaBase64([]byte(nonce), lb)
	p4 := javaBase64(ciphertext, lb)
	mac := envelopeMAC([]byte(hmacKey), p3, p4)
	return strings.Join([]string{
		EnvelopeVersion,
		javaBase64(wrappedHMAC, lb),
		javaBase64(wrappedAES, lb),
		p3, p4,
		javaBase64(mac, lb),
	}, "$"), nil
}

func unwrapKey(priv *rsa.PrivateKey, wrapped []byte) ([]byte, error) {
	return rsa.DecryptOAEP(sha1.New(), nil, priv, wrapped, nil)
}

func envelopeMAC(key []byte, nonceB64, ciphertextB64 string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(nonceB64))
	m.Write([]byte("$"))
	m.Write([]byte(ciphertextB64))
	return m.Sum(nil)
}

// ctrXOR encrypts or decrypts with AES-CTR, IV = nonce || 00000000 00000001.
func ctrXOR(key, nonce, in []byte) ([]byte, error) {
	switch len(key) {
	case 16, 24, 32:
	default:
		return nil, fmt.Errorf("AES key is %d bytes, want 16, 24 or 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	iv := make([]byte, aes.BlockSize)
	copy(iv, nonce)
	iv[aes.BlockSize-1] = 1
	out := make([]byte, len(in))
	cipher.NewCTR(block, iv).XORKeyStream(out, in)
	return out, nil
}

// javaBase64 encodes like JDK 8's sun.misc.BASE64Encoder with the given
// line.separator: 57-byte lines (76 characters), each full line followed by
// the break, the last one too, a final partial line not. lb "" gives one line.
func javaBase64(b []byte, lb string) string {
	if lb == "" {
		return base64.StdEncoding.EncodeToString(b)
	}
	var sb strings.Builder
	for len(b) >= 57 {
		sb.WriteString(base64.StdEncoding.EncodeToString(b[:57]))
		sb.WriteString(lb)
		b = b[57:]
	}
	if len(b) > 0 {
		sb.WriteString(base64.StdEncoding.EncodeToString(b))
	}
	return sb.String()
}

// randomAlnum returns n characters of [0-9A-Z] from crypto/rand, the alphabet
// the Java and PHP clients use for envelope keys.
func randomAlnum(n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		rand.Read(buf) // never fails (Go 1.24+ crashes the program instead)
		for _, c := range buf {
			// Rejection keeps every character equally likely: 252 = 7*36.
			if c < 252 && len(out) < n {
				out = append(out, alphabet[c%36])
			}
		}
	}
	return string(out)
}
