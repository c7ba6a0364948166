package sqlstore

import (
	"context"
	"fmt"

	"github.com/llgate/llgate"
)

// The cardholder registry is insert-only, so its reads take no lock.

// InsertCardholder records who holds a card unless the card is known.
func (t *Tx) InsertCardholder(ctx context.Context, c *llgate.Cardholder) (bool, error) {
	n, err := t.exec(ctx, `INSERT INTO cardholders (card_fp, person_fp, name_fp, mobile_fp, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		c.CardFP, c.PersonFP, c.NameFP, c.MobileFP, ms(c.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("insert cardholder %s: %w", c.CardFP, err)
	}
	return n == 1, nil
}

// Cardholder returns the holder of a card.
func (t *Tx) Cardholder(ctx context.Context, cardFP string) (*llgate.Cardholder, error) {
	return queryOne(ctx, t, "cardholder "+cardFP, func(s scanner) (*llgate.Cardholder, error) {
		var (
			c       llgate.Cardholder
			created int64
		)
		err := s.Scan(&c.CardFP, &c.PersonFP, &c.NameFP, &c.MobileFP, &created)
		c.CreatedAt = fromMS(created)
		return &c, err
	}, `SELECT card_fp, person_fp, name_fp, mobile_fp, created_at FROM cardholders
		WHERE card_fp = $1`, cardFP)
}
