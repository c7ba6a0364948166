package llgate

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"testing"
	"time"
)

// hmacVault is just enough of a Vault for the code rules: a keyed
// fingerprint. Seal and Open are never called by them.
type hmacVault struct{}

func (hmacVault) Seal(context.Context, string, string, string, []byte) ([]byte, error) {
	panic("not used")
}

func (hmacVault) Open(context.Context, string, string, string, []byte) ([]byte, error) {
	panic("not used")
}

func (hmacVault) Fingerprint(kind, value string) string {
	m := hmac.New(sha256.New, []byte("otp-test"))
	m.Write([]byte(kind + "\x00" + value))
	return hex.EncodeToString(m.Sum(nil))
}

// TestCodeAccepted checks that the snapshot pre-check agrees with checkCode
// on every rule and never changes the challenge (a pre-check that counted a
// wrong try, or that let through a code checkCode refuses, would change
// what pay verify answers).
func TestCodeAccepted(t *testing.T) {
	v := hmacVault{}
	sent := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	fresh := func() *Challenge {
		c := &Challenge{
			Token: "tok", Kind: ChallengePay, OidPartner: "201408071000001539", UserID: "u", MobileFP: "m",
			State: ChallengeLive, ExpiresAt: sent.Add(TokenLifetime), CreatedAt: sent, UpdatedAt: sent,
		}
		setCode(v, c, "123456", sent)
		return c
	}
	for _, tc := range []struct {
		name string
		edit func(c *Challenge)
		code string
		at   time.Time
		want bool
	}{
		{"Right", nil, "123456", sent.Add(time.Minute), true},
		{"RightAtTheLastInstant", nil, "123456", sent.Add(CodeLifetime), true},
		{"Wrong", nil, "654321", sent.Add(time.Minute), false},
		{"CodeTooOld", nil, "123456", sent.Add(CodeLifetime + time.Millisecond), false},
		{"TokenExpired", nil, "123456", sent.Add(TokenLifetime), false},
		{"Used", func(c *Challenge) { c.State = ChallengeUsed }, "123456", sent.Add(time.Minute), false},
		{"Dead", func(c *Challenge) { c.State = ChallengeDead }, "123456", sent.Add(time.Minute), false},
		{"Resent", func(c *Challenge) { setCode(v, c, "111111", sent.Add(time.Minute)) }, "123456", sent.Add(2 * time.Minute), false},
		{"OneWrongBefore", func(c *Challenge) { c.WrongCount = MaxWrongCodes - 1 }, "123456", sent.Add(time.Minute), true},
		{"WrongOnTheLastTry", func(c *Challenge) { c.WrongCount = MaxWrongCodes - 1 }, "000000", sent.Add(time.Minute), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fresh()
			if tc.edit != nil {
				tc.edit(c)
			}
			before := *c
			got := codeAccepted(v, c, tc.code, tc.at)
			if !reflect.DeepEqual(*c, before) {
				t.Fatalf("codeAccepted changed the challenge: %+v, was %+v", *c, before)
			}
			if got != tc.want {
				t.Fatalf("codeAccepted = %v, want %v", got, tc.want)
			}
			locked := before
			if _, err := checkCode(v, &locked, tc.code, tc.at); (err == nil) != got {
				t.Fatalf("codeAccepted = %v but checkCode answers %v", got, err)
			}
		})
	}
}
