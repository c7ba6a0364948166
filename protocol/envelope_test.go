package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

const (
	testHMACKey = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
	testAESKey  = "ZYXWVUTSRQPONMLKJIHGFEDCBA987654"
)

func TestSealOpen(t *testing.T) {
	key := platformKey(t)
	plain := []byte(`{"acct_name":"张三","oid_partner":"201408071000001539"}`)
	for _, tc := range []struct {
		name string
		opts SealOptions
	}{
		{"Random", SealOptions{}},
		{"LF", SealOptions{LineBreak: "\n"}},
		{"CRLF", SealOptions{LineBreak: "\r\n"}},
		{"AES128", SealOptions{AESKey: testAESKey[:16]}},
		{"AES192", SealOptions{AESKey: testAESKey[:24]}},
		{"LowerHexKeys", SealOptions{HMACKey: "0123456789abcdef0123456789abcdef", AESKey: "fedcba9876543210fedcba9876543210"}},
		{"Fixed", SealOptions{HMACKey: testHMACKey, AESKey: testAESKey, Nonce: "ABCD1234"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload, err := SealEnvelope(&key.PublicKey, plain, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, check := range []bool{true, false} {
				got, err := OpenEnvelope(key, payload, check)
				if err != nil {
					t.Fatalf("OpenEnvelope(checkHMAC=%v): %v", check, err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("OpenEnvelope(checkHMAC=%v) = %q, want %q", check, got, plain)
				}
			}
			if tc.opts.LineBreak == "" && strings.ContainsAny(payload, "\r\n") {
				t.Error("unwrapped payload contains line breaks")
			}
			if tc.opts.LineBreak != "" && !strings.Contains(payload, tc.opts.LineBreak) {
				t.Errorf("payload has no %q", tc.opts.LineBreak)
			}
		})
	}
}

// TestSealLikeJava seals the plaintext of each Java and PHP client vector
// with the keys and nonce that client drew: the nonce, ciphertext and HMAC
// parts must then be the client's bytes exactly (the RSA parts are
// randomised by OAEP), trailing break of vector 11 included.
func TestSealLikeJava(t *testing.T) {
	key := platformKey(t)
	for _, v := range clientVectors(t) {
		if !v.Envelope {
			continue
		}
		t.Run(v.ID, func(t *testing.T) {
			o, err := Decode(readFile(t, filepath.Join(clientsDir, v.Files.Body)))
			if err != nil {
				t.Fatal(err)
			}
			sent := strings.Split(o.Get("pay_load"), "$")
			hmacKey, err := unwrapKey(key, mustB64(t, sent[1]))
			if err != nil {
				t.Fatal(err)
			}
			aesKey, err := unwrapKey(key, mustB64(t, sent[2]))
			if err != nil {
				t.Fatal(err)
			}
			lb := map[string]string{"LF": "\n", "CRLF": "\r\n", "none": ""}[v.Details.LineBreak]
			payload, err := SealEnvelope(&key.PublicKey, readFile(t, filepath.Join(clientsDir, v.Files.Plain)), SealOptions{
				HMACKey: string(hmacKey), AESKey: string(aesKey), Nonce: string(mustB64(t, sent[3])), LineBreak: lb,
			})
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(payload, "$")
			for _, i := range []int{0, 3, 4, 5} {
				if got[i] != sent[i] {
					t.Errorf("part %d:\ngot  %q\nwant %q", i, got[i], sent[i])
				}
			}
			for _, i := range []int{1, 2} {
				if len(got[i]) != len(sent[i]) {
					t.Errorf("part %d is %d bytes, the client's %d", i, len(got[i]), len(sent[i]))
				}
			}
		})
	}
}

func TestOpenEnvelopeErrors(t *testing.T) {
	key := platformKey(t)
	plain := []byte(`{"oid_partner":"201408071000001539"}`)
	good, err := SealEnvelope(&key.PublicKey, plain, SealOptions{HMACKey: testHMACKey, AESKey: testAESKey, LineBreak: "\r\n"})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	with := func(i int, s string) string {
		p := append([]string(nil), parts...)
		p[i] = s
		return strings.Join(p, "$")
	}
	sealWith := func(opts SealOptions) string {
		s, err := SealEnvelope(&key.PublicKey, plain, opts)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// An AES key of a bad length must fail at open, so build one by hand.
	badAES := strings.Split(sealWith(SealOptions{HMACKey: testHMACKey, AESKey: testAESKey}), "$")
	wrapped20, err := SealEnvelope(&key.PublicKey, plain, SealOptions{AESKey: testAESKey[:16], HMACKey: testAESKey[:20]})
	if err != nil {
		t.Fatal(err)
	}
	badAES[2] = strings.Split(wrapped20, "$")[1] // the 20-byte HMAC key, wrapped, as the AES key
	flipped := []byte(mustB64(t, parts[4]))
	flipped[0] ^= 1
	flippedMAC := []byte(mustB64(t, parts[5]))
	flippedMAC[31] ^= 0x80

	type openCase struct {
		payload string
		check   bool
		step    string // the operator detail that names the failed step
	}
	cases := map[string]openCase{
		"Empty":            {"", true, "1 parts"},
		"WrongVersion":     {with(0, "lianpay1_0_2"), true, "version"},
		"FiveParts":        {strings.Join(parts[:5], "$"), true, "5 parts"},
		"SevenParts":       {good + "$", true, "7 parts"},
		"SwappedKeys":      {strings.Join([]string{parts[0], parts[2], parts[1], parts[3], parts[4], parts[5]}, "$"), true, "HMAC mismatch"},
		"FlippedCipher":    {with(4, javaBase64(flipped, "\r\n")), true, "HMAC mismatch"},
		"FlippedHMAC":      {with(5, javaBase64(flippedMAC, "")), true, "HMAC mismatch"},
		"ShortHMAC":        {with(5, "AAAA"), true, "HMAC mismatch"},
		"BreakAddedToPart": {with(4, parts[4]+"\n"), true, "HMAC mismatch"},
		"WrongKeyHMAC":     {good, true, "HMAC key"},
		"WrongKeyNoHMAC":   {good, false, "AES key"},
		"BadAESKeyLength":  {strings.Join(badAES, "$"), false, "AES key is 20 bytes"},
		"Nonce7":           {with(3, "QUJDREVGRw=="), false, "nonce is 7 bytes"},
		"EmptyCiphertext":  {with(4, ""), false, "empty ciphertext"},
	}
	for i := 1; i <= 5; i++ {
		name := fmt.Sprintf("BadBase64Part%d", i)
		cases[name] = openCase{with(i, parts[i][:10]+"*"+parts[i][11:]), false, fmt.Sprintf("part %d base64", i)}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			k := key
			if strings.HasPrefix(name, "WrongKey") {
				k = thirdKey(t)
			}
			got, err := OpenEnvelope(k, tc.payload, tc.check)
			if !errors.Is(err, ErrEnvelope) {
				t.Fatalf("OpenEnvelope = %q, %v; want ErrEnvelope", got, err)
			}
			if !strings.Contains(err.Error(), tc.step) {
				t.Errorf("error %q does not name the step %q", err, tc.step)
			}
			if got != nil {
				t.Errorf("OpenEnvelope returned %q with an error", got)
			}
		})
	}
	t.Run("NilKey", func(t *testing.T) {
		if _, err := OpenEnvelope(nil, good, true); !errors.Is(err, ErrEnvelope) {
			t.Fatalf("got %v, want ErrEnvelope", err)
		}
	})
}

func TestSealEnvelopeErrors(t *testing.T) {
	pub := &platformKey(t).PublicKey
	for name, tc := range map[string]struct {
		plain []byte
		opts  SealOptions
	}{
		"EmptyPlaintext": {nil, SealOptions{}},
		"LineBreak":      {[]byte("{}"), SealOptions{LineBreak: "\r"}},
		"Nonce":          {[]byte("{}"), SealOptions{Nonce: "123456789"}},
		"AESKey":         {[]byte("{}"), SealOptions{AESKey: "short"}},
		"HMACKeyTooLong": {[]byte("{}"), SealOptions{HMACKey: strings.Repeat("A", 300)}},
	} {
		t.Run(name, func(t *testing.T) {
			if s, err := SealEnvelope(pub, tc.plain, tc.opts); err == nil {
				t.Fatalf("SealEnvelope = %q, want an error", s)
			}
		})
	}
	if _, err := SealEnvelope(nil, []byte("{}"), SealOptions{}); err == nil {
		t.Error("SealEnvelope(nil key) succeeded")
	}
}

func TestJavaBase64(t *testing.T) {
	for _, tc := range []struct {
		n     int
		lines int
		tail  bool
	}{{1, 1, false}, {56, 1, false}, {57, 1, true}, {58, 2, false}, {114, 2, true}, {256, 5, false}} {
		s := javaBase64(bytes.Repeat([]byte{0xfb}, tc.n), "\r\n")
		if got := strings.Count(s, "\r\n"); got != tc.lines-1+b2i(tc.tail) {
			t.Errorf("%d bytes: %d breaks, want %d", tc.n, got, tc.lines-1+b2i(tc.tail))
		}
		if got := strings.HasSuffix(s, "\r\n"); got != tc.tail {
			t.Errorf("%d bytes: ends with a break %v, want %v", tc.n, got, tc.tail)
		}
		for _, line := range strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n") {
			if len(line) > 76 {
				t.Errorf("%d bytes: line of %d characters", tc.n, len(line))
			}
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestRandomAlnum(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := randomAlnum(32)
		if len(s) != 32 || strings.Trim(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			t.Fatalf("randomAlnum(32) = %q", s)
		}
		if seen[s] {
			t.Fatalf("randomAlnum repeated %q", s)
		}
		seen[s] = true
	}
}
