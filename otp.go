package llgate

import (
	"context"
	"crypto/subtle"
	"time"
)

// One-time code rules, shared by card binding and payment.
const (
	TokenLifetime = 30 * time.Minute // a token lives 30 minutes
	CodeLifetime  = 10 * time.Minute // a code, 10 minutes inside its token's life
	MaxWrongCodes = 5                // the 5th wrong code kills the token
)

// codeHash is a keyed hash of the code bound to its token, phone, user and
// merchant: a code is worth nothing for any other token, and the store never
// holds the code itself.
func codeHash(v Vault, c *Challenge, code string) string {
	return v.Fingerprint("otp", c.Token+"\x00"+c.MobileFP+"\x00"+c.UserID+"\x00"+c.OidPartner+"\x00"+code)
}

// setCode gives the challenge a new code: the old one stops working.
func setCode(v Vault, c *Challenge, code string, now time.Time) {
	c.CodeHash = codeHash(v, c, code)
	c.CodeSentAt = now
}

// checkCode applies the code rules to a locked challenge and updates it.
// It returns nil when the code is right (the caller marks the challenge
// used), or the *Error to answer. The caller must commit the challenge even
// when an error comes back: every wrong try counts.
func checkCode(v Vault, c *Challenge, code string, now time.Time) (changed bool, err error) {
	if err := codeLive(c, now); err != nil {
		return false, err
	}
	if codeMatches(v, c, code) {
		return false, nil
	}
	c.WrongCount++
	c.UpdatedAt = now
	if c.WrongCount >= MaxWrongCodes {
		c.State = ChallengeDead
		return true, Errorf(CodeTooManyWrong, "wrong code %d times: token dead", c.WrongCount)
	}
	return true, Errorf(CodeWrongSMSCode, "wrong code (%d of %d)", c.WrongCount, MaxWrongCodes)
}

// codeAccepted says whether checkCode would accept code now, without
// counting a wrong try: a pre-check on a snapshot (pay verify asks a local
// issuer before it takes any lock). Only checkCode, under the lock, decides.
func codeAccepted(v Vault, c *Challenge, code string, now time.Time) bool {
	return codeLive(c, now) == nil && codeMatches(v, c, code)
}

// codeLive applies the time and state rules: the token live and unexpired
// (1000), the code at most CodeLifetime old (9703).
func codeLive(c *Challenge, now time.Time) error {
	switch {
	case c.State != ChallengeLive || !now.Before(c.ExpiresAt):
		return Errorf(CodeTokenInvalid, "token is %s or expired", c.State)
	case now.Sub(c.CodeSentAt) > CodeLifetime:
		return Errorf(CodeSMSCodeExpired, "code sent %s ago", now.Sub(c.CodeSentAt).Round(time.Second))
	}
	return nil
}

// codeMatches compares in constant time: the code is a secret.
func codeMatches(v Vault, c *Challenge, code string) bool {
	return subtle.ConstantTimeCompare([]byte(codeHash(v, c, code)), []byte(c.CodeHash)) == 1
}

// SMSText is the text of a one-time code message. The sandbox says it is
// one; a gateway's texts go to real customers and do not.
func SMSText(mode Mode, code string) string {
	sig := "【llgate】"
	if mode == ModeSandbox {
		sig = "【llgate沙箱】"
	}
	return sig + "您的验证码为" + code + "，10分钟内有效，请勿泄露。"
}

// Caps limit how many texts go out (CONTRACT.md §6) and, per hour, to how
// many distinct phones and through how many distinct card numbers a
// merchant or a client address may go (§5, velocity). Zero fields mean no
// cap; the velocity fields are the defaults a merchant's own Velocity
// replaces.
type Caps struct {
	MobilePer10Min int
	MobilePerDay   int
	CardPerDay     int
	UserPerDay     int
	PhonesPerHour  int
	CardsPerHour   int
}

// DefaultCaps are the contract's defaults.
func DefaultCaps() Caps {
	return Caps{
		MobilePer10Min: 5, MobilePerDay: 20, CardPerDay: 10, UserPerDay: 20,
		PhonesPerHour: 100, CardsPerHour: 200,
	}
}

// capKeys are the cap counters one text to a phone counts against.
type capKeys struct {
	oid, mobileFP, cardFP, userFP string
}

// checkAndCount refuses a text over a cap (9704) and otherwise records it.
// Without caps (--limits off) there is nothing to check, and texts are not
// counted either: a server restarted with caps on counts from then.
func (caps Caps) checkAndCount(ctx context.Context, tx Tx, k capKeys, now time.Time) error {
	if caps == (Caps{}) {
		return nil
	}
	day := ChinaDay(now)
	checks := []struct {
		kind, key string
		since     time.Time
		max       int
	}{
		{CapMobile, k.mobileFP, now.Add(-CodeLifetime), caps.MobilePer10Min},
		{CapMobile, k.mobileFP, day, caps.MobilePerDay},
		{CapCard, k.cardFP, day, caps.CardPerDay},
		{CapUser, k.userFP, day, caps.UserPerDay},
	}
	for _, c := range checks {
		if c.max <= 0 || c.key == "" {
			continue
		}
		n, err := tx.CountSMSSends(ctx, c.kind, c.key, c.since)
		if err != nil {
			return err
		}
		if n >= c.max {
			return Errorf(CodeSMSFailed, "SMS cap: %d texts per %s key since %s", c.max, c.kind, c.since.Format(time.RFC3339))
		}
	}
	for _, s := range []struct{ kind, key string }{{CapMobile, k.mobileFP}, {CapCard, k.cardFP}, {CapUser, k.userFP}} {
		if s.key == "" {
			continue
		}
		if err := tx.InsertSMSSend(ctx, &SMSSend{OidPartner: k.oid, Kind: s.kind, Key: s.key, At: now}); err != nil {
			return err
		}
	}
	return nil
}
