package llgate_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/vault"
)

// TestCodeAccepted checks that the snapshot pre-check agrees with checkCode
// on every rule and never changes the challenge (a pre-check that counted a
// wrong try, or that let through a code checkCode refuses, would change
// what pay verify answers).
func TestCodeAccepted(t *testing.T) {
	v, err := vault.New(sqlitetest.Open(t), vault.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	fresh := func() *llgate.Challenge {
		c := &llgate.Challenge{
			Token: "tok", Kind: llgate.ChallengePay, OidPartner: "201408071000001539", UserID: "u", MobileFP: "m",
			State: llgate.ChallengeLive, ExpiresAt: sent.Add(llgate.TokenLifetime), CreatedAt: sent, UpdatedAt: sent,
		}
		llgate.SetCode(v, c, "123456", sent)
		return c
	}
	for _, tc := range []struct {
		name string
		edit func(c *llgate.Challenge)
		code string
		at   time.Time
		want bool
	}{
		{"Right", nil, "123456", sent.Add(time.Minute), true},
		{"RightAtTheLastInstant", nil, "123456", sent.Add(llgate.CodeLifetime), true},
		{"Wrong", nil, "654321", sent.Add(time.Minute), false},
		{"CodeTooOld", nil, "123456", sent.Add(llgate.CodeLifetime + time.Millisecond), false},
		{"TokenExpired", nil, "123456", sent.Add(llgate.TokenLifetime), false},
		{"Used", func(c *llgate.Challenge) { c.State = llgate.ChallengeUsed }, "123456", sent.Add(time.Minute), false},
		{"Dead", func(c *llgate.Challenge) { c.State = llgate.ChallengeDead }, "123456", sent.Add(time.Minute), false},
		{"Resent", func(c *llgate.Challenge) { llgate.SetCode(v, c, "111111", sent.Add(time.Minute)) }, "123456", sent.Add(2 * time.Minute), false},
		{"OneWrongBefore", func(c *llgate.Challenge) { c.WrongCount = llgate.MaxWrongCodes - 1 }, "123456", sent.Add(time.Minute), true},
		{"WrongOnTheLastTry", func(c *llgate.Challenge) { c.WrongCount = llgate.MaxWrongCodes - 1 }, "000000", sent.Add(time.Minute), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fresh()
			if tc.edit != nil {
				tc.edit(c)
			}
			before := *c
			got := llgate.CodeAccepted(v, c, tc.code, tc.at)
			if !reflect.DeepEqual(*c, before) {
				t.Fatalf("codeAccepted changed the challenge: %+v, was %+v", *c, before)
			}
			if got != tc.want {
				t.Fatalf("codeAccepted = %v, want %v", got, tc.want)
			}
			locked := before
			if _, err := llgate.CheckCode(v, &locked, tc.code, tc.at); (err == nil) != got {
				t.Fatalf("codeAccepted = %v but checkCode answers %v", got, err)
			}
		})
	}
}
