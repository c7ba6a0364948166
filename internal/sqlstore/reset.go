package sqlstore

import (
	"context"
	"fmt"
	"slices"
)

// merchantTables are the tables whose rows belong to a merchant through an
// oid_partner column, in the order Reset empties them (children before
// parents). A migration that adds such a table adds it here. Rows that hang
// off these without an oid_partner of their own (notification_attempts) go
// with them by ON DELETE CASCADE.
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
	"order_events",
	"orders",
	"person_locks",
	"velocity_marks",
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
			_, err = t.exec(ctx, `DELETE FROM `+table+` WHERE oid_partner = $1`, oidPartner)
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
