package sqlstore

import (
	"context"
	"fmt"

	"github.com/llgate/llgate"
)

// PutReport inserts or replaces the report named r.Name.
func (t *Tx) PutReport(ctx context.Context, r *llgate.Report) error {
	if _, err := t.exec(ctx, `INSERT INTO reports (name, oid_partner, size, content, created_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET oid_partner = excluded.oid_partner, size = excluded.size,
			content = excluded.content, created_at = excluded.created_at`,
		r.Name, r.OidPartner, r.Size, blob(r.Content), ms(r.CreatedAt)); err != nil {
		return fmt.Errorf("put report %s: %w", r.Name, err)
	}
	return nil
}

// Reports lists one merchant's reports (all reports with oidPartner "") by
// name, without their content, locked inside Update.
func (t *Tx) Reports(ctx context.Context, oidPartner string) ([]*llgate.Report, error) {
	q := `SELECT name, oid_partner, size, created_at FROM reports`
	var args []any
	if oidPartner != "" {
		q += ` WHERE oid_partner = $1`
		args = append(args, oidPartner)
	}
	return queryAll(ctx, t, func(s scanner) (*llgate.Report, error) {
		var (
			r       llgate.Report
			created int64
		)
		err := s.Scan(&r.Name, &r.OidPartner, &r.Size, &created)
		r.CreatedAt = fromMS(created)
		return &r, err
	}, q+` ORDER BY name`+t.lock, args...)
}

// Report returns one report with its content, locked inside Update.
func (t *Tx) Report(ctx context.Context, name string) (*llgate.Report, error) {
	return queryOne(ctx, t, "report "+name, func(s scanner) (*llgate.Report, error) {
		var (
			r       llgate.Report
			created int64
		)
		err := s.Scan(&r.Name, &r.OidPartner, &r.Size, &r.Content, &created)
		r.Content, r.CreatedAt = blob(r.Content), fromMS(created)
		return &r, err
	}, `SELECT name, oid_partner, size, content, created_at FROM reports WHERE name = $1`+t.lock, name)
}
