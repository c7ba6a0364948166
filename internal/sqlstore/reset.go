package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// merchantTables are the tables whose rows belong to a merchant through an
// oid_partner column, in the order Reset empties them (children before
// parents). A migration that adds such a table adds it here. Rows that hang
// off these without an oid_partner of their own (notification_attempts) go
// with them by ON DELETE CASCADE. A table whose oid_partner has no index
// says in ownedVia how its rows are found instead.
var merchantTables = []string{
	"request_log",
	"sms_messages",
	"notifications",
	"reports",
	"users",
	"agreements",
	"challenges",
	"sms_sends",
	"refunds",
	"preauths",
	"order_events",
	"orders",
	"person_locks",
	"velocity_marks",
	"checkouts",
	"ledger",
	"settle_due",
	"balances",
	"payouts",
}

// ownedVia finds a merchant's rows of a table through a parent, by the
// parent's index, before the parent's rows go.
var ownedVia = map[string]string{
	"order_events": `oid_paybill IN (SELECT oid_paybill FROM orders WHERE oid_partner = $1)`,
}

// globalTables hold rows of no merchant; only Reset("") empties them.
// velocity_counts belong to counters, some of them a client address's
// that several merchants share.
var globalTables = []string{
	"cardholders",
	"velocity_counts",
}

// Reset deletes one merchant's data but keeps the merchant; with oidPartner
// "" it deletes every merchant and all their data, and the global tables
// (the cardholder registry, the velocity counts). Settings and data keys
// stay. A merchant's velocity marks are those its requests made last.
func (t *Tx) Reset(ctx context.Context, oidPartner string) error {
	for _, table := range merchantTables {
		var err error
		if oidPartner == "" {
			_, err = t.exec(ctx, `DELETE FROM `+table)
		} else {
			where := cmp.Or(ownedVia[table], `oid_partner = $1`)
			_, err = t.exec(ctx, `DELETE FROM `+table+` WHERE `+where, oidPartner)
		}
		if err != nil {
			return fmt.Errorf("reset %s: %w", table, err)
		}
	}
	if oidPartner != "" {
		// The merchant's marks are gone from counters it may share.
		if err := t.recountVelocity(ctx); err != nil {
			return fmt.Errorf("reset velocity_counts: %w", err)
		}
		return nil
	}
	for _, table := range slices.Concat(globalTables, []string{"merchants"}) {
		if _, err := t.exec(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("reset %s: %w", table, err)
		}
	}
	return nil
}
