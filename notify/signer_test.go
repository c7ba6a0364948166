package notify

import (
	"strings"
	"testing"

	"github.com/llgate/llgate/protocol"
)

func TestSigner(t *testing.T) {
	key := testPlatformKey(t)
	s := Signer{Key: key}
	tests := []struct {
		signType string
		want     string
	}{
		{"", "RSA"},
		{"RSA", "RSA"},
		{"SHA256withRSA", "SHA256withRSA"},
		{"MD5", "RSA"},
		{"sha256withrsa", "RSA"},
	}
	for _, tt := range tests {
		t.Run(tt.signType, func(t *testing.T) {
			fields := paymentFields("2024050100001")
			fields["sign"] = "stale"
			fields["memo"] = ""
			body, err := s.Sign(fields, tt.signType)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fields["sign"], "stale"; got != want {
				t.Errorf("Sign changed the caller's map: sign = %q", got)
			}
			obj, err := protocol.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := obj.Get("sign_type"), tt.want; got != want {
				t.Errorf("sign_type = %q, want %q", got, want)
			}
			if err := protocol.Verify(&key.PublicKey, tt.want, protocol.SignSource(obj), obj.Get("sign")); err != nil {
				t.Errorf("verify: %v", err)
			}
			keys := obj.Keys()
			for i := 1; i < len(keys); i++ {
				if keys[i-1] >= keys[i] {
					t.Errorf("keys not sorted: %v", keys)
				}
			}
			if _, ok := obj.Value("memo"); ok {
				t.Error("empty field sent")
			}
			if !strings.Contains(string(body), `"info_order":"用户13958069593购买了3桶羽毛球 <&>"`) {
				t.Errorf("info_order escaped: %s", body)
			}
		})
	}
	if _, err := (Signer{}).Sign(map[string]string{"a": "b"}, ""); err == nil {
		t.Error("Sign without a key: nil error")
	}
}
