-- The merchant's money (CONTRACT-easypay-payouts §4.12, Decisions 10, 19):
-- one balance row per merchant (its money lock), the append-only ledger
-- whose sums recompute it, and the payments waiting for settlement.
-- Amounts fen, times unix milliseconds UTC, as in 0003.

ALTER TABLE merchants ADD COLUMN settle_days INTEGER NOT NULL DEFAULT 1;

CREATE TABLE balances (
	oid_partner  TEXT PRIMARY KEY,
	amt_unsettle INTEGER NOT NULL,
	amt_balance  INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE ledger (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	oid_partner TEXT NOT NULL,
	at          INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	amount      INTEGER NOT NULL,
	d_unsettle  INTEGER NOT NULL,
	d_balance   INTEGER NOT NULL,
	ref         TEXT NOT NULL
) STRICT;
-- The balance view (newest first), LedgerRef, LedgerSums, and Reset.
CREATE INDEX ledger_merchant ON ledger (oid_partner, id);
CREATE INDEX ledger_ref ON ledger (oid_partner, ref);

CREATE TABLE settle_due (
	oid_partner TEXT NOT NULL,
	ref         TEXT NOT NULL,
	amount      INTEGER NOT NULL,
	due_at      INTEGER NOT NULL,
	PRIMARY KEY (oid_partner, ref, due_at)
) STRICT;
CREATE INDEX settle_due_at ON settle_due (due_at, oid_partner);
