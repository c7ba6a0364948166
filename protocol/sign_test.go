package protocol

import (
	"errors"
	"strings"
	"testing"

	llgate "github.com/llgate/llgate"
)

func TestSignVerify(t *testing.T) {
	key := merchantKey(t)
	pub := &key.PublicKey
	const src = "oid_partner=201408071000001539&sign_type=RSA&user_id=张三"
	for _, signType := range []string{llgate.SignRSA, llgate.SignSHA256} {
		t.Run(signType, func(t *testing.T) {
			sig, err := Sign(key, signType, src)
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(sig, "\r\n ") || len(sig) != 344 {
				t.Errorf("signature %q: want 344 base64 characters on one line", sig)
			}
			if err := Verify(pub, signType, src, sig); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			// Java wraps base64 at 76 characters; clients paste with spaces.
			wrapped := sig[:76] + "\r\n" + sig[76:152] + "\n" + sig[152:200] + " " + sig[200:] + "\n"
			if err := Verify(pub, signType, src, wrapped); err != nil {
				t.Fatalf("Verify(wrapped): %v", err)
			}
			other := llgate.SignSHA256
			if signType == other {
				other = llgate.SignRSA
			}
			for name, tc := range map[string]struct{ signType, src, sig string }{
				"OtherSource": {signType, src + "&x=1", sig},
				"OtherHash":   {other, src, sig},
				"BadBase64":   {signType, src, "!!" + sig[2:]},
				"Truncated":   {signType, src, sig[:300]},
				"Empty":       {signType, src, ""},
				"FlippedBit":  {signType, src, flipB64(sig)},
			} {
				err := Verify(pub, tc.signType, tc.src, tc.sig)
				if !errors.Is(err, ErrVerification) {
					t.Errorf("%s: got %v, want ErrVerification", name, err)
				}
			}
			if err := Verify(&thirdKey(t).PublicKey, signType, src, sig); !errors.Is(err, ErrVerification) {
				t.Errorf("other key: got %v, want ErrVerification", err)
			}
		})
	}
	t.Run("ErrSignType", func(t *testing.T) {
		for _, st := range []string{"", "rsa", "MD5", "SHA1withRSA", "RSA "} {
			if _, err := Sign(key, st, src); !errors.Is(err, ErrSignType) {
				t.Errorf("Sign(%q): got %v, want ErrSignType", st, err)
			}
			if err := Verify(pub, st, src, "AAAA"); !errors.Is(err, ErrSignType) {
				t.Errorf("Verify(%q): got %v, want ErrSignType", st, err)
			}
		}
	})
}

// flipB64 changes one bit of the decoded signature.
func flipB64(s string) string {
	b := []byte(s)
	if b[10] == 'A' {
		b[10] = 'B'
	} else {
		b[10] = 'A'
	}
	return string(b)
}

func TestSignMD5(t *testing.T) {
	// md5("a=1&b=2&key=secret"), computed with: printf '%s' 'a=1&b=2&key=secret' | md5sum
	const want = "9f565ccd686cfa5dc3b06b3a89e4e3ad"
	got := SignMD5("a=1&b=2", "secret")
	if len(got) != 32 || strings.ToLower(got) != got {
		t.Fatalf("SignMD5 = %q: want 32 lower-case hex digits", got)
	}
	if got != want {
		t.Errorf("SignMD5 = %q, want %q", got, want)
	}
	if err := VerifyMD5("a=1&b=2", "secret", got); err != nil {
		t.Errorf("VerifyMD5: %v", err)
	}
	if err := VerifyMD5("a=1&b=2", "secret", strings.ToUpper(got)); err != nil {
		t.Errorf("VerifyMD5(upper case): %v", err)
	}
	for name, tc := range map[string][3]string{
		"OtherSource": {"a=1&b=3", "secret", got},
		"OtherKey":    {"a=1&b=2", "Secret", got},
		"Short":       {"a=1&b=2", "secret", got[:31]},
		"Empty":       {"a=1&b=2", "secret", ""},
	} {
		if err := VerifyMD5(tc[0], tc[1], tc[2]); !errors.Is(err, ErrVerification) {
			t.Errorf("%s: got %v, want ErrVerification", name, err)
		}
	}
}
