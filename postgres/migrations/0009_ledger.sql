-- The merchant's money (CONTRACT-easypay-payouts §4.12, Decisions 10, 19):
-- one balance row per merchant (its money lock), the append-only ledger
-- whose sums recompute it, and the payments waiting for settlement.
-- Amounts fen, times unix milliseconds UTC, as in 0003.

ALTER TABLE merchants ADD COLUMN settle_days INTEGER NOT NULL DEFAULT 1;

CREATE TABLE balances (
	oid_partner  TEXT PRIMARY KEY,
	amt_unsettle BIGINT NOT NULL,
	amt_balance  BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);

CREATE TABLE ledger (
	id          BIGSERIAL PRIMARY KEY,
	oid_partner TEXT NOT NULL,
	at          BIGINT NOT NULL,
	kind        TEXT NOT NULL,
	amount      BIGINT NOT NULL,
	d_unsettle  BIGINT NOT NULL,
	d_balance   BIGINT NOT NULL,
	ref         TEXT NOT NULL
);
-- The balance view (newest first), LedgerRef, LedgerSums, and Reset.
CREATE INDEX ledger_merchant ON ledger (oid_partner, id);
CREATE INDEX ledger_ref ON ledger (oid_partner, ref);

CREATE TABLE settle_due (
	oid_partner TEXT NOT NULL,
	ref         TEXT NOT NULL,
	amount      BIGINT NOT NULL,
	due_at      BIGINT NOT NULL,
	PRIMARY KEY (oid_partner, ref, due_at)
);
CREATE INDEX settle_due_at ON settle_due (due_at, oid_partner);
