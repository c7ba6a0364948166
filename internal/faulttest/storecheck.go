package faulttest

import (
	"context"
	"fmt"
	"strings"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/postgres"
	"github.com/llgate/llgate/sqlite"
	"github.com/llgate/llgate/vault"
)

// StoreReport is what CheckStore found in the database of a stopped run.
type StoreReport struct {
	IntegrityOK     *bool  `json:"integrity_ok"` // nil: not checked (PostgreSQL has no integrity pragma)
	IntegrityNote   string `json:"integrity_note,omitempty"`
	SealedChecked   int    `json:"sealed_rows_checked"`
	SealedFailed    int    `json:"sealed_rows_failed"`
	OutboxDelivered int    `json:"outbox_delivered"`
	OutboxPending   int    `json:"outbox_pending"`
	OutboxFailed    int    `json:"outbox_failed"`
}

// IsPostgres reports whether db is a PostgreSQL URL.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// CheckStore opens the database of a run once every server is stopped and
// checks it: SQLite's integrity check; every sealed value opens with the
// vault of the master key (owner, table and row bound as sealed); every
// notification delivered, and one per payment or refund.
func CheckStore(ctx context.Context, db string, master []byte, v *Violations) (StoreReport, error) {
	var rep StoreReport
	var st llgate.Store
	if IsPostgres(db) {
		s, err := postgres.Open(ctx, db)
		if err != nil {
			return rep, err
		}
		defer s.Close()
		st = s
		rep.IntegrityNote = "PostgreSQL: no integrity pragma; skipped (the sealed-value and outbox checks ran)"
	} else {
		s, err := sqlite.Open(ctx, db)
		if err != nil {
			return rep, err
		}
		defer s.Close()
		st = s
		ok := true
		if err := s.IntegrityCheck(ctx); err != nil {
			ok = false
			v.Add("SQLite integrity check: %v", err)
		}
		rep.IntegrityOK = &ok
	}

	if err := llgate.RecomputeAll(ctx, st); err != nil {
		v.Add("balances: %v", err)
	}
	vlt, err := vault.New(st, master)
	if err != nil {
		return rep, err
	}
	var cursor llgate.SealedCursor
	for {
		var heads []llgate.SealedHead
		err := st.View(ctx, func(tx llgate.Tx) error {
			stx, ok := tx.(llgate.SealedTx)
			if !ok {
				return fmt.Errorf("the store's transactions do not list sealed values")
			}
			var err error
			heads, err = stx.SealedHeads(ctx, cursor, 500)
			return err
		})
		if err != nil {
			return rep, err
		}
		if len(heads) == 0 {
			break
		}
		for _, h := range heads {
			var value []byte
			err := st.View(ctx, func(tx llgate.Tx) error {
				var err error
				value, err = tx.(llgate.SealedTx).Sealed(ctx, h.SealedRef)
				return err
			})
			if err != nil {
				return rep, err
			}
			rep.SealedChecked++
			if _, err := vlt.Open(ctx, h.Owner, h.Table, h.Row, value); err != nil {
				rep.SealedFailed++
				v.Add("sealed value %s.%s row %s (owner %s) does not open: %v", h.Table, h.Column, h.Row, h.Owner, err)
			}
		}
		cursor = heads[len(heads)-1].Cursor()
	}

	var ns []*llgate.Notification
	if err := st.View(ctx, func(tx llgate.Tx) error {
		var err error
		ns, err = tx.Notifications(ctx, llgate.NotificationFilter{})
		return err
	}); err != nil {
		return rep, err
	}
	per := map[string]int{}
	for _, n := range ns {
		switch n.Status {
		case llgate.NotifyDelivered:
			rep.OutboxDelivered++
		case llgate.NotifyPending:
			rep.OutboxPending++
			v.Add("notification %s (%s %s%s) still pending after the drain (%d attempts)", n.ID, n.Kind, n.NoOrder, n.NoRefund, n.AttemptCount)
		case llgate.NotifyFailed:
			rep.OutboxFailed++
			v.Add("notification %s (%s %s%s) failed after %d attempts", n.ID, n.Kind, n.NoOrder, n.NoRefund, n.AttemptCount)
		}
		key := n.Kind + " " + n.NoOrder
		if n.Kind == llgate.NotifyRefund {
			key = n.Kind + " " + n.NoRefund
		}
		per[key]++
	}
	for k, c := range per {
		if c > 1 {
			v.Add("%s has %d notifications in the outbox", k, c)
		}
	}
	return rep, nil
}

// RecomputeBalances opens the database (the server may be running on it)
// and checks every merchant's balances against its ledger
// (llgate.RecomputeAll), adding a violation for a mismatch.
func RecomputeBalances(ctx context.Context, db string, v *Violations) error {
	var st llgate.Store
	if IsPostgres(db) {
		s, err := postgres.Open(ctx, db)
		if err != nil {
			return err
		}
		defer s.Close()
		st = s
	} else {
		s, err := sqlite.Open(ctx, db)
		if err != nil {
			return err
		}
		defer s.Close()
		st = s
	}
	if err := llgate.RecomputeAll(ctx, st); err != nil {
		v.Add("balances: %v", err)
	}
	return nil
}
