package llgate

import (
	"context"
	"errors"
	"net/netip"
)

// Unbind ends an agreement. An agreement that is unknown, already unbound,
// another user's or another scope's answers 3003, identically.
func (b *Binding) Unbind(ctx context.Context, scope, userID, noAgree string) error {
	return b.Store.Update(ctx, func(tx Tx) error {
		a, err := tx.Agreement(ctx, noAgree)
		if errors.Is(err, ErrNotFound) || err == nil && (a.Scope != scope || a.UserID != userID || a.Status != AgreementActive) {
			return Errorf(CodeNoAgreement, "no active agreement %s for this user", noAgree)
		}
		if err != nil {
			return err
		}
		a.Status, a.UnboundAt = AgreementUnbound, b.Clock.Now()
		return tx.UpdateAgreement(ctx, a)
	})
}

// BindListPage is the page size of the bind list.
const BindListPage = 10

// List returns one page (page numbers from 0) of a user's active
// agreements, newest first, and the total number of matches. No match at
// all answers 8901.
func (b *Binding) List(ctx context.Context, f AgreementFilter, page int) ([]*Agreement, int, error) {
	f.ActiveOnly, f.Offset, f.Limit = true, page*BindListPage, BindListPage
	var list []*Agreement
	var total int
	err := b.Store.View(ctx, func(tx Tx) error {
		var err error
		list, total, err = tx.Agreements(ctx, f)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	if total == 0 {
		return nil, 0, Errorf(CodeNoRecord, "no agreement matches")
	}
	return list, total, nil
}

// CardBin answers the card-BIN query by merchant m from addr: 1100 for an
// invalid number, 5001 for an unknown BIN, 9912 for a prepaid card, 1014
// over the velocity cap. Every number asked about counts against the cap,
// known BIN or not; with the caps off the query writes nothing.
func (b *Binding) CardBin(ctx context.Context, m *Merchant, addr netip.Addr, cardNo string) (CardInfo, error) {
	vel := b.Caps.velocity(b.Vault, m, addr)
	if vel.cards > 0 {
		now := b.Clock.Now()
		fp := b.Vault.Fingerprint("card", cardNo)
		err := b.Store.Update(ctx, func(tx Tx) error { return vel.check(ctx, tx, now, cardSeen(fp)) })
		if err != nil {
			return CardInfo{}, err
		}
	}
	return b.card(cardNo, CodeCardBinFailed)
}

// CardFingerprint is the lookup key of a card number.
func (b *Binding) CardFingerprint(cardNo string) string {
	return b.Vault.Fingerprint("card", cardNo)
}
