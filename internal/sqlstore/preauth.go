package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/llgate/llgate"
)

const preauthCols = `oid_paybill, oid_partner, kind, state, amount, money_order, request_hash, sealed,
	settle_date, done_at, created_at, updated_at`

func scanPreauth(s scanner) (*llgate.Preauth, error) {
	var (
		p           llgate.Preauth
		amount      int64
		done, c, up int64
	)
	if err := s.Scan(&p.OidPaybill, &p.OidPartner, &p.Kind, &p.State, &amount, &p.MoneyOrder,
		&p.RequestHash, &p.Sealed, &p.SettleDate, &done, &c, &up); err != nil {
		return nil, err
	}
	p.Amount, p.Sealed = llgate.Amount(amount), blob(p.Sealed)
	p.DoneAt, p.CreatedAt, p.UpdatedAt = fromMS(done), fromMS(c), fromMS(up)
	return &p, nil
}

// InsertPreauth stores the capture or cancel of an authorisation;
// ErrConflict if the authorisation has one already.
func (t *Tx) InsertPreauth(ctx context.Context, p *llgate.Preauth) error {
	n, err := t.exec(ctx, `INSERT INTO preauths (`+preauthCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT DO NOTHING`,
		p.OidPaybill, p.OidPartner, p.Kind, p.State, int64(p.Amount), p.MoneyOrder, p.RequestHash,
		blob(p.Sealed), p.SettleDate, ms(p.DoneAt), ms(p.CreatedAt), ms(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert preauth %s: %w", p.OidPaybill, err)
	}
	if n == 0 {
		return fmt.Errorf("preauth %s: %w", p.OidPaybill, llgate.ErrConflict)
	}
	return nil
}

// Preauth returns the capture or cancel of an authorisation, locked inside
// Update.
func (t *Tx) Preauth(ctx context.Context, oidPaybill string) (*llgate.Preauth, error) {
	return queryOne(ctx, t, "preauth "+oidPaybill, scanPreauth,
		`SELECT `+preauthCols+` FROM preauths WHERE oid_paybill = $1`+t.lock, oidPaybill)
}

// SettledCaptures returns the merchant's completed captures with DoneAt in
// [from, to).
func (t *Tx) SettledCaptures(ctx context.Context, oidPartner string, from, to time.Time) ([]*llgate.Preauth, error) {
	ps, err := queryAll(ctx, t, scanPreauth, `SELECT `+preauthCols+` FROM preauths
		WHERE oid_partner = $1 AND kind = $2 AND done_at >= $3 AND done_at < $4 AND state IN ($5, $6)
		ORDER BY done_at, oid_paybill`,
		oidPartner, llgate.PreauthCapture, ms(from), ms(to), llgate.CaptureOK, llgate.CaptureProcessing)
	if err != nil {
		return nil, fmt.Errorf("settled captures of %s: %w", oidPartner, err)
	}
	return ps, nil
}
