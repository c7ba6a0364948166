package llgate

import (
	"context"
	"errors"
	"net/netip"
)

// errNoLiveToken: the order's token is not live; the pay apply's replay
// issues a new one.
var errNoLiveToken = errors.New("no live token")

// resend texts a new code for the order's live token (CONTRACT-easypay-
// payouts.md §4.3: pressing 「获取验证码」 again within the token's life is a
// resend, as a repeated bind apply is): same token, a new code, the old one
// answering 9700 from now on; within the SMS caps. errNoLiveToken when the
// token died (the caller replays the apply for a new token).
func (c *Checkouts) resend(ctx context.Context, m *Merchant, o *Order, addr netip.Addr) error {
	p := c.Payments
	sec, err := OpenOrderSecret(ctx, c.Vault, o)
	if err != nil {
		return err
	}
	card, err := p.cardOf(ctx, o, sec)
	if err != nil {
		return err
	}
	now := c.Clock.Now()
	code := p.code(m)
	mobileFP := c.Vault.Fingerprint("mobile", card.Mobile)
	text, err := newCodeText(ctx, p.SMS, p.Mode, m.OidPartner, card.Mobile, code, false)
	if err != nil {
		return err
	}
	vel := p.Caps.velocity(c.Vault, m, addr)
	err = c.Store.Update(ctx, func(tx Tx) error {
		ch, err := tx.LiveChallenge(ctx, ChallengePay, o.OidPartner, o.UserID, o.OidPaybill, now)
		if errors.Is(err, ErrNotFound) {
			return errNoLiveToken
		}
		if err != nil {
			return err
		}
		cur, err := tx.Order(ctx, o.OidPaybill)
		if err != nil {
			return err
		}
		if cur.Status != OrderWaiting || ch.Token != cur.Token {
			return errNoLiveToken
		}
		if err := p.Caps.checkAndCount(ctx, tx, p.capKeysOf(o, mobileFP), now); err != nil {
			return err
		}
		setCode(c.Vault, ch, code, now)
		ch.UpdatedAt = now
		if err := tx.UpdateChallenge(ctx, ch); err != nil {
			return err
		}
		if err := text.record(ctx, tx); err != nil {
			return err
		}
		return vel.check(ctx, tx, now, phoneSeen(mobileFP))
	})
	if err != nil {
		return err
	}
	// The apply's hint holds the old code: the verify reads the store.
	p.Pending.take(o.Token, now)
	return text.send(ctx)
}
