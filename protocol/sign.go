package protocol

import (
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"

	llgate "github.com/llgate/llgate"
)

// ErrVerification is the one error a bad signature gives, whatever the cause
// (bad base64, wrong length, wrong key, tampered source), so callers cannot
// tell a forger which part was wrong.
var ErrVerification = errors.New("protocol: signature verification failed")

// ErrSignType is returned for a sign_type this function cannot handle.
var ErrSignType = errors.New("protocol: unknown sign_type")

// hashFor maps a sign_type to its digest. "RSA" is MD5withRSA: that is what
// every LianLian client means by it, weak as MD5 is.
func hashFor(signType string) (crypto.Hash, error) {
	switch signType {
	case llgate.SignRSA:
		return crypto.MD5, nil
	case llgate.SignSHA256:
		return crypto.SHA256, nil
	}
	return 0, ErrSignType
}

func digest(h crypto.Hash, source string) []byte {
	if h == crypto.MD5 {
		d := md5.Sum([]byte(source))
		return d[:]
	}
	d := sha256.Sum256([]byte(source))
	return d[:]
}

// Sign signs the UTF-8 bytes of source with RSA PKCS#1 v1.5 and returns
// standard base64 without line breaks. signType is llgate.SignRSA or
// llgate.SignSHA256.
func Sign(key *rsa.PrivateKey, signType, source string) (string, error) {
	h, err := hashFor(signType)
	if err != nil {
		return "", err
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, digest(h, source))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks an RSA signature over source. Line breaks and spaces inside
// sig are ignored, because Java's base64 encoders wrap and some clients copy
// signatures through text fields. It returns ErrSignType or ErrVerification.
func Verify(pub *rsa.PublicKey, signType, source, sig string) error {
	h, err := hashFor(signType)
	if err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(stripBreaks(sig))
	if err != nil {
		return ErrVerification
	}
	if rsa.VerifyPKCS1v15(pub, h, digest(h, source), raw) != nil {
		return ErrVerification
	}
	return nil
}

// SignMD5 is the legacy keyed hash: lower-case hex of md5(source+"&key="+key).
// It is not a signature (whoever verifies can forge) and exists only for
// merchants configured for it.
func SignMD5(source, key string) string {
	d := md5.Sum([]byte(source + "&key=" + key))
	return hex.EncodeToString(d[:])
}

// VerifyMD5 checks a keyed-hash sign in constant time; hex case is ignored.
func VerifyMD5(source, key, sig string) error {
	want := SignMD5(source, key)
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(sig))) != 1 {
		return ErrVerification
	}
	return nil
}

// stripBreaks removes CR, LF and spaces, the only noise real clients put
// inside base64.
func stripBreaks(s string) string {
	if !strings.ContainsAny(s, "\r\n ") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' {
			return -1
		}
		return r
	}, s)
}
