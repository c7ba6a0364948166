package llgate

import "context"

// SealedTx is implemented by the transactions of stores that can list and
// rewrite every value the vault sealed, for data-key rotation (package
// vault). It is not part of Tx because only rotation needs it: reach it with
// a type assertion on the Tx that Update or View passes.
type SealedTx interface {
	// DataKeyVersions returns every vault owner with its newest data-key
	// version.
	DataKeyVersions(ctx context.Context) (map[string]int, error)
	// SealedHeads returns up to limit sealed values after the cursor, in the
	// store's order of sealed columns and then by row, each with the owner,
	// table and row the vault bound it to, its first bytes and its size;
	// not the whole value. A zero cursor starts from the beginning.
	SealedHeads(ctx context.Context, after SealedCursor, limit int) ([]SealedHead, error)
	// Sealed returns one whole sealed value; ErrNotFound if the row is gone
	// or holds none.
	Sealed(ctx context.Context, ref SealedRef) ([]byte, error)
	// ReplaceSealed writes newValue where the value is still oldValue, a
	// compare-and-swap: false when a concurrent writer changed or deleted
	// it, and that writer's value stays.
	ReplaceSealed(ctx context.Context, ref SealedRef, oldValue, newValue []byte) (bool, error)
}

// SealedRef names one sealed value: the column holding it, and the owner,
// table and row the vault bound it to.
type SealedRef struct {
	Table  string // SQL table, also the vault's table name
	Column string
	Row    string // the row's key, also the vault's row name
	Owner  string
}

// Cursor is the position of the value in the order of SealedHeads.
func (r SealedRef) Cursor() SealedCursor {
	return SealedCursor{Table: r.Table, Column: r.Column, Row: r.Row}
}

// SealedCursor is a position in the order of SealedHeads; the zero value is
// the beginning.
type SealedCursor struct {
	Table  string `json:"table,omitempty"`
	Column string `json:"column,omitempty"`
	Row    string `json:"row,omitempty"`
}

// SealedHeadSize is how many leading bytes of a value SealedHead carries:
// enough for the vault's format byte and key version.
const SealedHeadSize = 16

// SealedHead is a sealed value's reference, first bytes and size.
type SealedHead struct {
	SealedRef
	Head []byte // the first SealedHeadSize bytes (fewer if the value is shorter)
	Size int64
}
