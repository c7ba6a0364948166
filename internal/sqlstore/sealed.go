package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/llgate/llgate"
)

// sealedColumn is one column holding vault ciphertext. The vault binds each
// value to the column's table name and to the row's key; owner computes the
// vault owner from the row's ownerColumn.
type sealedColumn struct {
	table, key, column string
	where              string // extra condition on the rows, "" for every row
	ownerColumn        string
	owner              func(string) string // nil: the column's value is the owner
}

// sealedColumns is every column the vault seals, in the order SealedHeads
// walks them. A new sealed column is one line here; TestSealedColumns fails
// while a BLOB column is in neither this list nor its exceptions.
var sealedColumns = []sealedColumn{
	{table: "merchants", key: "oid_partner", column: "md5_key", ownerColumn: "oid_partner"},
	// Only the platform key is sealed among the settings (see platformkey.go).
	{table: "settings", key: "name", column: "value", where: "name = 'platform_key'", ownerColumn: "name", owner: systemOwner},
	{table: llgate.TableSMS, key: "id", column: "sealed", ownerColumn: "oid_partner"},
	{table: llgate.TableNotifications, key: "id", column: "body", ownerColumn: "oid_partner"},
	{table: llgate.TableReports, key: "name", column: "content", ownerColumn: "oid_partner"},
	{table: llgate.TableAgreements, key: "no_agree", column: "sealed", ownerColumn: "scope", owner: llgate.ScopeOwner},
	{table: llgate.TableChallenges, key: "token", column: "sealed", ownerColumn: "scope", owner: llgate.ScopeOwner},
	{table: llgate.TableOrders, key: "oid_paybill", column: "sealed", ownerColumn: "oid_partner"},
	{table: llgate.TableCheckouts, key: "token", column: "sealed", ownerColumn: "oid_partner"},
	{table: llgate.TablePreauths, key: "oid_paybill", column: "sealed", ownerColumn: "oid_partner"},
	{table: llgate.TablePayouts, key: "id", column: "sealed", ownerColumn: "oid_partner"},
}

func systemOwner(string) string { return llgate.OwnerSystem }

var _ llgate.SealedTx = (*Tx)(nil)

// filter is the WHERE condition shared by every query on the column.
func (c *sealedColumn) filter() string {
	f := c.column + ` IS NOT NULL`
	if c.where != "" {
		f += ` AND ` + c.where
	}
	return f
}

// sealedColumnAt returns the column named by table and column, and its
// position in sealedColumns.
func sealedColumnAt(table, column string) (int, *sealedColumn, error) {
	for i := range sealedColumns {
		if c := &sealedColumns[i]; c.table == table && c.column == column {
			return i, c, nil
		}
	}
	return 0, nil, fmt.Errorf("sqlstore: %s.%s is not a sealed column", table, column)
}

// DataKeyVersions returns every vault owner with its newest data-key version.
func (t *Tx) DataKeyVersions(ctx context.Context) (map[string]int, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT owner, MAX(version) FROM data_keys GROUP BY owner`)
	if err != nil {
		return nil, fmt.Errorf("data key versions: %w", err)
	}
	defer rows.Close()
	out := make(map[string]int)
	for rows.Next() {
		var (
			owner   string
			version int64
		)
		if err := rows.Scan(&owner, &version); err != nil {
			return nil, fmt.Errorf("data key versions: %w", err)
		}
		out[owner] = int(version)
	}
	return out, rows.Err()
}

// SealedHeads returns up to limit sealed values after the cursor: the
// columns in the order of sealedColumns, each by its key. A cursor naming a
// column this version does not know starts over from the beginning, which
// costs a rescan and nothing else.
func (t *Tx) SealedHeads(ctx context.Context, after llgate.SealedCursor, limit int) ([]llgate.SealedHead, error) {
	limit = limitOr(limit, 500)
	start, row := 0, ""
	if after != (llgate.SealedCursor{}) {
		if i, _, err := sealedColumnAt(after.Table, after.Column); err == nil {
			start, row = i, after.Row
		}
	}
	var out []llgate.SealedHead
	for i := start; i < len(sealedColumns) && len(out) < limit; i++ {
		c := &sealedColumns[i]
		q := `SELECT ` + c.key + `, ` + c.ownerColumn + `, substr(` + c.column + `, 1, ` + strconv.Itoa(llgate.SealedHeadSize) +
			`), length(` + c.column + `) FROM ` + c.table + ` WHERE ` + c.filter()
		args := []any{limit - len(out)}
		if i == start && row != "" {
			q += ` AND ` + c.key + ` > $2`
			args = append(args, row)
		}
		q += ` ORDER BY ` + c.key + ` LIMIT CAST($1 AS BIGINT)`
		heads, err := queryAll(ctx, t, func(s scanner) (llgate.SealedHead, error) {
			h := llgate.SealedHead{SealedRef: llgate.SealedRef{Table: c.table, Column: c.column}}
			err := s.Scan(&h.Row, &h.Owner, &h.Head, &h.Size)
			if c.owner != nil {
				h.Owner = c.owner(h.Owner)
			}
			return h, err
		}, q, args...)
		if err != nil {
			return nil, fmt.Errorf("sealed values of %s.%s: %w", c.table, c.column, err)
		}
		out = append(out, heads...)
	}
	return out, nil
}

// Sealed returns one whole sealed value.
func (t *Tx) Sealed(ctx context.Context, ref llgate.SealedRef) ([]byte, error) {
	_, c, err := sealedColumnAt(ref.Table, ref.Column)
	if err != nil {
		return nil, err
	}
	v, err := queryOne(ctx, t, "sealed value in "+c.table, func(s scanner) ([]byte, error) {
		var v []byte
		return v, s.Scan(&v)
	}, `SELECT `+c.column+` FROM `+c.table+` WHERE `+c.key+` = $1 AND `+c.filter()+t.lock, ref.Row)
	if err != nil && !errors.Is(err, llgate.ErrNotFound) {
		err = fmt.Errorf("sealed value in %s: %w", c.table, err)
	}
	return v, err
}

// ReplaceSealed writes newValue where the value is still oldValue. On
// PostgreSQL the UPDATE waits for a concurrent writer's row lock and then
// re-checks its condition against that writer's value, so the later writer
// never loses its value to the rotation.
func (t *Tx) ReplaceSealed(ctx context.Context, ref llgate.SealedRef, oldValue, newValue []byte) (bool, error) {
	_, c, err := sealedColumnAt(ref.Table, ref.Column)
	if err != nil {
		return false, err
	}
	if len(oldValue) == 0 || len(newValue) == 0 {
		return false, errors.New("sqlstore: replace sealed: empty value")
	}
	n, err := t.exec(ctx, `UPDATE `+c.table+` SET `+c.column+` = $1 WHERE `+c.key+` = $2 AND `+c.column+` = $3 AND `+c.filter(),
		newValue, ref.Row, oldValue)
	if err != nil {
		return false, fmt.Errorf("replace sealed value in %s: %w", c.table, err)
	}
	return n == 1, nil
}
