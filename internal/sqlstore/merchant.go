package sqlstore

import (
	"context"
	"fmt"

	"github.com/llgate/llgate"
)

const merchantCols = `oid_partner, name, public_keys, sign_types, ip_allowlist, live, platform,
	limit_per_txn, limit_per_day, limit_per_month, notify_extra_fields, sms_code, md5_key,
	created_at, updated_at, velocity_phones, velocity_cards, products, easypay_no_sms, notify_content_type, settle_days,
	payout_limit_per_txn, payout_limit_per_day, payout_limit_per_month`

func merchantArgs(m *llgate.Merchant) []any {
	return []any{
		m.OidPartner, m.Name, encodeList(m.PublicKeys), encodeList(m.SignTypes), encodeList(m.IPAllowlist),
		m.Live, m.Platform, int64(m.Limits.PerTxn), int64(m.Limits.PerDay), int64(m.Limits.PerMonth),
		m.NotifyExtraFields, m.SMSCode, blob(m.MD5Key), ms(m.CreatedAt), ms(m.UpdatedAt),
		m.Velocity.PhonesPerHour, m.Velocity.CardsPerHour, encodeList(m.Products), m.EasypayNoSMS, m.NotifyContentType, m.SettleDays,
		int64(m.PayoutLimits.PerTxn), int64(m.PayoutLimits.PerDay), int64(m.PayoutLimits.PerMonth),
	}
}

func scanMerchant(s scanner) (*llgate.Merchant, error) {
	var (
		m                        llgate.Merchant
		keys, types, allow, prod string
		perTxn, perDay, perMonth int64
		pTxn, pDay, pMonth       int64
		created, updated         int64
	)
	if err := s.Scan(&m.OidPartner, &m.Name, &keys, &types, &allow, &m.Live, &m.Platform,
		&perTxn, &perDay, &perMonth, &m.NotifyExtraFields, &m.SMSCode, &m.MD5Key,
		&created, &updated, &m.Velocity.PhonesPerHour, &m.Velocity.CardsPerHour,
		&prod, &m.EasypayNoSMS, &m.NotifyContentType, &m.SettleDays, &pTxn, &pDay, &pMonth); err != nil {
		return nil, err
	}
	var err error
	if m.PublicKeys, err = decodeList(keys); err != nil {
		return nil, fmt.Errorf("merchant %s: public_keys: %w", m.OidPartner, err)
	}
	if m.SignTypes, err = decodeList(types); err != nil {
		return nil, fmt.Errorf("merchant %s: sign_types: %w", m.OidPartner, err)
	}
	if m.IPAllowlist, err = decodeList(allow); err != nil {
		return nil, fmt.Errorf("merchant %s: ip_allowlist: %w", m.OidPartner, err)
	}
	if m.Products, err = decodeList(prod); err != nil {
		return nil, fmt.Errorf("merchant %s: products: %w", m.OidPartner, err)
	}
	m.Limits = llgate.Limits{PerTxn: llgate.Amount(perTxn), PerDay: llgate.Amount(perDay), PerMonth: llgate.Amount(perMonth)}
	m.PayoutLimits = llgate.Limits{PerTxn: llgate.Amount(pTxn), PerDay: llgate.Amount(pDay), PerMonth: llgate.Amount(pMonth)}
	m.MD5Key = blob(m.MD5Key)
	m.CreatedAt, m.UpdatedAt = fromMS(created), fromMS(updated)
	return &m, nil
}

// InsertMerchant stores a new merchant; ErrConflict if oid_partner is taken.
func (t *Tx) InsertMerchant(ctx context.Context, m *llgate.Merchant) error {
	n, err := t.exec(ctx, `INSERT INTO merchants (`+merchantCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
		ON CONFLICT DO NOTHING`, merchantArgs(m)...)
	if err != nil {
		return fmt.Errorf("insert merchant %s: %w", m.OidPartner, err)
	}
	if n == 0 {
		return fmt.Errorf("merchant %s: %w", m.OidPartner, llgate.ErrConflict)
	}
	return nil
}

// UpdateMerchant overwrites every field but OidPartner and CreatedAt, which
// never change after the insert.
func (t *Tx) UpdateMerchant(ctx context.Context, m *llgate.Merchant) error {
	args := merchantArgs(m)
	args = append(args[:13], args[14:]...) // drop created_at
	n, err := t.exec(ctx, `UPDATE merchants SET name = $2, public_keys = $3, sign_types = $4,
		ip_allowlist = $5, live = $6, platform = $7, limit_per_txn = $8, limit_per_day = $9,
		limit_per_month = $10, notify_extra_fields = $11, sms_code = $12, md5_key = $13,
		updated_at = $14, velocity_phones = $15, velocity_cards = $16, products = $17,
		easypay_no_sms = $18, notify_content_type = $19, settle_days = $20,
		payout_limit_per_txn = $21, payout_limit_per_day = $22, payout_limit_per_month = $23
		WHERE oid_partner = $1`, args...)
	if err != nil {
		return fmt.Errorf("update merchant %s: %w", m.OidPartner, err)
	}
	if n == 0 {
		return fmt.Errorf("merchant %s: %w", m.OidPartner, llgate.ErrNotFound)
	}
	return nil
}

// Merchant returns one merchant, locked inside Update.
func (t *Tx) Merchant(ctx context.Context, oidPartner string) (*llgate.Merchant, error) {
	return queryOne(ctx, t, "merchant "+oidPartner, scanMerchant,
		`SELECT `+merchantCols+` FROM merchants WHERE oid_partner = $1`+t.lock, oidPartner)
}

// Merchants returns every merchant by oid_partner, locked inside Update.
func (t *Tx) Merchants(ctx context.Context) ([]*llgate.Merchant, error) {
	return queryAll(ctx, t, scanMerchant,
		`SELECT `+merchantCols+` FROM merchants ORDER BY oid_partner`+t.lock)
}
