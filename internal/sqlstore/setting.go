package sqlstore

import (
	"context"
	"fmt"

	"github.com/llgate/llgate"
)

// Setting returns a named value, locked inside Update.
func (t *Tx) Setting(ctx context.Context, key string) ([]byte, error) {
	return queryOne(ctx, t, "setting "+key, func(s scanner) ([]byte, error) {
		var v []byte
		err := s.Scan(&v)
		return blob(v), err
	}, `SELECT value FROM settings WHERE name = $1`+t.lock, key)
}

// PutSetting inserts or replaces a named value.
func (t *Tx) PutSetting(ctx context.Context, key string, value []byte) error {
	if _, err := t.exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, key, blob(value)); err != nil {
		return fmt.Errorf("put setting %s: %w", key, err)
	}
	return nil
}

// InsertSetting stores a named value unless one is present.
func (t *Tx) InsertSetting(ctx context.Context, key string, value []byte) (bool, error) {
	n, err := t.exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT DO NOTHING`, key, blob(value))
	if err != nil {
		return false, fmt.Errorf("insert setting %s: %w", key, err)
	}
	return n == 1, nil
}

// DataKeys returns an owner's data keys by version, locked inside Update.
func (t *Tx) DataKeys(ctx context.Context, owner string) ([]llgate.DataKey, error) {
	return queryAll(ctx, t, func(s scanner) (llgate.DataKey, error) {
		var (
			k       llgate.DataKey
			created int64
		)
		err := s.Scan(&k.Owner, &k.Version, &k.Wrapped, &created)
		k.Wrapped, k.CreatedAt = blob(k.Wrapped), fromMS(created)
		return k, err
	}, `SELECT owner, version, wrapped, created_at FROM data_keys
		WHERE owner = $1 ORDER BY version`+t.lock, owner)
}

// InsertDataKey stores a data key unless (owner, version) exists.
func (t *Tx) InsertDataKey(ctx context.Context, k llgate.DataKey) (bool, error) {
	n, err := t.exec(ctx, `INSERT INTO data_keys (owner, version, wrapped, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		k.Owner, k.Version, blob(k.Wrapped), ms(k.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("insert data key %s/%d: %w", k.Owner, k.Version, err)
	}
	return n == 1, nil
}
