package llgate

import "context"

// CheckoutQuery selects checkouts for the admin API (empty = any).
type CheckoutQuery struct {
	OidPartner string
	NoOrder    string
	Returned   bool // only those whose return was rendered
	Limit      int  // <= 0: 100
}

// CheckoutTx holds checkouts. NoOrder is unique per merchant among
// checkouts: InsertCheckout returns ErrConflict for a taken token or
// (oid_partner, no_order).
type CheckoutTx interface {
	InsertCheckout(ctx context.Context, c *Checkout) error
	Checkout(ctx context.Context, token string) (*Checkout, error)                      // ErrNotFound; locks
	CheckoutByOrder(ctx context.Context, oidPartner, noOrder string) (*Checkout, error) // ErrNotFound; locks
	UpdateCheckout(ctx context.Context, c *Checkout) error                              // ErrNotFound
	// Checkouts returns what q selects, newest first (created_at, then
	// token, descending); ordered by ReturnedAt instead when q.Returned.
	Checkouts(ctx context.Context, q CheckoutQuery) ([]*Checkout, error)
}
